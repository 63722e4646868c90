using TensorGraph.Autodiff;

namespace TensorGraph.Ops;

/// <summary>Gradient helpers shared by the array ops' gradients (Unpack, Split, SplitV).</summary>
internal static class ArrayGradients
{
    /// <summary>Every output gradient (the engine gives float outputs without one zeros).</summary>
    public static Output[] DenseOutputGrads(GradContext c) =>
        [.. c.Grads.Select((g, i) => g ?? throw new InternalException($"No gradient for output {i} of {c.Op.Name}"))];
}
