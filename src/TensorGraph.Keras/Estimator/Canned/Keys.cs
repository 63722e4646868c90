namespace TensorGraph.Estimator.Canned;

/// <summary>TF's <c>metric_keys.MetricKeys</c>: the names of the canned heads' evaluation metrics.</summary>
public static class MetricKeys
{
    /// <summary>The loss the estimator reports (<c>loss</c>).</summary>
    public const string Loss = "loss";
    /// <summary>The (weighted) mean of the per-example loss.</summary>
    public const string LossMean = "average_loss";
    /// <summary>Accuracy.</summary>
    public const string Accuracy = "accuracy";
    /// <summary>Precision (binary).</summary>
    public const string Precision = "precision";
    /// <summary>Recall (binary).</summary>
    public const string Recall = "recall";
    /// <summary>The accuracy of always predicting the more frequent class (binary).</summary>
    public const string AccuracyBaseline = "accuracy_baseline";
    /// <summary>Area under the ROC curve (binary).</summary>
    public const string Auc = "auc";
    /// <summary>Area under the precision-recall curve (binary).</summary>
    public const string AucPr = "auc_precision_recall";
    /// <summary>The mean label.</summary>
    public const string LabelMean = "label/mean";
    /// <summary>The mean prediction (the logistic for a binary classifier).</summary>
    public const string PredictionMean = "prediction/mean";
}

/// <summary>TF's <c>prediction_keys.PredictionKeys</c>: the keys of the canned heads' predictions.</summary>
public static class PredictionKeys
{
    /// <summary>The class names, strings [batch, 1].</summary>
    public const string Classes = "classes";
    /// <summary>The class ids, int64 [batch, 1].</summary>
    public const string ClassIds = "class_ids";
    /// <summary>Every class name, strings [batch, n_classes].</summary>
    public const string AllClasses = "all_classes";
    /// <summary>Every class id, int32 [batch, n_classes].</summary>
    public const string AllClassIds = "all_class_ids";
    /// <summary>The sigmoid of the logit (binary).</summary>
    public const string Logistic = "logistic";
    /// <summary>The logits.</summary>
    public const string Logits = "logits";
    /// <summary>The regression values.</summary>
    public const string Predictions = "predictions";
    /// <summary>The class probabilities, [batch, n_classes].</summary>
    public const string Probabilities = "probabilities";
}

/// <summary>TF's <c>tf.losses.Reduction</c> for the canned heads' training loss (the v1 estimators default to <see cref="Sum"/>).</summary>
public enum LossReduction
{
    /// <summary>The sum of the weighted losses (TF's <c>SUM</c>).</summary>
    Sum,
    /// <summary>The sum divided by the number of loss elements (TF's <c>SUM_OVER_BATCH_SIZE</c>).</summary>
    SumOverBatchSize,
    /// <summary>The sum divided by the sum of the weights (TF's <c>MEAN</c>).</summary>
    Mean,
}
