namespace TensorGraph.Autodiff.Grads;

/// <summary>Gradients of Sigmoid and Tanh (TF 1.15's math_grad.py); also StopGradient/PreventGradient.</summary>
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
}
