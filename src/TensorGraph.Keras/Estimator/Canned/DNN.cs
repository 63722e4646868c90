using TensorGraph.FeatureColumns;
using TensorGraph.Initializers;
using TensorGraph.Layers;

namespace TensorGraph.Estimator.Canned;

/// <summary>
/// The model of TF 1.15's v1 DNN estimators (<c>canned/dnn.py</c>, <c>_dnn_model_fn</c>): in
/// variable scope <c>dnn</c>, <c>input_from_feature_columns/input_layer</c> over the feature
/// columns, then one dense layer per hidden size (<c>hiddenlayer_&lt;i&gt;/kernel</c>,
/// <c>/bias</c>; glorot_uniform kernels, the activation, dropout while training) and the linear
/// <c>logits</c> layer; with batch_norm, a batch normalization (momentum 0.999,
/// <c>hiddenlayer_&lt;i&gt;/batchnorm_&lt;i&gt;/…</c>) after each hidden layer, its moving-average updates
/// run with the train op. Each layer's zero fraction and activation histogram are summarized. The
/// optimizer defaults to Adagrad with learning rate 0.05.
/// </summary>
internal static class DnnModel
{
    public const double LearningRate = 0.05;

    public static ModelFn Build(Head head, IReadOnlyList<int> hiddenUnits, FeatureColumn[] columns, CannedOptimizer optimizer,
        Func<Output, Output>? activationFn, double? dropout, bool batchNorm)
    {
        if (hiddenUnits.Any(u => u < 1)) throw new ArgumentException($"hidden_units must be positive: [{string.Join(", ", hiddenUnits)}]");
        if (dropout is < 0 or >= 1) throw new ArgumentException($"dropout must be in [0, 1): {dropout}");
        return (features, labels, mode, _) =>
        {
            if (!features.IsDictionary) throw new ArgumentException("features should be a dictionary of `Tensor`s. Given type: Tensor");
            var g = features.Graph;
            Output logits;
            using (g.VariableScope("dnn"))
            {
                Output net;
                using (g.VariableScope("input_from_feature_columns")) net = FeatureLayers.InputLayer(features, columns);
                for (int i = 0; i < hiddenUnits.Count; i++)
                {
                    var name = $"hiddenlayer_{i}";
                    net = TfLayers.Dense(net, hiddenUnits[i], activation: activationFn ?? (x => x.Op.Graph.Relu(x)), kernelInitializer: new GlorotUniform(), name: name);
                    if (dropout is { } rate && mode == ModeKeys.Train) net = TfLayers.Dropout(net, rate, training: true);
                    if (batchNorm)
                    {
                        // TF makes the layer inside the hidden layer's variable scope: hiddenlayer_<i>/batchnorm_<i>/gamma, ….
                        using (g.VariableScope(name)) net = TfLayers.BatchNormalization(net, momentum: 0.999, training: mode == ModeKeys.Train, name: $"batchnorm_{i}");
                    }
                    LayerSummary(g, net, "dnn/" + name);
                }
                logits = TfLayers.Dense(net, head.LogitsDimension, kernelInitializer: new GlorotUniform(), name: "logits");
                LayerSummary(g, logits, "dnn/logits");
            }
            return head.CreateEstimatorSpec(features, mode, logits, labels, () => optimizer.Get(LearningRate));
        };
    }

    /// <summary>TF's <c>_add_hidden_layer_summary</c>.</summary>
    private static void LayerSummary(Graph g, Output value, string tag)
    {
        g.ScalarSummary(tag + "/fraction_of_zero_values", ZeroFraction(g, value));
        g.HistogramSummary(tag + "/activation", value);
    }

    /// <summary>TF's <c>nn.zero_fraction</c>: the fraction of elements equal to zero, float32.</summary>
    internal static Output ZeroFraction(Graph g, Output value)
    {
        using var scope = g.NameScope("zero_fraction");
        var zeros = g.Cast(g.Equal(value, g.Cast(g.Constant(0f), value.DType)), DType.Float32);
        return g.ReduceMean(zeros, name: "fraction");
    }
}

/// <summary>
/// TF 1.15's <c>tf.estimator.DNNClassifier</c> (v1): a feed-forward network over the feature
/// columns with the binary head (sigmoid cross-entropy, <c>n_classes</c> = 2) or the
/// multi-class head (sparse softmax cross-entropy), the loss summed over the batch (v1's
/// <c>loss_reduction=SUM</c>). Predictions: <c>logits</c>, <c>logistic</c> (binary),
/// <c>probabilities</c>, <c>class_ids</c>, <c>classes</c>, <c>all_class_ids</c>,
/// <c>all_classes</c>. Evaluation adds <c>accuracy</c>, <c>average_loss</c> and, binary,
/// <c>accuracy_baseline</c>, <c>auc</c>, <c>auc_precision_recall</c>, <c>label/mean</c>,
/// <c>prediction/mean</c>, <c>precision</c>, <c>recall</c>.
/// </summary>
public class DNNClassifier : Estimator
{
    /// <summary>
    /// TF's <c>DNNClassifier(hidden_units, feature_columns, model_dir=None, n_classes=2,
    /// weight_column=None, label_vocabulary=None, optimizer='Adagrad', activation_fn=tf.nn.relu,
    /// dropout=None, config=None, loss_reduction=SUM, batch_norm=False)</c>. Labels are integer (or,
    /// binary, float 0/1) class ids [batch] or [batch, 1], or strings of <paramref name="labelVocabulary"/>.
    /// </summary>
    public DNNClassifier(IReadOnlyList<int> hiddenUnits, IEnumerable<FeatureColumn> featureColumns, string? modelDir = null, int nClasses = 2,
        string? weightColumn = null, IReadOnlyList<string>? labelVocabulary = null, CannedOptimizer? optimizer = null, Func<Output, Output>? activationFn = null,
        double? dropout = null, RunConfig? config = null, LossReduction lossReduction = LossReduction.Sum, bool batchNorm = false)
        : base(DnnModel.Build(Heads.Classification(nClasses, weightColumn, labelVocabulary, lossReduction), Checked(hiddenUnits), Columns(featureColumns),
            optimizer ?? "Adagrad", activationFn, dropout, batchNorm), modelDir, config)
    {
    }

    internal static IReadOnlyList<int> Checked(IReadOnlyList<int> hiddenUnits) => hiddenUnits?.ToArray() ?? throw new ArgumentNullException(nameof(hiddenUnits));

    internal static FeatureColumn[] Columns(IEnumerable<FeatureColumn> featureColumns) => featureColumns?.ToArray() ?? throw new ArgumentNullException(nameof(featureColumns));
}

/// <summary>
/// TF 1.15's <c>tf.estimator.DNNRegressor</c> (v1): the DNN model with the regression head (squared
/// error summed over the batch). Predictions: <c>predictions</c>; evaluation adds
/// <c>average_loss</c>, <c>label/mean</c>, <c>prediction/mean</c>.
/// </summary>
public class DNNRegressor : Estimator
{
    /// <summary>
    /// TF's <c>DNNRegressor(hidden_units, feature_columns, model_dir=None, label_dimension=1,
    /// weight_column=None, optimizer='Adagrad', activation_fn=tf.nn.relu, dropout=None,
    /// config=None, loss_reduction=SUM, batch_norm=False)</c>.
    /// </summary>
    public DNNRegressor(IReadOnlyList<int> hiddenUnits, IEnumerable<FeatureColumn> featureColumns, string? modelDir = null, int labelDimension = 1,
        string? weightColumn = null, CannedOptimizer? optimizer = null, Func<Output, Output>? activationFn = null, double? dropout = null,
        RunConfig? config = null, LossReduction lossReduction = LossReduction.Sum, bool batchNorm = false)
        : base(DnnModel.Build(new RegressionHead(labelDimension, weightColumn, lossReduction), DNNClassifier.Checked(hiddenUnits),
            DNNClassifier.Columns(featureColumns), optimizer ?? "Adagrad", activationFn, dropout, batchNorm), modelDir, config)
    {
    }
}

/// <summary>TF's <c>_binary_logistic_or_multi_class_head</c>.</summary>
internal static class Heads
{
    public static Head Classification(int nClasses, string? weightColumn, IReadOnlyList<string>? labelVocabulary, LossReduction reduction)
    {
        if (labelVocabulary is not null && labelVocabulary.Count != nClasses)
            throw new ArgumentException($"label_vocabulary has {labelVocabulary.Count} entries but n_classes is {nClasses}");
        return nClasses == 2 ? new BinaryLogisticHead(weightColumn, labelVocabulary, reduction) : new MultiClassHead(nClasses, weightColumn, labelVocabulary, reduction);
    }
}
