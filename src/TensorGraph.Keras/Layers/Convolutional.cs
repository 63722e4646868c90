namespace TensorGraph.Keras.Layers;

/// <summary>
/// <c>Conv2D(filters, kernel_size, strides=(1, 1), padding='valid', dilation_rate=(1, 1),
/// activation=None, use_bias=True)</c> on NHWC inputs: <c>conv2d/Conv2D</c>,
/// <c>conv2d/BiasAdd</c>, <c>conv2d/Relu</c>; kernel [kh, kw, in, filters], glorot_uniform.
/// </summary>
public sealed class Conv2D : Layer
{
    private Func<Graph, Output, Output> _activation;
    private readonly Initializer _kernelInit, _biasInit;
    private Variable? _kernel, _bias;

    /// <summary>Creates the layer with a square kernel and equal strides.</summary>
    public Conv2D(int filters, int kernelSize, int strides = 1, string padding = "valid", string? activation = null, bool useBias = true,
        object? kernelInitializer = null, object? biasInitializer = null, int dilationRate = 1, int[]? inputShape = null, string? name = null)
        : this(filters, (kernelSize, kernelSize), (strides, strides), padding, activation, useBias, kernelInitializer, biasInitializer, (dilationRate, dilationRate), inputShape, name) { }

    /// <summary>Creates the layer.</summary>
    /// <param name="filters">Output channels.</param>
    /// <param name="kernelSize">(height, width) of the kernel.</param>
    /// <param name="strides">(height, width) strides; default (1, 1).</param>
    /// <param name="padding">"valid" or "same".</param>
    /// <param name="activation">Activation name, or null.</param>
    /// <param name="useBias">Whether a bias is added.</param>
    /// <param name="kernelInitializer">Default glorot_uniform.</param>
    /// <param name="biasInitializer">Default zeros.</param>
    /// <param name="dilationRate">(height, width) dilation; default (1, 1).</param>
    /// <param name="inputShape">(height, width, channels) of one sample, for a model's first layer.</param>
    /// <param name="name">Layer name.</param>
    /// <param name="kernelRegularizer">A <see cref="Regularizer"/> or its name (l1, l2, l1_l2) for the kernel; default none.</param>
    /// <param name="biasRegularizer">A <see cref="Regularizer"/> or its name for the bias; default none.</param>
    public Conv2D(int filters, (int, int) kernelSize, (int, int)? strides = null, string padding = "valid", string? activation = null, bool useBias = true,
        object? kernelInitializer = null, object? biasInitializer = null, (int, int)? dilationRate = null, int[]? inputShape = null, string? name = null,
        object? kernelRegularizer = null, object? biasRegularizer = null)
        : base(name, inputShape)
    {
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), filters, "filters must be positive");
        Filters = filters;
        KernelSize = kernelSize;
        Strides = strides ?? (1, 1);
        DilationRate = dilationRate ?? (1, 1);
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

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>Kernel (height, width).</summary>
    public (int, int) KernelSize { get; }

    /// <summary>Strides (height, width).</summary>
    public (int, int) Strides { get; }

    /// <summary>Dilation (height, width).</summary>
    public (int, int) DilationRate { get; }

    /// <summary>"VALID" or "SAME".</summary>
    public string Padding { get; }

    /// <summary>The activation's name, or null.</summary>
    public string? ActivationName { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <summary>The kernel, once built.</summary>
    public Variable? Kernel => _kernel;

    /// <summary>The bias, once built.</summary>
    public Variable? Bias => _bias;

    // The tf.layers face passes a callable activation (TF's activation=tf.nn.relu).
    internal void SetActivation(Func<Graph, Output, Output> activation) => _activation = activation;

    /// <inheritdoc/>
    protected override void Build(Graph g, Shape[] inputShapes)
    {
        var s = inputShapes[0];
        if (!s.IsRankKnown || s.Rank != 4) throw new InvalidArgumentException($"Input 0 of layer {Name} is incompatible with the layer: expected ndim=4, found shape {s}");
        int channels = s[3];
        if (channels < 0) throw new InvalidArgumentException($"The channel dimension of the inputs should be defined. Found `None`. (layer {Name})");
        _kernel = AddWeight(g, "kernel", [KernelSize.Item1, KernelSize.Item2, channels, Filters], _kernelInit);
        if (UseBias) _bias = AddWeight(g, "bias", [Filters], _biasInit);
        AddRegularizer(g, _kernel, KernelRegularizer);
        if (_bias is not null) AddRegularizer(g, _bias, BiasRegularizer);
    }

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs)
    {
        var x = Single(inputs);
        var y = g.Conv2D(x, _kernel!.Value, [1, Strides.Item1, Strides.Item2, 1], Padding,
            dilations: [1, DilationRate.Item1, DilationRate.Item2, 1], name: "Conv2D");
        if (UseBias) y = g.BiasAdd(y, _bias!.Value, name: "BiasAdd");
        return _activation(g, y);
    }
}
