using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Identity: the input unchanged. Reading a variable through it takes a snapshot.</summary>
internal sealed class IdentitySpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "Identity";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_IdGrad</c>: the gradient passes through, IndexedSlices staying sparse.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        if (c.SparseGrad(0) is { } s)
        {
            c.SetSparse(0, s);
            return [null];
        }
        return [c.Grad];
    }

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

public sealed partial class Graph
{
    /// <summary>An <c>Identity</c> node (<c>tf.identity</c>).</summary>
    public Output Identity(Output x, string? name = null) => Unary(IdentitySpec.OpType, x, name);
}
