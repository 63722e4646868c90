using System.Globalization;

namespace TensorGraph.Keras;

/// <summary>
/// Keras's weight regularizers (<c>keras.regularizers</c>): a penalty on a weight that the layer
/// adds to its <see cref="Layers.Layer.Losses"/> and the model adds to its training and evaluation
/// loss.
/// </summary>
public abstract class Regularizer
{
    /// <summary>The penalty for <paramref name="x"/> (a scalar).</summary>
    public abstract Output Apply(Graph g, Output x);

    /// <summary>
    /// A regularizer from an object: a <see cref="Regularizer"/>, or the names <c>l1</c>, <c>l2</c>,
    /// <c>l1_l2</c> with Keras's factor 0.01; null is none. An unknown name raises.
    /// </summary>
    public static Regularizer? Get(object? identifier) => identifier switch
    {
        null => null,
        Regularizer r => r,
        string s => s.ToLowerInvariant() switch
        {
            "l1" => new L1L2(l1: 0.01),
            "l2" => new L1L2(l2: 0.01),
            "l1_l2" => new L1L2(0.01, 0.01),
            _ => throw new ArgumentException($"Unknown regularizer: {s}", nameof(identifier)),
        },
        _ => throw new ArgumentException($"Could not interpret regularizer identifier: {identifier}", nameof(identifier)),
    };
}

/// <summary>Keras's <c>L1L2(l1=0, l2=0)</c> (and <c>L1</c>, <c>L2</c>): l1·Σ|x| + l2·Σx².</summary>
public sealed class L1L2(double l1 = 0, double l2 = 0) : Regularizer
{
    /// <summary>The L1 factor.</summary>
    public double L1 { get; } = l1 >= 0 ? l1 : throw new ArgumentOutOfRangeException(nameof(l1), l1, "l1 must be non-negative");

    /// <summary>The L2 factor.</summary>
    public double L2 { get; } = l2 >= 0 ? l2 : throw new ArgumentOutOfRangeException(nameof(l2), l2, "l2 must be non-negative");

    /// <inheritdoc/>
    public override Output Apply(Graph g, Output x)
    {
        ArgumentNullException.ThrowIfNull(g);
        Output F(double v) => g.Cast(g.Constant(Tensor.Scalar((float)v)), x.DType);
        Output? penalty = null;
        if (L1 > 0) penalty = g.Multiply(F(L1), g.ReduceSum(g.Abs(x)), name: "mul");
        if (L2 > 0)
        {
            var l2 = g.Multiply(F(L2), g.ReduceSum(g.Square(x)), name: "mul_1");
            penalty = penalty is { } p ? g.AddV2(p, l2, name: "add") : l2;
        }
        return penalty ?? F(0);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"L1L2(l1={L1}, l2={L2})");
}
