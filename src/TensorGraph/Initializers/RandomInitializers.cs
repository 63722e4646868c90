namespace TensorGraph.Initializers;

/// <summary>TF 1.15's <c>tf.random_normal_initializer(mean=0.0, stddev=1.0, seed, dtype)</c>: <c>random_normal(shape, mean, stddev)</c>.</summary>
public sealed class RandomNormal(double mean = 0.0, double stddev = 1.0, int? seed = null, DType dtype = DType.Float32) : Initializer(dtype)
{
    /// <summary>The mean.</summary>
    public double Mean { get; } = mean;

    /// <summary>The standard deviation.</summary>
    public double Stddev { get; } = stddev;

    /// <summary>Op-level seed.</summary>
    public int? Seed { get; } = seed;

    /// <inheritdoc/>
    public override Output Call(Graph graph, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(graph);
        RequireFloat(dtype);
        return graph.RandomNormal(new Shape(shape), Mean, Stddev, dtype, Seed);
    }
}

/// <summary>
/// TF 1.15's <c>tf.truncated_normal_initializer(mean=0.0, stddev=1.0, seed, dtype)</c>:
/// <c>truncated_normal(shape, mean, stddev)</c>, values beyond two standard deviations redrawn.
/// </summary>
public sealed class TruncatedNormal(double mean = 0.0, double stddev = 1.0, int? seed = null, DType dtype = DType.Float32) : Initializer(dtype)
{
    /// <summary>The mean.</summary>
    public double Mean { get; } = mean;

    /// <summary>The standard deviation of the normal before truncation.</summary>
    public double Stddev { get; } = stddev;

    /// <summary>Op-level seed.</summary>
    public int? Seed { get; } = seed;

    /// <inheritdoc/>
    public override Output Call(Graph graph, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(graph);
        RequireFloat(dtype);
        return graph.TruncatedNormal(new Shape(shape), Mean, Stddev, dtype, Seed);
    }
}

/// <summary>
/// TF 1.15's <c>tf.random_uniform_initializer(minval=0, maxval=None, seed, dtype)</c>:
/// <c>random_uniform(shape, minval, maxval)</c>, values in [minval, maxval); maxval defaults to 1
/// for floats and must be given for integers.
/// </summary>
public sealed class RandomUniform(double minval = 0, double? maxval = null, int? seed = null, DType dtype = DType.Float32) : Initializer(dtype)
{
    /// <summary>The lower bound (included).</summary>
    public double Minval { get; } = minval;

    /// <summary>The upper bound (excluded); null = 1 for floats.</summary>
    public double? Maxval { get; } = maxval;

    /// <summary>Op-level seed.</summary>
    public int? Seed { get; } = seed;

    /// <inheritdoc/>
    public override Output Call(Graph graph, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (!dtype.IsNumeric()) throw new InvalidArgumentException($"Invalid dtype <dtype: '{dtype.Name()}'>");
        if (dtype.IsInteger() && Maxval is null) throw new InvalidArgumentException($"Must specify maxval for integer dtype tf.{dtype.Name()}");
        return graph.RandomUniform(new Shape(shape), Minval, Maxval ?? 1, dtype, Seed);
    }
}

/// <summary>
/// TF 1.15's <c>tf.variance_scaling_initializer(scale=1.0, mode="fan_in",
/// distribution="truncated_normal", seed, dtype)</c>: with n = fan_in, fan_out or their mean
/// (<see cref="Initializer.ComputeFans"/>) and s = scale / max(1, n), draws from
/// <c>truncated_normal(0, √s / .87962566103423978)</c> (the constant is the standard deviation of a
/// unit normal truncated at ±2, so the result has variance s) for "normal" and
/// "truncated_normal", <c>random_normal(0, √s)</c> for "untruncated_normal", and
/// <c>random_uniform(−√(3s), √(3s))</c> for "uniform".
/// </summary>
public class VarianceScaling : Initializer
{
    /// <summary>Checks the arguments as TF does ("`scale` must be positive float.", "Invalid `mode` argument:", "Invalid `distribution` argument:").</summary>
    public VarianceScaling(double scale = 1.0, string mode = "fan_in", string distribution = "truncated_normal", int? seed = null,
        DType dtype = DType.Float32) : base(dtype)
    {
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(distribution);
        if (scale <= 0) throw new InvalidArgumentException("`scale` must be positive float.");
        if (mode is not ("fan_in" or "fan_out" or "fan_avg")) throw new InvalidArgumentException($"Invalid `mode` argument: {mode}");
        distribution = distribution.ToLowerInvariant();
        if (distribution is not ("normal" or "uniform" or "truncated_normal" or "untruncated_normal"))
            throw new InvalidArgumentException($"Invalid `distribution` argument: {distribution}");
        Scale = scale;
        Mode = mode;
        Distribution = distribution;
        Seed = seed;
    }

    /// <summary>The scale factor.</summary>
    public double Scale { get; }

    /// <summary><c>fan_in</c>, <c>fan_out</c> or <c>fan_avg</c>.</summary>
    public string Mode { get; }

    /// <summary><c>normal</c> (= <c>truncated_normal</c>), <c>truncated_normal</c>, <c>untruncated_normal</c> or <c>uniform</c>.</summary>
    public string Distribution { get; }

    /// <summary>Op-level seed.</summary>
    public int? Seed { get; }

    /// <summary>The standard deviation of a unit normal truncated to [−2, 2] (scipy's <c>truncnorm.std(a=-2, b=2)</c>), TF's constant.</summary>
    public const double TruncatedNormalStddev = .87962566103423978;

    /// <summary>The variance s = scale / max(1, n) of the values for a variable of <paramref name="shape"/>.</summary>
    public double Variance(IReadOnlyList<int> shape)
    {
        var (fanIn, fanOut) = ComputeFans(shape);
        double n = Mode switch { "fan_in" => fanIn, "fan_out" => fanOut, _ => (fanIn + fanOut) / 2.0 };
        return Scale / Math.Max(1.0, n);
    }

    /// <inheritdoc/>
    public override Output Call(Graph graph, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(shape);
        RequireFloat(dtype);
        double s = Variance(shape);
        return Distribution switch
        {
            "normal" or "truncated_normal" => graph.TruncatedNormal(new Shape(shape), 0.0, Math.Sqrt(s) / TruncatedNormalStddev, dtype, Seed),
            "untruncated_normal" => graph.RandomNormal(new Shape(shape), 0.0, Math.Sqrt(s), dtype, Seed),
            _ => graph.RandomUniform(new Shape(shape), -Math.Sqrt(3.0 * s), Math.Sqrt(3.0 * s), dtype, Seed),
        };
    }

    /// <summary>TF's <c>lecun_normal(seed)</c>: scale 1, fan_in, truncated normal.</summary>
    public static VarianceScaling LecunNormal(int? seed = null) => new(1.0, "fan_in", "truncated_normal", seed);

    /// <summary>TF's <c>lecun_uniform(seed)</c>: scale 1, fan_in, uniform.</summary>
    public static VarianceScaling LecunUniform(int? seed = null) => new(1.0, "fan_in", "uniform", seed);

    /// <summary>TF's <c>he_normal(seed)</c>: scale 2, fan_in, truncated normal.</summary>
    public static VarianceScaling HeNormal(int? seed = null) => new(2.0, "fan_in", "truncated_normal", seed);

    /// <summary>TF's <c>he_uniform(seed)</c>: scale 2, fan_in, uniform.</summary>
    public static VarianceScaling HeUniform(int? seed = null) => new(2.0, "fan_in", "uniform", seed);
}

/// <summary>
/// TF 1.15's <c>tf.glorot_uniform_initializer(seed, dtype)</c> (get_variable's default for
/// floats): variance scaling with scale 1, fan_avg, uniform — U(−limit, limit) with
/// limit = √(6 / (fan_in + fan_out)).
/// </summary>
public sealed class GlorotUniform(int? seed = null, DType dtype = DType.Float32) : VarianceScaling(1.0, "fan_avg", "uniform", seed, dtype);

/// <summary>
/// TF 1.15's <c>tf.glorot_normal_initializer(seed, dtype)</c>: variance scaling with scale 1,
/// fan_avg, truncated normal — stddev √(2 / (fan_in + fan_out)) / .87962566103423978 before truncation.
/// </summary>
public sealed class GlorotNormal(int? seed = null, DType dtype = DType.Float32) : VarianceScaling(1.0, "fan_avg", "truncated_normal", seed, dtype);

/// <summary>
/// TF 1.15's <c>tf.orthogonal_initializer(gain=1.0, seed, dtype)</c>: a <c>random_normal</c>
/// matrix of shape (max(rows, cols), min(rows, cols)), rows = the product of all dimensions but
/// the last, replaced by the Q of its QR decomposition (the <c>Qr</c> op) times the signs of R's
/// diagonal (so Q is unique: the one whose R has a positive diagonal), transposed when
/// rows &lt; cols, reshaped to the shape and times the gain. The value is drawn anew each time
/// the initializer runs, as TF's. TF takes R's diagonal with a <c>DiagPart</c> op, which the core
/// does not have; here it is the column sums of R times the identity (the same values).
/// </summary>
public sealed class Orthogonal(double gain = 1.0, int? seed = null, DType dtype = DType.Float32) : Initializer(dtype)
{
    /// <summary>The factor applied to the orthogonal matrix.</summary>
    public double Gain { get; } = gain;

    /// <summary>Op-level seed of the random normal matrix.</summary>
    public int? Seed { get; } = seed;

    /// <inheritdoc/>
    public override Output Call(Graph graph, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(shape);
        RequireFloat(dtype);
        if (shape.Length < 2) throw new InvalidArgumentException("The tensor to initialize must be at least two-dimensional");
        var g = graph;
        int rows = 1;
        foreach (var d in shape[..^1]) rows *= d;
        int cols = shape[^1];
        int m = Math.Max(rows, cols), n = Math.Min(rows, cols);
        var a = g.RandomNormal(new Shape(m, n), 0, 1, dtype, Seed, name: "random_normal");
        var (q, r) = g.Qr(a);
        var eye = new double[n * n];
        for (int i = 0; i < n; i++) eye[i * n + i] = 1;
        var diag = g.ReduceSum(g.Multiply(r, g.Constant(Tensor.Create(eye, n, n).Cast(dtype), name: "eye")), [0], name: "DiagPart");
        q = g.Multiply(q, g.Sign(diag), name: "mul");
        if (rows < cols) q = g.Transpose(q, [1, 0], name: "matrix_transpose");
        var result = g.Reshape(q, shape, name: "Reshape");
        return g.Multiply(g.Constant(Graph.ScalarOf(dtype, Gain), name: "gain"), result, name: "mul_1");
    }
}
