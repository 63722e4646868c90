using System.Text.Json;
using TensorGraph.Kernels;
using TensorGraph.Proto;

namespace TensorGraph.Tests.Runtime;

/// <summary>Traced runs (RunOptions.TraceLevel + RunMetadata.StepStats) and the Chrome trace of their statistics.</summary>
public class ProfilerTests
{
    private const string Cpu = "/job:localhost/replica:0/task:0/device:CPU:0";
    private static readonly TensorGraph.RunOptions Full = new() { TraceLevel = TraceLevel.FullTrace };

    /// <summary>x (fed) → mul = x * 2 → add = mul + 1; "unused" is not needed by the fetch.</summary>
    private static (Graph G, Output X, Output Mul, Output Add, Output Unused) Small()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(2, 3), name: "x");
        var mul = g.Multiply(x, g.Constant(2f, name: "two"), name: "mul");
        var add = mul + g.Constant(1f, name: "one"); // AddV2 named "add"
        var unused = g.Subtract(x, g.Constant(5f, name: "five"), name: "unused");
        return (g, x, mul, add, unused);
    }

    private static FeedDict Feed(Output x) => new() { [x] = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }) };

    private static IReadOnlyList<NodeExecStats> Nodes(RunMetadata m)
    {
        Assert.That(m.StepStats, Is.Not.Null, "StepStats");
        Assert.That(m.StepStats.DevStats, Has.Count.EqualTo(1));
        Assert.That(m.StepStats.DevStats[0].Device, Is.EqualTo(Cpu));
        return m.StepStats.DevStats[0].NodeStats;
    }

    [Test]
    public void WithoutATraceLevelRunMetadataStaysEmpty()
    {
        var (g, x, _, add, _) = Small();
        using var s = new Session(g);
        var m = new RunMetadata { StepStats = new StepStats { DevStats = { new DeviceStepStats { Device = "stale" } } } };
        s.Run(add, Feed(x), null, m);
        Assert.That(m.StepStats, Is.Null, "no options: the metadata of an earlier run is cleared, nothing recorded");
        s.Run(add, Feed(x), new TensorGraph.RunOptions { TraceLevel = TraceLevel.NoTrace }, m);
        Assert.That(m.StepStats, Is.Null);
        Assert.That(m.CalculateSize(), Is.EqualTo(0));
    }

    [Test]
    public void FullTraceRecordsEachExecutedNodeOnceWithItsOutputs()
    {
        var (g, x, mul, add, _) = Small();
        using var s = new Session(g);
        var m = new RunMetadata();
        var y = s.Run(add, Feed(x), Full, m);
        Assert.That(y.ToArray<float>(), Is.EqualTo(new[] { 3f, 5, 7, 9, 11, 13 }));
        var nodes = Nodes(m);
        // The fed placeholder and the pruned branch do not run.
        Assert.That(nodes.Select(n => n.NodeName), Is.EquivalentTo(new[] { "two", "mul", "one", "add" }));
        Assert.That(nodes.Select(n => n.NodeName).ToList().IndexOf("mul"), Is.LessThan(nodes.Select(n => n.NodeName).ToList().IndexOf("add")));

        var byName = nodes.ToDictionary(n => n.NodeName);
        Assert.That(byName["add"].TimelineLabel, Is.EqualTo("add = AddV2(mul, one)"));
        Assert.That(byName["two"].TimelineLabel, Is.EqualTo("two = Const()"));
        var o = byName["mul"].Output.Single();
        Assert.That(o.Slot, Is.EqualTo(0));
        Assert.That(o.TensorDescription.Dtype, Is.EqualTo(DataType.DtFloat));
        Assert.That(o.TensorDescription.Shape.Dim.Select(d => d.Size), Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(o.TensorDescription.AllocationDescription.RequestedBytes, Is.EqualTo(6 * 4));
        Assert.That(o.TensorDescription.AllocationDescription.AllocatedBytes, Is.GreaterThanOrEqualTo(6 * 4));
        Assert.That(o.TensorDescription.AllocationDescription.AllocatorName, Is.EqualTo("cpu"));
        var c = byName["two"].Output.Single().TensorDescription;
        Assert.That(c.Shape.Dim, Is.Empty, "a scalar constant");
        Assert.That(mul.DType, Is.EqualTo(DType.Float32));

        long prevEnd = 0;
        foreach (var n in nodes)
        {
            Assert.That(n.AllStartMicros, Is.GreaterThan(0), n.NodeName);
            Assert.That(n.OpStartRelMicros, Is.GreaterThanOrEqualTo(0), n.NodeName);
            Assert.That(n.OpEndRelMicros, Is.GreaterThanOrEqualTo(n.OpStartRelMicros), n.NodeName);
            Assert.That(n.AllEndRelMicros, Is.GreaterThanOrEqualTo(n.OpEndRelMicros), n.NodeName);
            Assert.That(n.AllStartMicros, Is.GreaterThanOrEqualTo(prevEnd), $"{n.NodeName} starts after the node before it ended");
            Assert.That(n.ThreadId, Is.EqualTo((uint)Environment.CurrentManagedThreadId), "nodes run on the calling thread");
            prevEnd = n.AllStartMicros + n.AllEndRelMicros;
        }

        // A second traced run replaces the first one's statistics.
        s.Run(add, Feed(x), Full, m);
        Assert.That(Nodes(m), Has.Count.EqualTo(4));
    }

    [Test]
    public void TracedRunsOfEveryOverloadAndOfCallables()
    {
        var (g, x, mul, add, _) = Small();
        using var s = new Session(g);
        var m = new RunMetadata();
        s.Run([mul, add], Feed(x), [], Full, m);
        Assert.That(Nodes(m).Select(n => n.NodeName), Is.EquivalentTo(new[] { "two", "mul", "one", "add" }));
        s.Run(new Fetch[] { mul }, Feed(x), Full, m);
        Assert.That(Nodes(m).Select(n => n.NodeName), Is.EquivalentTo(new[] { "two", "mul" }));
        s.Run([add.Op], Feed(x), Full, m);
        Assert.That(Nodes(m).Select(n => n.NodeName), Is.EquivalentTo(new[] { "two", "mul", "one", "add" }));

        using var call = s.MakeCallable([x], [add]);
        var feed = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var r = call.Run([feed], Full, m);
        Assert.That(r[0].ToArray<float>()[5], Is.EqualTo(13f));
        Assert.That(Nodes(m).Select(n => n.NodeName), Is.EquivalentTo(new[] { "two", "mul", "one", "add" }));
        call.Run([feed], null, m);
        Assert.That(m.StepStats, Is.Null);
    }

    [Test]
    public void UntracedCallableRunsStillAllocateNothing()
    {
        var (g, x, _, add, _) = Small();
        using var s = new Session(g);
        using var call = s.MakeCallable([x], [add]);
        var feed = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var off = new TensorGraph.RunOptions { TraceLevel = TraceLevel.NoTrace };
        var m = new RunMetadata();
        for (int i = 0; i < 50; i++) call.Run([feed], off, m);
        Assert.That(AllocationProbe.SteadyState(() => call.Run([feed], off, m), 200), Is.EqualTo(0), "bytes allocated by 200 untraced runs");
        Assert.That(AllocationProbe.SteadyState(() => call.Run(feed), 200), Is.EqualTo(0));
    }

    [Test]
    public void WhileLoopBodyNodesAppearOncePerIteration()
    {
        var g = new Graph();
        var r = g.WhileLoop(v => v[0] < 5, v => [v[0] + 1], [g.Constant(0)], name: "loop");
        using var s = new Session(g);
        var m = new RunMetadata();
        Assert.That(s.Run(r[0], null, Full, m).Scalar<int>(), Is.EqualTo(5));
        var nodes = Nodes(m);
        int Count(string type) => nodes.Count(n => g.GetOperation(n.NodeName).Type == type);
        var add = g.Operations.Single(o => o.Type == "AddV2");
        var less = g.Operations.Single(o => o.Type == "Less");
        Assert.That(nodes.Count(n => n.NodeName == add.Name), Is.EqualTo(5), "the body runs five times");
        Assert.That(nodes.Count(n => n.NodeName == less.Name), Is.EqualTo(6), "the condition runs once more, false");
        Assert.That(Count("NextIteration"), Is.EqualTo(5));
        Assert.That(Count("Enter"), Is.EqualTo(1));
        Assert.That(Count("Exit"), Is.EqualTo(1), "the Exit runs live once; dead executions are not recorded");
        var adds = nodes.Where(n => n.NodeName == add.Name).ToList();
        for (int i = 1; i < adds.Count; i++) Assert.That(adds[i].AllStartMicros, Is.GreaterThanOrEqualTo(adds[i - 1].AllStartMicros));
        Assert.That(adds.All(n => n.Output.Single().TensorDescription.Dtype == DataType.DtInt32));
    }

    [Test]
    public void UntakenConditionalBranchIsNotRecorded()
    {
        var g = new Graph();
        var p = g.Placeholder(DType.Bool, Shape.Scalar, name: "p");
        var y = g.Cond(p, () => g.Constant(1f, name: "yes"), () => g.Constant(2f, name: "no"), name: "c");
        using var s = new Session(g);
        var m = new RunMetadata();
        Assert.That(s.Run(y, new FeedDict { [p] = false }, Full, m).Scalar<float>(), Is.EqualTo(2f));
        var names = Nodes(m).Select(n => n.NodeName).ToList();
        Assert.That(names, Has.Some.EndsWith("no"));
        Assert.That(names, Has.None.EndsWith("yes"));
    }

    [Test]
    public void ChromeTraceParsesAndNamesEveryExecutedNode()
    {
        var (g, x, _, add, _) = Small();
        using var s = new Session(g);
        var m = new RunMetadata();
        s.Run(add, Feed(x), Full, m);
        var json = new Timeline(m.StepStats).GenerateChromeTraceFormat();
        using var doc = JsonDocument.Parse(json);
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        var processes = events.Where(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "process_name")
            .ToDictionary(e => e.GetProperty("args").GetProperty("name").GetString()!, e => e.GetProperty("pid").GetInt32());
        Assert.That(processes, Is.EqualTo(new Dictionary<string, int> { ["Allocators"] = 0, [Cpu + " Compute"] = 1, [Cpu + " Tensors"] = 2 }));
        var ops = events.Where(e => e.GetProperty("ph").GetString() == "X").ToList();
        Assert.That(ops.Select(e => e.GetProperty("args").GetProperty("name").GetString()), Is.EquivalentTo(Nodes(m).Select(n => n.NodeName)));
        foreach (var e in ops)
        {
            Assert.That(e.GetProperty("cat").GetString(), Is.EqualTo("Op"));
            Assert.That(e.GetProperty("pid").GetInt32(), Is.EqualTo(1));
            Assert.That(e.GetProperty("ts").GetInt64(), Is.GreaterThan(0));
            Assert.That(e.GetProperty("dur").GetInt64(), Is.GreaterThanOrEqualTo(0));
            Assert.That(e.GetProperty("name").GetString(), Is.EqualTo(e.GetProperty("args").GetProperty("op").GetString()));
        }
        var addEvent = ops.Single(e => e.GetProperty("args").GetProperty("name").GetString() == "add");
        Assert.That(addEvent.GetProperty("name").GetString(), Is.EqualTo("AddV2"));
        Assert.That(addEvent.GetProperty("args").GetProperty("input0").GetString(), Is.EqualTo("mul"));
        Assert.That(addEvent.GetProperty("args").GetProperty("input1").GetString(), Is.EqualTo("one"));
    }

    private static NodeExecStats Node(string name, string label, long start, long dur, int outputs = 1)
    {
        var n = new NodeExecStats { NodeName = name, TimelineLabel = label, AllStartMicros = start, AllEndRelMicros = dur, OpEndRelMicros = dur };
        for (int i = 0; i < outputs; i++) n.Output.Add(new NodeOutput { Slot = i, TensorDescription = new TensorDescription { Dtype = DataType.DtFloat } });
        return n;
    }

    private static StepStats Stats(params NodeExecStats[] nodes) => new() { DevStats = { new DeviceStepStats { Device = Cpu, NodeStats = { nodes } } } };

    [Test]
    public void LanesAndFlowsFollowTfTimeline()
    {
        // TF's _assign_lanes: a node takes the first lane whose last node ended strictly before it
        // started. a [100,110) on lane 0; b starts at 105, inside a: lane 1; c starts at 110, not
        // after a's end (110) but after b's (108): lane 1; d at 120: lane 0.
        var stats = Stats(
            Node("a", "a = Const()", 100, 10),
            Node("b", "b = Neg(a)", 105, 3),
            Node("c", "c = AddV2(a, b)", 110, 5),
            Node("d", "d = Mul(c, a, ^b)", 120, 1));
        using var doc = JsonDocument.Parse(new Timeline(stats).GenerateChromeTraceFormat());
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        var tid = events.Where(e => e.GetProperty("ph").GetString() == "X")
            .ToDictionary(e => e.GetProperty("args").GetProperty("name").GetString()!, e => e.GetProperty("tid").GetInt32());
        Assert.That(tid, Is.EqualTo(new Dictionary<string, int> { ["a"] = 0, ["b"] = 1, ["c"] = 1, ["d"] = 0 }));
        // Flows for inputs produced on another lane: a→b, a→c, c→d (a→d shares lane 0; ^b is a control input).
        var starts = events.Where(e => e.GetProperty("ph").GetString() == "s").ToList();
        var ends = events.Where(e => e.GetProperty("ph").GetString() == "t").ToList();
        Assert.That(starts.Select(e => e.GetProperty("name").GetString()), Is.EqualTo(new[] { "a", "a", "c" }));
        Assert.That(starts.Select(e => e.GetProperty("ts").GetInt64()), Is.EqualTo(new long[] { 110, 110, 115 }), "a flow starts where its producer ended");
        Assert.That(ends.Select(e => e.GetProperty("ts").GetInt64()), Is.EqualTo(new long[] { 105, 110, 120 }), "and ends where its consumer starts");
        Assert.That(starts.Select(e => e.GetProperty("id").GetInt64()), Is.EqualTo(ends.Select(e => e.GetProperty("id").GetInt64())));
        var d = events.Single(e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("args").GetProperty("name").GetString() == "d");
        Assert.That(d.GetProperty("args").GetProperty("input2").GetString(), Is.EqualTo("^b"));

        using var noFlow = JsonDocument.Parse(new Timeline(stats).GenerateChromeTraceFormat(showDataflow: false, pretty: true));
        Assert.That(noFlow.RootElement.GetProperty("traceEvents").EnumerateArray().Count(e => e.GetProperty("ph").GetString() is "s" or "t"), Is.EqualTo(0));
        Assert.That(stats.DevStats[0].NodeStats.Select(n => n.ThreadId), Is.All.EqualTo(0u), "the step stats are left as they were");
    }

    [Test]
    public void OpTypeSummaryTotalsByOpType()
    {
        // The step spans 0..200 µs.
        var stats = Stats(
            Node("m1", "m1 = MatMul(x, w)", 0, 30),
            Node("m2", "m2 = MatMul(m1, w)", 40, 10),
            Node("a", "a = AddV2(m2, b)", 60, 20),
            Node("odd", "not a label", 190, 10));
        var totals = Timeline.OpTypeTotals(stats);
        Assert.That(totals.Select(t => (t.OpType, t.Count, t.TotalMicros)), Is.EqualTo(new[] { ("MatMul", 2, 40L), ("AddV2", 1, 20L), ("unknown", 1, 10L) }));
        Assert.That(totals[0].PercentOfStep, Is.EqualTo(20.0).Within(1e-9));
        Assert.That(totals[0].AverageMicros, Is.EqualTo(20.0));
        var text = Timeline.OpTypeSummary(stats);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "op", "type", "count", "total", "us", "%", "of", "step", "avg", "us" }));
        Assert.That(lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "MatMul", "2", "40", "20.0%", "20.0" }));
        Assert.That(lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "AddV2", "1", "20", "10.0%", "20.0" }));
        Assert.That(lines[^1], Is.EqualTo("step: 200 us, 4 node executions"));
        Assert.That(Timeline.OpTypeTotals(new StepStats()), Is.Empty);
    }

    [Test]
    public void FusedNodesNameTheChainTheyRun()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1, 3), name: "x");
        var w = g.Constant(Tensor.FromArray(new float[,] { { 1, 0 }, { 0, 1 }, { 1, 1 } }), name: "w");
        var b = g.Constant(new float[] { 0.5f, -10 }, name: "b");
        var y = g.Relu(g.BiasAdd(g.MatMul(x, w, name: "mm"), b, name: "ba"), name: "relu");
        using var s = new Session(g);
        var m = new RunMetadata();
        var r = s.Run(y, new FeedDict { [x] = Tensor.FromArray(new float[,] { { 1, 2, 3 } }) }, Full, m);
        Assert.That(r.ToArray<float>(), Is.EqualTo(new[] { 4.5f, 0f }));
        var relu = Nodes(m).Single(n => n.NodeName == "relu");
        Assert.That(relu.TimelineLabel, Does.StartWith("relu = MatMul+BiasAdd+Relu("));
        Assert.That(Nodes(m).Select(n => n.NodeName), Has.None.EqualTo("mm"), "the absorbed ops do not run on their own");
    }
}

/// <summary>ConfigProto-shaped session options: intra_op_parallelism_threads reaches the GEMM pool; bad values are refused.</summary>
[NonParallelizable]
public class SessionThreadOptionsTests
{
    [TearDown]
    public void Restore() => Gemm.MaxThreads = Environment.ProcessorCount;

    [TestCase(-1, 0, "intra_op_parallelism_threads")]
    [TestCase(0, -3, "inter_op_parallelism_threads")]
    public void NegativeThreadCountsAreRejected(int intra, int inter, string field)
    {
        var g = new Graph();
        var e = Assert.Throws<InvalidArgumentException>(() => _ = new Session(g, new SessionOptions { IntraOpParallelismThreads = intra, InterOpParallelismThreads = inter }))!;
        Assert.That(e.Message, Does.Contain(field));
        Assert.Throws<InvalidArgumentException>(() => _ = new Session(g, new ConfigProto { IntraOpParallelismThreads = intra, InterOpParallelismThreads = inter }));
    }

    [Test]
    public void ConfigProtoFieldsReachTheSession()
    {
        using var s = new Session(new Graph(), new ConfigProto { IntraOpParallelismThreads = 3, InterOpParallelismThreads = 2, OperationTimeoutInMs = 1234 });
        Assert.That(s.IntraOpParallelismThreads, Is.EqualTo(3));
        Assert.That(s.InterOpParallelismThreads, Is.EqualTo(2));
        Assert.That(s.OperationTimeoutInMs, Is.EqualTo(1234));
        using var d = new Session(new Graph());
        Assert.That(d.IntraOpParallelismThreads, Is.EqualTo(0));
    }

    [Test]
    public void IntraOpThreadsCapTheGemmPoolAndKeepResultsBitIdentical()
    {
        Gemm.MaxThreads = 4; // more parts than this machine may have cores, so the default session splits
        var g = new Graph();
        var a = g.Placeholder(DType.Float32, new Shape(128, 784), name: "a");
        var b = g.Placeholder(DType.Float32, new Shape(784, 512), name: "b");
        var c = g.MatMul(a, b, name: "c");
        var rnd = new Random(5);
        var av = Tensor.Create(Enumerable.Range(0, 128 * 784).Select(_ => (float)rnd.NextDouble() - 0.5f).ToArray(), 128, 784);
        var bv = Tensor.Create(Enumerable.Range(0, 784 * 512).Select(_ => (float)rnd.NextDouble() - 0.5f).ToArray(), 784, 512);
        var feeds = new FeedDict { [a] = av, [b] = bv };

        using var one = new Session(g, new SessionOptions { IntraOpParallelismThreads = 1 });
        long before = GemmPool.SplitProducts;
        var single = one.Run(c, feeds).ToArray<float>();
        Assert.That(GemmPool.SplitProducts, Is.EqualTo(before), "one intra-op thread: the product is never split");
        Assert.That(Gemm.RunThreadLimit, Is.EqualTo(0), "the cap lasts only as long as the run");

        using var two = new Session(g, new SessionOptions { IntraOpParallelismThreads = 2 });
        before = GemmPool.SplitProducts;
        var pair = two.Run(c, feeds).ToArray<float>();
        Assert.That(GemmPool.SplitProducts, Is.EqualTo(before + 1), "two threads: split");
        Assert.That(GemmPool.LastParts, Is.EqualTo(2));

        using var all = new Session(g);
        before = GemmPool.SplitProducts;
        var dflt = all.Run(c, feeds).ToArray<float>();
        Assert.That(GemmPool.SplitProducts, Is.EqualTo(before + 1));
        Assert.That(GemmPool.LastParts, Is.EqualTo(4), "0 = no cap beyond the pool's own");

        Assert.That(single, Is.EqualTo(dflt), "bit for bit");
        Assert.That(pair, Is.EqualTo(dflt), "bit for bit");
    }
}
