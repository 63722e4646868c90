using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tensorflow.Serving;
using static TensorGraph.Serving.Tests.Harness;

namespace TensorGraph.Serving.Tests;

/// <summary>TF Serving's TF 2.x half_plus_two (a function library behind StatefulPartitionedCall) served like the TF1 one.</summary>
public class Tf2ServingTests
{
    [Test]
    public async Task TheTf2HalfPlusTwoAnswersGrpcAndRest()
    {
        await using var server = await Harness.Start("half2", Fixture(Harness.Serving + "saved_model_half_plus_two_tf2_cpu"));
        using var channel = Channel(server);
        var client = new PredictionService.PredictionServiceClient(channel);
        var req = new PredictRequest { ModelSpec = new ModelSpec { Name = "half2" } };
        req.Inputs["x"] = Floats([1f, 2f, 5f], 3, 1);
        var r = await client.PredictAsync(req);
        Assert.That(r.ModelSpec.Version, Is.EqualTo(123));
        Assert.That(Values(r.Outputs["y"]), Is.EqualTo(new[] { 2.5f, 3f, 4.5f }));

        using var http = Http(server);
        var resp = await http.PostAsJsonAsync("/v1/models/half2:predict", new { instances = new[] { new[] { 1.0 }, new[] { 2.0 }, new[] { 5.0 } } });
        Assert.That(resp.StatusCode, Is.EqualTo(HttpStatusCode.OK), await resp.Content.ReadAsStringAsync());
        using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync());
        var got = doc.RootElement.GetProperty("predictions").EnumerateArray().Select(row => row.EnumerateArray().Single().GetDouble()).ToArray();
        Assert.That(got, Is.EqualTo(new[] { 2.5, 3.0, 4.5 }));
    }
}
