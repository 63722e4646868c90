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
    /// <c>uniform</c>/<c>random_uniform</c>, <c>he_uniform</c>, <c>orthogonal</c>); an unknown name raises.
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
                "orthogonal" => new Orthogonal(),
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
    /// <summary>Op-level seed.</summary>
    public int? Seed { get; } = seed;

    /// <inheritdoc/>
    public override Output Create(Graph g, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        var (fi, fo) = Fans(shape);
        double limit = Math.Sqrt(6.0 / (fi + fo));
        return g.RandomUniform(shape, -limit, limit, dtype, Seed, name: "random_uniform");
    }
}

/// <summary><c>he_uniform</c>: U(−limit, limit) with limit = √(6 / fan_in).</summary>
public sealed class HeUniform(int? seed = null) : Initializer
{
    /// <summary>Op-level seed.</summary>
    public int? Seed { get; } = seed;

    /// <inheritdoc/>
    public override Output Create(Graph g, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        double limit = Math.Sqrt(6.0 / Fans(shape).FanIn);
        return g.RandomUniform(shape, -limit, limit, dtype, Seed, name: "random_uniform");
    }
}

/// <summary><c>uniform</c>: U(minval, maxval), Keras's default [−0.05, 0.05].</summary>
public sealed class RandomUniform(double minval = -0.05, double maxval = 0.05, int? seed = null) : Initializer
{
    /// <summary>Lower bound.</summary>
    public double Minval { get; } = minval;

    /// <summary>Upper bound (excluded).</summary>
    public double Maxval { get; } = maxval;

    /// <summary>Op-level seed.</summary>
    public int? Seed { get; } = seed;

    /// <inheritdoc/>
    public override Output Create(Graph g, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.RandomUniform(shape, Minval, Maxval, dtype, Seed, name: "random_uniform");
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
    /// <summary>The value.</summary>
    public double Value { get; } = value;

    /// <inheritdoc/>
    public override Output Create(Graph g, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Fill(g.Constant(Tensor.FromArray(shape)), g.Cast(g.Constant(Tensor.Scalar(Value)), dtype), "Const");
    }
}

/// <summary>
/// <c>orthogonal</c> (tf.keras 1.15's <c>init_ops.Orthogonal(gain=1.0)</c>): a random normal
/// matrix of shape (max(rows, cols), min(rows, cols)), rows = the product of all dimensions but the
/// last, made orthonormal: the Q of its QR decomposition with R's diagonal made positive
/// (<c>q *= sign(diag(r))</c>, so Q is unique), transposed when rows &lt; cols, times the gain.
/// TF takes Q from a <c>Qr</c> op; TensorGraph has none, so Q is computed by Gram-Schmidt
/// orthogonalization run twice per column (CGS2) in a <c>while</c> loop over the columns, which
/// gives that same Q.
/// </summary>
public sealed class Orthogonal(double gain = 1.0, int? seed = null) : Initializer
{
    /// <summary>The factor applied to the orthogonal matrix.</summary>
    public double Gain { get; } = gain;

    /// <summary>Op-level seed of the random normal matrix.</summary>
    public int? Seed { get; } = seed;

    /// <inheritdoc/>
    public override Output Create(Graph g, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length < 2) throw new ArgumentException($"The tensor to initialize must be at least two-dimensional, got shape ({string.Join(", ", shape)})", nameof(shape));
        int rows = 1;
        foreach (var d in shape[..^1]) rows *= d;
        int cols = shape[^1];
        int m = Math.Max(rows, cols), n = Math.Min(rows, cols);
        var a = g.RandomNormal(new Shape(m, n), 0, 1, dtype, Seed, name: "random_normal");
        var at = g.Transpose(a, [1, 0], name: "transpose");
        // Rows of qt are the orthonormal columns found so far (zeros after the j-th), so projecting
        // on qt removes exactly the components along the earlier columns.
        var qt0 = g.Zeros(new Shape(n, m), dtype);
        var final = g.WhileLoop(v => g.Less(v[0], g.Constant(n)), v =>
        {
            var j = v[0];
            var qt = v[1];
            var col = g.ExpandDims(g.Gather(at, j), 0);
            for (int pass = 0; pass < 2; pass++)
                col = g.Subtract(col, g.MatMul(g.MatMul(col, qt, transposeB: true), qt));
            var q = g.RealDiv(col, g.Sqrt(g.ReduceSum(g.Square(col))));
            var e = g.ExpandDims(g.OneHot(j, n, dtype: dtype), 1);
            return [g.AddV2(j, g.Constant(1)), g.AddV2(qt, g.MatMul(e, q))];
        }, [g.Constant(0), qt0], name: "while");
        var result = rows < cols ? final[1] : g.Transpose(final[1], [1, 0], name: "transpose_1");
        result = g.Reshape(result, shape, name: "Reshape");
        return Gain == 1.0 ? result : g.Multiply(result, Backend.Scalar(g, dtype, Gain), name: "mul");
    }
}
