using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>L2Loss: sum(t²) / 2 as a scalar (<c>tf.nn.l2_loss</c>).</summary>
internal sealed class L2LossSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "L2Loss";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_L2LossGrad</c>: x · g.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.Multiply(c.X, c.Grad)];

    protected override string[] InputArgs => ["t: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Float);
        c.AddOutput(c.InputType(0), Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var x = ctx.Input(0);
        var o = ctx.AllocateOutput(0, x.DType, []);
        if (x.DType == DType.Float32) o.Span<float>()[0] = TensorPrimitives.SumOfSquares(x.Span<float>()) / 2;
        else o.Span<double>()[0] = TensorPrimitives.SumOfSquares(x.Span<double>()) / 2;
    });
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.nn.l2_loss</c>: sum(t²) / 2.</summary>
    public Output L2Loss(Output t, string? name = null) => Unary(L2LossSpec.OpType, t, name);
}
