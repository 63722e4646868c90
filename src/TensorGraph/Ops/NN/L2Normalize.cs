namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.15's <c>tf.math.l2_normalize(x, axis, epsilon)</c>: <c>x / sqrt(max(Σ x², epsilon))</c>
    /// over <paramref name="axis"/> (all axes when null), built as TF builds it in an
    /// <c>l2_normalize</c> scope: <c>Square</c>, <c>Sum</c> (keep_dims), <c>Maximum</c> with the
    /// epsilon Const <c>Maximum/y</c>, <c>Rsqrt</c>, and the <c>Mul</c> named after the scope.
    /// </summary>
    public Output L2Normalize(Output x, int[]? axis, double epsilon = 1e-12, string? name = null)
    {
        if (!x.DType.IsFloating())
            throw new InvalidArgumentException($"l2_normalize needs a floating-point tensor, got {x.DType.Name()}");
        using var scope = NameScope(name ?? "l2_normalize");
        var exact = CurrentNameScope + "/";
        var squareSum = ReduceSum(Square(x), axis, keepDims: true);
        var xInvNorm = Rsqrt(Maximum(squareSum, Tensor.Scalar(epsilon)));
        return Multiply(x, xInvNorm, exact);
    }

    /// <summary><see cref="L2Normalize(Output, int[], double, string)"/> along the one axis <paramref name="axis"/>.</summary>
    public Output L2Normalize(Output x, int axis, double epsilon = 1e-12, string? name = null) => L2Normalize(x, [axis], epsilon, name);
}
