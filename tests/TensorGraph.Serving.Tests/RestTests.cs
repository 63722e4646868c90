using System.Net;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using static TensorGraph.Serving.Tests.Harness;

namespace TensorGraph.Serving.Tests;

/// <summary>TF Serving's REST API with HttpClient: the JSON shapes of api_rest.md and http_rest_api_handler_test.cc.</summary>
public class RestTests
{
    private ModelServer _server = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await Harness.Start("half", HalfPlusTwo);
        _http = Http(_server);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Json)> Post(string path, string body)
    {
        using var r = await _http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.That(r.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<(HttpStatusCode Status, JsonElement Json)> Get(string path)
    {
        using var r = await _http.GetAsync(path);
        return (r.StatusCode, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static double[] Numbers(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    [Test]
    public async Task PredictRowFormat()
    {
        // TF Serving's documented call: {"instances": [1.0, 2.0, 5.0]} -> {"predictions": [2.5, 3.0, 4.5]}.
        var (status, json) = await Post("/v1/models/half:predict", """{"instances": [1.0, 2.0, 5.0]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        Assert.That(Numbers(json.GetProperty("predictions")), Is.EqualTo(new[] { 2.5, 3.0, 4.5 }));
        // http_rest_api_handler_test.cc: [[1, 2], [3, 4]] -> [[2.5, 3], [3.5, 4]].
        (status, json) = await Post("/v1/models/half/versions/123:predict", """{"instances": [[1.0, 2.0], [3.0, 4.0]]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        var rows = json.GetProperty("predictions").EnumerateArray().Select(Numbers).ToArray();
        Assert.That(rows, Is.EqualTo(new[] { new[] { 2.5, 3.0 }, new[] { 3.5, 4.0 } }));
        // Objects keyed by input alias.
        (status, json) = await Post("/v1/models/half:predict", """{"signature_name": "serving_default", "instances": [{"x": [4.0]}, {"x": [6.0]}]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        Assert.That(json.GetProperty("predictions").EnumerateArray().Select(Numbers).ToArray(), Is.EqualTo(new[] { new[] { 4.0 }, new[] { 5.0 } }));
    }

    [Test]
    public async Task PredictColumnarFormat()
    {
        var (status, json) = await Post("/v1/models/half:predict", """{"signature_name": "serving_default", "inputs": [3.0, 4.0]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        Assert.That(Numbers(json.GetProperty("outputs")), Is.EqualTo(new[] { 3.5, 4.0 }));
        (status, json) = await Post("/v1/models/half:predict", """{"inputs": {"x": [[1.0], [-2.0]]}}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        Assert.That(json.GetProperty("outputs").EnumerateArray().Select(Numbers).ToArray(), Is.EqualTo(new[] { new[] { 2.5 }, new[] { 1.0 } }));
    }

    [Test]
    public async Task BytesTravelAsBase64()
    {
        // The classify signature takes serialized tf.Examples: sent through :predict as {"b64": ...}.
        string B64(float x) => Convert.ToBase64String(Example(x).ToByteArray());
        var body = $$"""{"signature_name": "classify_x_to_y", "instances": [{"b64": "{{B64(2)}}"}, {"b64": "{{B64(6)}}"}]}""";
        var (status, json) = await Post("/v1/models/half:predict", body);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        Assert.That(json.GetProperty("predictions").EnumerateArray().Select(Numbers).ToArray(), Is.EqualTo(new[] { new[] { 3.0 }, new[] { 5.0 } }));
        (status, json) = await Post("/v1/models/half:predict", """{"signature_name": "classify_x_to_y", "inputs": [{"b64": "not base64!"}]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(json.GetProperty("error").GetString(), Is.EqualTo("Unable to base64 decode"));
    }

    [Test]
    public async Task ClassifyAndRegress()
    {
        var (status, json) = await Post("/v1/models/half:regress", """{"signature_name": "regress_x_to_y", "examples": [{"x": 1.0}, {"x": 4.0}]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        Assert.That(Numbers(json.GetProperty("results")), Is.EqualTo(new[] { 2.5, 4.0 }));
        (status, json) = await Post("/v1/models/half:classify", """{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}, {"x": [10.0]}]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        var results = json.GetProperty("results").EnumerateArray().ToArray();
        Assert.That(results, Has.Length.EqualTo(2));
        var first = results[0].EnumerateArray().Single().EnumerateArray().ToArray();
        Assert.That(first[0].GetString(), Is.EqualTo(""));
        Assert.That(first[1].GetDouble(), Is.EqualTo(3.0));
        Assert.That(results[1][0][1].GetDouble(), Is.EqualTo(7.0));
        // A context's features join every example.
        (status, json) = await Post("/v1/models/half:regress", """{"signature_name": "regress_x_to_y2", "context": {"x": 2.0}, "examples": [{}]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        Assert.That(Numbers(json.GetProperty("results")), Is.EqualTo(new[] { 4.0 }));
    }

    [Test]
    public async Task StatusAndMetadata()
    {
        var (status, json) = await Get("/v1/models/half");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var v = json.GetProperty("model_version_status").EnumerateArray().Single();
        Assert.That(v.GetProperty("version").GetString(), Is.EqualTo("123"));
        Assert.That(v.GetProperty("state").GetString(), Is.EqualTo("AVAILABLE"));
        Assert.That(v.GetProperty("status").GetProperty("error_code").GetString(), Is.EqualTo("OK"));
        Assert.That(v.GetProperty("status").GetProperty("error_message").GetString(), Is.EqualTo(""));
        (status, json) = await Get("/v1/models/half/versions/123");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        (status, json) = await Get("/v1/models/half/metadata");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(json.GetProperty("model_spec").GetProperty("name").GetString(), Is.EqualTo("half"));
        Assert.That(json.GetProperty("model_spec").GetProperty("version").GetString(), Is.EqualTo("123"));
        var sd = json.GetProperty("metadata").GetProperty("signature_def").GetProperty("signature_def");
        var x = sd.GetProperty("serving_default").GetProperty("inputs").GetProperty("x");
        Assert.That(x.GetProperty("dtype").GetString(), Is.EqualTo("DT_FLOAT"));
        Assert.That(x.GetProperty("name").GetString(), Is.EqualTo("x:0"));
        Assert.That(x.GetProperty("tensor_shape").GetProperty("dim").EnumerateArray().Select(d => d.GetProperty("size").GetString()), Is.EqualTo(new[] { "-1", "1" }));
        Assert.That(sd.GetProperty("regress_x_to_y").GetProperty("method_name").GetString(), Is.EqualTo("tensorflow/serving/regress"));
    }

    [TestCase("GET", "/v1/models/nope", "", 404, "Could not find any versions of model nope")]
    [TestCase("GET", "/v1/models/half/versions/5", "", 404, "Could not find version 5 of model half")]
    [TestCase("POST", "/v1/models/nope:predict", "{\"instances\": [1.0]}", 404, "Servable not found for request: Latest(nope)")]
    [TestCase("POST", "/v1/models/half/versions/7:predict", "{\"instances\": [1.0]}", 404, "Servable not found for request: Specific(half, 7)")]
    [TestCase("POST", "/v1/models/half/versions/HELLO:regress", "{}", 400, "Malformed request: POST /v1/models/half/versions/HELLO:regress")]
    [TestCase("POST", "/v1/models/half:explain", "{}", 400, "Malformed request: POST /v1/models/half:explain")]
    [TestCase("POST", "/v1/models/half:predict", "{\"signature_name\": \"nope\", \"instances\": [1.0]}", 400, "Serving signature name: \"nope\" not found in signature def")]
    [TestCase("POST", "/v1/models/half:predict", "{\"instances\": [1.0], \"inputs\": [1.0]}", 400, null)]
    [TestCase("POST", "/v1/models/half:predict", "{\"instances\": []}", 400, null)]
    [TestCase("POST", "/v1/models/half:predict", "{\"queries\": [1.0]}", 400, "Missing 'inputs' or 'instances' key")]
    [TestCase("POST", "/v1/models/half:predict", "{\"instances\": [\"a\"]}", 400, "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: \"a\" Type: String is not of expected type: float")]
    [TestCase("POST", "/v1/models/half:predict", "{\"instances\": [[1.0], [1.0, 2.0]]}", 400, null)]
    [TestCase("POST", "/v1/models/half:predict", "{\"instances\": [1.0", 400, null)]
    [TestCase("POST", "/v1/models/half:predict", "", 400, "JSON Parse error: The document is empty")]
    [TestCase("POST", "/v1/models/half:predict", "[1, 2]", 400, "JSON Value: [1, 2] Is not object")]
    [TestCase("POST", "/v1/models/half:predict", "{\"signature_name\": 5, \"instances\": [1.0]}", 400, null)]
    [TestCase("POST", "/v1/models/half:regress", "{\"signature_name\": \"regress_x_to_y\"}", 400, null)]
    [TestCase("POST", "/v1/models/half:classify", "{\"signature_name\": \"classify_x_to_y\", \"examples\": [{\"x\": [1.0, 2]}]}", 400, "Unexpected element type in feature: x expecting type: float")]
    [TestCase("POST", "/v1/models/half/labels/stable:predict", "{\"instances\": [1.0]}", 400, "Unrecognized servable version label: stable")]
    [TestCase("DELETE", "/v1/models/half", "", 400, "Malformed request: DELETE /v1/models/half")]
    public async Task ErrorsAreJsonWithTfServingsStatus(string method, string path, string body, int code, string? message)
    {
        using var req = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") req.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var r = await _http.SendAsync(req);
        var text = await r.Content.ReadAsStringAsync();
        Assert.That((int)r.StatusCode, Is.EqualTo(code), text);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString();
        Assert.That(error, Is.Not.Empty);
        if (message is not null) Assert.That(error, Is.EqualTo(message));
        // Still serving.
        var (status, json) = await Post("/v1/models/half:predict", """{"instances": [0.0]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Numbers(json.GetProperty("predictions")), Is.EqualTo(new[] { 2.0 }));
    }
}
