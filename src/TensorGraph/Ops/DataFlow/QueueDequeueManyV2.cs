using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// QueueDequeueManyV2: removes n elements and stacks each component along a new dimension 0,
/// waiting until n are there; a closed queue with fewer than n is OutOfRange (the elements stay).
/// Needs the queue's component shapes (a padding queue pads instead).
/// </summary>
internal sealed class QueueDequeueManyV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("component_types", "list(type)", Minimum: 1), new("timeout_ms", "int", Attr.Int(-1))];

    public const string OpType = "QueueDequeueManyV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["handle: resource", "n: int32"];

    protected override string[] OutputArgs => ["components: component_types"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>The batch dimension is n when n is a build-time constant (TF's Python sets it from <c>constant_value(n)</c>).</summary>
    public override void Infer(InferContext c)
    {
        c.RequireType(1, DType.Int32);
        int batch = c.ConstantInput(1) is { Rank: 0 } n ? n.Scalar<int>() : -1;
        QueueOps.InferDequeue(c, batch);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => QueueOps.ManyKernel(b, allowSmallBatch: false, OpType);
}

public sealed partial class Graph
{
    /// <summary><c>QueueDequeueManyV2</c> on a queue handle (see <see cref="Queue.DequeueMany(Output, string?)"/> for TF's naming).</summary>
    public Output[] QueueDequeueManyV2(Output handle, Output n, DType[] componentTypes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(componentTypes);
        return AddOp(QueueDequeueManyV2Spec.OpType, [handle, n], name, attrs: [new("component_types", Attr.Types(componentTypes))]).Outputs;
    }
}
