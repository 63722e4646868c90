namespace TensorGraph.Autodiff.Grads;

/// <summary>Gradients of plumbing, shape and selection ops (TF's array_grad.py).</summary>
internal sealed class ArrayGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.Add("Identity", c => [c.Grad]);
        r.Add("PlaceholderWithDefault", c => [c.Grad]);
        r.Add("Cast", c =>
        {
            var src = c.X.DType;
            var dst = c.Out().DType;
            return src.IsFloating() && dst.IsFloating() ? [c.Graph.Cast(c.Grad, src)] : [null];
        });
        r.Add("Select", c =>
        {
            var g = c.Graph;
            var zeros = g.ZerosLike(c.Input(1));
            return [null, g.Select(c.Input(0), c.Grad, zeros), g.Select(c.Input(0), zeros, c.Grad)];
        });
        r.NotDifferentiable("Const", "Placeholder",
            "Shape", "Rank", "Size", "NoOp",
            "RandomUniform", "RandomStandardNormal", "TruncatedNormal", "RandomUniformInt",
            "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr", "LogicalNot");
    }
}
