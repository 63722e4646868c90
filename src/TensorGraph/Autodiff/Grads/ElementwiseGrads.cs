namespace TensorGraph.Autodiff.Grads;

/// <summary>Gradients of Log1p, Expm1, Sin, Cos, SquaredDifference and ClipByValue (TF 1.15's math_grad.py, clip_ops.py).</summary>
internal sealed class ElementwiseGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.Add("Log1p", c =>
        {
            var g = c.Graph;
            using (g.ControlDependencies(c.Grad.Op))
                return [c.Grad * g.Reciprocal(Graph.ScalarOf(c.X.DType, 1) + c.X)];
        });
        r.Add("Expm1", c =>
        {
            var g = c.Graph;
            using (g.ControlDependencies(c.Grad.Op)) return [c.Grad * g.Exp(c.X)];
        });
        r.Add("Cos", c =>
        {
            var g = c.Graph;
            using (g.ControlDependencies(c.Grad.Op)) return [-c.Grad * g.Sin(c.X)];
        });
        r.Add("SquaredDifference", c =>
        {
            var g = c.Graph;
            Output xGrad;
            using (g.ControlDependencies(c.Grad.Op))
                xGrad = g.Multiply(g.Constant(Graph.ScalarOf(c.Grad.DType, 2), name: "scalar"), c.Grad) * (c.X - c.Y);
            if (c.ShapesFullySpecifiedAndEqual()) return [xGrad, -xGrad];
            var r2 = c.Unbroadcast(() => xGrad, () => xGrad);
            return [r2[0], g.Negative(r2[1]!.Value)];
        });
        r.Add("ClipByValue", ClipByValueGrad);
    }

    /// <summary>
    /// TF's <c>_clip_by_value_grad</c>: the gradient goes to t where it was inside [min, max], else to
    /// the bound that was applied; each part is summed back to its input's shape. (TF 1.15 defines
    /// this function but leaves it unregistered.)
    /// </summary>
    private static Output?[] ClipByValueGrad(GradContext c)
    {
        var g = c.Graph;
        var x = c.Input(0);
        var y = c.Input(1);
        var z = c.Input(2);
        var grad = c.Grad;
        var sx = g.ShapeOf(x);
        var sy = g.ShapeOf(y);
        var sz = g.ShapeOf(z);
        var gradShape = g.ShapeOf(grad);
        var zeros = g.Zeros(gradShape, grad.DType);
        var xyMask = g.Less(x, y);
        var xzMask = g.Greater(x, z);
        var xy = g.BroadcastGradientArgs(sx, sy);
        var xz = g.BroadcastGradientArgs(sx, sz);
        var xGrad = g.Select(g.LogicalOr(xyMask, xzMask), zeros, grad);
        var yGrad = g.Select(xyMask, grad, zeros);
        var zGrad = g.Select(xzMask, grad, zeros);
        var gx = g.Reshape(g.Reduce("Sum", xGrad, xz.R0), sx);
        var gy = g.Reshape(g.Reduce("Sum", yGrad, xy.R1), sy);
        var gz = g.Reshape(g.Reduce("Sum", zGrad, xz.R1), sz);
        return [gx, gy, gz];
    }
}
