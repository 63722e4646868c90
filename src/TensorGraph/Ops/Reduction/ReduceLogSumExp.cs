namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.15's <c>tf.reduce_logsumexp(input_tensor, axis, keepdims)</c>: log Σ exp(x) over
    /// <paramref name="axis"/> (all axes when null), computed stably as TF builds it in a
    /// <c>ReduceLogSumExp</c> scope: <c>raw_max = Max(x, keepdims)</c>, <c>my_max =
    /// StopGradient(Select(IsFinite(raw_max), raw_max, ZerosLike(raw_max)))</c>,
    /// <c>Log(Sum(Exp(Sub(x, my_max))))</c> plus my_max (reshaped to the result's shape) with
    /// an <c>Add</c> node. Rows that are all −∞ give −∞.
    /// </summary>
    public Output ReduceLogSumExp(Output input, int[]? axis = null, bool keepDims = false, string? name = null)
    {
        if (input.Op is null) throw new InvalidArgumentException("reduce_logsumexp input is a default (unset) Output");
        if (!input.DType.IsFloating())
            throw new InvalidArgumentException($"reduce_logsumexp needs a floating-point tensor, got '{input.Name}' of {input.DType.Name()}");
        using var scope = NameScope(name ?? "ReduceLogSumExp");
        var rawMax = ReduceMax(input, axis, keepDims: true);
        var myMax = StopGradient(Select(IsFinite(rawMax), rawMax, ZerosLike(rawMax)));
        var result = Log(ReduceSum(Exp(Subtract(input, myMax)), axis, keepDims));
        if (!keepDims) myMax = Reshape(myMax, ShapeOf(result));
        result = Add(result, myMax);
        if (!keepDims && axis is null) SetShape(result, Shape.Scalar);
        return result;
    }
}
