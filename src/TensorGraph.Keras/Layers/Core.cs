namespace TensorGraph.Keras.Layers;

/// <summary>
/// <c>Dense(units, activation=None, use_bias=True, kernel_initializer='glorot_uniform',
/// bias_initializer='zeros')</c>: <c>activation(x · kernel + bias)</c> with ops
/// <c>dense/MatMul</c>, <c>dense/BiasAdd</c>, <c>dense/Relu</c>. An input of rank &gt; 2 is
/// multiplied along its last axis.
/// </summary>
public sealed class Dense : Layer
{
    private Func<Graph, Output, Output> _activation;
    private readonly Initializer _kernelInit, _biasInit;
    private Variable? _kernel, _bias;

    /// <summary>Creates the layer.</summary>
    /// <param name="units">Output width.</param>
    /// <param name="activation">An activation name (<see cref="Activations.Get"/>), or null for none.</param>
    /// <param name="useBias">Whether a bias is added.</param>
    /// <param name="kernelInitializer">An <see cref="Initializer"/> or its name; default glorot_uniform.</param>
    /// <param name="biasInitializer">An <see cref="Initializer"/> or its name; default zeros.</param>
    /// <param name="inputShape">Shape of one sample, for a model's first layer.</param>
    /// <param name="name">Layer name.</param>
    /// <param name="kernelRegularizer">A <see cref="Regularizer"/> or its name (l1, l2, l1_l2) for the kernel; default none.</param>
    /// <param name="biasRegularizer">A <see cref="Regularizer"/> or its name for the bias; default none.</param>
    public Dense(int units, string? activation = null, bool useBias = true, object? kernelInitializer = null, object? biasInitializer = null,
        int[]? inputShape = null, string? name = null, object? kernelRegularizer = null, object? biasRegularizer = null) : base(name, inputShape)
    {
        if (units <= 0) throw new ArgumentOutOfRangeException(nameof(units), units, "units must be positive");
        Units = units;
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

    /// <summary>Output width.</summary>
    public int Units { get; }

    /// <summary>The activation's name, or null.</summary>
    public string? ActivationName { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <summary>The kernel [input width, units], once built.</summary>
    public Variable? Kernel => _kernel;

    /// <summary>The bias [units], once built.</summary>
    public Variable? Bias => _bias;

    // The tf.layers face passes a callable activation (TF's activation=tf.nn.relu).
    internal void SetActivation(Func<Graph, Output, Output> activation) => _activation = activation;

    /// <inheritdoc/>
    protected override void Build(Graph g, Shape[] inputShapes)
    {
        var s = inputShapes[0];
        int last = s.IsRankKnown && s.Rank >= 1 ? s[s.Rank - 1] : -1;
        if (last < 0) throw new InvalidArgumentException($"The last dimension of the inputs to `Dense` should be defined. Found `None`. (layer {Name})");
        _kernel = AddWeight(g, "kernel", [last, Units], _kernelInit);
        if (UseBias) _bias = AddWeight(g, "bias", [Units], _biasInit);
        AddRegularizer(g, _kernel, KernelRegularizer);
        if (_bias is not null) AddRegularizer(g, _bias, BiasRegularizer);
    }

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs)
    {
        var x = Single(inputs);
        var dims = Dims(x.Shape);
        Output y;
        if (dims.Length == 2) y = g.MatMul(x, _kernel!.Value, name: "MatMul");
        else
        {
            var flat = g.Reshape(x, [-1, dims[^1]]);
            var mm = g.MatMul(flat, _kernel!.Value, name: "MatMul");
            int[] outDims = [.. dims[..^1].Select(d => d), Units];
            if (outDims.Count(d => d < 0) > 1)
                throw new InvalidArgumentException($"Dense layer {Name} needs inputs of rank > 2 with at most one unknown dimension, got {x.Shape}");
            y = g.Reshape(mm, outDims);
        }
        if (UseBias) y = g.BiasAdd(y, _bias!.Value, name: "BiasAdd");
        return _activation(g, y);
    }
}

/// <summary><c>Activation(activation)</c>: applies a named activation (<c>activation/Relu</c>).</summary>
public sealed class Activation : Layer
{
    private readonly Func<Graph, Output, Output> _fn;

    /// <summary>Creates the layer; an unknown activation name raises.</summary>
    public Activation(string activation, int[]? inputShape = null, string? name = null) : base(name, inputShape)
    {
        ActivationName = activation;
        _fn = Activations.Get(activation);
    }

    /// <summary>The activation's name.</summary>
    public string ActivationName { get; }

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs) => _fn(g, Single(inputs));
}

/// <summary>
/// <c>Dropout(rate, seed=None)</c>: while training (the learning phase true) drops each value
/// with probability rate and scales the rest by 1/(1−rate); at inference the identity. Built as
/// TF1's <c>cond</c> on <c>keras_learning_phase</c>: the output is <c>dropout/cond/Merge</c>.
/// </summary>
public sealed class Dropout : Layer
{
    /// <summary>Creates the layer.</summary>
    public Dropout(double rate, int? seed = null, int[]? inputShape = null, string? name = null) : base(name, inputShape)
    {
        if (rate < 0 || rate >= 1) throw new ArgumentOutOfRangeException(nameof(rate), rate, "rate must be in [0, 1)");
        Rate = rate;
        Seed = seed;
    }

    /// <summary>Fraction of the inputs dropped.</summary>
    public double Rate { get; }

    /// <summary>Op-level seed of the random mask.</summary>
    public int? Seed { get; }

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs)
    {
        var x = Single(inputs);
        if (Rate == 0) return g.Identity(x, "Identity");
        Output Dropped() => g.Dropout(x, rate: Rate, noiseShape: NoiseShapeOf(g, x), seed: Seed);
        switch (Training)
        {
            case bool b: // smart_cond on a Python bool: one branch, no cond
                return b ? Dropped() : g.Identity(x, "Identity");
            case Output t:
                return g.Cond(t, Dropped, () => g.Identity(x), name: "cond");
        }
        var training = Backend.LearningPhase(g);
        return g.Cond(training, Dropped, () => g.Identity(x), name: "cond");
    }

    // Keras's noise_shape (-1 for None: the input's run-time size there), as _get_noise_shape builds it.
    internal int[]? NoiseShape { get; set; }

    private Output? NoiseShapeOf(Graph g, Output x)
    {
        if (NoiseShape is not { } ns) return null;
        if (ns.All(d => d >= 0)) return g.Constant(Tensor.Create(ns, ns.Length));
        var dynamic = g.ShapeOf(x);
        var parts = ns.Select((d, i) => d >= 0 ? g.Constant(Tensor.Scalar(d)) : g.StridedSlice(dynamic, [i], [i + 1], shrinkAxisMask: 1)).ToArray();
        return g.Stack(parts);
    }
}

/// <summary><c>Flatten()</c>: reshapes <c>(batch, d1, d2, …)</c> to <c>(batch, d1·d2·…)</c> (<c>flatten/Reshape</c>).</summary>
public sealed class Flatten : Layer
{
    /// <summary>Creates the layer.</summary>
    public Flatten(int[]? inputShape = null, string? name = null) : base(name, inputShape) { }

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs)
    {
        var x = Single(inputs);
        var dims = Dims(x.Shape);
        if (dims.Skip(1).Any(d => d < 0))
            throw new InvalidArgumentException($"The shape of the input to \"Flatten\" is not fully defined (got {x.Shape}). Make sure to pass a complete \"input_shape\" argument to the first layer in your model. (layer {Name})");
        int prod = 1;
        foreach (var d in dims.Skip(1)) prod *= d;
        return g.Reshape(x, [-1, prod]);
    }
}

/// <summary><c>Reshape(target_shape)</c>: reshapes each sample to <paramref name="targetShape"/> (one entry may be -1).</summary>
public sealed class Reshape(int[] targetShape, int[]? inputShape = null, string? name = null) : Layer(name, inputShape)
{
    private readonly int[] _target = (int[])(targetShape ?? throw new ArgumentNullException(nameof(targetShape))).Clone();

    /// <summary>Shape of one output sample.</summary>
    public IReadOnlyList<int> TargetShape => _target;

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs)
    {
        var x = Single(inputs);
        var dims = Dims(x.Shape);
        if (_target.Contains(-1))
        {
            if (dims.Skip(1).Any(d => d < 0)) throw new InvalidArgumentException($"Reshape layer {Name} cannot infer -1 from an input of shape {x.Shape}");
            long total = 1, known = 1;
            foreach (var d in dims.Skip(1)) total *= d;
            foreach (var d in _target) if (d != -1) known *= d;
            if (_target.Count(d => d == -1) > 1 || known == 0 || total % known != 0)
                throw new InvalidArgumentException($"total size of new array must be unchanged (layer {Name}: {x.Shape} to ({string.Join(", ", _target)}))");
            var full = _target.Select(d => d == -1 ? (int)(total / known) : d).ToArray();
            return g.Reshape(x, [-1, .. full]);
        }
        return g.Reshape(x, [-1, .. _target]);
    }
}
