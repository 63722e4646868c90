using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using TensorGraph.Proto;
using TensorGraph.Serving.Master;

namespace TensorGraph.Serving.Tests;

/// <summary>The TF 1.x master (tensorflow.MasterService) over a real loopback socket, called at TF's method paths.</summary>
public class MasterTests
{
    private MasterServer _server = null!;
    private GrpcChannel _channel = null!;
    private CallInvoker _calls = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await MasterServer.StartAsync(new MasterServerOptions { Port = 0 });
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_server.Port}");
        _calls = _channel.CreateCallInvoker();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    private static Method<TReq, TResp> M<TReq, TResp>(string name, MessageParser<TResp> parser, string service = "tensorflow.MasterService")
        where TReq : class, IMessage<TReq> where TResp : class, IMessage<TResp> =>
        new(MethodType.Unary, service, name, Marshallers.Create((TReq m) => m.ToByteArray(), _ => throw new NotSupportedException()),
            Marshallers.Create((TResp m) => m.ToByteArray(), parser.ParseFrom));

    private Task<TResp> Call<TReq, TResp>(string name, TReq request, MessageParser<TResp> parser, CallInvoker? calls = null, Metadata? headers = null)
        where TReq : class, IMessage<TReq> where TResp : class, IMessage<TResp> =>
        (calls ?? _calls).AsyncUnaryCall(M<TReq, TResp>(name, parser), null, new CallOptions(headers), request).ResponseAsync;

    private Task<CreateSessionResponse> Create(Graph g) =>
        Call("CreateSession", new CreateSessionRequest { GraphDef = g.ToGraphDef() }, CreateSessionResponse.Parser);

    private Task<RunStepResponse> Step(string handle, string[] fetch, string[]? target = null, (string, Tensor)[]? feeds = null, bool errorsInBody = false)
    {
        var r = new RunStepRequest { SessionHandle = handle, StoreErrorsInResponseBody = errorsInBody };
        r.Fetch.AddRange(fetch);
        r.Target.AddRange(target ?? []);
        foreach (var (n, t) in feeds ?? []) r.Feed.Add(new NamedTensorProto { Name = n, Tensor = TensorProtos.ToProto(t) });
        return Call("RunStep", r, RunStepResponse.Parser);
    }

    private static float[] Floats(NamedTensorProto t) => TensorProtos.FromProto(t.Tensor).AsSpan<float>().ToArray();

    [Test]
    public async Task PlaceholderFeedsRunOnTheServer()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(3), name: "x");
        var y = x * Tensor.Scalar(2f) + Tensor.Scalar(1f);
        var s = await Create(g);
        Assert.That(s.SessionHandle, Is.Not.Empty);
        Assert.That(s.GraphVersion, Is.EqualTo(0));
        var r = await Step(s.SessionHandle, [y.Name], feeds: [("x:0", Tensor.Create(new[] { 1f, 2f, -3f }, 3))]);
        Assert.That(r.StatusCode, Is.EqualTo(Code.Ok));
        Assert.That(r.Tensor.Single().Name, Is.EqualTo(y.Name));
        Assert.That(Floats(r.Tensor[0]), Is.EqualTo(new[] { 3f, 5f, -5f }));
        var devices = await Call("ListDevices", new ListDevicesRequest { SessionHandle = s.SessionHandle }, ListDevicesResponse.Parser);
        Assert.That(devices.LocalDevice.Single().Name, Is.EqualTo("/job:localhost/replica:0/task:0/device:CPU:0"));
        Assert.That(devices.LocalDevice[0].DeviceType, Is.EqualTo("CPU"));
        await Call("CloseSession", new CloseSessionRequest { SessionHandle = s.SessionHandle }, CloseSessionResponse.Parser);
        var gone = Assert.ThrowsAsync<RpcException>(() => Step(s.SessionHandle, [y.Name], feeds: [("x:0", Tensor.Create(new[] { 1f, 2f, 3f }, 3))]))!;
        Assert.That(gone.StatusCode, Is.EqualTo(StatusCode.Aborted));
    }

    [Test]
    public async Task VariablesLiveOnTheServerAndExtendSessionAddsNodes()
    {
        var g = new Graph();
        var v = g.Variable(new[] { 1f, 10f }, name: "v");
        var init = g.GlobalVariablesInitializer();
        var first = g.ToGraphDef();
        var s = await Create(g);
        await Step(s.SessionHandle, [], [init.Name]);

        // The graph grows: ExtendSession sends only the new nodes, which read the variable already there.
        var inc = g.AssignAdd(v, g.Constant(new[] { 2f, -1f }, name: "delta"), name: "inc");
        var added = new GraphDef();
        var sent = first.Node.Select(n => n.Name).ToHashSet();
        added.Node.AddRange(g.ToGraphDef().Node.Where(n => !sent.Contains(n.Name)));
        Assert.That(added.Node.Select(n => n.Name), Is.EquivalentTo(new[] { "delta", "inc" }));
        var stale = Assert.ThrowsAsync<RpcException>(() => Call("ExtendSession",
            new ExtendSessionRequest { SessionHandle = s.SessionHandle, GraphDef = added, CurrentGraphVersion = 7 }, ExtendSessionResponse.Parser))!;
        Assert.That(stale.StatusCode, Is.EqualTo(StatusCode.Aborted));
        var ext = await Call("ExtendSession", new ExtendSessionRequest { SessionHandle = s.SessionHandle, GraphDef = added, CurrentGraphVersion = 0 },
            ExtendSessionResponse.Parser);
        Assert.That(ext.NewGraphVersion, Is.EqualTo(1));

        await Step(s.SessionHandle, [], [inc.Op.Name]);
        var r = await Step(s.SessionHandle, [inc.Name]);
        Assert.That(Floats(r.Tensor[0]), Is.EqualTo(new[] { 5f, 8f }));

        // A second session of the same graph has its own variables.
        var other = await Create(g);
        await Step(other.SessionHandle, [], [init.Name]);
        var o = await Step(other.SessionHandle, ["v:0"]);
        Assert.That(Floats(o.Tensor[0]), Is.EqualTo(new[] { 1f, 10f }));
        var again = await Step(s.SessionHandle, ["v:0"]);
        Assert.That(Floats(again.Tensor[0]), Is.EqualTo(new[] { 5f, 8f }));
    }

    [Test]
    public async Task ErrorsNameTheNodeAndGoInTheBodyWhenAsked()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        var y = x + Tensor.Scalar(1f);
        var s = await Create(g);
        var body = await Step(s.SessionHandle, [y.Name], errorsInBody: true);
        Assert.That(body.StatusCode, Is.EqualTo(Code.InvalidArgument));
        Assert.That(body.StatusErrorMessage, Does.Contain("x"));
        Assert.That(body.Tensor, Is.Empty);
        var e = Assert.ThrowsAsync<RpcException>(() => Step(s.SessionHandle, ["nope:0"]))!;
        Assert.That(e.StatusCode, Is.Not.EqualTo(StatusCode.OK).And.Not.EqualTo(StatusCode.Internal).And.Not.EqualTo(StatusCode.Unknown));
        Assert.That(e.Status.Detail, Does.Contain("nope"));
    }

    private Task<MakeCallableResponse> MakeCallable(string session, string[] feed, string[] fetch, string[]? target = null, Action<CallableOptions>? more = null)
    {
        var o = new CallableOptions();
        o.Feed.AddRange(feed);
        o.Fetch.AddRange(fetch);
        o.Target.AddRange(target ?? []);
        more?.Invoke(o);
        return Call("MakeCallable", new MakeCallableRequest { SessionHandle = session, Options = o }, MakeCallableResponse.Parser);
    }

    private Task<RunCallableResponse> RunCallable(string session, long handle, params Tensor[] feeds)
    {
        var r = new RunCallableRequest { SessionHandle = session, Handle = handle };
        foreach (var f in feeds) r.Feed.Add(TensorProtos.ToProto(f));
        return Call("RunCallable", r, RunCallableResponse.Parser);
    }

    [Test]
    public async Task CallablesFeedAndFetchInCallableOptionsOrder()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(2), name: "x");
        var y = g.Placeholder(DType.Float32, new Shape(2), name: "y");
        var diff = g.Subtract(x, y, name: "diff");
        var sum = g.ReduceSum(x * y, name: "dot");
        var counter = g.Variable(0f, name: "counter");
        var init = g.GlobalVariablesInitializer();
        var bump = g.AssignAdd(counter, g.Constant(1f), name: "bump");
        var s = (await Create(g)).SessionHandle;
        await Step(s, [], [init.Name]);
        // Feeds in the order y, x (not the graph's); fetches dot then diff; bump as a target.
        var made = await MakeCallable(s, ["y:0", "x:0"], ["dot:0", "diff:0"], ["bump"]);
        Assert.That(made.Handle, Is.EqualTo(0), "TF's handles count from 0 per session");
        var second = await MakeCallable(s, ["x:0", "y"], ["diff:0"]);
        Assert.That(second.Handle, Is.EqualTo(1));
        for (int i = 1; i <= 3; i++)
        {
            var r = await RunCallable(s, made.Handle, Tensor.Create(new[] { 1f, 2f }, 2), Tensor.Create(new[] { 10f * i, 1f }, 2));
            Assert.That(r.Fetch, Has.Count.EqualTo(2));
            Assert.That(TensorProtos.FromProto(r.Fetch[0]).Scalar<float>(), Is.EqualTo(10f * i + 2f));
            Assert.That(TensorProtos.FromProto(r.Fetch[1]).ToArray<float>(), Is.EqualTo(new[] { 10f * i - 1f, -1f }));
        }
        var other = await RunCallable(s, second.Handle, Tensor.Create(new[] { 5f, 5f }, 2), Tensor.Create(new[] { 1f, 7f }, 2));
        Assert.That(TensorProtos.FromProto(other.Fetch.Single()).ToArray<float>(), Is.EqualTo(new[] { 4f, -2f }));
        Assert.That(Floats((await Step(s, [counter.Value.Name])).Tensor[0]), Is.EqualTo(new[] { 3f }), "the target ran once per RunCallable");

        // A callable with no feeds and only a target, as TF's BasicCallable test makes.
        var onlyTarget = await MakeCallable(s, [], [], ["bump"]);
        Assert.That((await RunCallable(s, onlyTarget.Handle)).Fetch, Is.Empty);
        Assert.That(Floats((await Step(s, [counter.Value.Name])).Tensor[0]), Is.EqualTo(new[] { 4f }));
    }

    [Test]
    public async Task CallableErrorsUseTFsCodesAndMessages()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(2), name: "x");
        var y = g.Square(x, name: "y");
        var s = (await Create(g)).SessionHandle;
        var h = (await MakeCallable(s, ["x:0"], ["y:0"])).Handle;
        Assert.That(TensorProtos.FromProto((await RunCallable(s, h, Tensor.Create(new[] { 3f, -4f }, 2))).Fetch[0]).ToArray<float>(), Is.EqualTo(new[] { 9f, 16f }));

        var e = Assert.ThrowsAsync<RpcException>(() => RunCallable(s, h))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("expected 1, got 0"));
        e = Assert.ThrowsAsync<RpcException>(() => RunCallable(s, h, Tensor.Create(new[] { 1, 2 }, 2)))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("Cannot feed value of dtype int32"));
        e = Assert.ThrowsAsync<RpcException>(() => RunCallable(s, h, Tensor.Create(new[] { 1f, 2f, 3f }, 3)))!;
        Assert.That(e.Status.Detail, Does.Contain("Cannot feed value of shape [3] for Tensor 'x:0'"));
        e = Assert.ThrowsAsync<RpcException>(() => RunCallable(s, 7, Tensor.Create(new[] { 1f, 2f }, 2)))!;
        Assert.That((e.StatusCode, e.Status.Detail), Is.EqualTo((StatusCode.InvalidArgument, "No such callable handle: 7")));

        await Call("ReleaseCallable", new ReleaseCallableRequest { SessionHandle = s, Handle = h }, ReleaseCallableResponse.Parser);
        e = Assert.ThrowsAsync<RpcException>(() => RunCallable(s, h, Tensor.Create(new[] { 1f, 2f }, 2)))!;
        Assert.That((e.StatusCode, e.Status.Detail), Is.EqualTo((StatusCode.InvalidArgument, "Attempted to run callable after handle was released: 0")));
        // TF's ReleaseCallable does not mind a handle it does not hold.
        await Call("ReleaseCallable", new ReleaseCallableRequest { SessionHandle = s, Handle = h }, ReleaseCallableResponse.Parser);
        await Call("ReleaseCallable", new ReleaseCallableRequest { SessionHandle = s, Handle = 42 }, ReleaseCallableResponse.Parser);
        Assert.That((await MakeCallable(s, ["x:0"], ["y:0"])).Handle, Is.EqualTo(1), "handles are not reused");

        e = Assert.ThrowsAsync<RpcException>(() => MakeCallable(s, [], ["y:0"], more: o => o.FetchDevices["y:0"] = MasterServiceImpl.CpuDevice))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.Unimplemented), "TF's CallableWithOnDeviceFeedsAndFetches");
        e = Assert.ThrowsAsync<RpcException>(() => MakeCallable(s, ["x:0"], ["nope:0"]))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.NotFound));
        Assert.That(e.Status.Detail, Does.Contain("nope"));
        e = Assert.ThrowsAsync<RpcException>(() => MakeCallable(s, ["x:0", "x:0"], ["y:0"]))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        e = Assert.ThrowsAsync<RpcException>(() => MakeCallable(s, [], ["y:0"]))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("You must feed a value for placeholder tensor 'x'"));

        await Call("CloseSession", new CloseSessionRequest { SessionHandle = s }, CloseSessionResponse.Parser);
        e = Assert.ThrowsAsync<RpcException>(() => RunCallable(s, 1, Tensor.Create(new[] { 1f, 2f }, 2)))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.Aborted));
        Assert.That(Assert.ThrowsAsync<RpcException>(() => MakeCallable(s, [], []))!.StatusCode, Is.EqualTo(StatusCode.Aborted));
    }

    [Test, CancelAfter(60_000)]
    public async Task ACallablesRunOptionsTimeoutStopsEveryRun()
    {
        var g = new Graph();
        var forever = g.WhileLoop(i => g.Constant(true), i => i + 1, g.Constant(0), name: "forever");
        var one = g.Constant(1f, name: "one");
        var s = (await Create(g)).SessionHandle;
        var h = (await MakeCallable(s, [], [forever.Name], more: o => o.RunOptions = new TensorGraph.Proto.RunOptions { TimeoutInMs = 200 })).Handle;
        for (int i = 0; i < 2; i++)
        {
            var e = Assert.ThrowsAsync<RpcException>(() => RunCallable(s, h))!;
            Assert.That(e.StatusCode, Is.EqualTo(StatusCode.DeadlineExceeded));
        }
        // The session is still usable.
        Assert.That(Floats((await Step(s, [one.Name])).Tensor[0]), Is.EqualTo(new[] { 1f }));
    }

    [Test]
    public async Task TensorConnectionsAsTF1KerasSendsThem()
    {
        var g = new Graph();
        var input = g.Placeholder(DType.Float32, new Shape(-1), name: "input_1");
        var dense = g.Multiply(input, g.Constant(3f), name: "out");
        var data = g.Constant(new[] { 1f, 2f, 4f }, name: "data");
        var s = (await Create(g)).SessionHandle;
        var h = (await MakeCallable(s, [], ["out:0"], more: o => o.TensorConnection.Add(new TensorConnection { FromTensor = "data:0", ToTensor = "input_1:0" }))).Handle;
        Assert.That(TensorProtos.FromProto((await RunCallable(s, h)).Fetch[0]).ToArray<float>(), Is.EqualTo(new[] { 3f, 6f, 12f }));
        var e = Assert.ThrowsAsync<RpcException>(() => MakeCallable(s, [], ["out:0"], more: o => o.TensorConnection.Add(new TensorConnection { FromTensor = "nope:0", ToTensor = "input_1:0" })))!;
        Assert.That((e.StatusCode, e.Status.Detail), Is.EqualTo((StatusCode.InvalidArgument, "Requested tensor connection from unknown node: \"input_1:0\".")));
        e = Assert.ThrowsAsync<RpcException>(() => MakeCallable(s, [], ["out:0"], more: o => o.TensorConnection.Add(new TensorConnection { FromTensor = "data:3", ToTensor = "input_1:0" })))!;
        Assert.That((e.StatusCode, e.Status.Detail), Is.EqualTo((StatusCode.InvalidArgument, "Requested tensor connection from unknown edge: \"input_1:0\" (actual number of outputs = 1).")));
        e = Assert.ThrowsAsync<RpcException>(() => MakeCallable(s, [], ["out:0"], more: o => o.TensorConnection.Add(new TensorConnection { FromTensor = "out:0", ToTensor = "input_1:0" })))!;
        Assert.That(e.Status.Detail, Does.Contain("would create a cycle"));
        GC.KeepAlive(dense);
        GC.KeepAlive(data);
    }

    [Test]
    public async Task ACallableSeesTheGraphAsItWasExtended()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        var created = await Create(g);
        var more = new Graph();
        var x2 = more.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        var half = more.Multiply(x2, more.Constant(0.5f, name: "k"), name: "half");
        var def = more.ToGraphDef();
        def.Node.RemoveAt(0);
        await Call("ExtendSession", new ExtendSessionRequest { SessionHandle = created.SessionHandle, GraphDef = def, CurrentGraphVersion = created.GraphVersion }, ExtendSessionResponse.Parser);
        var h = (await MakeCallable(created.SessionHandle, ["x:0"], ["half:0"])).Handle;
        var r = await RunCallable(created.SessionHandle, h, Tensor.Scalar(9f));
        Assert.That(TensorProtos.FromProto(r.Fetch[0]).Scalar<float>(), Is.EqualTo(4.5f));
        GC.KeepAlive(x);
        GC.KeepAlive(half);
    }

    private Task<PartialRunSetupResponse> Setup(string session, string[] fetch, string[] feed, string[]? target = null)
    {
        var r = new PartialRunSetupRequest { SessionHandle = session };
        r.Fetch.AddRange(fetch);
        r.Feed.AddRange(feed);
        r.Target.AddRange(target ?? []);
        return Call("PartialRunSetup", r, PartialRunSetupResponse.Parser);
    }

    private Task<RunStepResponse> Piece(string session, string handle, string[] fetch, (string, Tensor)[] feeds, bool errorsInBody = false)
    {
        var r = new RunStepRequest { SessionHandle = session, PartialRunHandle = handle, StoreErrorsInResponseBody = errorsInBody };
        r.Fetch.AddRange(fetch);
        foreach (var (n, t) in feeds) r.Feed.Add(new NamedTensorProto { Name = n, Tensor = TensorProtos.ToProto(t) });
        return Call("RunStep", r, RunStepResponse.Parser);
    }

    [Test]
    public async Task PartialRunsFeedAndFetchInPieces()
    {
        var g = new Graph();
        var a = g.Placeholder(DType.Float32, Shape.Scalar, name: "a");
        var b = g.Placeholder(DType.Float32, Shape.Scalar, name: "b");
        var c = g.Placeholder(DType.Float32, Shape.Scalar, name: "c");
        var r1 = g.Add(a, b, name: "r1");
        g.Multiply(r1, c, name: "r2");
        var s = (await Create(g)).SessionHandle;
        var h = (await Setup(s, ["r1:0", "r2:0"], ["a:0", "b:0", "c:0"])).PartialRunHandle;
        Assert.That(h, Is.EqualTo("0"), "TF's master numbers partial runs from 0");
        Assert.That((await Setup(s, ["r1:0"], ["a:0", "b:0"])).PartialRunHandle, Is.EqualTo("1"));
        var first = await Piece(s, h, ["r1:0"], [("a:0", Tensor.Scalar(1f)), ("b:0", Tensor.Scalar(2f))]);
        Assert.That(first.Tensor.Single().Name, Is.EqualTo("r1:0"));
        Assert.That(Floats(first.Tensor[0]), Is.EqualTo(new[] { 3f }));

        // Undeclared and uncomputable requests are INVALID_ARGUMENT with TF's messages, in the body when asked, and the run goes on.
        var bad = await Piece(s, h, ["r2:0"], [("d:0", Tensor.Scalar(1f))], errorsInBody: true);
        Assert.That(bad.StatusCode, Is.EqualTo(Code.NotFound), "an unknown tensor name");
        bad = await Piece(s, h, ["r2:0"], [("a:0", Tensor.Scalar(1f))], errorsInBody: true);
        Assert.That((bad.StatusCode, bad.StatusErrorMessage), Is.EqualTo((Code.InvalidArgument, "The feed a:0 has already been fed.")));
        bad = await Piece(s, h, ["r1:0"], [], errorsInBody: true);
        Assert.That((bad.StatusCode, bad.StatusErrorMessage), Is.EqualTo((Code.InvalidArgument, "The fetch r1:0 has already been fetched.")));
        bad = await Piece(s, h, ["a:0"], [], errorsInBody: true);
        Assert.That((bad.StatusCode, bad.StatusErrorMessage), Is.EqualTo((Code.InvalidArgument, "The fetch a:0 was not specified in partial_run_setup.")));
        var e = Assert.ThrowsAsync<RpcException>(() => Piece(s, h, ["r2:0"], []))!;
        Assert.That((e.StatusCode, e.Status.Detail), Is.EqualTo((StatusCode.InvalidArgument, "Fetch c:0 can't be computed from the feeds that have been fed so far.")));

        var last = await Piece(s, h, ["r2:0"], [("c:0", Tensor.Scalar(4f))]);
        Assert.That(Floats(last.Tensor[0]), Is.EqualTo(new[] { 12f }));
        // Complete: the master forgets the handle, as TF's does.
        e = Assert.ThrowsAsync<RpcException>(() => Piece(s, h, [], []))!;
        Assert.That((e.StatusCode, e.Status.Detail), Is.EqualTo((StatusCode.InvalidArgument, "Must run PartialRunSetup before performing partial runs")));
        bad = await Piece(s, "no-such-run", [], [], errorsInBody: true);
        Assert.That(bad.StatusCode, Is.EqualTo(Code.InvalidArgument));
        e = Assert.ThrowsAsync<RpcException>(() => Setup(s, ["r2:0"], ["a:0", "b:0"]))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument), "c is needed and not declared");
        Assert.That(Assert.ThrowsAsync<RpcException>(() => Setup("no-such-session", [], []))!.StatusCode, Is.EqualTo(StatusCode.Aborted));
    }

    [Test]
    public void MalformedBytesAreInvalidArgument()
    {
        var raw = new Method<byte[], byte[]>(MethodType.Unary, "tensorflow.MasterService", "CreateSession",
            Marshallers.Create((byte[] b) => b, b => b), Marshallers.Create((byte[] b) => b, b => b));
        var e = Assert.ThrowsAsync<RpcException>(() => _calls.AsyncUnaryCall(raw, null, new CallOptions(), new byte[] { 0x0a, 0xff, 0xff, 0xff }).ResponseAsync)!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
    }

    [Test]
    public async Task TheGeneratedStubsPathIsBoundToo()
    {
        var g = new Graph();
        var c = g.Constant(new[] { 4f }, name: "c");
        var r = await _calls.AsyncUnaryCall(M<CreateSessionRequest, CreateSessionResponse>("CreateSession", CreateSessionResponse.Parser, "tensorflow.grpc.MasterService"),
            null, new CallOptions(), new CreateSessionRequest { GraphDef = g.ToGraphDef() }).ResponseAsync;
        var run = await Step(r.SessionHandle, [c.Name]);
        Assert.That(Floats(run.Tensor[0]), Is.EqualTo(new[] { 4f }));
    }

    [Test]
    public async Task TheBearerTokenIsRequired()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tg-master-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var tokenFile = Path.Combine(dir, "token");
            File.WriteAllText(tokenFile, "m4ster\n");
            await using var server = await MasterServer.StartAsync(new MasterServerOptions { Port = 0, AuthTokenFile = tokenFile });
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.Port}");
            var calls = channel.CreateCallInvoker();
            var e = Assert.ThrowsAsync<RpcException>(() => Call("ListDevices", new ListDevicesRequest(), ListDevicesResponse.Parser, calls))!;
            Assert.That(e.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
            var ok = await Call("ListDevices", new ListDevicesRequest(), ListDevicesResponse.Parser, calls, new Metadata { { "authorization", "Bearer m4ster" } });
            Assert.That(ok.LocalDevice, Has.Count.EqualTo(1));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public async Task ConcurrentClientsKeepTheirSessionsApart()
    {
        var g = new Graph();
        var v = g.Variable(0f, name: "counter");
        var inc = g.AssignAdd(v, g.Constant(1f, name: "one"), name: "inc");
        var init = g.GlobalVariablesInitializer();
        var handles = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            var h = (await Create(g)).SessionHandle;
            await Step(h, [], [init.Name]);
            handles.Add(h);
        }
        // Session i is incremented 5 * (i + 1) times by calls issued all at once over one channel.
        var calls = handles.SelectMany((h, i) => Enumerable.Range(0, 5 * (i + 1)).Select(_ => h)).ToArray();
        await Task.WhenAll(calls.Select(h => Task.Run(() => Step(h, [], [inc.Op.Name]))));
        for (int i = 0; i < handles.Count; i++)
        {
            var r = await Step(handles[i], [v.Value.Name]);
            Assert.That(Floats(r.Tensor[0]), Is.EqualTo(new[] { 5f * (i + 1) }), $"session {i}");
        }
    }
}
