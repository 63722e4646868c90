using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core.Interceptors;
using Tensorflow.Serving;

namespace TensorGraph.Serving;

/// <summary>Runs a handler and turns any failure into the gRPC status TF Serving would answer; nothing escapes as a crash.</summary>
internal static class Guarded
{
    public static async Task<T> Call<T>(Func<Task<T>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (Exception e)
        {
            var s = ServingException.From(e);
            throw new RpcException(new Status(s.Code, s.Message));
        }
    }
}

/// <summary><c>tensorflow.serving.PredictionService</c>: Predict, Classify, Regress, MultiInference, GetModelMetadata.</summary>
internal sealed class PredictionServiceImpl(InferenceCore core)
{
    public Task<PredictResponse> Predict(PredictRequest request, ServerCallContext context) =>
        Guarded.Call(() => core.PredictAsync(request, context.Deadline, context.CancellationToken));

    public Task<ClassificationResponse> Classify(ClassificationRequest request, ServerCallContext context) =>
        Guarded.Call(() => core.ClassifyAsync(request, context.Deadline, context.CancellationToken));

    public Task<RegressionResponse> Regress(RegressionRequest request, ServerCallContext context) =>
        Guarded.Call(() => core.RegressAsync(request, context.Deadline, context.CancellationToken));

    public Task<MultiInferenceResponse> MultiInference(MultiInferenceRequest request, ServerCallContext context) =>
        Guarded.Call(() => core.MultiInferenceAsync(request, context.Deadline, context.CancellationToken));

    public Task<GetModelMetadataResponse> GetModelMetadata(GetModelMetadataRequest request, ServerCallContext context) =>
        Guarded.Call(() => Task.FromResult(core.GetModelMetadata(request)));
}

/// <summary><c>tensorflow.serving.ModelService</c>: GetModelStatus and HandleReloadConfigRequest.</summary>
internal sealed class ModelServiceImpl(InferenceCore core)
{
    public Task<GetModelStatusResponse> GetModelStatus(GetModelStatusRequest request, ServerCallContext context) =>
        Guarded.Call(() => Task.FromResult(core.GetModelStatus(request)));

    public async Task<ReloadConfigResponse> HandleReloadConfigRequest(ReloadConfigRequest request, ServerCallContext context)
    {
        // TF Serving answers OK with the outcome in the response body.
        var status = new StatusProto { ErrorCode = TensorGraph.Proto.Code.Ok };
        try
        {
            if (request.Config is null) throw ServingException.InvalidArgument("ReloadConfigRequest has no config");
            await Task.Run(() => core.Models.Reload(request.Config), context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var s = ServingException.From(e);
            status = new StatusProto { ErrorCode = (TensorGraph.Proto.Code)(int)s.Code, ErrorMessage = s.Message };
        }
        return new ReloadConfigResponse { Status = status };
    }
}

/// <summary>
/// Binds the services under TF Serving's method paths with request marshallers that answer bytes
/// which are not a valid message with INVALID_ARGUMENT (the generated ones would surface as UNKNOWN).
/// </summary>
internal sealed class ServingMethods : IServiceMethodProvider<PredictionServiceImpl>, IServiceMethodProvider<ModelServiceImpl>
{
    private static Marshaller<T> For<T>(MessageParser<T> parser) where T : IMessage<T> => Marshallers.Create(
        (T m) => m.ToByteArray(),
        bytes =>
        {
            try
            {
                return parser.ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Could not parse the {typeof(T).Name}: {e.Message}"));
            }
        });

    internal static Method<TReq, TResp> Unary<TReq, TResp>(string service, string name, MessageParser<TReq> req, MessageParser<TResp> resp)
        where TReq : IMessage<TReq> where TResp : IMessage<TResp> =>
        new(MethodType.Unary, service, name, For(req), For(resp));

    private const string Prediction = "tensorflow.serving.PredictionService";
    private const string Model = "tensorflow.serving.ModelService";

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<PredictionServiceImpl> context)
    {
        context.AddUnaryMethod(Unary(Prediction, "Classify", ClassificationRequest.Parser, ClassificationResponse.Parser), [], (s, r, c) => s.Classify(r, c));
        context.AddUnaryMethod(Unary(Prediction, "Regress", RegressionRequest.Parser, RegressionResponse.Parser), [], (s, r, c) => s.Regress(r, c));
        context.AddUnaryMethod(Unary(Prediction, "Predict", PredictRequest.Parser, PredictResponse.Parser), [], (s, r, c) => s.Predict(r, c));
        context.AddUnaryMethod(Unary(Prediction, "MultiInference", MultiInferenceRequest.Parser, MultiInferenceResponse.Parser), [], (s, r, c) => s.MultiInference(r, c));
        context.AddUnaryMethod(Unary(Prediction, "GetModelMetadata", GetModelMetadataRequest.Parser, GetModelMetadataResponse.Parser), [], (s, r, c) => s.GetModelMetadata(r, c));
    }

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<ModelServiceImpl> context)
    {
        context.AddUnaryMethod(Unary(Model, "GetModelStatus", GetModelStatusRequest.Parser, GetModelStatusResponse.Parser), [], (s, r, c) => s.GetModelStatus(r, c));
        context.AddUnaryMethod(Unary(Model, "HandleReloadConfigRequest", ReloadConfigRequest.Parser, ReloadConfigResponse.Parser), [], (s, r, c) => s.HandleReloadConfigRequest(r, c));
    }
}

/// <summary>A bearer token compared in constant time (SHA-256 of both sides, then a fixed-time compare).</summary>
public sealed class BearerToken
{
    private readonly byte[] _hash;

    /// <summary>A token; surrounding whitespace (a file's trailing newline) is not part of it.</summary>
    public BearerToken(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        token = token.Trim();
        if (token.Length == 0) throw new ArgumentException("The auth token is empty", nameof(token));
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    /// <summary>Whether an <c>authorization</c> header value is <c>Bearer TOKEN</c> with this token.</summary>
    public bool Accepts(string? header)
    {
        const string Prefix = "Bearer ";
        if (header is null || !header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) return false;
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[Prefix.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, _hash);
    }
}

/// <summary>Refuses gRPC calls without the bearer token (UNAUTHENTICATED); health checks stay open for probes.</summary>
internal sealed class AuthInterceptor(BearerToken token) : Interceptor
{
    private void Check(ServerCallContext context)
    {
        if (context.Method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal)) return;
        var header = context.RequestHeaders.GetValue("authorization");
        if (!token.Accepts(header)) throw new RpcException(new Status(StatusCode.Unauthenticated, "Missing or invalid bearer token"));
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }
}
