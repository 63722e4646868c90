namespace TensorGraph.Autodiff.Grads;

/// <summary>Gradients of element-wise arithmetic, following TF 1.15's math_grad.py.</summary>
internal sealed class MathGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.Add("Add", AddGrad);
        r.Add("AddV2", AddGrad);
        r.Add("Sub", c => c.ShapesFullySpecifiedAndEqual()
            ? [c.Grad, c.Graph.Negative(c.Grad)]
            : c.Unbroadcast(() => c.Grad, () => c.Grad, negateY: true));
        r.Add("Mul", c =>
        {
            if (c.ShapesFullySpecifiedAndEqual() && c.Grad.DType is DType.Float32)
                return [c.Graph.Multiply(c.Grad, c.Y), c.Graph.Multiply(c.Grad, c.X)];
            return c.Unbroadcast(() => c.Graph.Multiply(c.Grad, c.Y), () => c.Graph.Multiply(c.X, c.Grad));
        });
        r.Add("RealDiv", DivGrad);
        r.Add("Div", DivGrad);
        r.NotDifferentiable("FloorDiv");
        r.Add("FloorMod", c =>
        {
            var g = c.Graph;
            var floorXy = g.FloorDiv(c.X, c.Y);
            return c.Unbroadcast(() => c.Grad, () => g.Multiply(c.Grad, g.Negative(floorXy)));
        });
        r.Add("Pow", c =>
        {
            var g = c.Graph;
            var x = c.X;
            var y = c.Y;
            var z = c.Out();
            var result = c.Unbroadcast(
                () => g.Multiply(g.Multiply(c.Grad, y), g.Pow(x, g.Subtract(y, g.Constant(Graph.ScalarOf(y.DType, 1))))),
                () =>
                {
                    // log(x) replaced by 0 where x <= 0 avoids a false singularity at x = 0.
                    var mask = g.Greater(x, g.Constant(Graph.ScalarOf(x.DType, 0)));
                    var safeX = g.Select(mask, x, g.OnesLike(x));
                    var logX = g.Select(mask, g.Log(safeX), g.ZerosLike(x));
                    return g.Multiply(g.Multiply(c.Grad, z), logX);
                });
            return result;
        });
        r.Add("Maximum", c => MaxMinGrad(c, greaterEqual: true));
        r.Add("Minimum", c => MaxMinGrad(c, greaterEqual: false));
        r.Add("AddN", c => Enumerable.Repeat<Output?>(c.Grad, c.Op.NumInputs).ToArray());

        r.Add("Neg", c => [c.Graph.Negative(c.Grad)]);
        r.Add("Square", c =>
        {
            var g = c.Graph;
            using (g.ControlDependencies(c.Grad.Op))
            {
                var two = g.Constant(Graph.ScalarOf(c.X.DType, 2));
                return [g.Multiply(c.Grad, g.Multiply(c.X, two))];
            }
        });
        r.Add("Sqrt", c => [c.Graph.SqrtGrad(c.Out(), c.Grad)]);
        r.Add("Rsqrt", c => [c.Graph.RsqrtGrad(c.Out(), c.Grad)]);
        r.Add("Reciprocal", c => [c.Graph.ReciprocalGrad(c.Out(), c.Grad)]);
        r.Add("Exp", c =>
        {
            using (c.Graph.ControlDependencies(c.Grad.Op)) return [c.Graph.Multiply(c.Grad, c.Out())];
        });
        r.Add("Log", c =>
        {
            using (c.Graph.ControlDependencies(c.Grad.Op)) return [c.Graph.Multiply(c.Grad, c.Graph.Reciprocal(c.X))];
        });
        r.Add("Abs", c => [c.Graph.Multiply(c.Grad, c.Graph.Sign(c.X))]);
        r.Add("Sign", c => [c.Graph.Zeros(c.Graph.ShapeOf(c.X), c.X.DType)]);

        // Gradients of the gradient helpers, so second derivatives work (TF's math_grad.py).
        r.Add("SqrtGrad", c =>
        {
            var g = c.Graph;
            using (g.ControlDependencies(c.Grad.Op))
            {
                var ga = g.RealDiv(c.Grad, c.X);
                return [g.Multiply(g.Negative(ga), c.Out()), g.Multiply(g.Constant(Graph.ScalarOf(ga.DType, 0.5)), ga)];
            }
        });
        r.Add("RsqrtGrad", c =>
        {
            var g = c.Graph;
            var a = c.X;
            var b = c.Input(1);
            var ca = g.Multiply(g.Constant(Graph.ScalarOf(a.DType, -1.5)), g.Square(a));
            var ga = g.Multiply(g.Multiply(c.Grad, b), ca);
            var gb = g.RsqrtGrad(a, c.Grad);
            return [ga, gb];
        });
        r.Add("ReciprocalGrad", c =>
        {
            var g = c.Graph;
            var a = c.X;
            var b = c.Input(1);
            var ca = g.Multiply(g.Constant(Graph.ScalarOf(a.DType, -2)), a);
            return [g.Multiply(g.Multiply(c.Grad, b), ca), g.ReciprocalGrad(a, c.Grad)];
        });
    }

    private static Output?[] AddGrad(GradContext c) =>
        c.ShapesFullySpecifiedAndEqual() ? [c.Grad, c.Grad] : c.Unbroadcast(() => c.Grad, () => c.Grad);

    private static Output?[] DivGrad(GradContext c)
    {
        var g = c.Graph;
        return c.Unbroadcast(
            () => g.RealDiv(c.Grad, c.Y),
            () => g.Multiply(c.Grad, g.RealDiv(g.RealDiv(g.Negative(c.X), c.Y), c.Y)));
    }

    private static Output?[] MaxMinGrad(GradContext c, bool greaterEqual)
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
        var gx = g.Reshape(g.Reduce("Sum", xgrad, args.R0), sx);
        var gy = g.Reshape(g.Reduce("Sum", ygrad, args.R1), sy);
        return [gx, gy];
    }
}

/// <summary>Gradients of rounding and loss helpers.</summary>
internal sealed class MiscMathGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.NotDifferentiable("Floor");
        r.Add("L2Loss", c => [c.Graph.Multiply(c.X, c.Grad)]);
    }
}
