namespace TensorGraph.Initializers;

/// <summary>
/// TF 1.15's <c>init_ops.Initializer</c> (<c>tf.initializers.*</c>, v1): builds the initial value
/// of a variable of a given shape and dtype as ordinary graph ops, under the current name scope
/// (<see cref="Graph.GetVariable(string, Shape?, DType?, Initializer?, Func{Output, Output?}?, bool?, IEnumerable{string}?)"/>
/// calls it under <c>&lt;variable&gt;/Initializer/</c>). Random initializers take an op-level
/// seed that, with the graph's <see cref="Graph.Seed"/>, fixes their sequence as TF's seeds do.
/// </summary>
public abstract class Initializer
{
    /// <summary>Sets the dtype used when <see cref="Call(Graph, int[])"/> is given none (TF's v1 <c>dtype</c> argument, float32 by default).</summary>
    protected Initializer(DType dtype) => DType = dtype;

    /// <summary>The dtype of <see cref="Call(Graph, int[])"/>'s value.</summary>
    public DType DType { get; }

    /// <summary>TF's <c>__call__(shape, dtype)</c>: builds the initial value in <paramref name="graph"/>.</summary>
    public abstract Output Call(Graph graph, int[] shape, DType dtype);

    /// <summary>TF's <c>__call__(shape)</c>: the value in the initializer's own <see cref="DType"/>.</summary>
    public Output Call(Graph graph, int[] shape) => Call(graph, shape, DType);

    /// <summary>
    /// TF's <c>init_ops._compute_fans</c>: a scalar has fan_in = fan_out = 1, a vector its length,
    /// a matrix [in, out] its dimensions, a kernel [..., in, out] the receptive field (the product
    /// of the leading dimensions) times in and out.
    /// </summary>
    public static (double FanIn, double FanOut) ComputeFans(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count < 1) return (1, 1);
        if (shape.Count == 1) return (shape[0], shape[0]);
        if (shape.Count == 2) return (shape[0], shape[1]);
        double receptive = 1;
        for (int i = 0; i < shape.Count - 2; i++) receptive *= shape[i];
        return (shape[^2] * receptive, shape[^1] * receptive);
    }

    /// <summary>TF's <c>_assert_float_dtype</c>.</summary>
    private protected static void RequireFloat(DType dtype)
    {
        if (!dtype.IsFloating()) throw new InvalidArgumentException($"Expected floating point type, got <dtype: '{dtype.Name()}'>.");
    }
}

/// <summary>TF's <c>tf.zeros_initializer()</c>: <c>zeros(shape, dtype)</c>, named <c>zeros</c>.</summary>
public sealed class Zeros(DType dtype = DType.Float32) : Initializer(dtype)
{
    /// <inheritdoc/>
    public override Output Call(Graph graph, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Zeros(shape, dtype, "zeros");
    }
}

/// <summary>TF's <c>tf.ones_initializer()</c>: <c>ones(shape, dtype)</c>, named <c>ones</c>.</summary>
public sealed class Ones(DType dtype = DType.Float32) : Initializer(dtype)
{
    /// <inheritdoc/>
    public override Output Call(Graph graph, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Ones(shape, dtype, "ones");
    }
}

/// <summary>
/// TF 1.15's <c>tf.constant_initializer(value=0, dtype, verify_shape=False)</c>: a <c>Const</c> of
/// the shape asked for. A scalar fills it; a value with fewer elements is padded with its last
/// element, as TF1's <c>tf.constant(value, shape=…)</c> pads; more elements than the shape holds is
/// "Too many elements provided. Needed at most N, but received M"; with <c>verifyShape</c> the
/// value's shape must be the shape asked for.
/// </summary>
public sealed class Constant(Tensor value, DType dtype = DType.Float32, bool verifyShape = false) : Initializer(dtype)
{
    /// <summary>A scalar constant.</summary>
    public Constant(double value = 0, DType dtype = DType.Float32) : this(Tensor.Scalar(value), dtype) { }

    /// <summary>The value.</summary>
    public Tensor Value { get; } = value ?? throw new ArgumentNullException(nameof(value));

    /// <summary>Whether the value's shape must equal the variable's.</summary>
    public bool VerifyShape { get; } = verifyShape;

    /// <inheritdoc/>
    public override Output Call(Graph graph, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(shape);
        if (VerifyShape && !Value.Dims.SequenceEqual(shape.AsSpan()))
            throw new InvalidArgumentException($"Expected Tensor's shape: {new Shape(shape)}, got {Value.Shape}.");
        long n = Tensor.ShapeSize(shape);
        var value = Value.DType == dtype ? Value : Value.Cast(dtype);
        if (value.Size > n) throw new InvalidArgumentException($"Too many elements provided. Needed at most {n}, but received {value.Size}");
        if (value.Size == n || value.Size == 1) return graph.Constant(value, new Shape(shape), name: "Const");
        if (value.Size == 0) throw new InvalidArgumentException($"An empty value cannot fill a constant of shape {new Shape(shape)}");
        // TF1 fills the elements past the value's with its last one.
        if (!dtype.IsNumeric() && dtype != DType.Bool) throw new InvalidArgumentException($"{value.Size} values cannot fill a constant of shape {new Shape(shape)}");
        var given = value.Cast(DType.Float64).ToArray<double>();
        var padded = new double[n];
        for (long i = 0; i < n; i++) padded[i] = given[Math.Min(i, given.Length - 1)];
        return graph.Constant(Tensor.FromArray(padded).Reshape(shape).Cast(dtype), name: "Const");
    }
}
