using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using TensorGraph.Proto;
using Tensorflow.Serving;

namespace TensorGraph.Serving;

/// <summary>
/// TF Serving's REST API (<c>model_servers/http_rest_api_handler.cc</c>):
/// <c>GET /v1/models/NAME[/versions/N|/labels/L][/metadata]</c> and
/// <c>POST /v1/models/NAME[/versions/N|/labels/L]:(predict|classify|regress)</c>. Every answer is
/// JSON; failures are <c>{"error": message}</c> with TF Serving's HTTP status for the code.
/// </summary>
internal sealed partial class RestApi(InferenceCore core, BearerToken? token)
{
    [GeneratedRegex(@"^/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PredictionPath();

    [GeneratedRegex(@"^/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex StatusPath();

    private static readonly JsonFormatter StatusFormatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));
    private static readonly JsonFormatter MetadataFormatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true).WithPreserveProtoFieldNames(true));

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        int status = 200;
        string body;
        try
        {
            if (token is not null && !token.Accepts(context.Request.Headers.Authorization.ToString()))
                throw new ServingException(Grpc.Core.StatusCode.Unauthenticated, "Missing or invalid bearer token");
            body = await DispatchAsync(context, path).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var s = ServingException.From(e);
            status = ServingException.HttpStatus(s.Code);
            body = JsonTensors.ErrorJson(s.Message);
        }
        if (context.RequestAborted.IsCancellationRequested) return;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body, Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
    }

    private static ModelSpec Spec(Match m)
    {
        var spec = new ModelSpec { Name = Uri.UnescapeDataString(m.Groups[1].Value) };
        if (m.Groups[2].Success && m.Groups[2].Value.Length > 0)
        {
            if (!long.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                throw ServingException.InvalidArgument($"Failed to convert version: {m.Groups[2].Value} to numeric.");
            spec.Version = v;
        }
        if (m.Groups[3].Success && m.Groups[3].Value.Length > 0) spec.VersionLabel = Uri.UnescapeDataString(m.Groups[3].Value);
        return spec;
    }

    private async Task<string> DispatchAsync(HttpContext context, string path)
    {
        var method = context.Request.Method;
        var malformed = ServingException.InvalidArgument($"Malformed request: {method} {path}");
        var ct = context.RequestAborted;
        if (HttpMethods.IsPost(method))
        {
            var m = PredictionPath().Match(path);
            if (!m.Success) throw malformed;
            var spec = Spec(m);
            string text;
            using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
                text = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
            using var doc = JsonTensors.Parse(text);
            var root = doc.RootElement;
            if (JsonTensors.SignatureName(root) is { } sig) spec.SignatureName = sig;
            switch (m.Groups[4].Value.ToLowerInvariant())
            {
                case "predict":
                    return await PredictAsync(spec, root, ct).ConfigureAwait(false);
                case "classify":
                {
                    var r = await core.ClassifyAsync(new ClassificationRequest { ModelSpec = spec, Input = JsonTensors.ExamplesInput(root) }, DateTime.MaxValue, ct).ConfigureAwait(false);
                    return JsonTensors.ClassificationJson(r.Result);
                }
                default:
                {
                    var r = await core.RegressAsync(new RegressionRequest { ModelSpec = spec, Input = JsonTensors.ExamplesInput(root) }, DateTime.MaxValue, ct).ConfigureAwait(false);
                    return JsonTensors.RegressionJson(r.Result);
                }
            }
        }
        if (HttpMethods.IsGet(method))
        {
            var m = StatusPath().Match(path);
            if (!m.Success) throw malformed;
            if (!m.Groups[1].Success || m.Groups[1].Value.Length == 0) throw ServingException.InvalidArgument("Missing model name in request.");
            var spec = Spec(m);
            if (m.Groups[4].Success && m.Groups[4].Value.Length > 0)
            {
                var r = core.GetModelMetadata(new GetModelMetadataRequest { ModelSpec = spec, MetadataField = { "signature_def" } });
                var map = r.Metadata["signature_def"].Unpack<SignatureDefMap>();
                return "{\n\"model_spec\":" + MetadataFormatter.Format(r.ModelSpec) + ",\n\"metadata\": {\"signature_def\": " + MetadataFormatter.Format(map) + "}\n}\n";
            }
            return StatusFormatter.Format(core.GetModelStatus(new GetModelStatusRequest { ModelSpec = spec }));
        }
        throw malformed;
    }

    private async Task<string> PredictAsync(ModelSpec spec, System.Text.Json.JsonElement root, CancellationToken ct)
    {
        // The signature's inputs give the dtypes the JSON values convert to; the version found is
        // pinned, so the prediction runs on the same one.
        Dictionary<string, TensorInfo> infos;
        using (var lease = core.Models.Acquire(spec))
        {
            var signame = spec.SignatureName.Length == 0 ? InferenceCore.DefaultSignature : spec.SignatureName;
            if (!lease.Bundle.MetaGraph.SignatureDef.TryGetValue(signame, out var sig))
                throw ServingException.InvalidArgument($"Serving signature name: \"{signame}\" not found in signature def");
            infos = sig.Inputs.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            spec = new ModelSpec { Name = spec.Name, Version = lease.Version.Version, SignatureName = spec.SignatureName };
        }
        var request = new PredictRequest { ModelSpec = spec };
        bool row = JsonTensors.FillPredictRequest(root, infos, request, spec.SignatureName);
        var response = await core.PredictAsync(request, DateTime.MaxValue, ct).ConfigureAwait(false);
        return JsonTensors.PredictResponseJson(response, row);
    }
}
