using TensorGraph.Training;
using TensorGraph.Serving.Master;

namespace TensorGraph.Serving.Tests;

/// <summary>
/// <c>new Session(graph, "grpc://host:port")</c> against a real master server on a loopback
/// socket: the same Run calls as a local session, with the graph and the variables on the server.
/// </summary>
public class RemoteSessionTests
{
    private MasterServer _server = null!;
    private string _target = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await MasterServer.StartAsync(new MasterServerOptions { Port = 0 });
        _target = $"grpc://127.0.0.1:{_server.Port}";
    }

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [Test]
    public void PlaceholderFeedsRunOnTheServer()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(3), name: "x");
        var y = x * Tensor.Scalar(2f) + Tensor.Scalar(1f);
        var z = g.ReduceSum(x, name: "z");
        using var s = new Session(g, target: _target);
        Assert.That(s.Target, Is.EqualTo(_target));
        var feed = new FeedDict { { x, Tensor.Create(new[] { 1f, 2f, -3f }, 3) } };
        Assert.That(s.Run(y, feed).ToArray<float>(), Is.EqualTo(new[] { 3f, 5f, -5f }));
        var both = s.Run([y, z], new FeedDict { { "x:0", Tensor.Create(new[] { 0.5f, 4f, 8f }, 3) } });
        Assert.That(both[0].ToArray<float>(), Is.EqualTo(new[] { 2f, 9f, 17f }));
        Assert.That(both[1].Scalar<float>(), Is.EqualTo(12.5f));
        Assert.That(both[1].Dims.ToArray(), Is.Empty);
        // Fetch overloads by name go the same way.
        var (a, b) = s.Run((Fetch)"z:0", (Fetch)z.Op, new FeedDict { { x, Tensor.Create(new[] { 1f, 1f, 1f }, 3) } });
        Assert.That(a!.Scalar<float>(), Is.EqualTo(3f));
        Assert.That(b, Is.Null);
    }

    [Test]
    public void VariablesLiveOnTheServerAcrossRuns()
    {
        var g = new Graph();
        var v = g.Variable(new[] { 1f, 10f }, name: "v");
        var init = g.GlobalVariablesInitializer();
        var inc = g.AssignAdd(v, g.Constant(new[] { 2f, -1f }), name: "inc");
        var set = g.Assign(v, g.Constant(new[] { -4f, 0.25f }), name: "set");
        using var s = new Session(g, target: _target);
        s.Run(init);
        s.Run([inc.Op]);
        s.Run([inc.Op]);
        Assert.That(s.Run(v.Value).ToArray<float>(), Is.EqualTo(new[] { 5f, 8f }));
        var after = s.Run([inc], null, [set.Op]);
        Assert.That(s.Run(v.Value).ToArray<float>(), Is.EqualTo(after[0].ToArray<float>()));
        s.Run(set.Op);
        Assert.That(s.Run(v.Value).ToArray<float>(), Is.EqualTo(new[] { -4f, 0.25f }));
    }

    /// <summary>y = 3x - 2 + noise; W and b start from constants, so every run is deterministic.</summary>
    private static (Graph G, Output X, Output Y, Output Loss, Operation Train, Operation Init, Variable W, Variable B) Regression()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1, 1), name: "x");
        var y = g.Placeholder(DType.Float32, new Shape(-1, 1), name: "y");
        var w = g.Variable(Tensor.Create(new[] { 0.1f }, 1, 1), name: "W");
        var b = g.Variable(Tensor.Create(new[] { -0.3f }, 1), name: "b");
        var pred = g.MatMul(x, w.Value) + b.Value;
        var loss = g.ReduceMean(g.Square(pred - y), name: "loss");
        var train = new GradientDescentOptimizer(0.05).Minimize(loss);
        return (g, x, y, loss, train, g.GlobalVariablesInitializer(), w, b);
    }

    private static List<float> Train(Session s, (Graph G, Output X, Output Y, Output Loss, Operation Train, Operation Init, Variable W, Variable B) m)
    {
        var rng = new Random(7);
        var xs = Enumerable.Range(0, 32).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var ys = xs.Select(v => 3f * v - 2f + (float)(rng.NextDouble() - 0.5) * 0.1f).ToArray();
        var feed = new FeedDict { { m.X, Tensor.Create(xs, 32, 1) }, { m.Y, Tensor.Create(ys, 32, 1) } };
        s.Run(m.Init);
        var trace = new List<float>();
        for (int step = 0; step < 60; step++)
            trace.Add(s.Run([m.Loss], feed, m.Train)[0].Scalar<float>());
        var (w, b) = s.Run(m.W.Value, m.B.Value);
        trace.Add(w.ToArray<float>()[0]);
        trace.Add(b.ToArray<float>()[0]);
        return trace;
    }

    [Test]
    public void GradientDescentTrainsRemotelyBitForBitAsLocally()
    {
        var local = Regression();
        List<float> expected;
        using (var s = new Session(local.G)) expected = Train(s, local);
        var remote = Regression();
        List<float> got;
        using (var s = new Session(remote.G, target: _target)) got = Train(s, remote);
        Assert.That(got.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits)));
        // It did learn: W near 3, b near -2, the loss fell.
        Assert.That(got[^2], Is.EqualTo(3f).Within(0.1f));
        Assert.That(got[^1], Is.EqualTo(-2f).Within(0.2f));
        Assert.That(got[59], Is.LessThan(got[0] / 10));
    }

    [Test]
    public void TheGraphGrowsBetweenRunsOnTheSameServerSession()
    {
        var g = new Graph();
        var v = g.Variable(new[] { 1f, 2f }, name: "acc");
        var init = g.GlobalVariablesInitializer();
        int before = _server.SessionCount;
        using var s = new Session(g, target: _target);
        s.Run(init);
        Assert.That(_server.SessionCount, Is.EqualTo(before + 1));
        // Built after the first run: sent with ExtendSession, reading the variable the server holds.
        var add = g.AssignAdd(v, g.Constant(new[] { 10f, 20f }), name: "add");
        Assert.That(s.Run(add).ToArray<float>(), Is.EqualTo(new[] { 11f, 22f }));
        var doubled = v.Value * Tensor.Scalar(2f);
        var neg = g.Negative(doubled, name: "neg");
        Assert.That(s.Run(neg).ToArray<float>(), Is.EqualTo(new[] { -22f, -44f }));
        Assert.That(s.Run(add).ToArray<float>(), Is.EqualTo(new[] { 21f, 42f }));
        Assert.That(_server.SessionCount, Is.EqualTo(before + 1));
        s.Dispose();
        Assert.That(_server.SessionCount, Is.EqualTo(before));
        Assert.Throws<ObjectDisposedException>(() => s.Run(neg));
    }

    [Test]
    public void ServerErrorsAreTypedAndNameTheNodeAndTheLineThatBuiltIt()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        var y = x + Tensor.Scalar(1f);
        var v = g.Variable(3f, name: "unset");
        using var s = new Session(g, target: _target);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(y))!;
        Assert.That(e.NodeName, Is.EqualTo("x"));
        Assert.That(e.Message, Does.Contain("[node 'x' (Placeholder), defined at RemoteSessionTests.cs:").And.Not.Contain("CreateSession]"));
        // An uninitialized variable fails as it does in this process: same type, the same node named
        // at the line that built it here.
        var u = Assert.Throws<FailedPreconditionException>(() => s.Run(v.Value))!;
        Assert.That(u.NodeName, Is.EqualTo("unset/read"));
        using (var local = new Session(g))
        {
            var l = Assert.Throws<FailedPreconditionException>(() => local.Run(v.Value))!;
            var tail = l.Message[l.Message.LastIndexOf("[node ", StringComparison.Ordinal)..];
            Assert.That(tail, Does.StartWith("[node 'unset/read' (Identity), defined at RemoteSessionTests.cs:"));
            Assert.That(u.Message, Does.EndWith(tail));
        }
        // Feeds are checked here, before anything is sent, as a local session checks them.
        var bad = Assert.Throws<InvalidArgumentException>(() => s.Run(y, new FeedDict { { x, Tensor.Scalar("4") } }))!;
        Assert.That(bad.Message, Does.Contain("Cannot feed value of dtype string"));
        // The session still works after failures.
        Assert.That(s.Run(y, new FeedDict { { x, Tensor.Scalar(4f) } }).Scalar<float>(), Is.EqualTo(5f));
    }

    [Test]
    public void TwoRemoteSessionsOfOneGraphAreIsolated()
    {
        var g = new Graph();
        var v = g.Variable(0f, name: "counter");
        var inc = g.AssignAdd(v, g.Constant(1f), name: "inc");
        var init = g.GlobalVariablesInitializer();
        using var a = new Session(g, target: _target);
        using var b = new Session(g, target: _target);
        a.Run(init);
        b.Run(init);
        for (int i = 0; i < 3; i++) a.Run(inc.Op);
        b.Run(inc.Op);
        Assert.That(a.Run(v.Value).Scalar<float>(), Is.EqualTo(3f));
        Assert.That(b.Run(v.Value).Scalar<float>(), Is.EqualTo(1f));
        // A local session of the same graph has variables of its own too.
        using var local = new Session(g);
        Assert.Throws<FailedPreconditionException>(() => local.Run(v.Value));
    }

    [Test]
    public async Task OneRemoteSessionTakesRunsFromManyThreads()
    {
        var g = new Graph();
        var v = g.Variable(0f, name: "hits");
        var inc = g.AssignAdd(v, g.Constant(1f), name: "hit");
        var init = g.GlobalVariablesInitializer();
        using var s = new Session(g, target: _target);
        s.Run(init);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 10; i++) s.Run(inc.Op);
        })));
        Assert.That(s.Run(v.Value).Scalar<float>(), Is.EqualTo(40f));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<CancelledException>(() => s.Run(v.Value, cancellationToken: cts.Token));
    }

    [Test]
    public void MakeCallableCompilesOnTheServerAndDisposeReleasesIt()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1), name: "x");
        var w = g.Placeholder(DType.Float32, Shape.Scalar, name: "w");
        var v = g.Variable(0f, name: "total");
        var init = g.GlobalVariablesInitializer();
        var y = g.Multiply(x, w, name: "y");
        var add = g.AssignAdd(v, g.ReduceSum(y), name: "add");
        using var s = new Session(g, target: _target);
        s.Run(init);
        // Feeds in the caller's order (w before x), one fetch and one target, as locally.
        using var call = s.MakeCallable([w, x], [y], add.Op);
        var r = call.Run(Tensor.Scalar(3f), Tensor.Create(new[] { 1f, 2f }, 2));
        Assert.That(r.Single().ToArray<float>(), Is.EqualTo(new[] { 3f, 6f }));
        r = call.Run(Tensor.Scalar(-1f), Tensor.Create(new[] { 4f, 0.5f, 2f }, 3));
        Assert.That(r[0].ToArray<float>(), Is.EqualTo(new[] { -4f, -0.5f, -2f }));
        Assert.That(s.Run(v.Value).Scalar<float>(), Is.EqualTo(9f - 6.5f), "the target ran on the server each call");
        // The same checks as a local callable, before anything is sent.
        Assert.Throws<InvalidArgumentException>(() => call.Run(Tensor.Scalar(1f)));
        var wrong = Assert.Throws<InvalidArgumentException>(() => call.Run(Tensor.Scalar(1), Tensor.Create(new[] { 1f }, 1)))!;
        Assert.That(wrong.Message, Does.Contain("Cannot feed value of dtype int32"));

        // The graph grows after the callable was made: a second callable sends the new nodes first.
        var z = g.Add(y, g.Constant(100f), name: "z");
        using (var second = s.MakeCallable([x, w], [z, y]))
        {
            var both = second.Run(Tensor.Create(new[] { 1f }, 1), Tensor.Scalar(2f));
            Assert.That(both[0].ToArray<float>(), Is.EqualTo(new[] { 102f }));
            Assert.That(both[1].ToArray<float>(), Is.EqualTo(new[] { 2f }));
        }
        call.Dispose();
        var released = Assert.Throws<InvalidArgumentException>(() => call.Run(Tensor.Scalar(1f), Tensor.Create(new[] { 1f }, 1)))!;
        Assert.That(released.Message, Does.Contain("released"));
        // A server-side failure is typed and names the node.
        var q = g.Placeholder(DType.Int32, new Shape(-1), name: "q");
        var picked = g.Gather(g.Constant(new[] { 1f, 2f }), q, name: "picked");
        using var gather = s.MakeCallable([q], [picked]);
        var e = Assert.Throws<InvalidArgumentException>(() => gather.Run(Tensor.Create(new[] { 9 }, 1)))!;
        Assert.That(e.NodeName, Is.EqualTo("picked"));
        // Tensor connections go with MakeCallable.
        var fromQ = g.Add(q, g.Constant(1), name: "q_plus_one");
        var q2 = g.Placeholder(DType.Int32, new Shape(-1), name: "q2");
        var picked2 = g.Gather(g.Constant(new[] { 1f, 2f, 3f }), q2, name: "picked2");
        using (var connected = s.MakeCallable([q], [picked2], [], [(fromQ, q2)]))
            Assert.That(connected.Run(Tensor.Create(new[] { 1, 0 }, 2))[0].ToArray<float>(), Is.EqualTo(new[] { 3f, 2f }));
        // A call's timeout reaches the server, and the callable stays usable.
        var forever = g.WhileLoop(i => g.Constant(true), i => i + 1, g.Constant(0), name: "forever");
        using var endless = s.MakeCallable([], [forever]);
        Assert.Throws<DeadlineExceededException>(() => endless.Run([], new RunOptions { TimeoutInMs = 200 }));
        Assert.That(gather.Run(Tensor.Create(new[] { 1 }, 1))[0].ToArray<float>(), Is.EqualTo(new[] { 2f }));
    }

    [Test]
    public void PartialRunsRunOnTheServer()
    {
        var g = new Graph();
        var a = g.Placeholder(DType.Float32, Shape.Scalar, name: "a");
        var b = g.Placeholder(DType.Float32, Shape.Scalar, name: "b");
        var c = g.Placeholder(DType.Float32, Shape.Scalar, name: "c");
        var r1 = g.Add(a, b, name: "r1");
        var r2 = g.Multiply(r1, c, name: "r2");
        using var s = new Session(g, target: _target);
        var h = s.PartialRunSetup([r1, r2], [a, b, c]);
        var res = s.PartialRun(h, [r1], new FeedDict { [a] = 1f, [b] = 2f });
        Assert.That(res[0].Scalar<float>(), Is.EqualTo(3f));
        var e = Assert.Throws<InvalidArgumentException>(() => s.PartialRun(h, [r2], new FeedDict { [b] = 5f }))!;
        Assert.That(e.Message, Is.EqualTo("The feed b:0 has already been fed."));
        res = s.PartialRun(h, [r2], new FeedDict { [c] = res[0] });
        Assert.That(res[0].Scalar<float>(), Is.EqualTo(9f));
        Assert.That(h.IsFinished, Is.True);
    }

    [Test]
    public void WhatNeedsALocalSessionSaysSo()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        var v = g.Variable(1f, name: "kept");
        using var s = new Session(g, target: _target);
        var save = Assert.Throws<NotSupportedException>(() => new Saver([v]).Save(s, Path.Combine(Path.GetTempPath(), "never-written")))!;
        Assert.That(save.Message, Does.Contain(_target));
        Assert.Throws<InvalidArgumentException>(() => new Session(g, target: "tcp://127.0.0.1:1"));
        Assert.Throws<InvalidArgumentException>(() => new Session(g, target: "grpc://"));
        using var inProcess = new Session(g, target: "");
        Assert.That(inProcess.Run(x, new FeedDict { { x, Tensor.Scalar(2f) } }).Scalar<float>(), Is.EqualTo(2f));
    }

    [Test]
    public async Task ABearerTokenIsSentWhenGiven()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tg-remote-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var tokenFile = Path.Combine(dir, "token");
            await File.WriteAllTextAsync(tokenFile, "s3cret\n");
            await using var server = await MasterServer.StartAsync(new MasterServerOptions { Port = 0, AuthTokenFile = tokenFile });
            var g = new Graph();
            var c = g.Constant(new[] { 7f }, name: "c");
            var target = $"grpc://127.0.0.1:{server.Port}";
            using (var anonymous = new Session(g, target))
            {
                var e = Assert.Throws<TensorGraphException>(() => anonymous.Run(c))!;
                Assert.That((int)e.Code, Is.EqualTo(16)); // UNAUTHENTICATED
                Assert.That(e.Message, Does.Contain("CreateSession"));
            }
            using var s = new Session(g, target, new RemoteOptions { BearerToken = "s3cret" });
            Assert.That(s.Run(c).ToArray<float>(), Is.EqualTo(new[] { 7f }));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
