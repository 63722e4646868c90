using TensorGraph.Autodiff;

namespace TensorGraph.Ops;

/// <summary>Gradient functions shared by several binary math ops (TF 1.15's math_grad.py).</summary>
internal static class MathGradients
{
    /// <summary>TF's <c>_RealDivGrad</c> / <c>_DivGrad</c>: dx = g / y, dy = g · (−x / y / y), each summed back to its input's shape.</summary>
    public static Output?[] DivGrad(GradContext c)
    {
        var g = c.Graph;
        return c.Unbroadcast(
            () => g.RealDiv(c.Grad, c.Y),
            () => g.Multiply(c.Grad, g.RealDiv(g.RealDiv(g.Negative(c.X), c.Y), c.Y)));
    }

    /// <summary>TF's <c>_MaximumMinimumGrad</c>: the gradient goes to x where x won (x ≥ y for Maximum, x ≤ y for Minimum), else to y.</summary>
    public static Output?[] MaxMinGrad(GradContext c, bool greaterEqual)
    {
        var g = c.Graph;
        var x = c.X;
        var y = c.Y;
        var grad = c.Grad;
        var sx = g.ShapeOf(x);
        var sy = g.ShapeOf(y);
        var gradShape = g.ShapeOf(grad);
        var zeros = g.Zeros(gradShape, grad.DType);
        var xmask = greaterEqual ? g.GreaterEqual(x, y) : g.LessEqual(x, y);
        var args = g.BroadcastGradientArgs(sx, sy);
        // The mask has the broadcast shape; broadcast it to the gradient's shape when an operand was smaller.
        var xgrad = g.Select(xmask, grad, zeros);
        var ygrad = g.Select(xmask, zeros, grad);
        var gx = g.Reshape(g.Reduce(SumSpec.OpType, xgrad, args.R0), sx);
        var gy = g.Reshape(g.Reduce(SumSpec.OpType, ygrad, args.R1), sy);
        return [gx, gy];
    }
}
