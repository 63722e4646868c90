namespace TensorGraph.Autodiff.Grads;

/// <summary>Gradients of plumbing, shape and selection ops (TF's array_grad.py).</summary>
internal sealed class ArrayGrads : IGradientSource
{
    public void Register(GradientRegistry r)
    {
        r.Add("Reshape", c => [c.Graph.Reshape(c.Grad, c.Graph.ShapeOf(c.X)), null]);
        r.Add("Fill", c => [null, c.Graph.ReduceSum(c.Grad)]);
        r.NotDifferentiable("VariableV2", "Variable", "Assign", "AssignAdd", "AssignSub", "ZerosLike", "OnesLike", "BroadcastGradientArgs");
    }
}
