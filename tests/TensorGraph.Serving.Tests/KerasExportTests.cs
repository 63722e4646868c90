using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Net.Client;
using TensorGraph.Keras;
using TensorGraph.Keras.Layers;
using Tensorflow.Serving;
using static TensorGraph.Serving.Tests.Harness;

namespace TensorGraph.Serving.Tests;

/// <summary>
/// A Keras model trained here and exported with <c>model.Save(dir)</c> (TF Serving's version layout)
/// is served: gRPC Predict and REST <c>:predict</c> answer what <c>model.Predict</c> computed, and
/// the metadata names the input layer and the output.
/// </summary>
public class KerasExportTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "tg-keras-serve-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public async Task AnExportedKerasModelIsServedOverGrpcAndRest()
    {
        var input = Keras.Keras.Input(shape: [4], name: "features");
        var hidden = new Dense(8, activation: "relu").Apply(input);
        var probs = new Dense(3, activation: "softmax", name: "probs").Apply(hidden);
        var model = new Model([input], [probs]);
        model.Compile(optimizer: "adam", loss: "sparse_categorical_crossentropy");
        var rng = new Random(7);
        var x = Tensor.Create(Enumerable.Range(0, 32 * 4).Select(_ => (float)rng.NextDouble()).ToArray(), 32, 4);
        var y = Tensor.Create(Enumerable.Range(0, 32).Select(i => i % 3).ToArray(), 32);
        model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);
        var rows = x[..5];
        var expected = model.Predict(rows).ToArray<float>();
        model.Save(Path.Combine(_dir, "1"));

        await using var server = await Harness.Start("clf", _dir);
        using var channel = Channel(server);
        var client = new PredictionService.PredictionServiceClient(channel);
        var meta = await client.GetModelMetadataAsync(new GetModelMetadataRequest { ModelSpec = new ModelSpec { Name = "clf" }, MetadataField = { "signature_def" } });
        var sigs = meta.Metadata["signature_def"].Unpack<SignatureDefMap>().SignatureDef;
        Assert.That(sigs["serving_default"].Inputs.Keys, Is.EqualTo(new[] { "features" }));
        Assert.That(sigs["serving_default"].Outputs.Keys, Is.EqualTo(new[] { "probs" }));

        var req = new PredictRequest { ModelSpec = new ModelSpec { Name = "clf" } };
        req.Inputs["features"] = Floats(rows.ToArray<float>(), 5, 4);
        var r = await client.PredictAsync(req);
        Assert.That(r.ModelSpec.Version, Is.EqualTo(1));
        Assert.That(r.Outputs["probs"].TensorShape.Dim.Select(d => d.Size), Is.EqualTo(new long[] { 5, 3 }));
        Assert.That(Values(r.Outputs["probs"]), Is.EqualTo(expected).Within(1e-6));

        using var http = Http(server);
        var instances = Enumerable.Range(0, 5).Select(i => rows.ToArray<float>().Skip(i * 4).Take(4).ToArray()).ToArray();
        var resp = await http.PostAsJsonAsync("/v1/models/clf:predict", new { instances });
        Assert.That(resp.StatusCode, Is.EqualTo(HttpStatusCode.OK), await resp.Content.ReadAsStringAsync());
        using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync());
        var got = doc.RootElement.GetProperty("predictions").EnumerateArray().SelectMany(row => row.EnumerateArray().Select(v => (float)v.GetDouble())).ToArray();
        Assert.That(got, Is.EqualTo(expected).Within(1e-6));
    }
}
