namespace TensorGraph.Tests.Runtime;

public class CallableTests
{
    private static (Graph G, Output X, Output Y) TenOpGraph()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [], name: "x");
        Output h = x;
        h = h + 1f;
        h = h * 2f;
        h = h - 3f;
        h = g.Square(h);
        h = g.Maximum(h, g.Constant(0.5f));
        h = -h;
        h = g.Abs(h);
        h = g.Sqrt(h);
        return (g, x, h);
    }

    [Test]
    public void CallableMatchesRun()
    {
        var (g, x, y) = TenOpGraph();
        using var s = new Session(g);
        var call = s.MakeCallable([x], [y]);
        foreach (var v in new[] { -2f, 0f, 1.5f, 7f })
        {
            var expected = s.Run(y, new FeedDict { [x] = v }).Scalar<float>();
            var got = call.Run(v)[0].Scalar<float>();
            Assert.That(got, Is.EqualTo(expected));
        }
    }

    [Test]
    public void CallableAllocatesNothingInSteadyState()
    {
        var (g, x, y) = TenOpGraph();
        using var s = new Session(g);
        var call = s.MakeCallable([x], [y]);
        var feed = Tensor.Scalar(1.25f);
        for (int i = 0; i < 100; i++) call.Run(feed);
        float acc = 0;
        Action run = () => acc += call.Run(feed)[0].AsSpan<float>()[0];
        Assert.That(AllocationProbe.SteadyState(run, 1000), Is.EqualTo(0), "bytes allocated by 1000 callable runs");
        Assert.That(acc, Is.GreaterThan(0));
    }

    [Test]
    public void CallableWithVariablesAndTargetsAllocatesNothing()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 4], name: "x");
        var w = g.Variable(new float[] { 1, 2, 3, 4 }, name: "w");
        var loss = g.ReduceMean(g.Square(x * w - 1f));
        var update = g.AssignSub(w, g.ReduceSum(x, [0]) * 0.001f);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var call = s.MakeCallable([x], [loss], update.Op);
        var batch = Tensor.FromArray(new float[8, 4]);
        for (int i = 0; i < 50; i++) call.Run(batch);
        Assert.That(AllocationProbe.SteadyState(() => call.Run(batch), 200), Is.EqualTo(0));
    }

    [Test]
    public void CallableFeedOrderIsTheCallersOrder()
    {
        var g = new Graph();
        var a = g.Placeholder(DType.Float32, name: "a");
        var b = g.Placeholder(DType.Float32, name: "b");
        var d = a - b;
        using var s = new Session(g);
        var call = s.MakeCallable([b, a], [d]);
        Assert.That(call.Run(1f, 10f)[0].Scalar<float>(), Is.EqualTo(9f));
        Assert.Throws<InvalidArgumentException>(() => call.Run(1f));
        Assert.Throws<InvalidArgumentException>(() => call.Run(1.0, 2.0));
    }

    [Test]
    public void ConcurrentRunsMatchSerial()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 16], name: "x");
        var w = g.Constant(Tensor.FromArray(Enumerable.Range(0, 16).Select(i => (float)i / 16).ToArray()));
        Output h = x * w;
        for (int i = 0; i < 10; i++) h = g.Square(h) * 0.5f + h;
        var y = g.ReduceSum(h, [1]);
        using var s = new Session(g);
        var inputs = Enumerable.Range(0, 8).Select(t =>
        {
            var a = new float[4, 16];
            for (int i = 0; i < 4; i++) for (int j = 0; j < 16; j++) a[i, j] = (t + i * j) % 7 / 10f;
            return Tensor.FromArray(a);
        }).ToArray();
        var serial = inputs.Select(inp => s.Run(y, new FeedDict { [x] = inp }).ToArray<float>()).ToArray();
        var results = new float[8][][];
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var list = new List<float[]>();
            for (int k = 0; k < 50; k++) list.Add(s.Run(y, new FeedDict { [x] = inputs[(t + k) % 8] }).ToArray<float>());
            results[t] = [.. list];
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        for (int t = 0; t < 8; t++)
            for (int k = 0; k < 50; k++)
                Assert.That(results[t][k], Is.EqualTo(serial[(t + k) % 8]));
    }

    [Test]
    public void ADisposedCallableRefusesToRun()
    {
        var (g, x, y) = TenOpGraph();
        using var s = new Session(g);
        var call = s.MakeCallable([x], [y]);
        float before = call.Run(2f)[0].Scalar<float>();
        Assert.That(before, Is.EqualTo(s.Run(y, new FeedDict { [x] = 2f }).Scalar<float>()));
        call.Dispose();
        call.Dispose();
        var e = Assert.Throws<InvalidArgumentException>(() => call.Run(2f))!;
        Assert.That(e.Message, Does.Contain("released"));
        // The session and other callables are unaffected.
        using var again = s.MakeCallable([x], [y]);
        Assert.That(again.Run(2f)[0].Scalar<float>(), Is.EqualTo(before));
    }

    [Test]
    public void TensorConnectionsFeedAPlaceholderFromAnotherTensorOfTheSameStep()
    {
        // TF1 Keras's symbolic inputs: the placeholder p is not fed, it reads `from`, which was
        // built after p's readers (creation order is then not an execution order) and reads a feed.
        var g = new Graph();
        var p = g.Placeholder(DType.Float32, new Shape(2), name: "p");
        var y = g.Multiply(p, g.Constant(2f), name: "y");
        var q = g.Placeholder(DType.Float32, new Shape(2), name: "q");
        var from = g.Add(q, g.Constant(1f), name: "from");
        using var s = new Session(g);
        using var call = s.MakeCallable([q], [y, p], [], [(from, p)]);
        var r = call.Run(Tensor.Create(new[] { 1f, -3f }, 2));
        Assert.That(r[0].ToArray<float>(), Is.EqualTo(new[] { 4f, -4f }));
        Assert.That(r[1].ToArray<float>(), Is.EqualTo(new[] { 2f, -2f }), "fetching the connected tensor gives From's value");
        r = call.Run(Tensor.Create(new[] { 0f, 10f }, 2));
        Assert.That(r[0].ToArray<float>(), Is.EqualTo(new[] { 2f, 22f }));
        // A connection whose To nothing reads adds nothing: From's feed is then not needed.
        using var unused = s.MakeCallable([], [g.Constant(5f, name: "five")], [], [(from, p)]);
        Assert.That(unused.Run()[0].Scalar<float>(), Is.EqualTo(5f));

        var e = Assert.Throws<InvalidArgumentException>(() => s.MakeCallable([], [y], [], [(y, p)]))!;
        Assert.That(e.Message, Is.EqualTo("Requested Tensor connection between nodes \"p\" and \"y\" would create a cycle."));
        e = Assert.Throws<InvalidArgumentException>(() => s.MakeCallable([p], [y], [], [(from, p)]))!;
        Assert.That(e.Message, Does.Contain("both fed and the end of a tensor connection"));
        e = Assert.Throws<InvalidArgumentException>(() => s.MakeCallable([], [y], [], [(g.Constant(1), p)]))!;
        Assert.That(e.Message, Does.Contain("dtypes differ"));
        e = Assert.Throws<InvalidArgumentException>(() => s.MakeCallable([q], [y], [], [(from, p), (from, p)]))!;
        Assert.That(e.Message, Does.Contain("two tensor connections"));
    }
}
