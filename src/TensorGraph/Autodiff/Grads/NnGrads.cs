namespace TensorGraph.Autodiff.Grads;

/// <summary>
/// Gradients of activations (TF 1.15's nn_grad.py; SigmoidGrad/TanhGrad from math_grad.py) and of
/// their gradient helper ops, so second derivatives work; also StopGradient/PreventGradient.
/// </summary>
internal sealed class NnGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.Add("SigmoidGrad", c =>
        {
            // d/da [b·a·(1 − a)] = b·(1 − 2a); d/db = a·(1 − a).
            var g = c.Graph;
            using (g.ControlDependencies(c.Grad.Op))
            {
                var a = c.Input(0);
                var b = c.Input(1);
                var gb = c.Grad * b;
                return [gb - Graph.ScalarOf(gb.DType, 2) * gb * a, g.SigmoidGrad(a, c.Grad)];
            }
        });
        r.Add("TanhGrad", c =>
        {
            // d/da [b·(1 − a²)] = −2ab; d/db = 1 − a².
            var g = c.Graph;
            using (g.ControlDependencies(c.Grad.Op))
            {
                var a = c.Input(0);
                var b = c.Input(1);
                return [c.Grad * Graph.ScalarOf(a.DType, -2) * b * a, g.TanhGrad(a, c.Grad)];
            }
        });

        r.Add("Relu", c => [c.Graph.ReluGrad(c.Grad, c.Out())]);
        r.Add("ReluGrad", c => [c.Graph.ReluGrad(c.Grad, c.Input(1)), ZerosOfShape(c, c.Input(1))]);
        r.Add("Relu6", c => [c.Graph.Relu6Grad(c.Grad, c.Out())]);
        r.Add("Relu6Grad", c => [c.Graph.Relu6Grad(c.Grad, c.Input(1)), ZerosOfShape(c, c.Input(1))]);
        r.Add("LeakyRelu", c => [c.Graph.LeakyReluGrad(c.Grad, c.X, c.Op.GetAttrFloat("alpha"))]);
        r.Add("LeakyReluGrad", c =>
            [c.Graph.LeakyReluGrad(c.Grad, c.Input(1), c.Op.GetAttrFloat("alpha")), ZerosOfShape(c, c.Input(1))]);

        r.Add("Elu", c => [c.Graph.EluGrad(c.Grad, c.Out())]);
        r.Add("EluGrad", c =>
        {
            // EluGrad(g, y) = g·(y + 1) where y < 0: d/dg is EluGrad itself, d/dy is g where y < 0.
            var g = c.Graph;
            var y = c.Input(1);
            return [g.EluGrad(c.Grad, y), NegativeSideGrad(c, y)];
        });
        r.Add("Selu", c => [c.Graph.SeluGrad(c.Grad, c.Out())]);
        r.Add("SeluGrad", c =>
        {
            var g = c.Graph;
            var y = c.Input(1);
            return [g.SeluGrad(c.Grad, y), NegativeSideGrad(c, y)];
        });

        // TF 1.15 emits grad·Sigmoid(x) here (older 1.x releases used SoftplusGrad(grad, x), which
        // stays registered below with its own gradient).
        r.Add("Softplus", c => [c.Grad * c.Graph.Sigmoid(c.X)]);
        r.Add("SoftplusGrad", c =>
        {
            // SoftplusGrad(dy, x) = dy / (1 + e^-x); d/dx = dy / (e^-x + 2 + e^x).
            var g = c.Graph;
            var dy = c.Input(0);
            var x = c.Input(1);
            using (g.ControlDependencies(c.Grad.Op))
            {
                var ddy = g.SoftplusGrad(c.Grad, x);
                var d2x = c.Grad * dy / (g.Exp(-x) + Graph.ScalarOf(x.DType, 2) + g.Exp(x));
                return [ddy, d2x];
            }
        });

        r.NotDifferentiable("StopGradient");
        r.Add("PreventGradient", c =>
        {
            var op = c.Op;
            var where = SourceLocation.Suffix(op.Location, op.Name);
            throw new UnimplementedException(
                $"Gradient explicitly disabled. Reason: {op.GetAttrString("message")} (operation '{op.Name}', op type: PreventGradient{where})")
            { NodeName = op.Name };
        });
    }

    /// <summary>TF's <c>array_ops.zeros(shape=array_ops.shape(x), dtype=x.dtype)</c>.</summary>
    private static Output ZerosOfShape(GradContext c, Output x) => c.Graph.Zeros(c.Graph.ShapeOf(x), x.DType);

    /// <summary><c>where(y &lt; 0, grad · op.inputs[0], zeros_like(y))</c>, the second-order term of EluGrad/SeluGrad.</summary>
    private static Output NegativeSideGrad(GradContext c, Output y)
    {
        var g = c.Graph;
        var negative = g.Less(y, g.Constant(Graph.ScalarOf(y.DType, 0)));
        return g.Select(negative, c.Grad * c.Input(0), g.ZerosLike(y));
    }
}
