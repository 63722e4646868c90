namespace TensorGraph;

/// <summary>
/// TF 1.15's streaming metrics (<c>tf.metrics</c>, <c>metrics_impl.py</c>): each function builds
/// its local variables under a variable scope of the metric's name (<c>accuracy/total</c>,
/// <c>accuracy/count</c>, <c>auc/true_positives</c>, …; in <see cref="GraphKeys.LocalVariables"/>
/// and <see cref="GraphKeys.MetricVariables"/>, zeros until <see cref="Graph.LocalVariablesInitializer"/>
/// runs) and returns the metric's <c>Value</c> (an idempotent read of the variables) and its
/// <c>UpdateOp</c> (adds a batch to the variables and evaluates to the updated value). Run the
/// update op once per batch, then read the value.
/// </summary>
public static class Metrics
{
    /// <summary>
    /// TF's <c>tf.metrics.mean(values, weights)</c>: <c>total</c> += Σ values·weights,
    /// <c>count</c> += Σ weights (or the number of values without weights); the value is
    /// <c>div_no_nan(total, max(count, 0))</c>.
    /// </summary>
    public static (Output Value, Output UpdateOp) Mean(Output values, Output? weights = null, string? name = null)
    {
        var g = GraphOf(values);
        using var scope = g.VariableScope(name, "mean");
        values = g.Cast(values, DType.Float32);
        var total = g.MetricVariable(Shape.Scalar, DType.Float32, "total");
        var count = g.MetricVariable(Shape.Scalar, DType.Float32, "count");
        Output numValues;
        if (weights is not { } w)
        {
            numValues = g.Cast(g.Size(values), DType.Float32);
        }
        else
        {
            (values, _, var sw) = RemoveSqueezableDimensions(g, values, null, w);
            var bw = BroadcastWeights(g, g.Cast(sw!.Value, DType.Float32), values);
            values = g.Multiply(values, bw);
            numValues = g.ReduceSum(bw);
        }
        var updateTotal = g.AssignAdd(total, g.ReduceSum(values));
        Output updateCount;
        using (g.ControlDependencies(values)) updateCount = g.AssignAdd(count, numValues);
        var value = g.DivNoNan(total, g.Maximum(count.Value, g.Constant(0f)), name: "value");
        var update = g.DivNoNan(updateTotal, g.Maximum(updateCount, g.Constant(0f)), name: "update_op");
        return (value, update);
    }

    /// <summary>
    /// TF's <c>tf.metrics.accuracy(labels, predictions, weights)</c>: the (weighted) mean of
    /// <c>predictions == labels</c> (predictions cast to the labels' dtype), variables
    /// <c>accuracy/total</c> and <c>accuracy/count</c>.
    /// </summary>
    public static (Output Value, Output UpdateOp) Accuracy(Output labels, Output predictions, Output? weights = null, string? name = null)
    {
        var g = GraphOf(labels);
        Output? w;
        (predictions, var l, w) = RemoveSqueezableDimensions(g, predictions, labels, weights);
        labels = l!.Value;
        CheckCompatible(predictions, labels);
        if (labels.DType != predictions.DType) predictions = g.Cast(predictions, labels.DType);
        var isCorrect = g.Cast(g.Equal(predictions, labels), DType.Float32);
        return Mean(isCorrect, w, name ?? "accuracy");
    }

    /// <summary>TF's <c>tf.metrics.true_positives</c>: the (weighted) count of labels and predictions both true (variable <c>true_positives/count</c>).</summary>
    public static (Output Value, Output UpdateOp) TruePositives(Output labels, Output predictions, Output? weights = null, string? name = null) =>
        CountCondition(labels, predictions, weights, name, "true_positives", true, true);

    /// <summary>TF's <c>tf.metrics.false_positives</c>: the (weighted) count of false labels predicted true.</summary>
    public static (Output Value, Output UpdateOp) FalsePositives(Output labels, Output predictions, Output? weights = null, string? name = null) =>
        CountCondition(labels, predictions, weights, name, "false_positives", false, true);

    /// <summary>TF's <c>tf.metrics.false_negatives</c>: the (weighted) count of true labels predicted false.</summary>
    public static (Output Value, Output UpdateOp) FalseNegatives(Output labels, Output predictions, Output? weights = null, string? name = null) =>
        CountCondition(labels, predictions, weights, name, "false_negatives", true, false);

    /// <summary>TF's <c>tf.metrics.true_negatives</c>: the (weighted) count of labels and predictions both false.</summary>
    public static (Output Value, Output UpdateOp) TrueNegatives(Output labels, Output predictions, Output? weights = null, string? name = null) =>
        CountCondition(labels, predictions, weights, name, "true_negatives", false, false);

    /// <summary>
    /// TF's <c>tf.metrics.precision(labels, predictions, weights)</c>: tp / (tp + fp), 0 when
    /// nothing was predicted true; labels and predictions are cast to bool. Variables
    /// <c>precision/true_positives/count</c> and <c>precision/false_positives/count</c>.
    /// </summary>
    public static (Output Value, Output UpdateOp) Precision(Output labels, Output predictions, Output? weights = null, string? name = null) =>
        Ratio(labels, predictions, weights, name, "precision", FalsePositives);

    /// <summary>
    /// TF's <c>tf.metrics.recall(labels, predictions, weights)</c>: tp / (tp + fn), 0 when no
    /// label is true. Variables <c>recall/true_positives/count</c> and <c>recall/false_negatives/count</c>.
    /// </summary>
    public static (Output Value, Output UpdateOp) Recall(Output labels, Output predictions, Output? weights = null, string? name = null) =>
        Ratio(labels, predictions, weights, name, "recall", FalseNegatives);

    /// <summary>
    /// TF 1.15's <c>tf.metrics.auc(labels, predictions, weights, num_thresholds=200, curve='ROC',
    /// summation_method='trapezoidal')</c>: true/false positive/negative counts at
    /// <paramref name="numThresholds"/> thresholds (−1e-7, i/(n−1) for i = 1…n−2, 1 + 1e-7;
    /// variables <c>auc/true_positives</c>, <c>auc/false_negatives</c>, <c>auc/true_negatives</c>,
    /// <c>auc/false_positives</c> of shape [n]); a prediction is positive above a threshold.
    /// Recall = (tp + 1e-6) / (tp + fn + 1e-6); ROC plots it against fp / (fp + tn + 1e-6), PR
    /// (curve "PR") precision (tp + 1e-6) / (tp + fp + 1e-6) against recall; the area is the
    /// trapezoidal sum Σ (x[i] − x[i+1])·(y[i] + y[i+1]) / 2. Predictions must lie in [0, 1].
    /// Summation "careful_interpolation" and "minoring"/"majoring" are not implemented.
    /// </summary>
    public static (Output Value, Output UpdateOp) Auc(Output labels, Output predictions, Output? weights = null, int numThresholds = 200,
        string curve = "ROC", string summationMethod = "trapezoidal", string? name = null)
    {
        var g = GraphOf(labels);
        using var scope = g.VariableScope(name, "auc");
        if (curve != "ROC" && curve != "PR") throw new InvalidArgumentException($"curve must be either ROC or PR, {curve} unknown");
        if (summationMethod != "trapezoidal")
            throw new UnimplementedException($"summation_method '{summationMethod}' is not implemented (only 'trapezoidal')");
        if (numThresholds < 2) throw new InvalidArgumentException($"num_thresholds must be > 1, got {numThresholds}");
        const float kepsilon = 1e-7f;
        var thresholds = new float[numThresholds];
        thresholds[0] = 0f - kepsilon;
        for (int i = 0; i < numThresholds - 2; i++) thresholds[i + 1] = (float)((i + 1) * 1.0 / (numThresholds - 1));
        thresholds[numThresholds - 1] = 1f + kepsilon;
        var (values, updates) = ConfusionMatrixAtThresholds(g, labels, predictions, thresholds, weights);
        var value = ComputeAuc(g, values[0], values[1], values[2], values[3], numThresholds, curve, "value");
        var update = ComputeAuc(g, updates[0], updates[1], updates[2], updates[3], numThresholds, curve, "update_op");
        return (value, update);
    }

    private static Output ComputeAuc(Graph g, Output tp, Output fn, Output tn, Output fp, int n, string curve, string name)
    {
        const float epsilon = 1e-6f;
        var eps = g.Constant(epsilon);
        var rec = g.RealDiv(g.Add(tp, eps), g.Add(g.Add(tp, fn), eps));
        Output x, y;
        if (curve == "ROC")
        {
            x = g.RealDiv(fp, g.Add(g.Add(fp, tn), eps));
            y = rec;
        }
        else
        {
            x = rec;
            y = g.RealDiv(g.Add(tp, eps), g.Add(g.Add(tp, fp), eps));
        }
        var head = (Func<Output, Output>)(t => g.StridedSlice(t, [0], [n - 1]));
        var tail = (Func<Output, Output>)(t => g.StridedSlice(t, [1], [0], endMask: 1));
        return g.ReduceSum(g.Multiply(g.Subtract(head(x), tail(x)), g.RealDiv(g.Add(head(y), tail(y)), g.Constant(2f))), name: name);
    }

    /// <summary>TF's <c>_confusion_matrix_at_thresholds</c> with every count (tp, fn, tn, fp).</summary>
    private static (Output[] Values, Output[] Updates) ConfusionMatrixAtThresholds(Graph g, Output labels, Output predictions, float[] thresholds, Output? weights)
    {
        var zero = g.Cast(g.Constant(0f), predictions.DType);
        var one = g.Cast(g.Constant(1f), predictions.DType);
        var checks = new[]
        {
            AssertAll(g, g.GreaterEqual(predictions, zero), "predictions must be in [0, 1]", "assert_greater_equal"),
            AssertAll(g, g.LessEqual(predictions, one), "predictions must be in [0, 1]", "assert_less_equal"),
        };
        Output p;
        Output? w;
        using (g.ControlDependencies(checks))
        {
            (p, var l, w) = RemoveSqueezableDimensions(g, g.Cast(predictions, DType.Float32), g.Cast(labels, DType.Bool), weights);
            labels = l!.Value;
        }
        int n = thresholds.Length;
        var predictions2d = g.Reshape(p, [-1, 1]);
        var labels2d = g.Reshape(g.Cast(labels, DType.Bool), [1, -1]);
        var numPredictions = predictions2d.Shape.Rank == 2 && predictions2d.Shape[0] >= 0
            ? g.Constant(predictions2d.Shape[0])
            : g.StridedSlice(g.ShapeOf(predictions2d), [0], [1], shrinkAxisMask: 1);
        var threshTiled = g.Tile(g.ExpandDims(g.Constant(thresholds), 1), g.Stack([g.Constant(1), numPredictions]));
        var predIsPos = g.Greater(g.Tile(g.Transpose(predictions2d), g.Constant(new[] { n, 1 })), threshTiled);
        var predIsNeg = g.LogicalNot(predIsPos);
        var labelIsPos = g.Tile(labels2d, g.Constant(new[] { n, 1 }));
        var labelIsNeg = g.LogicalNot(labelIsPos);
        Output? weightsTiled = null;
        if (w is { } ww)
        {
            var bw = BroadcastWeights(g, g.Cast(ww, DType.Float32), p);
            weightsTiled = g.Tile(g.Reshape(bw, [1, -1]), g.Constant(new[] { n, 1 }));
        }
        var specs = new (string Name, Output Label, Output Pred)[]
        {
            ("true_positives", labelIsPos, predIsPos), ("false_negatives", labelIsPos, predIsNeg),
            ("true_negatives", labelIsNeg, predIsNeg), ("false_positives", labelIsNeg, predIsPos),
        };
        var values = new Output[4];
        var updates = new Output[4];
        for (int i = 0; i < 4; i++)
        {
            var v = g.MetricVariable(new Shape(n), DType.Float32, specs[i].Name);
            var hit = g.Cast(g.LogicalAnd(specs[i].Label, specs[i].Pred), DType.Float32);
            if (weightsTiled is { } wt) hit = g.Multiply(hit, wt);
            updates[i] = g.AssignAdd(v, g.ReduceSum(hit, [1]));
            values[i] = v.Value;
        }
        return (values, updates);
    }

    private static Operation AssertAll(Graph g, Output condition, string message, string name)
    {
        using var scope = g.NameScope(name);
        var all = g.ReduceAll(condition, Enumerable.Range(0, Math.Max(condition.Shape.Rank, 0)).ToArray());
        return g.Assert(all, [g.Constant(message)], name: "Assert");
    }

    private static (Output Value, Output UpdateOp) Ratio(Output labels, Output predictions, Output? weights, string? name, string defaultName,
        Func<Output, Output, Output?, string?, (Output, Output)> other)
    {
        var g = GraphOf(labels);
        using var scope = g.VariableScope(name, defaultName);
        var (p, l, w) = RemoveSqueezableDimensions(g, g.Cast(predictions, DType.Bool), g.Cast(labels, DType.Bool), weights);
        var (tp, tpUpdate) = TruePositives(l!.Value, p, w);
        var (o, oUpdate) = other(l.Value, p, w, null);
        return (Divide(g, tp, o, "value"), Divide(g, tpUpdate, oUpdate, "update_op"));
    }

    /// <summary>TF's <c>where(tp + other &gt; 0, tp / (tp + other), 0)</c>.</summary>
    private static Output Divide(Graph g, Output tp, Output other, string name) =>
        g.Select(g.Greater(g.Add(tp, other), g.Constant(0f)), g.RealDiv(tp, g.Add(tp, other)), g.Constant(0f), name);

    private static (Output Value, Output UpdateOp) CountCondition(Output labels, Output predictions, Output? weights, string? name, string defaultName,
        bool labelValue, bool predictionValue)
    {
        var g = GraphOf(labels);
        using var scope = g.VariableScope(name, defaultName);
        var (p, l, w) = RemoveSqueezableDimensions(g, g.Cast(predictions, DType.Bool), g.Cast(labels, DType.Bool), weights);
        var cond = g.LogicalAnd(g.Equal(l!.Value, g.Constant(labelValue)), g.Equal(p, g.Constant(predictionValue)));
        var count = g.MetricVariable(Shape.Scalar, DType.Float32, "count");
        var values = g.Cast(cond, DType.Float32);
        if (w is { } ww)
        {
            if (ww.Shape.Rank > 0 && values.Shape.Rank >= 0 && ww.Shape.Rank != values.Shape.Rank)
                throw new InvalidArgumentException($"weights can not be broadcast to values: weights rank {ww.Shape.Rank}, values rank {values.Shape.Rank}");
            values = g.Multiply(values, g.Cast(ww, DType.Float32));
        }
        var value = g.Identity(count.Value);
        var update = g.AssignAdd(count, g.ReduceSum(values));
        return (value, update);
    }

    /// <summary>
    /// TF's <c>_remove_squeezable_dimensions</c> on static ranks: a trailing size-1 dimension of
    /// labels or predictions is squeezed when their ranks differ by one, and non-scalar weights
    /// are squeezed or expanded to the predictions' rank.
    /// </summary>
    private static (Output Predictions, Output? Labels, Output? Weights) RemoveSqueezableDimensions(Graph g, Output predictions, Output? labels, Output? weights)
    {
        if (labels is { } l)
        {
            int lr = l.Shape.Rank, pr = predictions.Shape.Rank;
            if (lr >= 0 && pr >= 0)
            {
                if (pr - lr == 1 && predictions.Shape[pr - 1] is 1 or -1) predictions = g.Squeeze(predictions, [-1]);
                else if (lr - pr == 1 && l.Shape[lr - 1] is 1 or -1) l = g.Squeeze(l, [-1]);
            }
            CheckCompatible(predictions, l);
            labels = l;
        }
        if (weights is { } w && w.Shape.Rank > 0 && predictions.Shape.Rank >= 0)
        {
            int wr = w.Shape.Rank, pr = predictions.Shape.Rank;
            if (wr - pr == 1) weights = g.Squeeze(w, [-1]);
            else if (pr - wr == 1) weights = g.ExpandDims(w, -1);
        }
        return (predictions, labels, weights);
    }

    /// <summary>TF's <c>weights_broadcast_ops.broadcast_weights</c>: weights as they are when their static shape is the values', else weights · ones_like(values).</summary>
    private static Output BroadcastWeights(Graph g, Output weights, Output values)
    {
        if (weights.Shape.IsFullyDefined && values.Shape.IsFullyDefined && weights.Shape.Equals(values.Shape)) return weights;
        using var scope = g.NameScope("broadcast_weights");
        return g.Multiply(weights, g.OnesLike(values));
    }

    private static void CheckCompatible(Output predictions, Output labels)
    {
        if (!predictions.Shape.IsCompatibleWith(labels.Shape))
            throw new InvalidArgumentException($"Shapes {predictions.Shape} and {labels.Shape} are incompatible");
    }

    private static Graph GraphOf(Output t) => t.Op?.Graph ?? throw new ArgumentException("The tensor is a default (unset) Output");
}
