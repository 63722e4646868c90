namespace TensorGraph.Keras.Layers;

/// <summary>
/// <c>Conv1D(filters, kernel_size, strides=1, padding='valid', dilation_rate=1, activation=None,
/// use_bias=True)</c> on (batch, steps, channels): TF's <c>conv1d</c>, a Conv2D over a height of one
/// (<c>conv1d/conv1d/ExpandDims</c>, <c>conv1d/conv1d</c>, <c>conv1d/conv1d/Squeeze</c>), then
/// <c>conv1d/BiasAdd</c>; kernel [kernel_size, in, filters], glorot_uniform.
/// </summary>
public sealed class Conv1D : Layer
{
    private Func<Graph, Output, Output> _activation;
    private readonly Initializer _kernelInit, _biasInit;
    private Variable? _kernel, _bias;

    /// <summary>Creates the layer.</summary>
    /// <param name="filters">Output channels.</param>
    /// <param name="kernelSize">Kernel width.</param>
    /// <param name="strides">Stride.</param>
    /// <param name="padding">valid or same.</param>
    /// <param name="activation">Activation name, or null for none.</param>
    /// <param name="useBias">Whether a bias is added.</param>
    /// <param name="kernelInitializer">An <see cref="Initializer"/> or its name; default glorot_uniform.</param>
    /// <param name="biasInitializer">An <see cref="Initializer"/> or its name; default zeros.</param>
    /// <param name="dilationRate">Dilation.</param>
    /// <param name="inputShape">(steps, channels) of one sample, for a model's first layer.</param>
    /// <param name="name">Layer name.</param>
    /// <param name="kernelRegularizer">A <see cref="Regularizer"/> or its name (l1, l2, l1_l2) for the kernel; default none.</param>
    /// <param name="biasRegularizer">A <see cref="Regularizer"/> or its name for the bias; default none.</param>
    public Conv1D(int filters, int kernelSize, int strides = 1, string padding = "valid", string? activation = null, bool useBias = true,
        object? kernelInitializer = null, object? biasInitializer = null, int dilationRate = 1, int[]? inputShape = null, string? name = null,
        object? kernelRegularizer = null, object? biasRegularizer = null)
        : base(name, inputShape)
    {
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), filters, "filters must be positive");
        Filters = filters;
        KernelSize = kernelSize;
        Strides = strides;
        DilationRate = dilationRate;
        Padding = Pooling.NormalizePadding(padding);
        ActivationName = activation;
        _activation = Activations.Get(activation);
        UseBias = useBias;
        _kernelInit = Initializer.Get(kernelInitializer, new GlorotUniform());
        _biasInit = Initializer.Get(biasInitializer, new Zeros());
        KernelRegularizer = Regularizer.Get(kernelRegularizer);
        BiasRegularizer = Regularizer.Get(biasRegularizer);
    }

    /// <summary>The kernel's regularizer (Keras's <c>kernel_regularizer</c>), or null.</summary>
    public Regularizer? KernelRegularizer { get; }

    /// <summary>The bias's regularizer (Keras's <c>bias_regularizer</c>), or null.</summary>
    public Regularizer? BiasRegularizer { get; }

    /// <summary>The activation's name, or null for none.</summary>
    public string? ActivationName { get; }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>Kernel width.</summary>
    public int KernelSize { get; }

    /// <summary>Stride.</summary>
    public int Strides { get; }

    /// <summary>Dilation.</summary>
    public int DilationRate { get; }

    /// <summary>"VALID" or "SAME".</summary>
    public string Padding { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    // The tf.layers face passes a callable activation (TF's activation=tf.nn.relu).
    internal void SetActivation(Func<Graph, Output, Output> activation) => _activation = activation;

    /// <inheritdoc/>
    protected override void Build(Graph g, Shape[] inputShapes)
    {
        var s = inputShapes[0];
        if (!s.IsRankKnown || s.Rank != 3) throw new InvalidArgumentException($"Input 0 of layer {Name} is incompatible with the layer: expected ndim=3, found shape {s}");
        if (s[2] < 0) throw new InvalidArgumentException($"The channel dimension of the inputs should be defined. Found `None`. (layer {Name})");
        _kernel = AddWeight(g, "kernel", [KernelSize, s[2], Filters], _kernelInit);
        if (UseBias) _bias = AddWeight(g, "bias", [Filters], _biasInit);
        AddRegularizer(g, _kernel, KernelRegularizer);
        if (_bias is not null) AddRegularizer(g, _bias, BiasRegularizer);
    }

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs)
    {
        var x = Single(inputs);
        Output y;
        using (g.NameScope("conv1d"))
        {
            var exact = g.CurrentNameScope + "/";
            var xe = g.ExpandDims(x, 1, name: "ExpandDims");
            var fe = g.ExpandDims(_kernel!.Value, 0, name: "ExpandDims_1");
            var c = g.Conv2D(xe, fe, [1, 1, Strides, 1], Padding, dilations: [1, 1, DilationRate, 1], name: exact);
            y = g.Squeeze(c, [1], name: "Squeeze");
        }
        if (UseBias) y = g.BiasAdd(y, _bias!.Value, name: "BiasAdd");
        return _activation(g, y);
    }
}

/// <summary>
/// What MaxPooling1D and AveragePooling1D share (Keras's <c>Pooling1D</c>): window, stride
/// (default: the window), padding, and the forward pass that pools (batch, steps, channels) as a
/// one-row image: <c>ExpandDims</c> at axis 1, the 2-D pooling op, <c>Squeeze</c> of axis 1.
/// </summary>
public abstract class Pooling1DLayer : Layer
{
    /// <summary>Creates the layer.</summary>
    protected Pooling1DLayer(int poolSize, int? strides, string padding, string? name) : base(name)
    {
        PoolSize = poolSize;
        Strides = strides ?? poolSize;
        Padding = Pooling.NormalizePadding(padding);
    }

    /// <summary>Window.</summary>
    public int PoolSize { get; }

    /// <summary>Stride.</summary>
    public int Strides { get; }

    /// <summary>"VALID" or "SAME".</summary>
    public string Padding { get; }

    /// <summary>The 2-D pooling op over the expanded NHWC input, with window and strides already laid out.</summary>
    protected abstract Output Pool(Graph g, Output expanded, int[] ksize, int[] strides);

    /// <inheritdoc/>
    protected sealed override Output Forward(Graph g, Output[] inputs)
    {
        var xe = g.ExpandDims(Single(inputs), 1, name: "ExpandDims");
        var p = Pool(g, xe, [1, 1, PoolSize, 1], [1, 1, Strides, 1]);
        return g.Squeeze(p, [1], name: "Squeeze");
    }
}

/// <summary>
/// <c>MaxPooling1D(pool_size=2, strides=None, padding='valid')</c> on (batch, steps, channels):
/// <c>max_pooling1d/ExpandDims</c>, <c>max_pooling1d/MaxPool</c>, <c>max_pooling1d/Squeeze</c>.
/// </summary>
public sealed class MaxPooling1D(int poolSize = 2, int? strides = null, string padding = "valid", string? name = null)
    : Pooling1DLayer(poolSize, strides, padding, name)
{
    /// <inheritdoc/>
    protected override Output Pool(Graph g, Output expanded, int[] ksize, int[] strides) =>
        g.MaxPool(expanded, ksize, strides, Padding, name: "MaxPool");
}

/// <summary>
/// <c>AveragePooling1D(pool_size=2, strides=None, padding='valid')</c> on (batch, steps, channels):
/// <c>average_pooling1d/ExpandDims</c>, <c>average_pooling1d/AvgPool</c>, <c>average_pooling1d/Squeeze</c>.
/// </summary>
public sealed class AveragePooling1D(int poolSize = 2, int? strides = null, string padding = "valid", string? name = null)
    : Pooling1DLayer(poolSize, strides, padding, name)
{
    /// <inheritdoc/>
    protected override Output Pool(Graph g, Output expanded, int[] ksize, int[] strides) =>
        g.AvgPool(expanded, ksize, strides, Padding, name: "AvgPool");
}
