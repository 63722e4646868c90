using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.Collections;
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

    /// <summary>Callables by handle (TF's <c>callables_</c>); handles count from 0 and are never reused.</summary>
    public Dictionary<long, MasterCallable> Callables { get; } = [];
    public long NextCallableHandle { get; set; }

    /// <summary>Partial runs by handle (TF's <c>partial_runs_</c>; handles "0", "1", ...).</summary>
    public Dictionary<string, PartialRunHandle> PartialRuns { get; } = new(StringComparer.Ordinal);
    public long NextPartialRunHandle { get; set; }

    public void Dispose()
    {
        foreach (var c in Callables.Values) c.Callable.Dispose();
        Callables.Clear();
        PartialRuns.Clear();
        Session.Dispose();
    }
}

/// <summary>A callable of a master session, with the timeout of its CallableOptions.run_options.</summary>
internal sealed record MasterCallable(Callable Callable, int FeedCount, long TimeoutInMs);

/// <summary>
/// TF 1.15's master (<c>tensorflow.MasterService</c>) over TensorGraph sessions: CreateSession,
/// ExtendSession, PartialRunSetup, RunStep (partial runs included), CloseSession, ListDevices,
/// Reset, MakeCallable, RunCallable and ReleaseCallable, with the codes and messages of TF's
/// <c>master_session.cc</c>.
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
        var session = new Session(graph, new SessionOptions
        {
            OperationTimeoutInMs = request.Config?.OperationTimeoutInMs ?? 0,
            AllowSoftPlacement = request.Config?.AllowSoftPlacement ?? false,
            LogDevicePlacement = request.Config?.LogDevicePlacement ?? false,
        });
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

    /// <summary>The run's timeout: the request's own (or a callable's), bounded by the call's deadline; null for none.</summary>
    private static RunOptions? TimeoutOf(long timeout, ServerCallContext context)
    {
        if (context.Deadline != DateTime.MaxValue)
        {
            long left = Math.Max(1, (long)(context.Deadline - DateTime.UtcNow).TotalMilliseconds);
            timeout = timeout > 0 ? Math.Min(timeout, left) : left;
        }
        return timeout > 0 ? new RunOptions { TimeoutInMs = timeout } : null;
    }

    private static FeedDict Feeds(Graph g, RepeatedField<NamedTensorProto> feed)
    {
        var feeds = new FeedDict { ConvertDtypes = false };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in feed)
        {
            if (f.Tensor is null) throw ServingException.InvalidArgument($"Feed {f.Name} has no tensor");
            if (!seen.Add(f.Name)) throw ServingException.InvalidArgument($"Duplicated feeds: {f.Name}");
            feeds.Add(g.GetTensor(f.Name), TensorCodec.Decode(f.Tensor, f.Name));
        }
        return feeds;
    }

    private RunStepResponse Run(RunStepRequest request, ServerCallContext context)
    {
        var s = Find(request.SessionHandle);
        lock (s.Gate)
        {
            var g = s.Graph;
            var feeds = Feeds(g, request.Feed);
            var fetches = request.Fetch.Select(g.GetTensor).ToArray();
            var options = TimeoutOf(request.Options?.TimeoutInMs ?? 0, context);
            Tensor[] values;
            if (request.PartialRunHandle.Length > 0)
            {
                // TF's DoPartialRun: the handle's run feeds and fetches pieces of one step; request targets are not used.
                if (!s.PartialRuns.TryGetValue(request.PartialRunHandle, out var pr))
                    throw ServingException.InvalidArgument("Must run PartialRunSetup before performing partial runs");
                try
                {
                    values = pr.Run(fetches, feeds, options, context.CancellationToken);
                }
                finally
                {
                    if (pr.IsFinished) s.PartialRuns.Remove(request.PartialRunHandle);
                }
            }
            else
            {
                var targets = request.Target.Select(g.GetOperation).ToArray();
                values = s.Session.Run(fetches, feeds, targets, options, context.CancellationToken);
            }
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

    /// <summary>TF's PartialRunSetup: declares the feeds, fetches and targets of a partial run; later RunSteps carry the handle.</summary>
    public Task<PartialRunSetupResponse> PartialRunSetup(PartialRunSetupRequest request, ServerCallContext context) => Guarded.Call(() =>
    {
        var s = Find(request.SessionHandle);
        lock (s.Gate)
        {
            var g = s.Graph;
            var pr = s.Session.PartialRunSetup(
                [.. request.Fetch.Select(g.GetTensor)], [.. request.Feed.Select(g.GetTensor)], [.. request.Target.Select(g.GetOperation)]);
            var handle = (s.NextPartialRunHandle++).ToString(CultureInfo.InvariantCulture);
            s.PartialRuns[handle] = pr;
            return Task.FromResult(new PartialRunSetupResponse { PartialRunHandle = handle });
        }
    });

    /// <summary>TF's MakeCallable: compiles CallableOptions' feeds, fetches and targets once; the handle counts from 0 per session.</summary>
    public Task<MakeCallableResponse> MakeCallable(MakeCallableRequest request, ServerCallContext context) => Guarded.Call(() =>
    {
        var s = Find(request.SessionHandle);
        var o = request.Options ?? new CallableOptions();
        // A remote session has no defined meaning for on-device feeds and fetches (TF's grpc_session_test expects UNIMPLEMENTED).
        if (o.FeedDevices.Count > 0 || o.FetchDevices.Count > 0)
            throw new ServingException(StatusCode.Unimplemented, "CallableOptions.feed_devices and fetch_devices are not supported by a remote session");
        lock (s.Gate)
        {
            var g = s.Graph;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var f in o.Feed)
                if (!seen.Add(f)) throw ServingException.InvalidArgument($"Duplicate feed {f} in CallableOptions");
            var connections = o.TensorConnection.Select(c => (Connected(g, c), g.GetTensor(c.ToTensor))).ToArray();
            // fetch_skip_sync asks not to wait for device streams: a CPU step has none, so it changes nothing.
            var callable = s.Session.MakeCallable([.. o.Feed.Select(g.GetTensor)], [.. o.Fetch.Select(g.GetTensor)], [.. o.Target.Select(g.GetOperation)], connections);
            long handle = s.NextCallableHandle++;
            s.Callables[handle] = new MasterCallable(callable, o.Feed.Count, o.RunOptions?.TimeoutInMs ?? 0);
            return Task.FromResult(new MakeCallableResponse { Handle = handle });
        }
    });

    /// <summary>A tensor connection's from_tensor, with graph_execution_state.cc's errors (which name the to_tensor).</summary>
    private static Output Connected(Graph g, TensorConnection c)
    {
        int colon = c.FromTensor.LastIndexOf(':');
        var opName = colon >= 0 ? c.FromTensor[..colon] : c.FromTensor;
        var op = g.TryGetOperation(opName) ?? throw ServingException.InvalidArgument($"Requested tensor connection from unknown node: \"{c.ToTensor}\".");
        int index = 0;
        if (colon >= 0 && (!int.TryParse(c.FromTensor.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out index) || index >= op.NumOutputs))
            throw ServingException.InvalidArgument($"Requested tensor connection from unknown edge: \"{c.ToTensor}\" (actual number of outputs = {op.NumOutputs}).");
        return op[index];
    }

    /// <summary>TF's RunCallable: feeds in CallableOptions.feed order, fetches in CallableOptions.fetch order.</summary>
    public Task<RunCallableResponse> RunCallable(RunCallableRequest request, ServerCallContext context) => Guarded.Call(() =>
        Task.Run(() =>
        {
            var s = Find(request.SessionHandle);
            lock (s.Gate)
            {
                if (!s.Callables.TryGetValue(request.Handle, out var c))
                {
                    if (request.Handle < 0 || request.Handle >= s.NextCallableHandle)
                        throw ServingException.InvalidArgument($"No such callable handle: {request.Handle}");
                    throw ServingException.InvalidArgument($"Attempted to run callable after handle was released: {request.Handle}");
                }
                if (request.Feed.Count != c.FeedCount)
                    throw ServingException.InvalidArgument($"Invalid number of feed tensors: expected {c.FeedCount}, got {request.Feed.Count}");
                var feeds = new Tensor[request.Feed.Count];
                for (int i = 0; i < feeds.Length; i++) feeds[i] = TensorCodec.Decode(request.Feed[i], $"feed {i}");
                var values = c.Callable.Run(feeds, TimeoutOf(c.TimeoutInMs, context), context.CancellationToken);
                var response = new RunCallableResponse();
                // The callable's results are its reused buffers: encode them before the next call.
                foreach (var v in values) response.Fetch.Add(TensorProtos.ToProto(v));
                return response;
            }
        }, context.CancellationToken));

    /// <summary>TF's ReleaseCallable: drops the handle; an unknown or already released one is not an error.</summary>
    public Task<ReleaseCallableResponse> ReleaseCallable(ReleaseCallableRequest request, ServerCallContext context) => Guarded.Call(() =>
    {
        var s = Find(request.SessionHandle);
        lock (s.Gate)
        {
            if (s.Callables.Remove(request.Handle, out var c)) c.Callable.Dispose();
            return Task.FromResult(new ReleaseCallableResponse());
        }
    });

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
