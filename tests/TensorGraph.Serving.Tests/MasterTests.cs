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
        var partial = new RunStepRequest { SessionHandle = s.SessionHandle, PartialRunHandle = "p" };
        Assert.That(Assert.ThrowsAsync<RpcException>(() => Call("RunStep", partial, RunStepResponse.Parser))!.StatusCode, Is.EqualTo(StatusCode.Unimplemented));
        Assert.That(Assert.ThrowsAsync<RpcException>(() => Call("MakeCallable", new MakeCallableRequest { SessionHandle = s.SessionHandle }, MakeCallableResponse.Parser))!.StatusCode,
            Is.EqualTo(StatusCode.Unimplemented));
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
