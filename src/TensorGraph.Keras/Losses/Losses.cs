namespace TensorGraph.Keras.Losses;

/// <summary>
/// A Keras loss: <see cref="PerSample"/> builds one value per sample; the model averages them
/// over the batch (Keras's SUM_OVER_BATCH_SIZE: <c>sum / num_elements</c>).
/// </summary>
public abstract class Loss
{
    /// <summary>The loss's Keras function name (<c>sparse_categorical_crossentropy</c>), used in logs.</summary>
    public abstract string Name { get; }

    /// <summary>Per-sample losses (rank 1) from targets <paramref name="yTrue"/> and predictions <paramref name="yPred"/>.</summary>
    public abstract Output PerSample(Graph g, Output yTrue, Output yPred);

    /// <summary>
    /// The loss a string names: sparse_categorical_crossentropy, categorical_crossentropy,
    /// binary_crossentropy, mean_squared_error/mse, mean_absolute_error/mae; an unknown string
    /// raises (never a silent default).
    /// </summary>
    public static Loss Get(object identifier) => identifier switch
    {
        Loss l => l,
        string s => s.ToLowerInvariant() switch
        {
            "sparse_categorical_crossentropy" => new SparseCategoricalCrossentropy(),
            "categorical_crossentropy" => new CategoricalCrossentropy(),
            "binary_crossentropy" => new BinaryCrossentropy(),
            "mean_squared_error" or "mse" => new MeanSquaredError(),
            "mean_absolute_error" or "mae" => new MeanAbsoluteError(),
            _ => throw new ArgumentException($"Unknown loss function: {s}", nameof(identifier)),
        },
        null => throw new ArgumentNullException(nameof(identifier)),
        _ => throw new ArgumentException($"Could not interpret loss function identifier: {identifier}", nameof(identifier)),
    };

    /// <summary>Keras's <c>clip_by_value(p, ε, 1−ε)</c>.</summary>
    internal static Output Clip(Graph g, Output p) =>
        g.ClipByValue(p, g.Cast(g.Constant(Tensor.Scalar(Backend.Epsilon)), p.DType), g.Cast(g.Constant(Tensor.Scalar(1 - Backend.Epsilon)), p.DType));

    /// <summary>The mean over the last axis (Keras's <c>K.mean(..., axis=-1)</c>).</summary>
    internal static Output MeanLastAxis(Graph g, Output x) => g.ReduceMean(x, [-1]);
}

/// <summary>
/// <c>sparse_categorical_crossentropy</c>: −log p[y] for integer class targets. For probabilities
/// straight from a Softmax op the logits under it are used (Keras's graph-mode bypass); other
/// probabilities are clipped to [ε, 1−ε] and logged.
/// </summary>
public sealed class SparseCategoricalCrossentropy(bool fromLogits = false) : Loss
{
    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; } = fromLogits;

    /// <inheritdoc/>
    public override string Name => "sparse_categorical_crossentropy";

    /// <inheritdoc/>
    public override Output PerSample(Graph g, Output yTrue, Output yPred)
    {
        ArgumentNullException.ThrowIfNull(g);
        Output logits;
        if (FromLogits) logits = yPred;
        else if (yPred.Op.Type == "Softmax") logits = yPred.Op.Inputs[0];
        else logits = g.Log(Clip(g, yPred));
        var target = g.Cast(yTrue, DType.Int64);
        int classes = logits.Shape.IsRankKnown ? logits.Shape[logits.Shape.Rank - 1] : -1;
        target = g.Reshape(target, [-1]);
        logits = g.Reshape(logits, [-1, classes]);
        return g.SparseSoftmaxCrossEntropyWithLogits(target, logits);
    }
}

/// <summary>
/// <c>categorical_crossentropy</c>: −Σ y·log p for one-hot targets; Softmax bypass as above,
/// otherwise p is renormalized, clipped and logged.
/// </summary>
public sealed class CategoricalCrossentropy(bool fromLogits = false) : Loss
{
    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; } = fromLogits;

    /// <inheritdoc/>
    public override string Name => "categorical_crossentropy";

    /// <inheritdoc/>
    public override Output PerSample(Graph g, Output yTrue, Output yPred)
    {
        ArgumentNullException.ThrowIfNull(g);
        var target = g.Cast(yTrue, yPred.DType);
        if (FromLogits) return g.SoftmaxCrossEntropyWithLogitsV2(target, yPred);
        if (yPred.Op.Type == "Softmax") return g.SoftmaxCrossEntropyWithLogitsV2(target, yPred.Op.Inputs[0]);
        var p = g.RealDiv(yPred, g.ReduceSum(yPred, [-1], keepDims: true));
        p = Clip(g, p);
        return g.Negative(g.ReduceSum(g.Multiply(target, g.Log(p)), [-1]));
    }
}

/// <summary>
/// <c>binary_crossentropy</c>: mean over the last axis of −(y·log p + (1−y)·log(1−p)); for
/// probabilities from a Sigmoid op the logits under it are used, otherwise p is clipped to [ε, 1−ε].
/// </summary>
public sealed class BinaryCrossentropy(bool fromLogits = false) : Loss
{
    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; } = fromLogits;

    /// <inheritdoc/>
    public override string Name => "binary_crossentropy";

    /// <inheritdoc/>
    public override Output PerSample(Graph g, Output yTrue, Output yPred)
    {
        ArgumentNullException.ThrowIfNull(g);
        var target = g.Cast(yTrue, yPred.DType);
        Output logits;
        if (FromLogits) logits = yPred;
        else if (yPred.Op.Type == "Sigmoid") logits = yPred.Op.Inputs[0];
        else
        {
            var p = Clip(g, yPred);
            logits = g.Log(g.RealDiv(p, g.Subtract(g.Cast(g.Constant(Tensor.Scalar(1.0)), p.DType), p)));
        }
        return MeanLastAxis(g, g.SigmoidCrossEntropyWithLogits(target, logits));
    }
}

/// <summary><c>mean_squared_error</c>: mean over the last axis of (y − p)².</summary>
public sealed class MeanSquaredError : Loss
{
    /// <inheritdoc/>
    public override string Name => "mean_squared_error";

    /// <inheritdoc/>
    public override Output PerSample(Graph g, Output yTrue, Output yPred)
    {
        ArgumentNullException.ThrowIfNull(g);
        return MeanLastAxis(g, g.Square(g.Subtract(yPred, g.Cast(yTrue, yPred.DType))));
    }
}

/// <summary><c>mean_absolute_error</c>: mean over the last axis of |y − p|.</summary>
public sealed class MeanAbsoluteError : Loss
{
    /// <inheritdoc/>
    public override string Name => "mean_absolute_error";

    /// <inheritdoc/>
    public override Output PerSample(Graph g, Output yTrue, Output yPred)
    {
        ArgumentNullException.ThrowIfNull(g);
        return MeanLastAxis(g, g.Abs(g.Subtract(yPred, g.Cast(yTrue, yPred.DType))));
    }
}
