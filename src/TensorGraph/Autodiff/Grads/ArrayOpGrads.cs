namespace TensorGraph.Autodiff.Grads;

/// <summary>Index-returning, logical-reduction and assertion ops carry no gradient (TF 1.15's array_grad.py and math_grad.py).</summary>
internal sealed class ArrayOpGrads : IGradientSource
{
    public void Register(GradientRegistry r) =>
        r.NotDifferentiable("ArgMax", "ArgMin", "All", "Any", "Assert");
}
