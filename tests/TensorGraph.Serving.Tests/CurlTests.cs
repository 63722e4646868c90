using System.Diagnostics;
using System.Text.Json;
using static TensorGraph.Serving.Tests.Harness;

namespace TensorGraph.Serving.Tests;

/// <summary>
/// Every REST route of the model server called with <c>curl</c> (a client TensorGraph did not
/// write) as TF Serving's documentation calls it; <c>.ci/run</c> installs curl when it is missing,
/// and without it the test is reported as ignored, never passed.
/// </summary>
public class CurlTests
{
    private const string Curl = "/usr/bin/curl";

    private static ModelServer s_server = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        if (!File.Exists(Curl)) Assert.Ignore($"{Curl} is missing (apt-get install curl)");
        s_server = await Harness.Start("half", HalfPlusTwo);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (s_server is not null) await s_server.DisposeAsync();
    }

    /// <summary>Runs curl against the REST port; returns the HTTP status and the parsed JSON body.</summary>
    private static (int Status, JsonElement Json) Call(string path, string? body = null)
    {
        var psi = new ProcessStartInfo(Curl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-sS", "-w", "\n%{http_code}" }) psi.ArgumentList.Add(a);
        if (body is not null)
        {
            psi.ArgumentList.Add("-X");
            psi.ArgumentList.Add("POST");
            psi.ArgumentList.Add("-d");
            psi.ArgumentList.Add(body);
        }
        psi.ArgumentList.Add($"http://127.0.0.1:{s_server.RestPort}{path}");
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("curl did not finish");
        }
        Assert.That(p.ExitCode, Is.Zero, err.Result);
        int nl = output.LastIndexOf('\n');
        var status = int.Parse(output[(nl + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return (status, JsonDocument.Parse(output[..nl]).RootElement.Clone());
    }

    private static double[] Numbers(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    [TestCase("/v1/models/half")]
    [TestCase("/v1/models/half/versions/123")]
    public void ModelStatus(string path)
    {
        var (status, json) = Call(path);
        Assert.That(status, Is.EqualTo(200));
        var v = json.GetProperty("model_version_status").EnumerateArray().Single();
        Assert.That(v.GetProperty("version").GetString(), Is.EqualTo("123"));
        Assert.That(v.GetProperty("state").GetString(), Is.EqualTo("AVAILABLE"));
        Assert.That(v.GetProperty("status").GetProperty("error_code").GetString(), Is.EqualTo("OK"));
    }

    [TestCase("/v1/models/half/metadata")]
    [TestCase("/v1/models/half/versions/123/metadata")]
    public void Metadata(string path)
    {
        var (status, json) = Call(path);
        Assert.That(status, Is.EqualTo(200));
        Assert.That(json.GetProperty("model_spec").GetProperty("name").GetString(), Is.EqualTo("half"));
        Assert.That(json.GetProperty("model_spec").GetProperty("version").GetString(), Is.EqualTo("123"));
        var sigs = json.GetProperty("metadata").GetProperty("signature_def").GetProperty("signature_def");
        Assert.That(sigs.GetProperty("serving_default").GetProperty("method_name").GetString(), Is.EqualTo("tensorflow/serving/predict"));
        Assert.That(sigs.GetProperty("classify_x_to_y").GetProperty("method_name").GetString(), Is.EqualTo("tensorflow/serving/classify"));
    }

    [Test]
    public void PredictInRowAndColumnarFormats()
    {
        var (status, json) = Call("/v1/models/half:predict", """{"instances": [1.0, 2.0, 5.0]}""");
        Assert.That(status, Is.EqualTo(200));
        Assert.That(Numbers(json.GetProperty("predictions")), Is.EqualTo(new[] { 2.5, 3.0, 4.5 }));
        (status, json) = Call("/v1/models/half/versions/123:predict", """{"inputs": {"x": [1.0, 2.0, 5.0]}}""");
        Assert.That(status, Is.EqualTo(200));
        Assert.That(Numbers(json.GetProperty("outputs")), Is.EqualTo(new[] { 2.5, 3.0, 4.5 }));
    }

    [Test]
    public void ClassifyAndRegress()
    {
        var (status, json) = Call("/v1/models/half:regress", """{"signature_name": "regress_x_to_y", "examples": [{"x": 1.0}, {"x": 4.0}]}""");
        Assert.That(status, Is.EqualTo(200));
        Assert.That(Numbers(json.GetProperty("results")), Is.EqualTo(new[] { 2.5, 4.0 }));
        (status, json) = Call("/v1/models/half/versions/123:classify", """{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}""");
        Assert.That(status, Is.EqualTo(200));
        var only = json.GetProperty("results").EnumerateArray().Single().EnumerateArray().Single();
        Assert.That(only[1].GetDouble(), Is.EqualTo(3.0));
    }

    [Test]
    public void ErrorsAreTfServingsJson()
    {
        var (status, json) = Call("/v1/models/nope:predict", """{"instances": [1.0]}""");
        Assert.That(status, Is.EqualTo(404));
        Assert.That(json.GetProperty("error").GetString(), Does.Contain("nope"));
        (status, json) = Call("/v1/models/half:predict", "{not json");
        Assert.That(status, Is.EqualTo(400));
        Assert.That(json.GetProperty("error").GetString(), Is.Not.Empty);
        // The server is unharmed.
        (status, _) = Call("/v1/models/half");
        Assert.That(status, Is.EqualTo(200));
    }
}
