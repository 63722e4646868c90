using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// QueueEnqueueManyV2: slices every component along dimension 0 and enqueues the rows as elements,
/// in order, as room becomes free. An empty batch does nothing (even on a closed queue, as in TF).
/// </summary>
internal sealed class QueueEnqueueManyV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("Tcomponents", "list(type)", Minimum: 1), new("timeout_ms", "int", Attr.Int(-1))];

    public const string OpType = "QueueEnqueueManyV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["handle: resource", "components: Tcomponents"];

    protected override string[] OutputArgs => [];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => QueueOps.InferEnqueue(c, many: true);

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static ctx =>
    {
        var q = QueueResource.Resolve(ctx.Input(0));
        var batch = new Tensor[ctx.NumInputs - 1];
        for (int i = 0; i < batch.Length; i++) batch[i] = ctx.Input(i + 1);
        q.ValidateManyTuple(batch);
        int n = batch[0].Dims[0];
        var elements = new List<Tensor[]>(n);
        for (int r = 0; r < n; r++)
        {
            var e = new Tensor[batch.Length];
            for (int i = 0; i < batch.Length; i++) e[i] = QueueResource.Slice(batch[i], r, ctx);
            elements.Add(e);
        }
        q.Enqueue(elements, ctx);
    });
}

public sealed partial class Graph
{
    /// <summary><c>QueueEnqueueManyV2</c> on a queue handle (see <see cref="Queue.EnqueueMany(Output[], string?)"/> for TF's naming).</summary>
    public Operation QueueEnqueueManyV2(Output handle, Output[] components, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(components);
        return AddOp(QueueEnqueueManyV2Spec.OpType, [handle, .. components], name, attrs: [new("Tcomponents", Attr.Types(components.Select(c => c.DType)))]);
    }
}
