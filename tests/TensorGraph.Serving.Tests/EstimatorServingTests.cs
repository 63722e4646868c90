using TensorGraph.Estimator;
using TensorGraph.Training;
using Tensorflow.Serving;
using static TensorGraph.Serving.Tests.Harness;
using TfEstimator = TensorGraph.Estimator.Estimator;

namespace TensorGraph.Serving.Tests;

/// <summary>An Estimator's SavedModel export served by the model server and called over gRPC.</summary>
public class EstimatorServingTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "tg-estimator-serving-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static EstimatorSpec Linear(TensorDict features, Output? labels, string mode, IReadOnlyDictionary<string, object> p)
    {
        var x = features["x"];
        var g = x.Op.Graph;
        var w = g.GetVariable("w", new Shape(2, 1), initializer: new TensorGraph.Initializers.Zeros());
        var b = g.GetVariable("b", new Shape(1), initializer: new TensorGraph.Initializers.Zeros());
        var pred = g.Add(g.MatMul(x, w), b);
        if (mode == ModeKeys.Predict) return new EstimatorSpec(mode, predictions: pred);
        var loss = g.ReduceMean(g.SquaredDifference(pred, labels!.Value));
        return new EstimatorSpec(mode, loss: loss, trainOp: mode == ModeKeys.Train ? new GradientDescentOptimizer(0.1).Minimize(loss, g.GetGlobalStep()) : null);
    }

    [Test]
    public async Task TheExportIsAServableVersionAnsweringAsPredict()
    {
        // y = 2 x0 - 3 x1 + 1 on six points.
        float[] xs = [0, 0, 1, 0, 0, 1, 1, 1, 0.5f, -0.5f, -1, 0.25f];
        var ys = Enumerable.Range(0, 6).Select(i => 2 * xs[2 * i] - 3 * xs[2 * i + 1] + 1).ToArray();
        var x = Tensor.Create(xs, 6, 2);
        var est = new TfEstimator(Linear, Path.Combine(_dir, "model")) { Logger = null };
        est.Train(NumpyIo.NumpyInputFn(new Dictionary<string, Tensor> { ["x"] = x }, Tensor.Create(ys, 6, 1), batchSize: 6, numEpochs: null, shuffle: false), steps: 20);
        var basePath = Path.Combine(_dir, "export");
        var exported = est.ExportSavedModel(basePath, ServingInput.BuildRawServingInputReceiverFn(new Dictionary<string, Tensor> { ["x"] = x }));
        var expected = est.PredictTensors(NumpyIo.NumpyInputFn(new Dictionary<string, Tensor> { ["x"] = x }, shuffle: false)).Select(t => t.ToArray<float>()[0]).ToArray();
        Assert.That(expected.Distinct().Count(), Is.EqualTo(6), "a trained, non-trivial model");

        // The export folder's timestamp is the version TF Serving serves from the base path.
        await using var server = await Start("linear", basePath);
        using var channel = Channel(server);
        var client = new PredictionService.PredictionServiceClient(channel);
        var request = new PredictRequest { ModelSpec = new ModelSpec { Name = "linear" } };
        request.Inputs["x"] = Floats(xs, 6, 2);
        var r = await client.PredictAsync(request);
        Assert.That(r.ModelSpec.Version, Is.EqualTo(long.Parse(Path.GetFileName(exported), System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(r.ModelSpec.SignatureName, Is.EqualTo("serving_default"));
        Assert.That(r.Outputs.Keys, Is.EqualTo(new[] { "output" }));
        Assert.That(Values(r.Outputs["output"]), Is.EqualTo(expected));
        Assert.That(r.Outputs["output"].TensorShape.Dim.Select(d => d.Size), Is.EqualTo(new long[] { 6, 1 }));
    }
}
