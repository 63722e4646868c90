namespace TensorGraph.Autodiff.Grads;

/// <summary>Gradients of Sum, Mean, Max and Min (TF's math_grad.py).</summary>
internal sealed class ReductionGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.Add("Sum", c => [SumGrad(c), null]);
        r.Add("Mean", c =>
        {
            var g = c.Graph;
            var sumGrad = SumGrad(c);
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
        });
        r.Add("Max", MinOrMaxGrad);
        r.Add("Min", MinOrMaxGrad);
    }

    /// <summary>The input shape with the reduced axes set to 1 (TF's reduced_shape), as a tensor.</summary>
    internal static Output KeptDims(GradContext c) => c.Graph.ReducedShape(c.Graph.ShapeOf(c.X), c.Input(1));

    private static Output SumGrad(GradContext c)
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

    private static Output?[] MinOrMaxGrad(GradContext c)
    {
        var g = c.Graph;
        var kept = KeptDims(c);
        var y = g.Reshape(c.Out(), kept);
        var grad = g.Reshape(c.Grad, kept);
        var indicators = g.Cast(g.Equal(y, c.X), grad.DType);
        var numSelected = g.Reshape(g.Reduce("Sum", indicators, c.Input(1)), kept);
        return [g.Multiply(g.Divide(indicators, numSelected), grad), null];
    }
}
