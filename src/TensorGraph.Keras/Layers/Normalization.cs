namespace TensorGraph.Keras.Layers;

/// <summary>
/// <c>BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True)</c> over
/// the last axis: while training (learning phase true) it normalizes with the batch's mean and
/// biased variance and the training function moves <c>moving_mean</c>/<c>moving_variance</c>
/// toward them (<c>v ← v − (v − batch)·(1 − momentum)</c>); at inference it uses the moving
/// statistics. Weights <c>gamma</c>, <c>beta</c> (trainable), <c>moving_mean</c>,
/// <c>moving_variance</c> (not trainable). Built from plain ops (<c>moments</c>, a <c>cond</c> on the
/// learning phase) for every rank; tf.keras uses its fused kernel for 4-D inputs, which gives the
/// same values.
/// </summary>
public sealed class BatchNormalization : Layer
{
    private Variable? _gamma, _beta, _mean, _var;

    /// <summary>Creates the layer.</summary>
    public BatchNormalization(double momentum = 0.99, double epsilon = 1e-3, bool center = true, bool scale = true, int[]? inputShape = null, string? name = null)
        : base(name, inputShape)
    {
        if (momentum < 0 || momentum > 1) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in [0, 1]");
        if (epsilon <= 0) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive");
        Momentum = momentum;
        Epsilon = epsilon;
        Center = center;
        Scale = scale;
    }

    /// <summary>Momentum of the moving statistics.</summary>
    public double Momentum { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Epsilon { get; }

    /// <summary>Whether beta is added.</summary>
    public bool Center { get; }

    /// <summary>Whether gamma multiplies.</summary>
    public bool Scale { get; }

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override void Build(Graph g, Shape[] inputShapes)
    {
        var s = inputShapes[0];
        int c = s.IsRankKnown && s.Rank >= 2 ? s[s.Rank - 1] : -1;
        if (c < 0) throw new InvalidArgumentException($"Axis -1 of input tensor should have a defined dimension but the layer received an input with shape {s}. (layer {Name})");
        if (Scale) _gamma = AddWeight(g, "gamma", [c], new Ones());
        if (Center) _beta = AddWeight(g, "beta", [c], new Zeros());
        _mean = AddWeight(g, "moving_mean", [c], new Zeros(), trainable: false);
        _var = AddWeight(g, "moving_variance", [c], new Ones(), trainable: false);
    }

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs)
    {
        var x = Single(inputs);
        int rank = x.Shape.Rank;
        int[] axes = [.. Enumerable.Range(0, rank - 1)];
        if (Training is false) return Normalize(g, x, _mean!.Value, _var!.Value); // tf.layers' training=False: the moving statistics, no updates
        Output mean, variance;
        using (g.NameScope("moments"))
        {
            mean = g.ReduceMean(x, axes, name: "mean");
            variance = g.ReduceMean(g.Square(g.Subtract(x, g.StopGradient(mean))), axes, name: "variance");
        }
        Output output;
        switch (Training)
        {
            case true: // tf.layers' training=True: the batch statistics
                output = Normalize(g, x, mean, variance);
                break;
            case Output t: // a bool tensor: smart_cond picks the statistics, as TF's non-fused path
                var (batchMean, batchVariance) = (mean, variance);
                mean = g.Cond(t, () => batchMean, () => _mean!.Value, name: "cond");
                variance = g.Cond(t, () => batchVariance, () => _var!.Value, name: "cond_1");
                output = Normalize(g, x, mean, variance);
                break;
            default:
                var training = Backend.LearningPhase(g);
                output = g.Cond(training, () => Normalize(g, x, mean, variance), () => Normalize(g, x, _mean!.Value, _var!.Value), name: "cond");
                break;
        }
        // With a training tensor the statistics above are the moving ones at inference, so the update moves nothing then.
        var decay = g.Constant(Tensor.Scalar((float)(1 - Momentum)));
        AddUpdate(g.AssignSub(_mean!, g.Multiply(g.Subtract(_mean!.Value, mean), decay), name: "AssignMovingAvg").Op);
        AddUpdate(g.AssignSub(_var!, g.Multiply(g.Subtract(_var!.Value, variance), decay), name: "AssignMovingAvg_1").Op);
        return output;
    }

    private Output Normalize(Graph g, Output x, Output m, Output v)
    {
        using var scope = g.NameScope("batchnorm");
        var inv = g.Rsqrt(g.AddV2(v, g.Constant(Tensor.Scalar((float)Epsilon))));
        if (_gamma is not null) inv = g.Multiply(inv, _gamma.Value);
        var y = g.Multiply(x, inv);
        var shift = _beta is not null ? g.Subtract(_beta.Value, g.Multiply(m, inv)) : g.Negative(g.Multiply(m, inv));
        return g.AddV2(y, shift);
    }
}

/// <summary>
/// <c>Embedding(input_dim, output_dim, embeddings_initializer='uniform', input_length=None)</c>:
/// maps integer ids (cast to int32 when given as floats, <c>embedding/Cast</c>) to rows of
/// <c>embeddings [input_dim, output_dim]</c> (<c>embedding/embedding_lookup</c>). As the first layer
/// of a Sequential it gives the model a float32 input <c>embedding_input</c> of shape
/// (batch, input_length), as Keras does.
/// </summary>
public sealed class Embedding : Layer
{
    private readonly Initializer _init;
    private Variable? _embeddings;

    /// <summary>Creates the layer.</summary>
    /// <param name="inputDim">Vocabulary size.</param>
    /// <param name="outputDim">Width of each vector.</param>
    /// <param name="embeddingsInitializer">Default uniform in [−0.05, 0.05].</param>
    /// <param name="inputLength">The sequence length, when fixed.</param>
    /// <param name="name">Layer name.</param>
    /// <param name="maskZero">Treat id 0 as padding: the output carries the mask <c>ids != 0</c>
    /// (<c>embedding/NotEqual</c>), which recurrent layers use to skip padded steps.</param>
    public Embedding(int inputDim, int outputDim, object? embeddingsInitializer = null, int? inputLength = null, string? name = null, bool maskZero = false)
        : base(name, [inputLength ?? -1])
    {
        MaskZero = maskZero;
        if (inputDim <= 0) throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, "input_dim must be positive");
        if (outputDim <= 0) throw new ArgumentOutOfRangeException(nameof(outputDim), outputDim, "output_dim must be positive");
        InputDim = inputDim;
        OutputDim = outputDim;
        InputLength = inputLength;
        _init = Initializer.Get(embeddingsInitializer, new RandomUniform());
    }

    /// <summary>Vocabulary size.</summary>
    public int InputDim { get; }

    /// <summary>Width of each vector.</summary>
    public int OutputDim { get; }

    /// <summary>The sequence length, when fixed.</summary>
    public int? InputLength { get; }

    /// <summary>Whether id 0 is padding, masked out for the layers after.</summary>
    public bool MaskZero { get; }

    /// <inheritdoc/>
    protected override bool MakesMask => MaskZero;

    /// <inheritdoc/>
    protected override Output?[] ComputeMask(Graph g, Output[] inputs, IReadOnlyList<Output?> masks)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!MaskZero) return [null];
        var ids = inputs[0];
        return [g.NotEqual(ids, Backend.Scalar(g, ids.DType, 0), name: "NotEqual")];
    }

    /// <summary>The table, once built.</summary>
    public Variable? Embeddings => _embeddings;

    /// <summary>Initializer of the table (default uniform in [−0.05, 0.05]).</summary>
    public Initializer EmbeddingsInitializer => _init;

    /// <inheritdoc/>
    protected override void Build(Graph g, Shape[] inputShapes) => _embeddings = AddWeight(g, "embeddings", [InputDim, OutputDim], _init);

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs)
    {
        var ids = Single(inputs);
        if (ids.DType != DType.Int32 && ids.DType != DType.Int64) ids = g.Cast(ids, DType.Int32, name: "Cast");
        return g.Gather(_embeddings!.Value, ids, name: "embedding_lookup");
    }
}
