using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Mean over axes (<c>tf.reduce_mean</c>).</summary>
internal sealed class MeanSpec : ReductionSpec
{
    public const string OpType = "Mean";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_MeanGrad</c>: the Sum gradient divided by the number of elements reduced into each output.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var sumGrad = ReductionGradients.SumGrad(c);
        var inShape = c.X.Shape;
        var outShape = c.Out().Shape;
        Output factor;
        if (inShape.IsFullyDefined && outShape.IsFullyDefined)
        {
            long n = inShape.NumElements / Math.Max(outShape.NumElements, 1);
            factor = g.Constant(Graph.ScalarOf(sumGrad.DType, n));
        }
        else
        {
            var inSize = g.ReduceProd(g.ShapeOf(c.X));
            var outSize = g.ReduceProd(g.ShapeOf(c.Out()));
            factor = g.Cast(g.FloorDiv(inSize, g.Maximum(outSize, g.Constant(1))), sumGrad.DType);
        }
        return [g.RealDiv(sumGrad, factor), null];
    }

    protected override Type Reducer => typeof(SumReducer<>);

    protected override bool IsMean => true;
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.reduce_mean</c>.</summary>
    public Output ReduceMean(Output x, int[]? axis = null, bool keepDims = false, string? name = null) => Reduction(MeanSpec.OpType, x, axis, keepDims, name);
}
