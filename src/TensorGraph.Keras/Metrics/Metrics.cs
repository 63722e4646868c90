using TensorGraph.Keras.Losses;

namespace TensorGraph.Keras.Metrics;

/// <summary>
/// A Keras mean metric: <see cref="PerSample"/> builds one value per sample, and the model keeps
/// their running mean over the epoch (Keras's stateful <c>MeanMetricWrapper</c>: total / count).
/// </summary>
public abstract class Metric(string name)
{
    /// <summary>The key in logs and History (<c>accuracy</c>, <c>val_accuracy</c>).</summary>
    public string Name { get; } = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>Per-sample values (rank 1, float32).</summary>
    public abstract Output PerSample(Graph g, Output yTrue, Output yPred);

    /// <summary>
    /// The metric a string names, resolved as Keras does: <c>accuracy</c>/<c>acc</c> becomes
    /// sparse categorical accuracy for a sparse categorical cross-entropy loss, binary accuracy
    /// for a binary cross-entropy loss or a one-unit output, and categorical accuracy otherwise;
    /// <c>mae</c>, <c>mse</c> and their long names. The log key is the string given. An unknown
    /// string raises.
    /// </summary>
    public static Metric Get(object identifier, Loss loss, Shape outputShape)
    {
        ArgumentNullException.ThrowIfNull(outputShape);
        return identifier switch
        {
            Metric m => m,
            string s => s.ToLowerInvariant() switch
            {
                "accuracy" or "acc" => loss is SparseCategoricalCrossentropy ? new SparseCategoricalAccuracy(s)
                    : loss is BinaryCrossentropy || (outputShape.IsRankKnown && outputShape.Rank > 0 && outputShape[outputShape.Rank - 1] == 1) ? new BinaryAccuracy(s)
                    : new CategoricalAccuracy(s),
                "sparse_categorical_accuracy" => new SparseCategoricalAccuracy(s),
                "categorical_accuracy" => new CategoricalAccuracy(s),
                "binary_accuracy" => new BinaryAccuracy(s),
                "mae" or "mean_absolute_error" => new MeanAbsoluteErrorMetric(s),
                "mse" or "mean_squared_error" => new MeanSquaredErrorMetric(s),
                _ => throw new ArgumentException($"Unknown metric function: {s}", nameof(identifier)),
            },
            null => throw new ArgumentNullException(nameof(identifier)),
            _ => throw new ArgumentException($"Could not interpret metric function identifier: {identifier}", nameof(identifier)),
        };
    }
}

/// <summary><c>sparse_categorical_accuracy</c>: cast(equal(y, argmax(p, −1))).</summary>
public sealed class SparseCategoricalAccuracy(string name = "sparse_categorical_accuracy") : Metric(name)
{
    /// <inheritdoc/>
    public override Output PerSample(Graph g, Output yTrue, Output yPred)
    {
        ArgumentNullException.ThrowIfNull(g);
        var y = g.Reshape(g.Cast(yTrue, DType.Int64), [-1]);
        var pred = g.ArgMax(yPred, -1);
        return g.Cast(g.Equal(y, g.Reshape(pred, [-1])), DType.Float32);
    }
}

/// <summary><c>categorical_accuracy</c>: cast(equal(argmax(y, −1), argmax(p, −1))).</summary>
public sealed class CategoricalAccuracy(string name = "categorical_accuracy") : Metric(name)
{
    /// <inheritdoc/>
    public override Output PerSample(Graph g, Output yTrue, Output yPred)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Cast(g.Equal(g.ArgMax(yTrue, -1), g.ArgMax(yPred, -1)), DType.Float32);
    }
}

/// <summary><c>binary_accuracy</c> (threshold 0.5): mean over the last axis of cast(equal(y, p &gt; 0.5)).</summary>
public sealed class BinaryAccuracy(string name = "binary_accuracy") : Metric(name)
{
    /// <inheritdoc/>
    public override Output PerSample(Graph g, Output yTrue, Output yPred)
    {
        ArgumentNullException.ThrowIfNull(g);
        var thr = g.Cast(g.Constant(Tensor.Scalar(0.5)), yPred.DType);
        var pred = g.Cast(g.Greater(yPred, thr), yPred.DType);
        var eq = g.Cast(g.Equal(g.Cast(yTrue, yPred.DType), pred), DType.Float32);
        return g.ReduceMean(eq, [-1]);
    }
}

/// <summary><c>mae</c>: mean over the last axis of |y − p|.</summary>
public sealed class MeanAbsoluteErrorMetric(string name = "mae") : Metric(name)
{
    /// <inheritdoc/>
    public override Output PerSample(Graph g, Output yTrue, Output yPred)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Cast(g.ReduceMean(g.Abs(g.Subtract(yPred, g.Cast(yTrue, yPred.DType))), [-1]), DType.Float32);
    }
}

/// <summary><c>mse</c>: mean over the last axis of (y − p)².</summary>
public sealed class MeanSquaredErrorMetric(string name = "mse") : Metric(name)
{
    /// <inheritdoc/>
    public override Output PerSample(Graph g, Output yTrue, Output yPred)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Cast(g.ReduceMean(g.Square(g.Subtract(yPred, g.Cast(yTrue, yPred.DType))), [-1]), DType.Float32);
    }
}
