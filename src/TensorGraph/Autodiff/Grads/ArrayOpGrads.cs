namespace TensorGraph.Autodiff.Grads;

/// <summary>Assertion ops carry no gradient (TF 1.15's control_flow_ops.py).</summary>
internal sealed class ArrayOpGrads : IGradientSource
{
    public void Register(GradientRegistry r) =>
        r.NotDifferentiable("Assert");
}
