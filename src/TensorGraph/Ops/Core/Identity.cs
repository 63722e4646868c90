using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Identity: the input unchanged. Reading a variable through it takes a snapshot.</summary>
internal sealed class IdentitySpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "Identity";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => c.AddOutput(c.InputType(0), c.InputShape(0));

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var src = b.Op.Inputs[0];
        // A ref input (variable) is copied so later updates in the same step do not change what was read.
        return new IdentityKernel(forward: !src.Op.Spec.IsRefOutput(src.Index));
    }
}

/// <summary>Forwards input 0, or copies it into the output buffer.</summary>
internal sealed class IdentityKernel(bool forward) : OpKernel
{
    public override OutputKind GetOutputKind(int output) => forward ? OutputKind.Forwarded : OutputKind.Allocated;

    public override void Compute(OpContext ctx)
    {
        var x = ctx.Input(0);
        if (forward)
        {
            ctx.SetOutput(0, x);
            return;
        }
        var o = ctx.AllocateOutput(0, x.DType, x.Dims);
        Array.Copy(x.Data, o.Data, x.Size);
    }
}

public sealed partial class Graph
{
    /// <summary>An <c>Identity</c> node (<c>tf.identity</c>).</summary>
    public Output Identity(Output x, string? name = null) => Unary(IdentitySpec.OpType, x, name);
}
