using Google.Protobuf;
using Grpc.Core;
using TensorGraph.Proto;
using Tensorflow.Serving;
using static TensorGraph.Serving.Tests.Harness;

namespace TensorGraph.Serving.Tests;

/// <summary>PredictionService and ModelService over a real loopback socket, called with Grpc.Net.Client.</summary>
public class GrpcTests
{
    private ModelServer _server = null!;
    private PredictionService.PredictionServiceClient _predict = null!;
    private ModelService.ModelServiceClient _models = null!;
    private Grpc.Net.Client.GrpcChannel _channel = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await Harness.Start("half", HalfPlusTwo);
        _channel = Channel(_server);
        _predict = new PredictionService.PredictionServiceClient(_channel);
        _models = new ModelService.ModelServiceClient(_channel);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    private static PredictRequest Request(TensorProto x, string? signature = null, long? version = null)
    {
        var r = new PredictRequest { ModelSpec = new ModelSpec { Name = "half", SignatureName = signature ?? "" } };
        if (version is { } v) r.ModelSpec.Version = v;
        r.Inputs["x"] = x;
        return r;
    }

    [Test]
    public async Task PredictHalfPlusTwo()
    {
        // y = 0.5 x + 2, as TF Serving's own example: x = [1, 2, 5] gives [2.5, 3, 4.5].
        var r = await _predict.PredictAsync(Request(Floats([1, 2, 5], 3)));
        Assert.That(Values(r.Outputs["y"]), Is.EqualTo(new[] { 2.5f, 3f, 4.5f }));
        Assert.That(r.Outputs["y"].TensorShape.Dim.Select(d => d.Size), Is.EqualTo(new long[] { 3 }));
        Assert.That(r.ModelSpec.Name, Is.EqualTo("half"));
        Assert.That(r.ModelSpec.Version, Is.EqualTo(123));
        Assert.That(r.ModelSpec.SignatureName, Is.EqualTo("serving_default"));
        // The declared shape (?, 1), values in tensor_content, an explicit version.
        var content = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShapeProto() };
        content.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 2 });
        content.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 1 });
        content.TensorContent = ByteString.CopyFrom(BitConverter.GetBytes(4f).Concat(BitConverter.GetBytes(-6f)).ToArray());
        var r2 = await _predict.PredictAsync(Request(content, "serving_default", 123));
        Assert.That(Values(r2.Outputs["y"]), Is.EqualTo(new[] { 4f, -1f }));
        Assert.That(r2.Outputs["y"].FloatVal, Has.Count.EqualTo(2), "TF Serving answers in the typed field (AsProtoField)");
    }

    [Test]
    public async Task RegressAndClassifyTakeExamples()
    {
        var reg = await _predict.RegressAsync(new RegressionRequest
        {
            ModelSpec = new ModelSpec { Name = "half", SignatureName = "regress_x_to_y" },
            Input = Harness.Examples(1, 2, 5),
        });
        Assert.That(reg.Result.Regressions.Select(v => v.Value), Is.EqualTo(new[] { 2.5f, 3f, 4.5f }));
        Assert.That(reg.ModelSpec.Version, Is.EqualTo(123));
        // y2 = 0.5 x + 3.
        var reg2 = await _predict.RegressAsync(new RegressionRequest
        {
            ModelSpec = new ModelSpec { Name = "half", SignatureName = "regress_x_to_y2" },
            Input = Harness.Examples(4),
        });
        Assert.That(reg2.Result.Regressions.Single().Value, Is.EqualTo(5f));
        var cls = await _predict.ClassifyAsync(new ClassificationRequest
        {
            ModelSpec = new ModelSpec { Name = "half", SignatureName = "classify_x_to_y" },
            Input = Harness.Examples(2, 8),
        });
        Assert.That(cls.Result.Classifications.Select(c => c.Classes.Single().Score), Is.EqualTo(new[] { 3f, 6f }));
        Assert.That(cls.Result.Classifications.Select(c => c.Classes.Single().Label), Is.EqualTo(new[] { "", "" }));
        // A context example's features are merged into each example: x comes from the context.
        var withContext = new Tensorflow.Serving.Input { ExampleListWithContext = new ExampleListWithContext { Context = Example(10) } };
        withContext.ExampleListWithContext.Examples.Add(new Example());
        var ctx = await _predict.RegressAsync(new RegressionRequest
        {
            ModelSpec = new ModelSpec { Name = "half", SignatureName = "regress_x_to_y" },
            Input = withContext,
        });
        Assert.That(ctx.Result.Regressions.Single().Value, Is.EqualTo(7f));
    }

    [Test]
    public async Task MultiInferenceRunsEveryTask()
    {
        var req = new MultiInferenceRequest { Input = Harness.Examples(1, 3) };
        req.Tasks.Add(new InferenceTask { ModelSpec = new ModelSpec { Name = "half", SignatureName = "regress_x_to_y" }, MethodName = "tensorflow/serving/regress" });
        req.Tasks.Add(new InferenceTask { ModelSpec = new ModelSpec { Name = "half", SignatureName = "regress_x_to_y2" }, MethodName = "tensorflow/serving/regress" });
        req.Tasks.Add(new InferenceTask { ModelSpec = new ModelSpec { Name = "half", SignatureName = "classify_x_to_y" }, MethodName = "tensorflow/serving/classify" });
        var r = await _predict.MultiInferenceAsync(req);
        Assert.That(r.Results, Has.Count.EqualTo(3));
        Assert.That(r.Results[0].RegressionResult.Regressions.Select(v => v.Value), Is.EqualTo(new[] { 2.5f, 3.5f }));
        Assert.That(r.Results[1].RegressionResult.Regressions.Select(v => v.Value), Is.EqualTo(new[] { 3.5f, 4.5f }));
        Assert.That(r.Results[2].ClassificationResult.Classifications.Select(c => c.Classes[0].Score), Is.EqualTo(new[] { 2.5f, 3.5f }));
        Assert.That(r.Results[1].ModelSpec.SignatureName, Is.EqualTo("regress_x_to_y2"));

        req.Tasks.Add(new InferenceTask { ModelSpec = new ModelSpec { Name = "half", SignatureName = "regress_x_to_y" }, MethodName = "tensorflow/serving/regress" });
        var dup = Assert.ThrowsAsync<RpcException>(async () => await _predict.MultiInferenceAsync(req))!;
        Assert.That(dup.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(dup.Status.Detail, Is.EqualTo("Duplicate evaluation of signature: regress_x_to_y"));
    }

    [Test]
    public async Task MetadataListsTheSignatures()
    {
        var req = new GetModelMetadataRequest { ModelSpec = new ModelSpec { Name = "half" } };
        req.MetadataField.Add("signature_def");
        var r = await _predict.GetModelMetadataAsync(req);
        Assert.That(r.ModelSpec.Name, Is.EqualTo("half"));
        Assert.That(r.ModelSpec.Version, Is.EqualTo(123));
        var map = r.Metadata["signature_def"].Unpack<SignatureDefMap>();
        Assert.That(map.SignatureDef.Keys, Is.SupersetOf(new[] { "serving_default", "classify_x_to_y", "regress_x_to_y", "regress_x_to_y2", "regress_x2_to_y3" }));
        var sd = map.SignatureDef["serving_default"];
        Assert.That(sd.MethodName, Is.EqualTo("tensorflow/serving/predict"));
        Assert.That(sd.Inputs["x"].Name, Is.EqualTo("x:0"));
        Assert.That(sd.Inputs["x"].Dtype, Is.EqualTo(DataType.DtFloat));
        Assert.That(sd.Outputs["y"].TensorShape.Dim.Select(d => d.Size), Is.EqualTo(new long[] { -1, 1 }));

        var none = Assert.ThrowsAsync<RpcException>(async () => await _predict.GetModelMetadataAsync(new GetModelMetadataRequest { ModelSpec = new ModelSpec { Name = "half" } }))!;
        Assert.That(none.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(none.Status.Detail, Is.EqualTo("GetModelMetadataRequest must specify at least one metadata_field"));
    }

    [Test]
    public async Task StatusOfTheModel()
    {
        var r = await _models.GetModelStatusAsync(new GetModelStatusRequest { ModelSpec = new ModelSpec { Name = "half" } });
        var v = r.ModelVersionStatus.Single();
        Assert.That(v.Version, Is.EqualTo(123));
        Assert.That(v.State, Is.EqualTo(ModelVersionStatus.Types.State.Available));
        Assert.That(v.Status.ErrorCode, Is.EqualTo(Code.Ok));
        var missing = Assert.ThrowsAsync<RpcException>(async () => await _models.GetModelStatusAsync(new GetModelStatusRequest { ModelSpec = new ModelSpec { Name = "half", Version = 9 } }))!;
        Assert.That(missing.StatusCode, Is.EqualTo(StatusCode.NotFound));
        Assert.That(missing.Status.Detail, Is.EqualTo("Could not find version 9 of model half"));
        var model = Assert.ThrowsAsync<RpcException>(async () => await _models.GetModelStatusAsync(new GetModelStatusRequest { ModelSpec = new ModelSpec { Name = "other" } }))!;
        Assert.That(model.Status.Detail, Is.EqualTo("Could not find any versions of model other"));
    }

    private async Task<RpcException> Fails(PredictRequest r, StatusCode code)
    {
        var e = Assert.ThrowsAsync<RpcException>(async () => await _predict.PredictAsync(r))!;
        Assert.That(e.StatusCode, Is.EqualTo(code), e.Status.Detail);
        // The server is still serving after the error.
        var ok = await _predict.PredictAsync(Request(Floats([2], 1)));
        Assert.That(Values(ok.Outputs["y"]), Is.EqualTo(new[] { 3f }));
        return e;
    }

    [Test]
    public async Task ErrorsAreTfServingsStatusesAndMessages()
    {
        var unknownModel = Request(Floats([1], 1));
        unknownModel.ModelSpec.Name = "nope";
        Assert.That((await Fails(unknownModel, StatusCode.NotFound)).Status.Detail, Is.EqualTo("Servable not found for request: Latest(nope)"));
        Assert.That((await Fails(Request(Floats([1], 1), version: 7), StatusCode.NotFound)).Status.Detail,
            Is.EqualTo("Servable not found for request: Specific(half, 7)"));
        Assert.That((await Fails(Request(Floats([1], 1), signature: "nope"), StatusCode.FailedPrecondition)).Status.Detail,
            Is.EqualTo("Serving signature key \"nope\" not found."));
        var wrongInput = new PredictRequest { ModelSpec = new ModelSpec { Name = "half" } };
        wrongInput.Inputs["z"] = Floats([1], 1);
        Assert.That((await Fails(wrongInput, StatusCode.InvalidArgument)).Status.Detail,
            Is.EqualTo("input size does not match signature: 1!=1 len({z}) != len({x}). Sent extra: {z}. Missing but required: {x}.")
                .Or.EqualTo("Signature input alias: x not found in request and no defaults given."));
        Assert.That((await Fails(new PredictRequest(), StatusCode.InvalidArgument)).Status.Detail, Is.EqualTo("Missing ModelSpec"));
        var filter = Request(Floats([1], 1));
        filter.OutputFilter.Add("w");
        Assert.That((await Fails(filter, StatusCode.InvalidArgument)).Status.Detail,
            Is.EqualTo("output tensor alias not found in signature: w Outputs expected to be in the set {y}."));
        // tensor_content that does not fill the shape; a dtype the input does not take.
        var bad = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShapeProto(), TensorContent = ByteString.CopyFrom(1, 2, 3) };
        bad.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 4 });
        Assert.That((await Fails(Request(bad), StatusCode.InvalidArgument)).Status.Detail, Does.StartWith("tensor parsing error: x"));
        var ints = new TensorProto { Dtype = DataType.DtInt32, TensorShape = new TensorShapeProto() };
        ints.IntVal.Add(1);
        Assert.That((await Fails(Request(ints), StatusCode.InvalidArgument)).Status.Detail, Does.Contain("dtype"));
        // A tf.Example the signature cannot parse: the model's own error, as INVALID_ARGUMENT.
        var e = Assert.ThrowsAsync<RpcException>(async () => await _predict.RegressAsync(new RegressionRequest
        {
            ModelSpec = new ModelSpec { Name = "half", SignatureName = "regress_x_to_y" },
            Input = new Tensorflow.Serving.Input { ExampleList = new ExampleList { Examples = { new Example() } } },
        }))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("Feature: x"));
        var empty = Assert.ThrowsAsync<RpcException>(async () => await _predict.ClassifyAsync(new ClassificationRequest
        {
            ModelSpec = new ModelSpec { Name = "half", SignatureName = "classify_x_to_y" },
        }))!;
        Assert.That(empty.Status.Detail, Is.EqualTo("Input is empty."));
        var wrongKind = Assert.ThrowsAsync<RpcException>(async () => await _predict.ClassifyAsync(new ClassificationRequest
        {
            ModelSpec = new ModelSpec { Name = "half", SignatureName = "serving_default" },
            Input = Harness.Examples(1),
        }))!;
        Assert.That(wrongKind.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(wrongKind.Status.Detail, Does.StartWith("No classification inputs found in SignatureDef"));
    }

    [Test]
    public void MalformedMessageBytesAreInvalidArgument()
    {
        // Bytes that are not a PredictRequest: field 1 (model_spec) claims more bytes than follow.
        var raw = new Method<byte[], byte[]>(MethodType.Unary, "tensorflow.serving.PredictionService", "Predict",
            Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        var invoker = _channel.CreateCallInvoker();
        var e = Assert.Throws<RpcException>(() => invoker.BlockingUnaryCall(raw, null, new CallOptions(), [0x0a, 0x7f, 0x01]))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument), e.Status.Detail);
        Assert.That(e.Status.Detail, Does.StartWith("Could not parse the PredictRequest"));
        Assert.That(_predict.Predict(Request(Floats([0], 1))).Outputs["y"].FloatVal, Is.EqualTo(new[] { 2f }));
    }

    [Test]
    public async Task HealthAndReflectionAnswer()
    {
        var health = new Grpc.Health.V1.Health.HealthClient(_channel);
        var h = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
        Assert.That(h.Status, Is.EqualTo(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving));
        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(_channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.True);
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToArray();
        Assert.That(names, Is.SupersetOf(new[] { "tensorflow.serving.PredictionService", "tensorflow.serving.ModelService", "grpc.health.v1.Health" }));
    }

    [Test]
    public async Task MessagesBeyondTheDotnetDefaultLimitsGoThrough()
    {
        // 8.5 M floats: 34 MB each way, past gRPC's 4 MB and Kestrel's 30 MB defaults.
        const int N = 8_500_000;
        var x = new float[N];
        for (int i = 0; i < N; i++) x[i] = i % 1000;
        var t = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShapeProto() };
        t.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = N });
        t.TensorContent = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()));
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{_server.GrpcPort}",
            new Grpc.Net.Client.GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });
        var r = await new PredictionService.PredictionServiceClient(channel).PredictAsync(Request(t));
        var y = r.Outputs["y"].FloatVal;
        Assert.That(y, Has.Count.EqualTo(N));
        for (int i = 0; i < N; i += 999_983) Assert.That(y[i], Is.EqualTo(0.5f * x[i] + 2f), $"element {i}");
    }

    [Test]
    public async Task DeadlinesAreHonoured()
    {
        var e = Assert.ThrowsAsync<RpcException>(async () =>
            await _predict.PredictAsync(Request(Floats([1], 1)), deadline: DateTime.UtcNow.AddMilliseconds(-1)))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.DeadlineExceeded));
        var ok = await _predict.PredictAsync(Request(Floats([1], 1)), deadline: DateTime.UtcNow.AddMinutes(5));
        Assert.That(Values(ok.Outputs["y"]), Is.EqualTo(new[] { 2.5f }));
    }
}
