using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using TensorGraph.Proto;

namespace TensorGraph.Remote;

/// <summary>
/// The client half of a session whose target is <c>grpc://host:port</c>: it speaks TF 1.x's
/// master protocol (<c>/tensorflow.MasterService/…</c>) to a <c>tensorgraph server</c> (or any
/// TF1 master). The graph is sent with CreateSession on the first run and grown with
/// ExtendSession (only the nodes added since, with the graph version the server last returned);
/// each run is one RunStep with errors in the response body; Dispose sends CloseSession.
/// </summary>
internal sealed partial class RemoteSession : IDisposable
{
    private const string Service = "tensorflow.MasterService";

    private readonly Graph _graph;
    private readonly GrpcChannel _channel;
    private readonly CallInvoker _calls;
    private readonly Metadata? _headers;
    private readonly Lock _gate = new();
    private string? _handle;
    private long _graphVersion;
    private int _sentOps;

    private static readonly Method<CreateSessionRequest, CreateSessionResponse> CreateMethod = M<CreateSessionRequest, CreateSessionResponse>("CreateSession", CreateSessionResponse.Parser);
    private static readonly Method<ExtendSessionRequest, ExtendSessionResponse> ExtendMethod = M<ExtendSessionRequest, ExtendSessionResponse>("ExtendSession", ExtendSessionResponse.Parser);
    private static readonly Method<RunStepRequest, RunStepResponse> RunStepMethod = M<RunStepRequest, RunStepResponse>("RunStep", RunStepResponse.Parser);
    private static readonly Method<MakeCallableRequest, MakeCallableResponse> MakeCallableMethod = M<MakeCallableRequest, MakeCallableResponse>("MakeCallable", MakeCallableResponse.Parser);
    private static readonly Method<RunCallableRequest, RunCallableResponse> RunCallableMethod = M<RunCallableRequest, RunCallableResponse>("RunCallable", RunCallableResponse.Parser);
    private static readonly Method<ReleaseCallableRequest, ReleaseCallableResponse> ReleaseCallableMethod = M<ReleaseCallableRequest, ReleaseCallableResponse>("ReleaseCallable", ReleaseCallableResponse.Parser);
    private static readonly Method<PartialRunSetupRequest, PartialRunSetupResponse> PartialRunSetupMethod = M<PartialRunSetupRequest, PartialRunSetupResponse>("PartialRunSetup", PartialRunSetupResponse.Parser);
    private static readonly Method<CloseSessionRequest, CloseSessionResponse> CloseMethod = M<CloseSessionRequest, CloseSessionResponse>("CloseSession", CloseSessionResponse.Parser);

    /// <summary>Opens a channel to <paramref name="target"/> (<c>grpc://host:port</c>); nothing is sent until the first run.</summary>
    public RemoteSession(Graph graph, string target, RemoteOptions? options)
    {
        _graph = graph;
        Target = target;
        var authority = target["grpc://".Length..].TrimEnd('/');
        if (authority.Length == 0 || authority.Contains('/', StringComparison.Ordinal))
            throw new InvalidArgumentException($"Session target '{target}' is not of the form grpc://host:port");
        bool tls = options?.UseTls ?? false;
        if (options?.TrustedRootCertificates is { } roots && !tls)
            throw new InvalidArgumentException("RemoteOptions.TrustedRootCertificates needs UseTls");
        _channel = GrpcChannel.ForAddress((tls ? "https://" : "http://") + authority, new GrpcChannelOptions
        {
            // TF's feeds and fetches are often larger than gRPC's 4 MB default.
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
            HttpHandler = options?.TrustedRootCertificates is { } trusted ? TrustingOnly(trusted) : null,
            DisposeHttpClient = true,
        });
        _calls = _channel.CreateCallInvoker();
        if (options?.BearerToken is { Length: > 0 } token) _headers = new Metadata { { "authorization", "Bearer " + token } };
    }

    /// <summary>An HTTP handler whose TLS trusts only <paramref name="roots"/> (custom root trust; names and dates still checked).</summary>
    private static System.Net.Http.SocketsHttpHandler TrustingOnly(X509Certificate2Collection roots)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(roots);
        return new System.Net.Http.SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions { CertificateChainPolicy = policy },
        };
    }

    /// <summary>The target this session talks to.</summary>
    public string Target { get; }

    /// <summary>True for a target this class serves (<c>grpc://…</c>).</summary>
    public static bool IsRemoteTarget(string target) => target.StartsWith("grpc://", StringComparison.Ordinal);

    /// <summary>The default timeout of every step (ConfigProto.operation_timeout_in_ms), sent with CreateSession.</summary>
    public long OperationTimeoutInMs { get; set; }

    private static Method<TReq, TResp> M<TReq, TResp>(string name, MessageParser<TResp> parser)
        where TReq : class, IMessage<TReq> where TResp : class, IMessage<TResp> =>
        new(MethodType.Unary, Service, name, Marshallers.Create((TReq m) => m.ToByteArray(), _ => throw new NotSupportedException()),
            Marshallers.Create((TResp m) => m.ToByteArray(), parser.ParseFrom));

    /// <summary>One step: feeds as TensorProtos, fetches as <c>op:index</c>, targets by op name.</summary>
    public Tensor[] Run(Output[] fetches, Output[] feedKeys, Tensor[] feedValues, Operation[] targets, long timeoutInMs, CancellationToken cancellationToken) =>
        Step(fetches, feedKeys, feedValues, targets, "", timeoutInMs, cancellationToken);

    /// <summary>One RunStep (of a partial run when <paramref name="partialRunHandle"/> is set), errors in the response body.</summary>
    internal Tensor[] Step(Output[] fetches, Output[] feedKeys, Tensor[] feedValues, Operation[] targets, string partialRunHandle, long timeoutInMs, CancellationToken cancellationToken)
    {
        var handle = Sync(cancellationToken);
        var request = new RunStepRequest { SessionHandle = handle, StoreErrorsInResponseBody = true, PartialRunHandle = partialRunHandle };
        for (int i = 0; i < feedKeys.Length; i++)
            request.Feed.Add(new NamedTensorProto { Name = feedKeys[i].Name, Tensor = TensorProtos.ToProto(feedValues[i]) });
        foreach (var f in fetches) request.Fetch.Add(f.Name);
        foreach (var t in targets) request.Target.Add(t.Name);
        if (timeoutInMs > 0) request.Options = new Proto.RunOptions { TimeoutInMs = timeoutInMs };
        var response = Call(RunStepMethod, request, cancellationToken);
        if (response.StatusCode != Code.Ok) throw Error((ErrorCode)(int)response.StatusCode, response.StatusErrorMessage);
        var byName = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in response.Tensor) byName[t.Name] = t.Tensor;
        var results = new Tensor[fetches.Length];
        for (int i = 0; i < fetches.Length; i++)
        {
            if (!byName.TryGetValue(fetches[i].Name, out var proto))
                throw new InternalException($"The server at {Target} returned no value for fetch '{fetches[i].Name}'");
            results[i] = TensorProtos.FromProto(proto);
        }
        return results;
    }

    /// <summary>
    /// Compiles a callable on the server (MakeCallable with CallableOptions feed/fetch/target names
    /// and the run options' timeout), after sending the graph as it is now.
    /// </summary>
    public RemoteCallable MakeCallable(Output[] feeds, Output[] fetches, Operation[] targets, (Output From, Output To)[] connections, Proto.RunOptions? runOptions)
    {
        var handle = Sync(default);
        var options = new CallableOptions();
        foreach (var f in feeds) options.Feed.Add(f.Name);
        foreach (var f in fetches) options.Fetch.Add(f.Name);
        foreach (var t in targets) options.Target.Add(t.Name);
        foreach (var (from, to) in connections) options.TensorConnection.Add(new TensorConnection { FromTensor = from.Name, ToTensor = to.Name });
        if (runOptions is not null) options.RunOptions = runOptions;
        var made = Call(MakeCallableMethod, new MakeCallableRequest { SessionHandle = handle, Options = options }, default);
        return new RemoteCallable(this, handle, made.Handle, fetches.Length);
    }

    /// <summary>One RunCallable: feeds in the callable's feed order; a timeout becomes the call's deadline.</summary>
    internal Tensor[] RunCallable(string session, long handle, Tensor[] feeds, int fetchCount, long timeoutInMs, CancellationToken cancellationToken)
    {
        var request = new RunCallableRequest { SessionHandle = session, Handle = handle };
        foreach (var f in feeds) request.Feed.Add(TensorProtos.ToProto(f));
        DateTime? deadline = timeoutInMs > 0 ? DateTime.UtcNow.AddMilliseconds(timeoutInMs) : null;
        var response = Call(RunCallableMethod, request, cancellationToken, deadline);
        if (response.Fetch.Count != fetchCount)
            throw new InternalException($"The server at {Target} returned {response.Fetch.Count} values for a callable with {fetchCount} fetches");
        var results = new Tensor[fetchCount];
        for (int i = 0; i < fetchCount; i++) results[i] = TensorProtos.FromProto(response.Fetch[i]);
        return results;
    }

    /// <summary>ReleaseCallable; a server that is gone (or a session already closed) is not an error.</summary>
    internal void ReleaseCallable(string session, long handle)
    {
        lock (_gate)
        {
            if (_handle != session) return;
            try
            {
                _calls.BlockingUnaryCall(ReleaseCallableMethod, null, new CallOptions(_headers, deadline: DateTime.UtcNow.AddSeconds(10)),
                    new ReleaseCallableRequest { SessionHandle = session, Handle = handle });
            }
            catch (RpcException)
            {
                // The server dropped it with the session, or is gone.
            }
        }
    }

    /// <summary>PartialRunSetup on the server, after sending the graph as it is now.</summary>
    public RemotePartialRun PartialRunSetup(Output[] fetches, Output[] feeds, Operation[] targets, CancellationToken cancellationToken)
    {
        var handle = Sync(cancellationToken);
        var request = new PartialRunSetupRequest { SessionHandle = handle };
        foreach (var f in feeds) request.Feed.Add(f.Name);
        foreach (var f in fetches) request.Fetch.Add(f.Name);
        foreach (var t in targets) request.Target.Add(t.Name);
        var setup = Call(PartialRunSetupMethod, request, cancellationToken);
        return new RemotePartialRun(this, setup.PartialRunHandle);
    }

    /// <summary>Sends the graph on first use, and the nodes added since on later ones; returns the session handle.</summary>
    private string Sync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_handle is not null && _graph.OperationCount == _sentOps) return _handle;
            var ops = _graph.Operations;
            int count = ops.Count;
            var def = new GraphDef { Versions = new VersionDef { Producer = Graph.GraphDefVersion } };
            for (int i = _sentOps; i < count; i++) def.Node.Add(ops[i].ToNodeDef());
            if (_handle is null)
            {
                if (_graph.Library is not null) def.Library = _graph.Library.Clone();
                var request = new CreateSessionRequest { GraphDef = def };
                if (OperationTimeoutInMs > 0) request.Config = new ConfigProto { OperationTimeoutInMs = OperationTimeoutInMs };
                var created = Call(CreateMethod, request, cancellationToken);
                _handle = created.SessionHandle;
                _graphVersion = created.GraphVersion;
            }
            else
            {
                var extended = Call(ExtendMethod, new ExtendSessionRequest { SessionHandle = _handle, GraphDef = def, CurrentGraphVersion = _graphVersion }, cancellationToken);
                _graphVersion = extended.NewGraphVersion;
            }
            _sentOps = count;
            return _handle;
        }
    }

    private TResp Call<TReq, TResp>(Method<TReq, TResp> method, TReq request, CancellationToken cancellationToken, DateTime? deadline = null)
        where TReq : class where TResp : class
    {
        try
        {
            return _calls.BlockingUnaryCall(method, null, new CallOptions(_headers, deadline, cancellationToken), request);
        }
        catch (RpcException e)
        {
            throw Error(Map(e.StatusCode), $"{method.Name} on {Target}: {e.Status.Detail}", e);
        }
    }

    /// <summary>gRPC's status codes, as the library's (the same numbers as TF's; those it has no type for stay a plain <see cref="TensorGraphException"/>).</summary>
    private static ErrorCode Map(StatusCode code) => code switch
    {
        StatusCode.Cancelled => ErrorCode.Cancelled,
        StatusCode.OK or StatusCode.Unknown => ErrorCode.Unknown,
        _ => (ErrorCode)(int)code,
    };

    /// <summary>The <c>[node 'name' (Type), from …]</c> the library's errors end with; the server's location is its import.</summary>
    [GeneratedRegex(@"\[node '([^']+)' \(([^)]*)\)(, [^\]]*)?\]")]
    private static partial Regex NodeInMessage();

    /// <summary>
    /// A typed error for a server's failure: the node the message names becomes
    /// <see cref="TensorGraphException.NodeName"/>, and where the server says it came from (its
    /// CreateSession or ExtendSession import) is replaced by the line that built it in this process.
    /// </summary>
    private TensorGraphException Error(ErrorCode code, string message, Exception? inner = null)
    {
        var m = NodeInMessage().Match(message);
        string? node = m.Success ? m.Groups[1].Value : null;
        if (node is not null && _graph.TryGetOperation(node) is { Location: { } loc })
            message = string.Concat(message.AsSpan(0, m.Index), $"[node '{node}' ({m.Groups[2].Value}), {loc.Describe(node)}]", message.AsSpan(m.Index + m.Length));
        return Errors.Make(code, message, inner, node);
    }

    /// <summary>Sends CloseSession (if a session was created) and closes the channel; a failure to close is not raised.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_handle is { } handle)
            {
                _handle = null;
                try
                {
                    _calls.BlockingUnaryCall(CloseMethod, null, new CallOptions(_headers, deadline: DateTime.UtcNow.AddSeconds(10)), new CloseSessionRequest { SessionHandle = handle });
                }
                catch (RpcException)
                {
                    // The server is gone or already dropped the session: its state is gone either way.
                }
            }
            _channel.Dispose();
        }
    }
}
