using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using TensorGraph.Proto;
using TensorGraph.Serialization;
using Tensorflow.Serving;

namespace TensorGraph.Serving;

/// <summary>
/// TF Serving's request handling over the <see cref="ModelManager"/>'s models, shared by the gRPC
/// services and the REST API: Predict, Classify, Regress, MultiInference, GetModelMetadata and
/// GetModelStatus, with TF Serving's checks, status codes and messages
/// (<c>servables/tensorflow/predict_util.cc</c>, <c>classifier.cc</c>, <c>regressor.cc</c>,
/// <c>multi_inference.cc</c>, <c>get_model_metadata_impl.cc</c>). Failures are
/// <see cref="ServingException"/>s.
/// </summary>
public sealed class InferenceCore
{
    /// <summary>The default signature key.</summary>
    public const string DefaultSignature = "serving_default";

    internal const string PredictMethod = "tensorflow/serving/predict";
    internal const string ClassifyMethod = "tensorflow/serving/classify";
    internal const string RegressMethod = "tensorflow/serving/regress";

    private readonly PredictBatcher? _batcher;

    /// <summary>A core over <paramref name="models"/>; with <paramref name="batching"/>, concurrent Predict calls are batched.</summary>
    public InferenceCore(ModelManager models, BatchingOptions? batching = null)
    {
        Models = models ?? throw new ArgumentNullException(nameof(models));
        if (batching is not null) _batcher = new PredictBatcher(batching);
    }

    /// <summary>The models served.</summary>
    public ModelManager Models { get; }

    /// <summary>How many session runs the batcher made and how many requests they served (zero without batching).</summary>
    public (long Runs, long Requests) BatchStats => _batcher?.Stats ?? (0, 0);

    private static string SignatureName(ModelSpec spec) => spec.SignatureName.Length == 0 ? DefaultSignature : spec.SignatureName;

    private static ModelSpec ResponseSpec(ModelSpec spec, ServableVersion v, string? signature) =>
        new() { Name = spec.Name, Version = v.Version, SignatureName = signature ?? "" };

    internal static RunOptions? RunOptionsFor(DateTime deadline)
    {
        if (deadline == DateTime.MaxValue) return null;
        var left = deadline.ToUniversalTime() - DateTime.UtcNow;
        if (left <= TimeSpan.Zero) throw new ServingException(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        return new RunOptions { TimeoutInMs = Math.Max(1, (long)left.TotalMilliseconds) };
    }

    // ------------------------------------------------------------------ Predict

    /// <summary>PredictionService/Predict.</summary>
    public async Task<PredictResponse> PredictAsync(PredictRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ModelSpec is null) throw ServingException.InvalidArgument("Missing ModelSpec");
        using var lease = Models.Acquire(request.ModelSpec);
        var bundle = lease.Bundle;
        var sigName = SignatureName(request.ModelSpec);
        if (!bundle.MetaGraph.SignatureDef.TryGetValue(sigName, out var sigDef))
            throw ServingException.FailedPrecondition($"Serving signature key \"{sigName}\" not found.");
        var sig = Resolve(bundle, sigName);

        VerifyRequestInputsSize(sigDef, request);
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (alias, _) in sigDef.Inputs)
        {
            TensorProto proto;
            if (request.Inputs.TryGetValue(alias, out var given)) proto = given;
            else throw ServingException.InvalidArgument($"Signature input alias: {alias} not found in request and no defaults given.");
            inputs[alias] = TensorCodec.Decode(proto, alias);
        }
        var extra = request.Inputs.Keys.Where(k => !sigDef.Inputs.ContainsKey(k)).Order(StringComparer.Ordinal).ToArray();
        if (extra.Length > 0)
            throw ServingException.InvalidArgument($"Request inputs contains inputs not found in signature: {string.Join(",", extra)}");

        var aliases = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var alias in request.OutputFilter)
        {
            if (!sigDef.Outputs.ContainsKey(alias))
                throw ServingException.InvalidArgument($"output tensor alias not found in signature: {alias} Outputs expected to be in the set {{{string.Join(",", sigDef.Outputs.Keys.Order(StringComparer.Ordinal))}}}.");
            if (!seen.Add(alias)) throw ServingException.InvalidArgument("duplicate output tensor alias: " + alias);
            aliases.Add(alias);
        }
        if (aliases.Count == 0) aliases.AddRange(sigDef.Outputs.Keys.Order(StringComparer.Ordinal));

        var options = RunOptionsFor(deadline);
        IReadOnlyDictionary<string, Tensor> outputs = _batcher is not null && PredictBatcher.CanBatch(inputs)
            ? await _batcher.RunAsync(lease.Bundle.Session, sig, inputs, aliases, options, cancellationToken).ConfigureAwait(false)
            : await Task.Run(() => RunSignature(lease.Bundle.Session, sig, inputs, aliases, options, cancellationToken), cancellationToken).ConfigureAwait(false);

        var response = new PredictResponse { ModelSpec = ResponseSpec(request.ModelSpec, lease.Version, sigName) };
        foreach (var alias in aliases) response.Outputs[alias] = TensorCodec.AsProtoField(outputs[alias]);
        return response;
    }

    /// <summary>Runs <paramref name="sig"/> on inputs keyed by alias; returns the outputs named by <paramref name="aliases"/>.</summary>
    internal static Dictionary<string, Tensor> RunSignature(Session session, Signature sig, IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyList<string> aliases,
        RunOptions? options, CancellationToken cancellationToken)
    {
        var feeds = new FeedDict { ConvertDtypes = false };
        foreach (var (alias, value) in inputs) feeds[sig.Inputs[alias]] = value;
        var fetches = aliases.Select(a => sig.Outputs[a]).ToArray();
        var values = session.Run(fetches, feeds, [], options, cancellationToken);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < aliases.Count; i++) result[aliases[i]] = values[i];
        return result;
    }

    private static Signature Resolve(SavedModelBundle bundle, string key)
    {
        Signature sig;
        try
        {
            sig = bundle.GetSignature(key);
        }
        catch (TensorGraphException e)
        {
            throw ServingException.From(e);
        }
        return sig;
    }

    private static void VerifyRequestInputsSize(SignatureDef signature, PredictRequest request)
    {
        int have = request.Inputs.Count, want = signature.Inputs.Count;
        if (have > want || have < want)
        {
            var req = request.Inputs.Keys.Order(StringComparer.Ordinal).ToArray();
            var sig = signature.Inputs.Keys.Order(StringComparer.Ordinal).ToArray();
            throw ServingException.InvalidArgument(
                $"input size does not match signature: {have}!={want} len({{{string.Join(",", req)}}}) != len({{{string.Join(",", sig)}}}). " +
                $"Sent extra: {{{string.Join(",", req.Except(sig, StringComparer.Ordinal))}}}. Missing but required: {{{string.Join(",", sig.Except(req, StringComparer.Ordinal))}}}.");
        }
    }

    // ------------------------------------------------------------------ Classify / Regress

    /// <summary>The serialized tf.Examples of an <c>Input</c> (TF Serving's InputToSerializedExampleTensor): context bytes are prepended to each example's.</summary>
    internal static Tensor ExamplesTensor(Tensorflow.Serving.Input? input)
    {
        List<byte[]> rows = [];
        switch (input?.KindCase)
        {
            case Tensorflow.Serving.Input.KindOneofCase.ExampleList:
                foreach (var e in input.ExampleList.Examples) rows.Add(e.ToByteArray());
                break;
            case Tensorflow.Serving.Input.KindOneofCase.ExampleListWithContext:
                var context = input.ExampleListWithContext.Context?.ToByteArray() ?? [];
                foreach (var e in input.ExampleListWithContext.Examples) rows.Add([.. context, .. e.ToByteArray()]);
                break;
        }
        if (rows.Count == 0) throw ServingException.InvalidArgument("Input is empty.");
        return Tensor.Create(rows.ToArray(), rows.Count);
    }

    private static string Debug(SignatureDef sig) => TextFormat.Print(sig).ReplaceLineEndings(" ").Trim();

    private static (string Input, List<string> Outputs) PreProcessClassification(SignatureDef sig)
    {
        if (sig.Inputs.Count != 1) throw ServingException.InvalidArgument("Expected one input Tensor.");
        if (sig.Outputs.Count is not 1 and not 2)
            throw ServingException.InvalidArgument($"Expected one or two output Tensors, found {sig.Outputs.Count}");
        if (!sig.Inputs.ContainsKey("inputs"))
            throw ServingException.InvalidArgument($"No classification inputs found in SignatureDef: {Debug(sig)}");
        bool classes = sig.Outputs.ContainsKey("classes"), scores = sig.Outputs.ContainsKey("scores");
        if (!classes && !scores)
            throw ServingException.InvalidArgument($"Expected classification signature outputs to contain at least one of \"classes\" or \"scores\". Signature was: {Debug(sig)}");
        var outs = new List<string>();
        if (classes) outs.Add("classes");
        if (scores) outs.Add("scores");
        return ("inputs", outs);
    }

    private static (string Input, List<string> Outputs) PreProcessRegression(SignatureDef sig)
    {
        if (sig.Inputs.Count != 1) throw ServingException.InvalidArgument("Expected one input Tensor.");
        if (sig.Outputs.Count != 1) throw ServingException.InvalidArgument("Expected one output Tensor.");
        if (!sig.Inputs.ContainsKey("inputs"))
            throw ServingException.InvalidArgument($"No regression inputs found in SignatureDef: {Debug(sig)}");
        if (!sig.Outputs.ContainsKey("outputs"))
            throw ServingException.InvalidArgument($"No regression outputs found in SignatureDef: {Debug(sig)}");
        return ("inputs", ["outputs"]);
    }

    private static string DtName(Tensor t) => "DT_" + JsonTensors.DataTypeString((DataType)(int)t.DType).ToUpperInvariant();

    private static string ShapeString(Tensor t) => "[" + string.Join(",", t.Dims.ToArray()) + "]";

    private static ClassificationResult ClassificationResultOf(IReadOnlyDictionary<string, Tensor> outputs, int n)
    {
        outputs.TryGetValue("classes", out var classes);
        outputs.TryGetValue("scores", out var scores);
        if (classes is not null)
        {
            if (classes.Rank != 2) throw ServingException.InvalidArgument($"Expected Tensor shape: [batch_size num_classes] but got {ShapeString(classes)}");
            if (classes.DType != DType.String) throw ServingException.InvalidArgument($"Expected classes Tensor of DT_STRING. Got: {DtName(classes)}");
            if (classes.Dims[0] != n) throw ServingException.InvalidArgument($"Expected classes output batch size of {n}. Got: {classes.Dims[0]}");
        }
        if (scores is not null)
        {
            if (scores.Rank != 2) throw ServingException.InvalidArgument($"Expected Tensor shape: [batch_size num_classes] but got {ShapeString(scores)}");
            if (scores.DType != DType.Float32) throw ServingException.InvalidArgument($"Expected scores Tensor of DT_FLOAT. Got: {DtName(scores)}");
            if (scores.Dims[0] != n) throw ServingException.InvalidArgument($"Expected scores output batch size of {n}. Got: {scores.Dims[0]}");
        }
        if (classes is not null && scores is not null && classes.Dims[1] != scores.Dims[1])
            throw ServingException.InvalidArgument($"Tensors class and score should match in dim_size(1). Got {classes.Dims[1]} vs. {scores.Dims[1]}");
        int k = classes?.Dims[1] ?? scores?.Dims[1] ?? 0;
        var labels = classes?.AsSpan<byte[]>().ToArray();
        var values = scores?.AsSpan<float>().ToArray();
        var result = new ClassificationResult();
        for (int i = 0; i < n; i++)
        {
            var c = new Classifications();
            for (int j = 0; j < k; j++)
            {
                var cl = new Class();
                if (labels is not null) cl.Label = System.Text.Encoding.UTF8.GetString(labels[i * k + j]);
                if (values is not null) cl.Score = values[i * k + j];
                c.Classes.Add(cl);
            }
            result.Classifications.Add(c);
        }
        return result;
    }

    private static RegressionResult RegressionResultOf(IReadOnlyDictionary<string, Tensor> outputs, int n)
    {
        var t = outputs["outputs"];
        if (!(t.Rank == 1 || (t.Rank == 2 && t.Dims[1] == 1)))
            throw ServingException.InvalidArgument($"Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got {ShapeString(t)}");
        if (t.Dims[0] != n) throw ServingException.InvalidArgument($"Input batch size did not match output batch size: {n} vs. {t.Dims[0]}");
        if (t.DType != DType.Float32) throw ServingException.InvalidArgument($"Expected output Tensor of DT_FLOAT.  Got: {DtName(t)}");
        var result = new RegressionResult();
        foreach (var v in t.AsSpan<float>()) result.Regressions.Add(new Regression { Value = v });
        return result;
    }

    private (ServableLease Lease, SignatureDef Def, Signature Sig, string Name) SignatureFor(ModelSpec? spec, ServableLease lease)
    {
        var name = SignatureName(spec!);
        if (!lease.Bundle.MetaGraph.SignatureDef.TryGetValue(name, out var def))
            throw ServingException.InvalidArgument($"No signature was found with the name: {name}");
        return (lease, def, Resolve(lease.Bundle, name), name);
    }

    private static Task<Dictionary<string, Tensor>> RunExamples(Session session, Signature sig, IEnumerable<string> inputAliases, Tensor examples, IReadOnlyList<string> outputs,
        DateTime deadline, CancellationToken ct)
    {
        var options = RunOptionsFor(deadline);
        var inputs = inputAliases.Distinct(StringComparer.Ordinal).ToDictionary(a => a, _ => examples, StringComparer.Ordinal);
        return Task.Run(() => RunSignature(session, sig, inputs, outputs, options, ct), ct);
    }

    /// <summary>PredictionService/Classify.</summary>
    public async Task<ClassificationResponse> ClassifyAsync(ClassificationRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ModelSpec is null) throw ServingException.InvalidArgument("Missing ModelSpec");
        using var lease = Models.Acquire(request.ModelSpec);
        var (_, def, sig, name) = SignatureFor(request.ModelSpec, lease);
        var (input, outputs) = PreProcessClassification(def);
        var examples = ExamplesTensor(request.Input);
        var values = await RunExamples(lease.Bundle.Session, sig, [input], examples, outputs, deadline, cancellationToken).ConfigureAwait(false);
        return new ClassificationResponse
        {
            ModelSpec = ResponseSpec(request.ModelSpec, lease.Version, name),
            Result = ClassificationResultOf(values, examples.Dims[0]),
        };
    }

    /// <summary>PredictionService/Regress.</summary>
    public async Task<RegressionResponse> RegressAsync(RegressionRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ModelSpec is null) throw ServingException.InvalidArgument("Missing ModelSpec");
        using var lease = Models.Acquire(request.ModelSpec);
        var (_, def, sig, name) = SignatureFor(request.ModelSpec, lease);
        var (input, outputs) = PreProcessRegression(def);
        var examples = ExamplesTensor(request.Input);
        var values = await RunExamples(lease.Bundle.Session, sig, [input], examples, outputs, deadline, cancellationToken).ConfigureAwait(false);
        return new RegressionResponse
        {
            ModelSpec = ResponseSpec(request.ModelSpec, lease.Version, name),
            Result = RegressionResultOf(values, examples.Dims[0]),
        };
    }

    /// <summary>PredictionService/MultiInference: classify and regress tasks of one model over one input, in one run per task.</summary>
    public async Task<MultiInferenceResponse> MultiInferenceAsync(MultiInferenceRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Tasks.Count == 0) throw ServingException.InvalidArgument("Found no tasks in the MultiInferenceRequest.");
        string? model = null;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var task in request.Tasks)
        {
            if (task.ModelSpec is null || task.ModelSpec.Name.Length == 0)
                throw ServingException.InvalidArgument("Found ModelSpec with an empty model name.");
            if (model is null) model = task.ModelSpec.Name;
            else if (model != task.ModelSpec.Name)
                throw ServingException.InvalidArgument("All ModelSpecs in a MultiInferenceRequest must access the same model name.");
            if (!names.Add(SignatureName(task.ModelSpec)))
                throw ServingException.InvalidArgument($"Duplicate evaluation of signature: {SignatureName(task.ModelSpec)}");
        }
        using var lease = Models.Acquire(request.Tasks[0].ModelSpec);
        var examples = ExamplesTensor(request.Input);
        var response = new MultiInferenceResponse();
        foreach (var task in request.Tasks)
        {
            var name = SignatureName(task.ModelSpec);
            if (!lease.Bundle.MetaGraph.SignatureDef.TryGetValue(name, out var def))
                throw ServingException.InvalidArgument($"Requested signature not found in model graph: {name}");
            var sig = Resolve(lease.Bundle, name);
            var result = new InferenceResult { ModelSpec = ResponseSpec(task.ModelSpec, lease.Version, name) };
            if (task.MethodName == ClassifyMethod)
            {
                var (input, outs) = PreProcessClassification(def);
                var values = await RunExamples(lease.Bundle.Session, sig, [input], examples, outs, deadline, cancellationToken).ConfigureAwait(false);
                result.ClassificationResult = ClassificationResultOf(values, examples.Dims[0]);
            }
            else if (task.MethodName == RegressMethod)
            {
                var (input, outs) = PreProcessRegression(def);
                var values = await RunExamples(lease.Bundle.Session, sig, [input], examples, outs, deadline, cancellationToken).ConfigureAwait(false);
                result.RegressionResult = RegressionResultOf(values, examples.Dims[0]);
            }
            else
            {
                throw new ServingException(StatusCode.Unimplemented, $"Unsupported signature method_name: {task.MethodName}");
            }
            response.Results.Add(result);
        }
        return response;
    }

    // ------------------------------------------------------------------ metadata / status

    /// <summary>PredictionService/GetModelMetadata: the <c>signature_def</c> field, a packed SignatureDefMap.</summary>
    public GetModelMetadataResponse GetModelMetadata(GetModelMetadataRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ModelSpec is null) throw ServingException.InvalidArgument("Missing ModelSpec");
        if (request.MetadataField.Count == 0)
            throw ServingException.InvalidArgument("GetModelMetadataRequest must specify at least one metadata_field");
        foreach (var f in request.MetadataField)
            if (f != "signature_def") throw ServingException.InvalidArgument($"Metadata field {f} is not supported");
        using var lease = Models.Acquire(request.ModelSpec);
        var map = new SignatureDefMap();
        foreach (var (k, v) in lease.Bundle.MetaGraph.SignatureDef) map.SignatureDef[k] = v;
        var response = new GetModelMetadataResponse { ModelSpec = new ModelSpec { Name = lease.Version.Name, Version = lease.Version.Version } };
        response.Metadata["signature_def"] = Any.Pack(map);
        return response;
    }

    /// <summary>ModelService/GetModelStatus.</summary>
    public GetModelStatusResponse GetModelStatus(GetModelStatusRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Models.GetStatus(request.ModelSpec);
    }
}
