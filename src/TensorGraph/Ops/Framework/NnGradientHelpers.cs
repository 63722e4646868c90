using TensorGraph.Autodiff;

namespace TensorGraph.Ops;

/// <summary>Pieces of TF 1.15's nn_grad.py that the gradients of several NN op files build.</summary>
internal static class NnGradientHelpers
{
    /// <summary>TF's <c>array_ops.zeros(shape=array_ops.shape(x), dtype=x.dtype)</c>.</summary>
    public static Output ZerosOfShape(GradContext c, Output x) => c.Graph.Zeros(c.Graph.ShapeOf(x), x.DType);
}
