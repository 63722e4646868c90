using TensorGraph.Estimator;
using TensorGraph.Estimator.Canned;
using TensorGraph.FeatureColumns;

namespace TensorGraph.Keras.Tests.Estimator;

/// <summary>
/// The v1 canned estimators trained on small separable data; their evaluation metrics are checked
/// against the same quantities computed here from their own predictions.
/// </summary>
public class CannedEstimatorTests
{
    private const int N = 200;
    private string _dir = "";

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("canned").FullName;

    [TearDown]
    public void RemoveDir()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    private static RunConfig Config() => new(tfRandomSeed: 7, logStepCountSteps: 0);

    /// <summary>Two features uniform in [−1, 1]; the label is x1 + x2 &gt; 0.1.</summary>
    private static (float[] X1, float[] X2, int[] Y) Binary(int seed)
    {
        var r = new Random(seed);
        var x1 = new float[N];
        var x2 = new float[N];
        var y = new int[N];
        for (int i = 0; i < N; i++)
        {
            x1[i] = (float)(r.NextDouble() * 2 - 1);
            x2[i] = (float)(r.NextDouble() * 2 - 1);
            y[i] = x1[i] + x2[i] > 0.1f ? 1 : 0;
        }
        return (x1, x2, y);
    }

    private static Dictionary<string, Tensor> X(float[] x1, float[] x2, float[]? w = null)
    {
        var d = new Dictionary<string, Tensor> { ["x1"] = Tensor.Create(x1, N), ["x2"] = Tensor.Create(x2, N) };
        if (w is not null) d["w"] = Tensor.Create(w, N);
        return d;
    }

    private static float F(Tensor t) => t.DType == DType.Float32 ? t.AsSpan<float>()[0] : (float)t.Cast(DType.Float64).AsSpan<double>()[0];

    private static List<IReadOnlyDictionary<string, Tensor>> PredictAll(TensorGraph.Estimator.Estimator e, Dictionary<string, Tensor> x) =>
        [.. e.Predict(NumpyIo.NumpyInputFn(x, batchSize: 64, shuffle: false))];

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    /// <summary>tf.metrics.auc's trapezoidal area (200 thresholds, ε = 1e-6), written out.</summary>
    private static double Auc(double[] p, int[] y, double[] w, bool pr)
    {
        const int n = 200;
        var th = new double[n];
        th[0] = -1e-7;
        for (int i = 1; i < n - 1; i++) th[i] = (float)(i * 1.0 / (n - 1));
        th[n - 1] = 1 + 1e-7;
        var x = new double[n];
        var yv = new double[n];
        for (int t = 0; t < n; t++)
        {
            double tp = 0, fp = 0, fn = 0, tn = 0;
            for (int i = 0; i < p.Length; i++)
            {
                bool pos = p[i] > (float)th[t];
                if (y[i] == 1) { if (pos) tp += w[i]; else fn += w[i]; }
                else { if (pos) fp += w[i]; else tn += w[i]; }
            }
            double rec = (tp + 1e-6) / (tp + fn + 1e-6);
            if (pr) { x[t] = rec; yv[t] = (tp + 1e-6) / (tp + fp + 1e-6); }
            else { x[t] = fp / (fp + tn + 1e-6); yv[t] = rec; }
        }
        double area = 0;
        for (int t = 0; t < n - 1; t++) area += (x[t] - x[t + 1]) * (yv[t] + yv[t + 1]) / 2;
        return area;
    }

    /// <summary>Checks a binary classifier's evaluation against its predictions (one evaluation batch of all N rows).</summary>
    private static void CheckBinaryMetrics(IReadOnlyDictionary<string, Tensor> m, List<IReadOnlyDictionary<string, Tensor>> preds, int[] y, float[]? weights)
    {
        var w = weights?.Select(v => (double)v).ToArray() ?? Enumerable.Repeat(1.0, N).ToArray();
        var logits = preds.Select(p => (double)p[PredictionKeys.Logits].AsSpan<float>()[0]).ToArray();
        var logistic = preds.Select(p => (double)p[PredictionKeys.Logistic].AsSpan<float>()[0]).ToArray();
        var ids = preds.Select(p => p[PredictionKeys.ClassIds].AsSpan<long>()[0]).ToArray();
        double sw = w.Sum();
        double lossSum = 0, correct = 0, tp = 0, fp = 0, fn = 0, labelSum = 0, predSum = 0;
        for (int i = 0; i < N; i++)
        {
            Assert.That(logistic[i], Is.EqualTo(Sigmoid(logits[i])).Within(1e-6));
            Assert.That(ids[i], Is.EqualTo(logits[i] > 0 ? 1 : 0));
            double z = logits[i];
            lossSum += w[i] * (Math.Max(z, 0) - z * y[i] + Math.Log(1 + Math.Exp(-Math.Abs(z))));
            if (ids[i] == y[i]) correct += w[i];
            if (ids[i] == 1 && y[i] == 1) tp += w[i];
            if (ids[i] == 1 && y[i] == 0) fp += w[i];
            if (ids[i] == 0 && y[i] == 1) fn += w[i];
            labelSum += w[i] * y[i];
            predSum += w[i] * logistic[i];
        }
        Assert.Multiple(() =>
        {
            Assert.That(m.Keys, Is.SupersetOf(new[] { "accuracy", "accuracy_baseline", "auc", "auc_precision_recall", "average_loss", "label/mean",
                "prediction/mean", "precision", "recall", "loss", "global_step" }));
            Assert.That(F(m["loss"]), Is.EqualTo(lossSum).Within(1e-3 * Math.Max(1, lossSum)), "SUM reduction: the batch's summed loss");
            Assert.That(F(m["average_loss"]), Is.EqualTo(lossSum / sw).Within(1e-5));
            Assert.That(F(m["accuracy"]), Is.EqualTo(correct / sw).Within(1e-6));
            Assert.That(F(m["precision"]), Is.EqualTo(tp / (tp + fp)).Within(1e-6));
            Assert.That(F(m["recall"]), Is.EqualTo(tp / (tp + fn)).Within(1e-6));
            Assert.That(F(m["label/mean"]), Is.EqualTo(labelSum / sw).Within(1e-6));
            Assert.That(F(m["accuracy_baseline"]), Is.EqualTo(Math.Max(labelSum / sw, 1 - labelSum / sw)).Within(1e-6));
            Assert.That(F(m["prediction/mean"]), Is.EqualTo(predSum / sw).Within(1e-5));
            Assert.That(F(m["auc"]), Is.EqualTo(Auc(logistic, y, w, pr: false)).Within(1e-4));
            Assert.That(F(m["auc_precision_recall"]), Is.EqualTo(Auc(logistic, y, w, pr: true)).Within(1e-4));
        });
    }

    [Test]
    public void DnnClassifierLearnsASeparableProblemAndItsMetricsMatchItsPredictions()
    {
        var (x1, x2, y) = Binary(1);
        var est = new DNNClassifier([8, 4], [new NumericColumn("x1"), new NumericColumn("x2")], _dir, config: Config()) { Logger = null };
        est.Train(NumpyIo.NumpyInputFn(X(x1, x2), Tensor.Create(y, N), batchSize: 20, numEpochs: null, shuffle: true), steps: 400);
        var m = est.Evaluate(NumpyIo.NumpyInputFn(X(x1, x2), Tensor.Create(y, N), batchSize: N, shuffle: false));
        Assert.That(F(m["accuracy"]), Is.GreaterThanOrEqualTo(0.9f));
        Assert.That(m["global_step"].Scalar<long>(), Is.EqualTo(400L));
        var preds = PredictAll(est, X(x1, x2));
        Assert.That(preds, Has.Count.EqualTo(N));
        Assert.That(preds[0].Keys, Is.EquivalentTo(new[] { "logits", "logistic", "probabilities", "class_ids", "classes", "all_class_ids", "all_classes" }));
        CheckBinaryMetrics(m, preds, y, null);
        foreach (var p in preds.Take(10))
        {
            var probs = p["probabilities"].ToArray<float>();
            Assert.That(probs[1], Is.EqualTo(p["logistic"].AsSpan<float>()[0]).Within(1e-6));
            Assert.That(probs[0] + probs[1], Is.EqualTo(1f).Within(1e-6));
            Assert.That(p["classes"].ToArray<string>()[0], Is.EqualTo(p["class_ids"].AsSpan<long>()[0].ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(p["all_class_ids"].ToArray<int>(), Is.EqualTo(new[] { 0, 1 }));
            Assert.That(p["all_classes"].ToArray<string>(), Is.EqualTo(new[] { "0", "1" }));
        }
        var names = est.GetVariableNames();
        Assert.That(names, Is.SupersetOf(new[] { "dnn/hiddenlayer_0/kernel", "dnn/hiddenlayer_0/bias", "dnn/hiddenlayer_1/kernel", "dnn/hiddenlayer_1/bias",
            "dnn/logits/kernel", "dnn/logits/bias", "global_step", "dnn/hiddenlayer_0/kernel/Adagrad", "dnn/logits/bias/Adagrad" }));
        Assert.That(est.GetVariableValue("dnn/hiddenlayer_0/kernel").Dims.ToArray(), Is.EqualTo(new[] { 2, 8 }));
        Assert.That(est.GetVariableValue("dnn/logits/kernel").Dims.ToArray(), Is.EqualTo(new[] { 4, 1 }));
        // The training graph's node names follow TF's head.py and dnn.py.
        var graph = File.ReadAllText(Path.Combine(_dir, "graph.pbtxt"));
        foreach (var node in new[] { "head/predictions/logistic", "head/predictions/two_class_logits", "head/predictions/probabilities",
            "head/predictions/class_ids", "head/predictions/str_classes", "dnn/hiddenlayer_0/Relu", "dnn/logits/BiasAdd", "loss", "average_loss" })
            Assert.That(graph, Does.Contain($"name: \"{node}\""), node);
        Assert.That(graph, Does.Not.Contain("name: \"loss_1\""), "the head's loss summary is the only one");
    }

    [Test]
    public void DnnClassifierWithThreeClassesAndALabelVocabulary()
    {
        // Three bands of x1 + x2, labelled by name.
        var r = new Random(3);
        var x1 = new float[N];
        var x2 = new float[N];
        var labels = new string[N];
        var ids = new int[N];
        string[] vocab = ["low", "mid", "high"];
        for (int i = 0; i < N; i++)
        {
            x1[i] = (float)(r.NextDouble() * 2 - 1);
            x2[i] = (float)(r.NextDouble() * 2 - 1);
            var s = x1[i] + x2[i];
            ids[i] = s < -0.5f ? 0 : s < 0.5f ? 1 : 2;
            labels[i] = vocab[ids[i]];
        }
        var est = new DNNClassifier([16], [new NumericColumn("x1"), new NumericColumn("x2")], _dir, nClasses: 3, labelVocabulary: vocab,
            optimizer: "Adam", config: Config()) { Logger = null };
        est.Train(NumpyIo.NumpyInputFn(X(x1, x2), Tensor.Create(labels, N), batchSize: 20, numEpochs: null, shuffle: true), steps: 600);
        var m = est.Evaluate(NumpyIo.NumpyInputFn(X(x1, x2), Tensor.Create(labels, N), batchSize: N, shuffle: false));
        Assert.That(m.Keys, Is.EquivalentTo(new[] { "accuracy", "average_loss", "loss", "global_step" }));
        Assert.That(F(m["accuracy"]), Is.GreaterThanOrEqualTo(0.85f));
        var preds = PredictAll(est, X(x1, x2));
        Assert.That(preds[0].Keys, Is.EquivalentTo(new[] { "logits", "probabilities", "class_ids", "classes", "all_class_ids", "all_classes" }));
        double loss = 0, correct = 0;
        for (int i = 0; i < N; i++)
        {
            var z = preds[i]["logits"].ToArray<float>().Select(v => (double)v).ToArray();
            double max = z.Max(), lse = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
            loss += lse - z[ids[i]];
            long id = preds[i]["class_ids"].AsSpan<long>()[0];
            Assert.That(id, Is.EqualTo(Array.IndexOf(z, max)));
            Assert.That(preds[i]["classes"].ToArray<string>()[0], Is.EqualTo(vocab[id]));
            var probs = preds[i]["probabilities"].ToArray<float>();
            Assert.That(probs[id], Is.EqualTo(Math.Exp(max - lse)).Within(1e-5));
            if (id == ids[i]) correct++;
        }
        Assert.That(preds[0]["all_classes"].ToArray<string>(), Is.EqualTo(vocab));
        Assert.That(F(m["accuracy"]), Is.EqualTo(correct / N).Within(1e-6));
        Assert.That(F(m["average_loss"]), Is.EqualTo(loss / N).Within(1e-5));
        Assert.That(F(m["loss"]), Is.EqualTo(loss).Within(1e-3 * loss));
        Assert.That(est.GetVariableNames(), Does.Contain("dnn/logits/kernel/Adam"));
    }

    [Test]
    public void LinearClassifierWithWeightsUsesFtrlAndTensorFlowsNames()
    {
        var (x1, x2, y) = Binary(2);
        var w = Enumerable.Range(0, N).Select(i => 0.5f + i % 3).ToArray();
        var cols = new FeatureColumn[] { new NumericColumn("x1"), new NumericColumn("x2"), new BucketizedColumn(new NumericColumn("x1"), [-0.5, 0.0, 0.5]) };
        var est = new LinearClassifier(cols, _dir, weightColumn: "w", config: Config()) { Logger = null };
        est.Train(NumpyIo.NumpyInputFn(X(x1, x2, w), Tensor.Create(y, N), batchSize: 20, numEpochs: null, shuffle: true), steps: 300);
        var m = est.Evaluate(NumpyIo.NumpyInputFn(X(x1, x2, w), Tensor.Create(y, N), batchSize: N, shuffle: false));
        Assert.That(F(m["accuracy"]), Is.GreaterThanOrEqualTo(0.9f));
        var preds = PredictAll(est, X(x1, x2));
        CheckBinaryMetrics(m, preds, y, w);
        var names = est.GetVariableNames();
        Assert.That(names, Is.SupersetOf(new[] { "linear/linear_model/x1/weights", "linear/linear_model/x2/weights", "linear/linear_model/x1_bucketized/weights",
            "linear/linear_model/bias_weights", "linear/linear_model/x1/weights/Ftrl", "linear/linear_model/x1/weights/Ftrl_1", "global_step" }));
        Assert.That(est.GetVariableValue("linear/linear_model/x1_bucketized/weights").Dims.ToArray(), Is.EqualTo(new[] { 4, 1 }));
        // The logit is the linear model of the checkpoint's weights.
        float W(string n) => est.GetVariableValue("linear/linear_model/" + n).AsSpan<float>()[0];
        var bucketW = est.GetVariableValue("linear/linear_model/x1_bucketized/weights").ToArray<float>();
        for (int i = 0; i < 5; i++)
        {
            int b = x1[i] >= 0.5f ? 3 : x1[i] >= 0 ? 2 : x1[i] >= -0.5f ? 1 : 0;
            double z = W("bias_weights") + W("x1/weights") * x1[i] + W("x2/weights") * x2[i] + bucketW[b];
            Assert.That(preds[i]["logits"].AsSpan<float>()[0], Is.EqualTo(z).Within(1e-5));
        }
    }

    private static (Dictionary<string, Tensor> X, float[] Y) Regression(int seed)
    {
        var (x1, x2, _) = Binary(seed);
        return (X(x1, x2), [.. Enumerable.Range(0, N).Select(i => 2 * x1[i] - x2[i] + 0.5f)]);
    }

    private static void CheckRegressionMetrics(IReadOnlyDictionary<string, Tensor> m, List<IReadOnlyDictionary<string, Tensor>> preds, float[] y)
    {
        Assert.That(preds[0].Keys, Is.EquivalentTo(new[] { "predictions" }));
        var p = preds.Select(d => (double)d["predictions"].AsSpan<float>()[0]).ToArray();
        double sq = p.Select((v, i) => (v - y[i]) * (v - y[i])).Sum();
        Assert.Multiple(() =>
        {
            Assert.That(m.Keys, Is.EquivalentTo(new[] { "average_loss", "label/mean", "prediction/mean", "loss", "global_step" }));
            Assert.That(F(m["average_loss"]), Is.EqualTo(sq / N).Within(1e-5));
            Assert.That(F(m["loss"]), Is.EqualTo(sq).Within(1e-3 * Math.Max(1, sq)));
            Assert.That(F(m["label/mean"]), Is.EqualTo(y.Average()).Within(1e-5));
            Assert.That(F(m["prediction/mean"]), Is.EqualTo(p.Average()).Within(1e-5));
        });
    }

    [Test]
    public void LinearRegressorFitsALinearFunction()
    {
        var (x, y) = Regression(4);
        var est = new LinearRegressor([new NumericColumn("x1"), new NumericColumn("x2")], _dir, config: Config()) { Logger = null };
        est.Train(NumpyIo.NumpyInputFn(x, Tensor.Create(y, N), batchSize: 20, numEpochs: null, shuffle: true), steps: 500);
        var m = est.Evaluate(NumpyIo.NumpyInputFn(x, Tensor.Create(y, N), batchSize: N, shuffle: false));
        Assert.That(F(m["average_loss"]), Is.LessThan(0.01f));
        CheckRegressionMetrics(m, PredictAll(est, x), y);
        Assert.That(est.GetVariableValue("linear/linear_model/x1/weights").AsSpan<float>()[0], Is.EqualTo(2f).Within(0.1f));
        Assert.That(est.GetVariableValue("linear/linear_model/bias_weights").AsSpan<float>()[0], Is.EqualTo(0.5f).Within(0.1f));
    }

    [Test]
    public void DnnRegressorFitsALinearFunction()
    {
        var (x, y) = Regression(5);
        var est = new DNNRegressor([10], [new NumericColumn("x1"), new NumericColumn("x2")], _dir, optimizer: "Adam", config: Config()) { Logger = null };
        est.Train(NumpyIo.NumpyInputFn(x, Tensor.Create(y, N), batchSize: 20, numEpochs: null, shuffle: true), steps: 600);
        var m = est.Evaluate(NumpyIo.NumpyInputFn(x, Tensor.Create(y, N), batchSize: N, shuffle: false));
        Assert.That(F(m["average_loss"]), Is.LessThan(0.05f));
        CheckRegressionMetrics(m, PredictAll(est, x), y);
        Assert.That(est.GetVariableNames(), Is.SupersetOf(new[] { "dnn/hiddenlayer_0/kernel", "dnn/logits/bias" }));
    }

    [Test]
    public void CategoricalColumnsTrainThroughSparseUpdates()
    {
        // The label is whether the category is 0 or 2 (x1 only adds noise); ids −1 are missing values.
        var r = new Random(8);
        var cat = new long[N];
        var color = new string[N];
        var y = new int[N];
        string[] colors = ["red", "green", "blue"];
        for (int i = 0; i < N; i++)
        {
            cat[i] = r.Next(4);
            color[i] = colors[r.Next(3)];
            y[i] = cat[i] is 0 or 2 ? 1 : 0;
        }
        var (x1, _, _) = Binary(9);
        Dictionary<string, Tensor> X2() => new() { ["c"] = Tensor.Create(cat, N), ["color"] = Tensor.Create(color, N), ["x1"] = Tensor.Create(x1, N) };
        var c = new CategoricalColumnWithIdentity("c", 4);
        var colorCol = new CategoricalColumnWithVocabularyList("color", colors);

        var dnnDir = Path.Combine(_dir, "dnn");
        var dnn = new DNNClassifier([6], [new EmbeddingColumn(c, 3), new IndicatorColumn(colorCol), new NumericColumn("x1")], dnnDir, config: Config()) { Logger = null };
        dnn.Train(NumpyIo.NumpyInputFn(X2(), Tensor.Create(y, N), batchSize: 25, numEpochs: null, shuffle: true), steps: 300);
        var m = dnn.Evaluate(NumpyIo.NumpyInputFn(X2(), Tensor.Create(y, N), batchSize: N, shuffle: false));
        Assert.That(F(m["accuracy"]), Is.GreaterThanOrEqualTo(0.95f));
        Assert.That(dnn.GetVariableNames(), Is.SupersetOf(new[] { "dnn/input_from_feature_columns/input_layer/c_embedding/embedding_weights",
            "dnn/input_from_feature_columns/input_layer/c_embedding/embedding_weights/Adagrad" }));
        Assert.That(dnn.GetVariableValue("dnn/hiddenlayer_0/kernel").Dims.ToArray(), Is.EqualTo(new[] { 3 + 3 + 1, 6 }));
        var graph = File.ReadAllText(Path.Combine(dnnDir, "graph.pbtxt"));
        Assert.That(graph, Does.Contain("\"SparseApplyAdagrad\""), "the embedding's gradient stays sparse");

        var linDir = Path.Combine(_dir, "linear");
        var lin = new LinearClassifier([c, colorCol, new NumericColumn("x1")], linDir, config: Config()) { Logger = null };
        lin.Train(NumpyIo.NumpyInputFn(X2(), Tensor.Create(y, N), batchSize: 25, numEpochs: null, shuffle: true), steps: 300);
        var lm = lin.Evaluate(NumpyIo.NumpyInputFn(X2(), Tensor.Create(y, N), batchSize: N, shuffle: false));
        Assert.That(F(lm["accuracy"]), Is.GreaterThanOrEqualTo(0.95f));
        Assert.That(File.ReadAllText(Path.Combine(linDir, "graph.pbtxt")), Does.Contain("\"SparseApplyFtrl\""));
        var w = lin.GetVariableValue("linear/linear_model/c/weights").ToArray<float>();
        Assert.That(w[0] > w[1] && w[0] > w[3] && w[2] > w[1] && w[2] > w[3], Is.True, string.Join(", ", w));
        CheckBinaryMetrics(lm, PredictAll(lin, X2()), y, null);
    }

    [Test]
    public void DnnClassifierWithBatchNormDropoutAndStringLabels()
    {
        var (x1, x2, y) = Binary(10);
        string[] vocab = ["no", "yes"];
        var labels = Tensor.Create(y.Select(v => vocab[v]).ToArray(), N);
        var est = new DNNClassifier([8], [new NumericColumn("x1"), new NumericColumn("x2")], _dir, labelVocabulary: vocab, dropout: 0.1,
            batchNorm: true, config: Config()) { Logger = null };
        est.Train(NumpyIo.NumpyInputFn(X(x1, x2), labels, batchSize: 20, numEpochs: null, shuffle: true), steps: 300);
        var m = est.Evaluate(NumpyIo.NumpyInputFn(X(x1, x2), labels, batchSize: N, shuffle: false));
        Assert.That(F(m["accuracy"]), Is.GreaterThanOrEqualTo(0.9f));
        var preds = PredictAll(est, X(x1, x2));
        CheckBinaryMetrics(m, preds, y, null);
        foreach (var p in preds.Take(5))
        {
            Assert.That(p["classes"].ToArray<string>()[0], Is.EqualTo(vocab[p["class_ids"].AsSpan<long>()[0]]));
            Assert.That(p["all_classes"].ToArray<string>(), Is.EqualTo(vocab));
        }
        Assert.That(est.GetVariableNames(), Is.SupersetOf(new[] { "dnn/hiddenlayer_0/batchnorm_0/gamma", "dnn/hiddenlayer_0/batchnorm_0/beta",
            "dnn/hiddenlayer_0/batchnorm_0/moving_mean", "dnn/hiddenlayer_0/batchnorm_0/moving_variance" }));
        // The moving averages were updated by the train op (they start at 0 and 1).
        Assert.That(est.GetVariableValue("dnn/hiddenlayer_0/batchnorm_0/moving_mean").ToArray<float>(), Has.Some.Not.EqualTo(0f));
        Assert.That(est.GetVariableValue("dnn/hiddenlayer_0/batchnorm_0/moving_variance").ToArray<float>(), Has.Some.Not.EqualTo(1f));
    }

    [Test]
    public void SumOverBatchSizeReportsTheMeanLoss()
    {
        var (x, y) = Regression(6);
        var est = new LinearRegressor([new NumericColumn("x1"), new NumericColumn("x2")], _dir, optimizer: "SGD", config: Config(),
            lossReduction: LossReduction.SumOverBatchSize) { Logger = null };
        est.Train(NumpyIo.NumpyInputFn(x, Tensor.Create(y, N), batchSize: 20, numEpochs: null, shuffle: true), steps: 5);
        var m = est.Evaluate(NumpyIo.NumpyInputFn(x, Tensor.Create(y, N), batchSize: N, shuffle: false));
        Assert.That(F(m["loss"]), Is.EqualTo(F(m["average_loss"])).Within(1e-5));
        Assert.That(F(m["loss"]), Is.GreaterThan(0.01f));
    }

    [Test]
    public void ArgumentsAreCheckedAsTensorFlowDoes()
    {
        NumericColumn[] cols = [new NumericColumn("x1")];
        Assert.Throws<ArgumentException>(() => new DNNClassifier([4], cols, nClasses: 1));
        Assert.Throws<ArgumentException>(() => new LinearClassifier(cols, optimizer: "Nope"));
        Assert.Throws<ArgumentException>(() => new DNNClassifier([4], cols, labelVocabulary: ["a", "b", "c"]));
        Assert.Throws<ArgumentException>(() => new LinearRegressor(cols, labelDimension: 0));
        Assert.That(((Func<TensorGraph.Training.Optimizer>)(() => LinearModelDefaults.DefaultOptimizer(new FeatureColumn[9]).Get(0)))(), Is.TypeOf<TensorGraph.Training.FtrlOptimizer>());
    }
}
