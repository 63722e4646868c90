using TensorGraph.FeatureColumns;
using TensorGraph.Training;

namespace TensorGraph.Estimator.Canned;

/// <summary>
/// TF 1.15's v1 canned heads (<c>canned/head.py</c>): from the logits, the predictions, the loss
/// (<c>compute_weighted_loss</c> of the per-example loss with the weight column), the evaluation
/// metrics and the train op (<c>optimizer.minimize(loss, global_step)</c> after the
/// <see cref="GraphKeys.UpdateOps"/>), built under the name scope <c>head</c>.
/// </summary>
internal abstract class Head(string? weightColumn, LossReduction reduction)
{
    public abstract int LogitsDimension { get; }

    protected string? WeightColumn { get; } = weightColumn;

    protected LossReduction Reduction { get; } = reduction;

    /// <summary>The predictions and the export signatures.</summary>
    protected abstract (Dictionary<string, Output> Predictions, Dictionary<string, IReadOnlyDictionary<string, Output>> Exports) Predict(Graph g, Output logits);

    /// <summary>The processed labels and the per-example loss, [batch, logits_dimension or 1].</summary>
    protected abstract (Output Labels, Output Unreduced) Loss(Graph g, Output logits, Output labels);

    /// <summary>The head's metrics (the estimator adds <c>loss</c>).</summary>
    protected abstract Dictionary<string, (Output Value, Output UpdateOp)> EvalMetrics(Graph g, Dictionary<string, Output> predictions, Output labels,
        Output unreduced, Output? weights);

    public EstimatorSpec CreateEstimatorSpec(TensorDict features, string mode, Output logits, Output? labels, Func<Optimizer>? optimizer)
    {
        var g = logits.Op.Graph;
        Dictionary<string, Output> predictions;
        Output trainingLoss, unreduced, processed;
        Output? weights;
        using (g.NameScope("head"))
        {
            logits = CheckLogits(g, logits);
            Dictionary<string, IReadOnlyDictionary<string, Output>> exports;
            using (g.NameScope("predictions")) (predictions, exports) = Predict(g, logits);
            if (mode == ModeKeys.Predict)
                return new EstimatorSpec(mode, predictions: new TensorDict(predictions), exportOutputs: exports);
            if (labels is null)
                throw new ArgumentException("You must provide a labels Tensor. Given: None. Suggested troubleshooting steps: Check that your data contain "
                    + "your label feature. Check that your input_fn properly parses and returns labels.");
            (processed, unreduced) = Loss(g, logits, labels.Value);
            weights = Weights(g, features, logits);
            trainingLoss = ComputeWeightedLoss(g, unreduced, weights);
            if (mode == ModeKeys.Eval)
            {
                Dictionary<string, (Output, Output)> metrics;
                using (g.NameScope("metrics")) metrics = EvalMetrics(g, predictions, processed, unreduced, weights);
                return new EstimatorSpec(mode, predictions: new TensorDict(predictions), loss: trainingLoss, evalMetricOps: metrics);
            }
        }
        var opt = optimizer?.Invoke() ?? throw new ArgumentException("train_op_fn and optimizer cannot both be None.");
        Operation trainOp;
        var updateOps = g.GetCollection<Operation>(GraphKeys.UpdateOps);
        using (g.NameScope("head"))
        {
            trainOp = opt.Minimize(trainingLoss, g.GetGlobalStep());
            if (updateOps.Count > 0)
            {
                using (g.ControlDependencies([.. updateOps])) trainOp = g.Group([trainOp]);
            }
        }
        // At the root name scope, as TF's head: the loss, and for SUM the per-example mean.
        g.ScalarSummary(MetricKeys.Loss, trainingLoss);
        if (Reduction == LossReduction.Sum)
        {
            var weightSum = g.ReduceSum(weights is { } w ? g.Multiply(w, g.OnesLike(unreduced)) : g.OnesLike(unreduced));
            g.ScalarSummary(MetricKeys.LossMean, g.Divide(trainingLoss, weightSum));
        }
        return new EstimatorSpec(mode, predictions: new TensorDict(predictions), loss: trainingLoss, trainOp: trainOp);
    }

    /// <summary>TF's <c>_check_logits_final_dim</c>: float logits [D0, …, DN, logits_dimension].</summary>
    private Output CheckLogits(Graph g, Output logits)
    {
        logits = g.Cast(logits, DType.Float32);
        var s = logits.Shape;
        if (s.IsRankKnown && s.Rank < 2) throw new ArgumentException($"logits shape must be [D0, D1, ... DN, logits_dimension], got {s}.");
        if (s.IsRankKnown && s[s.Rank - 1] >= 0 && s[s.Rank - 1] != LogitsDimension)
            throw new ArgumentException($"logits shape must be [D0, D1, ... DN, logits_dimension], got {s}.");
        return logits;
    }

    /// <summary>TF's <c>_check_dense_labels_match_logits_and_reshape</c>: labels [batch] become [batch, 1]; the last dimension must be <paramref name="dimension"/>.</summary>
    protected static Output ReshapeLabels(Graph g, Output labels, Output logits, int dimension)
    {
        using var scope = g.NameScope("labels");
        if (labels.Shape.IsRankKnown && logits.Shape.IsRankKnown && labels.Shape.Rank == logits.Shape.Rank - 1) labels = g.ExpandDims(labels, -1);
        var s = labels.Shape;
        if (s.IsRankKnown && s.Rank < 2)
            throw new ArgumentException($"labels shape must be [D0, D1, ... DN, {dimension}]. Suggested Fix: check your n_classes argument to the estimator and/or the shape of your label.");
        if (s.IsRankKnown && s[s.Rank - 1] >= 0 && s[s.Rank - 1] != dimension)
            throw new ArgumentException($"Mismatched label shape. Expected labels dimension={dimension}.  Received {s[s.Rank - 1]}. Suggested Fix:If your classifier "
                + "expects one-hot encoding label,check your n_classes argument to the estimator and/or the shape of your label. Otherwise, check the shape of your label.");
        return labels;
    }

    /// <summary>TF's <c>_assert_range</c>: every label in [0, n_classes).</summary>
    protected static Output AssertRange(Graph g, Output labels, int nClasses)
    {
        using var scope = g.NameScope("assert_range");
        var low = g.Assert(g.ReduceAll(g.GreaterEqual(labels, g.Cast(g.Constant(0), labels.DType))), [g.Constant("Labels must >= 0"), labels], name: "assert_non_negative");
        var high = g.Assert(g.ReduceAll(g.Less(labels, g.Cast(g.Constant(nClasses), labels.DType))), [g.Constant("Labels must <= n_classes - 1"), labels], name: "assert_less");
        using (g.ControlDependencies([low, high])) return g.Identity(labels);
    }

    /// <summary>A label vocabulary lookup (TF's <c>index_table_from_tensor(...).lookup</c>): the index of each string, −1 when absent.</summary>
    protected static Output LookupLabels(Graph g, Output labels, IReadOnlyList<string> vocabulary)
    {
        if (labels.DType != DType.String) throw new ArgumentException($"Labels dtype should be string if there is a vocabulary. Instead got {labels.DType.Name()}");
        using var scope = g.NameScope("class_id_lookup");
        var vocab = g.Constant(Tensor.Create(vocabulary.ToArray(), vocabulary.Count));
        var hits = g.Equal(g.ExpandDims(labels, -1), vocab);
        var index = g.ArgMax(g.Cast(hits, DType.Int32), -1);
        return g.Select(g.ReduceAny(hits, [-1]), index, g.Fill(g.ShapeOf(index), g.Constant(-1L)));
    }

    /// <summary>The class names: <paramref name="vocabulary"/>, or the ids as strings.</summary>
    protected static string[] ClassNames(int nClasses, IReadOnlyList<string>? vocabulary) =>
        vocabulary?.ToArray() ?? [.. Enumerable.Range(0, nClasses).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>The classification predictions shared by both classifier heads.</summary>
    protected static void AddClasses(Graph g, Dictionary<string, Output> p, Output scoresLogits, Output classIds, int nClasses, IReadOnlyList<string>? vocabulary)
    {
        var names = ClassNames(nClasses, vocabulary);
        var batch = g.Slice(g.ShapeOf(scoresLogits), [0], [1]);
        var one = g.Constant(new[] { 1 });
        p[PredictionKeys.ClassIds] = classIds;
        // TF: as_string of the ids, or (with a vocabulary) an index_to_string table lookup, here a Gather of the vocabulary.
        p[PredictionKeys.Classes] = vocabulary is null ? g.AsString(classIds, name: "str_classes")
            : g.Gather(g.Constant(Tensor.Create(names, nClasses)), classIds, name: "class_string_lookup");
        var range = g.Range(0, nClasses);
        p[PredictionKeys.AllClassIds] = g.Tile(g.ExpandDims(range, 0), g.Concat([batch, one], 0));
        var classList = vocabulary is null ? g.AsString(range) : g.Constant(Tensor.Create(names, nClasses));
        p[PredictionKeys.AllClasses] = g.Tile(g.ExpandDims(classList, 0), g.Concat([batch, one], 0));
    }

    /// <summary>TF's <c>_get_weights_and_check_match_logits</c>: the weight column as float [batch, 1], or null for unit weights.</summary>
    private Output? Weights(Graph g, TensorDict features, Output logits)
    {
        if (WeightColumn is null) return null;
        using var scope = g.NameScope("weights");
        var w = new NumericColumn(WeightColumn).GetDenseTensor(features, false, null);
        if (w.Shape.IsRankKnown && logits.Shape.IsRankKnown && w.Shape.Rank == logits.Shape.Rank - 1) w = g.ExpandDims(w, -1);
        return w;
    }

    /// <summary>TF's <c>losses.compute_weighted_loss(losses, weights, reduction)</c>.</summary>
    private Output ComputeWeightedLoss(Graph g, Output losses, Output? weights)
    {
        using var scope = g.NameScope("weighted_loss");
        var weighted = weights is { } w ? g.Multiply(losses, w) : losses;
        var sum = g.ReduceSum(weighted, name: Reduction == LossReduction.Sum ? "value" : null);
        return Reduction switch
        {
            LossReduction.Sum => sum,
            LossReduction.SumOverBatchSize => g.DivNoNan(sum, g.Cast(g.Size(losses), DType.Float32), name: "value"),
            _ => g.DivNoNan(sum, g.ReduceSum(weights is { } w2 ? g.Multiply(w2, g.OnesLike(losses)) : g.OnesLike(losses)), name: "value"),
        };
    }

    /// <summary>The Predict signatures of a classifier: classification (scores, classes) and predict.</summary>
    protected static Dictionary<string, IReadOnlyDictionary<string, Output>> ClassifierExports(Dictionary<string, Output> p)
    {
        var classification = new Dictionary<string, Output> { ["scores"] = p[PredictionKeys.Probabilities], ["classes"] = p[PredictionKeys.AllClasses] };
        var exports = new Dictionary<string, IReadOnlyDictionary<string, Output>>
        {
            ["serving_default"] = classification,
            ["classification"] = classification,
            ["predict"] = new Dictionary<string, Output>(p),
        };
        if (p.TryGetValue(PredictionKeys.Logistic, out var logistic)) exports["regression"] = new Dictionary<string, Output> { ["outputs"] = logistic };
        return exports;
    }
}

/// <summary>TF's <c>_BinaryLogisticHeadWithSigmoidCrossEntropyLoss</c>: one logit, sigmoid cross-entropy.</summary>
internal sealed class BinaryLogisticHead(string? weightColumn, IReadOnlyList<string>? labelVocabulary, LossReduction reduction) : Head(weightColumn, reduction)
{
    public override int LogitsDimension => 1;

    protected override (Dictionary<string, Output>, Dictionary<string, IReadOnlyDictionary<string, Output>>) Predict(Graph g, Output logits)
    {
        var logistic = g.Sigmoid(logits, name: PredictionKeys.Logistic);
        var twoClass = g.Concat([g.ZerosLike(logits), logits], -1, name: "two_class_logits");
        var probabilities = g.Softmax(twoClass, name: PredictionKeys.Probabilities);
        var classIds = g.ExpandDims(g.ArgMax(twoClass, -1, name: PredictionKeys.ClassIds), -1);
        var p = new Dictionary<string, Output>(StringComparer.Ordinal)
        {
            [PredictionKeys.Logits] = logits,
            [PredictionKeys.Logistic] = logistic,
            [PredictionKeys.Probabilities] = probabilities,
        };
        AddClasses(g, p, logits, classIds, 2, labelVocabulary);
        return (p, ClassifierExports(p));
    }

    protected override (Output, Output) Loss(Graph g, Output logits, Output labels)
    {
        labels = ReshapeLabels(g, labels, logits, 1);
        if (labelVocabulary is not null) labels = LookupLabels(g, labels, labelVocabulary);
        else if (labels.DType == DType.String) throw new ArgumentException("Labels dtype should be integer or float. Instead got string; give a label_vocabulary for string labels.");
        labels = AssertRange(g, g.Cast(labels, DType.Float32), 2);
        return (labels, g.SigmoidCrossEntropyWithLogits(labels, logits));
    }

    protected override Dictionary<string, (Output, Output)> EvalMetrics(Graph g, Dictionary<string, Output> p, Output labels, Output unreduced, Output? weights)
    {
        var classIds = p[PredictionKeys.ClassIds];
        var logistic = p[PredictionKeys.Logistic];
        var labelsMean = Metrics.Mean(labels, weights, MetricKeys.LabelMean);
        (Output, Output) baseline;
        using (g.NameScope("accuracy_baseline"))
        {
            var one = g.Constant(1f);
            baseline = (g.Maximum(labelsMean.Value, g.Subtract(one, labelsMean.Value), name: "value"),
                g.Maximum(labelsMean.UpdateOp, g.Subtract(one, labelsMean.UpdateOp), name: "update_op"));
        }
        return new Dictionary<string, (Output, Output)>(StringComparer.Ordinal)
        {
            [MetricKeys.LossMean] = Metrics.Mean(unreduced, weights, MetricKeys.LossMean),
            [MetricKeys.Accuracy] = Metrics.Accuracy(labels, classIds, weights, MetricKeys.Accuracy),
            [MetricKeys.Precision] = Metrics.Precision(labels, classIds, weights, MetricKeys.Precision),
            [MetricKeys.Recall] = Metrics.Recall(labels, classIds, weights, MetricKeys.Recall),
            [MetricKeys.PredictionMean] = Metrics.Mean(logistic, weights, MetricKeys.PredictionMean),
            [MetricKeys.LabelMean] = labelsMean,
            [MetricKeys.AccuracyBaseline] = baseline,
            [MetricKeys.Auc] = Metrics.Auc(labels, logistic, weights, name: MetricKeys.Auc),
            [MetricKeys.AucPr] = Metrics.Auc(labels, logistic, weights, curve: "PR", name: MetricKeys.AucPr),
        };
    }
}

/// <summary>TF's <c>_MultiClassHeadWithSoftmaxCrossEntropyLoss</c>: n_classes logits, sparse softmax cross-entropy.</summary>
internal sealed class MultiClassHead : Head
{
    private readonly int _n;
    private readonly IReadOnlyList<string>? _vocab;

    public MultiClassHead(int nClasses, string? weightColumn, IReadOnlyList<string>? labelVocabulary, LossReduction reduction) : base(weightColumn, reduction)
    {
        if (nClasses <= 2) throw new ArgumentException($"n_classes must be > 2: {nClasses}.");
        _n = nClasses;
        _vocab = labelVocabulary;
    }

    public override int LogitsDimension => _n;

    protected override (Dictionary<string, Output>, Dictionary<string, IReadOnlyDictionary<string, Output>>) Predict(Graph g, Output logits)
    {
        var classIds = g.ExpandDims(g.ArgMax(logits, -1, name: PredictionKeys.ClassIds), -1);
        var p = new Dictionary<string, Output>(StringComparer.Ordinal)
        {
            [PredictionKeys.Logits] = logits,
            [PredictionKeys.Probabilities] = g.Softmax(logits, name: PredictionKeys.Probabilities),
        };
        AddClasses(g, p, logits, classIds, _n, _vocab);
        return (p, ClassifierExports(p));
    }

    protected override (Output, Output) Loss(Graph g, Output logits, Output labels)
    {
        labels = ReshapeLabels(g, labels, logits, 1);
        if (_vocab is not null) labels = LookupLabels(g, labels, _vocab);
        else if (!labels.DType.IsInteger()) throw new ArgumentException($"Labels dtype should be integer. Instead got {labels.DType.Name()}.");
        labels = AssertRange(g, labels, _n);
        var flat = g.Reshape(labels, [-1]);
        var loss = g.SparseSoftmaxCrossEntropyWithLogits(flat, g.Reshape(logits, [-1, _n]));
        return (labels, g.ExpandDims(loss, -1));
    }

    protected override Dictionary<string, (Output, Output)> EvalMetrics(Graph g, Dictionary<string, Output> p, Output labels, Output unreduced, Output? weights) =>
        new(StringComparer.Ordinal)
        {
            [MetricKeys.LossMean] = Metrics.Mean(unreduced, weights, MetricKeys.LossMean),
            [MetricKeys.Accuracy] = Metrics.Accuracy(labels, p[PredictionKeys.ClassIds], weights, MetricKeys.Accuracy),
        };
}

/// <summary>TF's <c>_RegressionHeadWithMeanSquaredErrorLoss</c>: label_dimension outputs, squared error.</summary>
internal sealed class RegressionHead : Head
{
    private readonly int _dim;

    public RegressionHead(int labelDimension, string? weightColumn, LossReduction reduction) : base(weightColumn, reduction)
    {
        if (labelDimension < 1) throw new ArgumentException($"Invalid label_dimension {labelDimension}.");
        _dim = labelDimension;
    }

    public override int LogitsDimension => _dim;

    protected override (Dictionary<string, Output>, Dictionary<string, IReadOnlyDictionary<string, Output>>) Predict(Graph g, Output logits)
    {
        var p = new Dictionary<string, Output>(StringComparer.Ordinal) { [PredictionKeys.Predictions] = logits };
        var regression = new Dictionary<string, Output> { ["outputs"] = logits };
        return (p, new Dictionary<string, IReadOnlyDictionary<string, Output>>
        {
            ["serving_default"] = regression,
            ["regression"] = regression,
            ["predict"] = new Dictionary<string, Output>(p),
        });
    }

    protected override (Output, Output) Loss(Graph g, Output logits, Output labels)
    {
        labels = g.Cast(ReshapeLabels(g, labels, logits, _dim), DType.Float32);
        return (labels, g.SquaredDifference(logits, labels));
    }

    protected override Dictionary<string, (Output, Output)> EvalMetrics(Graph g, Dictionary<string, Output> p, Output labels, Output unreduced, Output? weights) =>
        new(StringComparer.Ordinal)
        {
            [MetricKeys.LossMean] = Metrics.Mean(unreduced, weights),
            [MetricKeys.PredictionMean] = Metrics.Mean(p[PredictionKeys.Predictions], weights, MetricKeys.PredictionMean),
            [MetricKeys.LabelMean] = Metrics.Mean(labels, weights),
        };
}
