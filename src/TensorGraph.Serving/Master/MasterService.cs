using System.Collections.Concurrent;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Serving.Master;

/// <summary>
/// One session of the master: its own graph and <see cref="Session"/> (variables live here, on
/// the server). Extending the graph and running it are serialized by one lock.
/// </summary>
internal sealed class MasterSession(Graph graph, Session session) : IDisposable
{
    public Graph Graph { get; } = graph;
    public Session Session { get; } = session;
    public object Gate { get; } = new();
    public long GraphVersion { get; set; }

    public void Dispose() => Session.Dispose();
}

/// <summary>
/// TF 1.15's master (<c>tensorflow.MasterService</c>) over TensorGraph sessions: CreateSession,
/// ExtendSession, RunStep, CloseSession, ListDevices and Reset. Partial runs and callables are
/// UNIMPLEMENTED.
/// </summary>
internal sealed class MasterServiceImpl : IDisposable
{
    /// <summary>The one device a session runs on, as TF names it.</summary>
    public const string CpuDevice = "/job:localhost/replica:0/task:0/device:CPU:0";

    private readonly ConcurrentDictionary<string, MasterSession> _sessions = new(StringComparer.Ordinal);
    private static readonly ulong Incarnation = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));

    /// <summary>The number of open sessions.</summary>
    public int SessionCount => _sessions.Count;

    private static ImportOptions Extend { get; } = new() { ReadExistingNodes = true };

    private MasterSession Find(string handle) =>
        _sessions.TryGetValue(handle ?? "", out var s) ? s
        : throw ServingException.Aborted($"Session {handle} is not found.");

    public Task<CreateSessionResponse> CreateSession(CreateSessionRequest request, ServerCallContext context) => Guarded.Call(() =>
    {
        var graph = new Graph();
        if (request.GraphDef is { } def) graph.Import(def, source: "CreateSession", options: Extend);
        var session = new Session(graph) { OperationTimeoutInMs = request.Config?.OperationTimeoutInMs ?? 0 };
        var handle = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        var ms = new MasterSession(graph, session);
        _sessions[handle] = ms;
        return Task.FromResult(new CreateSessionResponse { SessionHandle = handle, GraphVersion = ms.GraphVersion });
    });

    public Task<ExtendSessionResponse> ExtendSession(ExtendSessionRequest request, ServerCallContext context) => Guarded.Call(() =>
    {
        var s = Find(request.SessionHandle);
        lock (s.Gate)
        {
            if (request.CurrentGraphVersion != s.GraphVersion)
                throw ServingException.Aborted($"Current version is {s.GraphVersion} but caller expected {request.CurrentGraphVersion}.");
            if (request.GraphDef is { } def && def.Node.Count > 0) s.Graph.Import(def, source: "ExtendSession", options: Extend);
            s.GraphVersion++;
            return Task.FromResult(new ExtendSessionResponse { NewGraphVersion = s.GraphVersion });
        }
    });

    public async Task<RunStepResponse> RunStep(RunStepRequest request, ServerCallContext context)
    {
        try
        {
            return await Task.Run(() => Run(request, context), context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (request.StoreErrorsInResponseBody && e is not RpcException)
        {
            // TF's RunStepHandler answers OK with the failure in the body when the client asks for it.
            var s = ServingException.From(e);
            return new RunStepResponse { StatusCode = (Code)(int)s.Code, StatusErrorMessage = s.Message };
        }
        catch (RpcException e) when (request.StoreErrorsInResponseBody)
        {
            return new RunStepResponse { StatusCode = (Code)(int)e.StatusCode, StatusErrorMessage = e.Status.Detail };
        }
        catch (Exception e) when (e is not RpcException)
        {
            var s = ServingException.From(e);
            throw new RpcException(new Status(s.Code, s.Message));
        }
    }

    private RunStepResponse Run(RunStepRequest request, ServerCallContext context)
    {
        if (request.PartialRunHandle.Length > 0) throw new ServingException(StatusCode.Unimplemented, "Partial runs are not supported");
        var s = Find(request.SessionHandle);
        lock (s.Gate)
        {
            var g = s.Graph;
            var feeds = new FeedDict();
            foreach (var f in request.Feed)
            {
                if (f.Tensor is null) throw ServingException.InvalidArgument($"Feed {f.Name} has no tensor");
                feeds.Add(g.GetTensor(f.Name), TensorCodec.Decode(f.Tensor, f.Name));
            }
            var fetches = request.Fetch.Select(g.GetTensor).ToArray();
            var targets = request.Target.Select(g.GetOperation).ToArray();
            long timeout = request.Options?.TimeoutInMs ?? 0;
            if (context.Deadline != DateTime.MaxValue)
            {
                long left = Math.Max(1, (long)(context.Deadline - DateTime.UtcNow).TotalMilliseconds);
                timeout = timeout > 0 ? Math.Min(timeout, left) : left;
            }
            var options = timeout > 0 ? new RunOptions { TimeoutInMs = timeout } : null;
            var values = s.Session.Run(fetches, feeds, targets, options, context.CancellationToken);
            var response = new RunStepResponse();
            for (int i = 0; i < values.Length; i++)
                response.Tensor.Add(new NamedTensorProto { Name = request.Fetch[i], Tensor = TensorProtos.ToProto(values[i]) });
            return response;
        }
    }

    public Task<CloseSessionResponse> CloseSession(CloseSessionRequest request, ServerCallContext context) => Guarded.Call(() =>
    {
        if (!_sessions.TryRemove(request.SessionHandle ?? "", out var s)) throw ServingException.Aborted($"Session {request.SessionHandle} is not found.");
        lock (s.Gate) s.Dispose();
        return Task.FromResult(new CloseSessionResponse());
    });

    public Task<ListDevicesResponse> ListDevices(ListDevicesRequest request, ServerCallContext context) => Guarded.Call(() =>
    {
        if (request.SessionHandle.Length > 0) Find(request.SessionHandle);
        var r = new ListDevicesResponse();
        r.LocalDevice.Add(new DeviceAttributes
        {
            Name = CpuDevice, DeviceType = "CPU", MemoryLimit = 268435456, Locality = new DeviceLocality(), Incarnation = Incarnation,
        });
        return Task.FromResult(r);
    });

    /// <summary>Closes every session (their variables go with them), as TF's Reset does for the containers it names.</summary>
    public Task<ResetResponse> Reset(ResetRequest request, ServerCallContext context) => Guarded.Call(() =>
    {
        CloseAll();
        return Task.FromResult(new ResetResponse());
    });

    private void CloseAll()
    {
        foreach (var handle in _sessions.Keys)
            if (_sessions.TryRemove(handle, out var s))
                lock (s.Gate) s.Dispose();
    }

    private static Task<T> Unimplemented<T>(string what) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, what + " is not supported by this server"));

    public Task<PartialRunSetupResponse> PartialRunSetup(PartialRunSetupRequest request, ServerCallContext context) => Unimplemented<PartialRunSetupResponse>("PartialRunSetup");
    public Task<MakeCallableResponse> MakeCallable(MakeCallableRequest request, ServerCallContext context) => Unimplemented<MakeCallableResponse>("MakeCallable");
    public Task<RunCallableResponse> RunCallable(RunCallableRequest request, ServerCallContext context) => Unimplemented<RunCallableResponse>("RunCallable");
    public Task<ReleaseCallableResponse> ReleaseCallable(ReleaseCallableRequest request, ServerCallContext context) => Unimplemented<ReleaseCallableResponse>("ReleaseCallable");

    public void Dispose() => CloseAll();
}

/// <summary>Binds the master at TF's path <c>/tensorflow.MasterService/&lt;Method&gt;</c> and at the generated stubs' <c>/tensorflow.grpc.MasterService/&lt;Method&gt;</c>.</summary>
internal sealed class MasterMethods : IServiceMethodProvider<MasterServiceImpl>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<MasterServiceImpl> context)
    {
        foreach (var service in new[] { "tensorflow.MasterService", "tensorflow.grpc.MasterService" })
        {
            context.AddUnaryMethod(ServingMethods.Unary(service, "CreateSession", CreateSessionRequest.Parser, CreateSessionResponse.Parser), [], (s, r, c) => s.CreateSession(r, c));
            context.AddUnaryMethod(ServingMethods.Unary(service, "ExtendSession", ExtendSessionRequest.Parser, ExtendSessionResponse.Parser), [], (s, r, c) => s.ExtendSession(r, c));
            context.AddUnaryMethod(ServingMethods.Unary(service, "PartialRunSetup", PartialRunSetupRequest.Parser, PartialRunSetupResponse.Parser), [], (s, r, c) => s.PartialRunSetup(r, c));
            context.AddUnaryMethod(ServingMethods.Unary(service, "RunStep", RunStepRequest.Parser, RunStepResponse.Parser), [], (s, r, c) => s.RunStep(r, c));
            context.AddUnaryMethod(ServingMethods.Unary(service, "CloseSession", CloseSessionRequest.Parser, CloseSessionResponse.Parser), [], (s, r, c) => s.CloseSession(r, c));
            context.AddUnaryMethod(ServingMethods.Unary(service, "ListDevices", ListDevicesRequest.Parser, ListDevicesResponse.Parser), [], (s, r, c) => s.ListDevices(r, c));
            context.AddUnaryMethod(ServingMethods.Unary(service, "Reset", ResetRequest.Parser, ResetResponse.Parser), [], (s, r, c) => s.Reset(r, c));
            context.AddUnaryMethod(ServingMethods.Unary(service, "MakeCallable", MakeCallableRequest.Parser, MakeCallableResponse.Parser), [], (s, r, c) => s.MakeCallable(r, c));
            context.AddUnaryMethod(ServingMethods.Unary(service, "RunCallable", RunCallableRequest.Parser, RunCallableResponse.Parser), [], (s, r, c) => s.RunCallable(r, c));
            context.AddUnaryMethod(ServingMethods.Unary(service, "ReleaseCallable", ReleaseCallableRequest.Parser, ReleaseCallableResponse.Parser), [], (s, r, c) => s.ReleaseCallable(r, c));
        }
    }
}
