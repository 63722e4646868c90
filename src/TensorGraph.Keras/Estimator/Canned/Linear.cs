using TensorGraph.FeatureColumns;
using TensorGraph.Training;

namespace TensorGraph.Estimator.Canned;

/// <summary>
/// The model of TF 1.15's v1 linear estimators (<c>canned/linear.py</c>, <c>_linear_model_fn</c>):
/// <see cref="FeatureLayers.LinearModel"/> in variable scope <c>linear</c>
/// (<c>linear/linear_model/&lt;column&gt;/weights</c>, <c>linear/linear_model/bias_weights</c>), with the
/// summaries <c>bias</c> and <c>fraction_of_zero_weights</c>. The optimizer "Ftrl" (TF's default)
/// gets learning rate 0.2; TF's <c>optimizer=None</c> is <see cref="LinearModelDefaults.DefaultOptimizer"/>.
/// </summary>
internal static class LinearModelFn
{
    public const double LearningRate = 0.2;

    public static ModelFn Build(Head head, FeatureColumn[] columns, CannedOptimizer optimizer, string sparseCombiner)
    {
        if (sparseCombiner is not ("mean" or "sqrtn" or "sum")) throw new ArgumentException($"Unrecognized combiner: {sparseCombiner}");
        return (features, labels, mode, _) =>
        {
            if (!features.IsDictionary) throw new ArgumentException("features should be a dictionary of `Tensor`s. Given type: Tensor");
            var g = features.Graph;
            Output logits;
            using (g.VariableScope("linear"))
            {
                var vars = new Dictionary<string, Variable>(StringComparer.Ordinal);
                logits = FeatureLayers.LinearModel(features, columns, head.LogitsDimension, sparseCombiner, colsToVars: vars);
                var bias = vars["bias"];
                if (head.LogitsDimension > 1) g.HistogramSummary("bias", bias.Value);
                else g.ScalarSummary("bias", g.Reshape(bias.Value, []));
                var weights = vars.Where(kv => kv.Key != "bias").Select(kv => kv.Value).ToArray();
                using (g.NameScope("zero_fraction"))
                {
                    var zeros = g.AddN([.. weights.Select(w => g.ReduceSum(g.Cast(g.Equal(w.Value, g.Constant(0f)), DType.Float32)))]);
                    var size = weights.Sum(w => w.Shape.NumElements);
                    g.ScalarSummary("fraction_of_zero_weights", g.Identity(g.Divide(zeros, g.Constant((float)size)), name: "zero_fraction_or_nan"));
                }
            }
            return head.CreateEstimatorSpec(features, mode, logits, labels, () => optimizer.Get(LearningRate));
        };
    }
}

/// <summary>Defaults of TF's linear estimators.</summary>
public static class LinearModelDefaults
{
    /// <summary>
    /// TF's <c>_get_default_optimizer(feature_columns)</c> (what <c>optimizer=None</c> means):
    /// Ftrl with learning rate min(0.2, 1/√(number of columns)).
    /// </summary>
    public static CannedOptimizer DefaultOptimizer(IReadOnlyCollection<FeatureColumn> featureColumns)
    {
        ArgumentNullException.ThrowIfNull(featureColumns);
        var rate = Math.Min(LinearModelFn.LearningRate, 1.0 / Math.Sqrt(featureColumns.Count));
        return new CannedOptimizer(() => new FtrlOptimizer(rate));
    }
}

/// <summary>
/// TF 1.15's <c>tf.estimator.LinearClassifier</c> (v1): a linear model over the feature columns
/// with the binary or multi-class head (the loss summed over the batch), trained by default with
/// Ftrl at learning rate 0.2. Predictions and metrics are <see cref="DNNClassifier"/>'s.
/// </summary>
public class LinearClassifier : Estimator
{
    /// <summary>
    /// TF's <c>LinearClassifier(feature_columns, model_dir=None, n_classes=2, weight_column=None,
    /// label_vocabulary=None, optimizer='Ftrl', config=None, loss_reduction=SUM, sparse_combiner='sum')</c>.
    /// </summary>
    public LinearClassifier(IEnumerable<FeatureColumn> featureColumns, string? modelDir = null, int nClasses = 2, string? weightColumn = null,
        IReadOnlyList<string>? labelVocabulary = null, CannedOptimizer? optimizer = null, RunConfig? config = null,
        LossReduction lossReduction = LossReduction.Sum, string sparseCombiner = "sum")
        : base(LinearModelFn.Build(Heads.Classification(nClasses, weightColumn, labelVocabulary, lossReduction), DNNClassifier.Columns(featureColumns),
            optimizer ?? "Ftrl", sparseCombiner), modelDir, config)
    {
    }
}

/// <summary>
/// TF 1.15's <c>tf.estimator.LinearRegressor</c> (v1): a linear model with the regression head
/// (squared error summed over the batch), Ftrl at 0.2 by default.
/// </summary>
public class LinearRegressor : Estimator
{
    /// <summary>
    /// TF's <c>LinearRegressor(feature_columns, model_dir=None, label_dimension=1,
    /// weight_column=None, optimizer='Ftrl', config=None, loss_reduction=SUM, sparse_combiner='sum')</c>.
    /// </summary>
    public LinearRegressor(IEnumerable<FeatureColumn> featureColumns, string? modelDir = null, int labelDimension = 1, string? weightColumn = null,
        CannedOptimizer? optimizer = null, RunConfig? config = null, LossReduction lossReduction = LossReduction.Sum, string sparseCombiner = "sum")
        : base(LinearModelFn.Build(new RegressionHead(labelDimension, weightColumn, lossReduction), DNNClassifier.Columns(featureColumns),
            optimizer ?? "Ftrl", sparseCombiner), modelDir, config)
    {
    }
}
