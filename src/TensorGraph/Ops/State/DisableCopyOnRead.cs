using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// DisableCopyOnRead (TF 2.x, what TF2 checkpoint restore functions run before assigning a
/// variable): turns off TF's copy-on-read mode of a resource variable. Reads here always copy the
/// value into the reader's own buffer, so the op only checks that its input is a variable handle.
/// </summary>
internal sealed class DisableCopyOnReadSpec : OpSpec
{
    public const string OpType = "DisableCopyOnRead";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["resource: resource"];

    protected override string[] OutputArgs => [];

    public override bool IsStateful => true;

    public override void Infer(InferContext c) => c.RequireType(0, DType.Resource);

    public override OpKernel CreateKernel(KernelBuilder b) =>
        new LambdaKernel(static ctx => VariableSlot.FromHandle(ctx.Input(0), "input 0 ('resource')"));
}

public sealed partial class Graph
{
    /// <summary>A <c>DisableCopyOnRead</c> node on resource-variable handle <paramref name="resource"/> (<c>tf.raw_ops.DisableCopyOnRead</c>).</summary>
    public Operation DisableCopyOnRead(Output resource, string? name = null) => AddOp(DisableCopyOnReadSpec.OpType, [resource], name);
}
