using System.Text.Json;
using TensorGraph.Cli;
using TensorGraph.Estimator;
using TensorGraph.Serialization;
using TensorGraph.Training;
using TfEstimator = TensorGraph.Estimator.Estimator;

namespace TensorGraph.Keras.Tests;

/// <summary>
/// The model_dir an Estimator writes is what TF's is to its tools: <c>tensorgraph run
/// model_dir/graph.pbtxt --checkpoint model_dir</c> restores the checkpoint the state file names
/// and computes, from fed features, the classes that <c>Estimator.Predict</c> yields.
/// </summary>
public class EstimatorCliTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "tg-estimator-cli-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Softmax regression over two features into three classes; the predicted class is the node "classes".</summary>
    private static EstimatorSpec Softmax(TensorDict features, Output? labels, string mode)
    {
        var x = features["x"];
        var g = x.Op.Graph;
        var w = g.GetVariable("w", new Shape(2, 3), initializer: new TensorGraph.Initializers.Zeros());
        var b = g.GetVariable("b", new Shape(3), initializer: new TensorGraph.Initializers.Zeros());
        var logits = g.Add(g.MatMul(x, w), b, name: "logits");
        var classes = g.ArgMax(logits, 1, name: "classes");
        if (mode == ModeKeys.Predict) return new EstimatorSpec(mode, predictions: classes);
        var loss = g.ReduceMean(g.SparseSoftmaxCrossEntropyWithLogits(labels: labels!.Value, logits: logits));
        var train = new GradientDescentOptimizer(0.5).Minimize(loss, g.GetGlobalStep());
        return new EstimatorSpec(mode, predictions: classes, loss: loss, trainOp: train);
    }

    [Test]
    public void TensorgraphRunReadsTheModelDir()
    {
        // Three clusters around (0, 2), (2, -1) and (-2, -1).
        var rng = new Random(5);
        const int n = 60;
        var xs = new float[n * 2];
        var ys = new int[n];
        (float, float)[] centres = [(0, 2), (2, -1), (-2, -1)];
        for (int i = 0; i < n; i++)
        {
            ys[i] = i % 3;
            xs[2 * i] = centres[ys[i]].Item1 + (float)(rng.NextDouble() - 0.5);
            xs[2 * i + 1] = centres[ys[i]].Item2 + (float)(rng.NextDouble() - 0.5);
        }
        var x = Tensor.Create(xs, n, 2);
        var modelDir = Path.Combine(_dir, "model");
        var est = new TfEstimator(Softmax, modelDir) { Logger = null };
        est.Train(NumpyIo.NumpyInputFn(new Dictionary<string, Tensor> { ["x"] = x }, Tensor.Create(ys, n), batchSize: 20, numEpochs: null, shuffle: true), steps: 30);
        var predicted = est.PredictTensors(NumpyIo.NumpyInputFn(new Dictionary<string, Tensor> { ["x"] = x }, batchSize: 32, shuffle: false))
            .Select(t => t.Scalar<long>()).ToArray();
        Assert.That(predicted.Zip(ys).Count(p => p.First == p.Second), Is.GreaterThan(n * 9 / 10), "the clusters are separable");

        // The training graph reads its features from the input pipeline's IteratorGetNext: feed that.
        var xPath = Path.Combine(_dir, "x.npy");
        Npy.Write(xPath, x);
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(["run", Path.Combine(modelDir, "graph.pbtxt"), "--checkpoint", modelDir, "--feed", "IteratorGetNext:0=@" + xPath, "--fetch", "classes", "--json"], o, e);
        Assert.That(code, Is.Zero, e.ToString());
        using var doc = JsonDocument.Parse(o.ToString());
        Assert.That(doc.RootElement.TryGetProperty("classes:0", out var classes), Is.True, o.ToString());
        Assert.That(classes.GetProperty("dtype").GetString(), Is.EqualTo("int64"));
        Assert.That(classes.GetProperty("values").EnumerateArray().Select(v => v.GetInt64()), Is.EqualTo(predicted));
        Assert.That(Saver.LatestCheckpoint(modelDir), Does.EndWith("model.ckpt-30"));
    }
}
