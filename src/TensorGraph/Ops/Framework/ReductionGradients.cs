using TensorGraph.Autodiff;

namespace TensorGraph.Ops;

/// <summary>Gradient functions shared by the reduction ops (TF 1.15's math_grad.py).</summary>
internal static class ReductionGradients
{
    /// <summary>The input shape with the reduced axes set to 1 (TF's reduced_shape), as a tensor.</summary>
    public static Output KeptDims(GradContext c) => c.Graph.ReducedShape(c.Graph.ShapeOf(c.X), c.Input(1));

    /// <summary>TF's <c>_SumGrad</c> for input 0: the gradient tiled back to the input's shape.</summary>
    public static Output SumGrad(GradContext c)
    {
        var g = c.Graph;
        var x = c.X;
        var input = x.Shape;
        var axes = g.TryConstantValue(c.Input(1));
        if (input.IsRankKnown && axes is not null)
        {
            int rank = input.Rank;
            var all = new bool[rank];
            for (int i = 0; i < axes.Size; i++) { long a = axes.GetInt64(i); all[a < 0 ? a + rank : a] = true; }
            if (all.All(b => b))
            {
                var grad = g.Reshape(c.Grad, Enumerable.Repeat(1, rank).ToArray());
                var shape = input.IsFullyDefined ? g.Constant(input.ToArray()) : g.ShapeOf(x);
                return g.Tile(grad, shape);
            }
        }
        var inputShape = g.ShapeOf(x);
        var kept = KeptDims(c);
        var tileScaling = g.FloorDiv(inputShape, g.Maximum(kept, g.Constant(1)));
        return g.Tile(g.Reshape(c.Grad, kept), tileScaling);
    }

    /// <summary>TF's <c>_MinOrMaxGrad</c>: the gradient split evenly among the elements equal to the result.</summary>
    public static Output?[] MinOrMaxGrad(GradContext c)
    {
        var g = c.Graph;
        var kept = KeptDims(c);
        var y = g.Reshape(c.Out(), kept);
        var grad = g.Reshape(c.Grad, kept);
        var indicators = g.Cast(g.Equal(y, c.X), grad.DType);
        var numSelected = g.Reshape(g.Reduce(SumSpec.OpType, indicators, c.Input(1)), kept);
        return [g.Multiply(g.Divide(indicators, numSelected), grad), null];
    }
}
