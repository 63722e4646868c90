using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// QueueEnqueueV2: enqueues one element (a copy of the components), waiting while the queue is
/// full. A closed queue, or a close with cancel_pending_enqueues while waiting, is Cancelled.
/// </summary>
internal sealed class QueueEnqueueV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("Tcomponents", "list(type)", Minimum: 1), new("timeout_ms", "int", Attr.Int(-1))];

    public const string OpType = "QueueEnqueueV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["handle: resource", "components: Tcomponents"];

    protected override string[] OutputArgs => [];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => QueueOps.InferEnqueue(c, many: false);

    /// <summary>timeout_ms is accepted and ignored, as TF 1.15 documents it ("not supported yet").</summary>
    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static ctx =>
    {
        var q = QueueResource.Resolve(ctx.Input(0));
        var tuple = new Tensor[ctx.NumInputs - 1];
        for (int i = 0; i < tuple.Length; i++) tuple[i] = ctx.Input(i + 1);
        q.ValidateTuple(tuple);
        // Copies: the inputs' buffers may be reused later in the run, or be a variable's value.
        for (int i = 0; i < tuple.Length; i++) tuple[i] = ctx.CopyToKeep(tuple[i]);
        q.Enqueue([tuple], ctx);
    });
}

public sealed partial class Graph
{
    /// <summary><c>QueueEnqueueV2</c> on a queue handle (see <see cref="Queue.Enqueue(Output[], string?)"/> for TF's naming).</summary>
    public Operation QueueEnqueueV2(Output handle, Output[] components, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(components);
        return AddOp(QueueEnqueueV2Spec.OpType, [handle, .. components], name, attrs: [new("Tcomponents", Attr.Types(components.Select(c => c.DType)))]);
    }
}
