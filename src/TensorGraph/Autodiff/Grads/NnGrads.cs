namespace TensorGraph.Autodiff.Grads;

/// <summary>Gradients of Sigmoid and Tanh (TF 1.15's math_grad.py).</summary>
internal sealed class NnGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.Add("Sigmoid", c =>
        {
            using (c.Graph.ControlDependencies(c.Grad.Op)) return [c.Graph.SigmoidGrad(c.Out(), c.Grad)];
        });
        r.Add("Tanh", c =>
        {
            using (c.Graph.ControlDependencies(c.Grad.Op)) return [c.Graph.TanhGrad(c.Out(), c.Grad)];
        });
    }
}
