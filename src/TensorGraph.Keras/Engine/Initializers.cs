namespace TensorGraph.Keras;

/// <summary>
/// Keras weight initializers. <see cref="Create"/> builds the initial value under the current name
/// scope (the layer puts it under <c>&lt;weight&gt;/Initializer</c>, as tf.keras does).
/// </summary>
public abstract class Initializer
{
    /// <summary>Builds the initial value of a weight of shape <paramref name="shape"/>.</summary>
    public abstract Output Create(Graph g, int[] shape, DType dtype);

    /// <summary>
    /// The initializer a string names (<c>glorot_uniform</c>, <c>zeros</c>, <c>ones</c>,
    /// <c>uniform</c>/<c>random_uniform</c>, <c>he_uniform</c>); an unknown name raises.
    /// </summary>
    public static Initializer Get(object? identifier, Initializer fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        return identifier switch
        {
            null => fallback,
            Initializer i => i,
            string s => s.ToLowerInvariant() switch
            {
                "glorot_uniform" => new GlorotUniform(),
                "zeros" or "zero" => new Zeros(),
                "ones" or "one" => new Ones(),
                "uniform" or "random_uniform" => new RandomUniform(),
                "he_uniform" => new HeUniform(),
                _ => throw new ArgumentException($"Unknown initializer: {s}", nameof(identifier)),
            },
            _ => throw new ArgumentException($"Could not interpret initializer identifier: {identifier}", nameof(identifier)),
        };
    }

    /// <summary>Keras's <c>_compute_fans</c>: a kernel [.., in, out] has fan_in = receptive field · in, fan_out = receptive field · out.</summary>
    public static (double FanIn, double FanOut) Fans(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length < 1) return (1, 1);
        if (shape.Length == 1) return (shape[0], shape[0]);
        if (shape.Length == 2) return (shape[0], shape[1]);
        double receptive = 1;
        for (int i = 0; i < shape.Length - 2; i++) receptive *= shape[i];
        return (shape[^2] * receptive, shape[^1] * receptive);
    }
}

/// <summary><c>glorot_uniform</c>: U(−limit, limit) with limit = √(6 / (fan_in + fan_out)).</summary>
public sealed class GlorotUniform(int? seed = null) : Initializer
{
    /// <inheritdoc/>
    public override Output Create(Graph g, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        var (fi, fo) = Fans(shape);
        double limit = Math.Sqrt(6.0 / (fi + fo));
        return g.RandomUniform(shape, -limit, limit, dtype, seed, name: "random_uniform");
    }
}

/// <summary><c>he_uniform</c>: U(−limit, limit) with limit = √(6 / fan_in).</summary>
public sealed class HeUniform(int? seed = null) : Initializer
{
    /// <inheritdoc/>
    public override Output Create(Graph g, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        double limit = Math.Sqrt(6.0 / Fans(shape).FanIn);
        return g.RandomUniform(shape, -limit, limit, dtype, seed, name: "random_uniform");
    }
}

/// <summary><c>uniform</c>: U(minval, maxval), Keras's default [−0.05, 0.05].</summary>
public sealed class RandomUniform(double minval = -0.05, double maxval = 0.05, int? seed = null) : Initializer
{
    /// <inheritdoc/>
    public override Output Create(Graph g, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.RandomUniform(shape, minval, maxval, dtype, seed, name: "random_uniform");
    }
}

/// <summary><c>zeros</c>.</summary>
public sealed class Zeros : Initializer
{
    /// <inheritdoc/>
    public override Output Create(Graph g, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Zeros(shape, dtype, "zeros");
    }
}

/// <summary><c>ones</c>.</summary>
public sealed class Ones : Initializer
{
    /// <inheritdoc/>
    public override Output Create(Graph g, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Ones(shape, dtype, "ones");
    }
}

/// <summary>A constant value.</summary>
public sealed class Constant(double value) : Initializer
{
    /// <inheritdoc/>
    public override Output Create(Graph g, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Fill(g.Constant(Tensor.FromArray(shape)), g.Cast(g.Constant(Tensor.Scalar(value)), dtype), "Const");
    }
}
