using TensorGraph.Proto;
using TensorGraph.Training;

namespace TensorGraph.Tests.Runtime;

/// <summary>Inter-op parallelism: independent nodes of one run at the same time, with the results of a sequential run.</summary>
public class InterOpTests
{
    private static Session Open(Graph g, int interOp) => new(g, new SessionOptions { InterOpParallelismThreads = interOp });

    /// <summary>Holds nodes <paramref name="a"/> and <paramref name="b"/> until both have started; records who met.</summary>
    private sealed class Rendezvous(string a, string b) : IDisposable
    {
        private readonly CountdownEvent _both = new(2);
        public bool Met { get; private set; }
        public int Threads => _threads.Count;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<int, bool> _threads = new();

        public void OnStart(string node)
        {
            if (node != a && node != b) return;
            _threads[Environment.CurrentManagedThreadId] = true;
            _both.Signal();
            // Sequentially the second node never starts while the first waits: the wait times out.
            if (_both.Wait(TimeSpan.FromSeconds(20))) Met = true;
        }

        public void Dispose() => _both.Dispose();
    }

    private static (Graph G, Output X, Output Sum) TwoBranches()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(3), name: "x");
        var a = g.Square(x, name: "a");
        var b = g.Negative(x, name: "b");
        return (g, x, g.Add(g.Exp(a), g.Tanh(b), name: "sum"));
    }

    [Test]
    public void IndependentBranchesRunAtTheSameTime()
    {
        var (g, x, sum) = TwoBranches();
        using var s = Open(g, 2);
        using var meet = new Rendezvous("a", "b");
        s.NodeStarting = meet.OnStart;
        var m = new RunMetadata();
        var y = s.Run(sum, new FeedDict { [x] = new float[] { 0.5f, -1, 2 } }, new TensorGraph.RunOptions { TraceLevel = TraceLevel.FullTrace }, m);
        Assert.That(meet.Met, Is.True, "a and b were both running at once");
        Assert.That(meet.Threads, Is.EqualTo(2));
        var expected = new[] { 0.5f, -1, 2 }.Select(v => MathF.Exp(v * v) + MathF.Tanh(-v)).ToArray();
        Assert.That(y.ToArray<float>(), Is.EqualTo(expected).Within(1e-6f));
        var stats = m.StepStats.DevStats[0].NodeStats;
        Assert.That(stats.Select(n => n.NodeName), Is.EquivalentTo(new[] { "a", "b", "Exp", "Tanh", "sum" }), "the trace names every executed node once");
        Assert.That(stats.Select(n => n.ThreadId).Distinct().Count(), Is.EqualTo(2), "the trace shows the two threads");
        var byName = stats.ToDictionary(n => n.NodeName);
        Assert.That(byName["sum"].AllStartMicros, Is.GreaterThanOrEqualTo(byName["Exp"].AllStartMicros + byName["Exp"].AllEndRelMicros));
        Assert.That(byName["sum"].AllStartMicros, Is.GreaterThanOrEqualTo(byName["Tanh"].AllStartMicros + byName["Tanh"].AllEndRelMicros));
    }

    [TestCase(0)]
    [TestCase(1)]
    public void ByDefaultAndWithOneThreadNodesRunOneAtATimeOnTheCaller(int interOp)
    {
        var (g, x, sum) = TwoBranches();
        using var s = Open(g, interOp);
        var threads = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        int running = 0, most = 0;
        s.NodeStarting = _ =>
        {
            threads[Environment.CurrentManagedThreadId] = true;
            most = Math.Max(most, Interlocked.Increment(ref running));
            Thread.Sleep(5);
            Interlocked.Decrement(ref running);
        };
        s.Run(sum, new FeedDict { [x] = new float[] { 1, 2, 3 } });
        Assert.That(threads.Keys, Is.EqualTo(new[] { Environment.CurrentManagedThreadId }));
        Assert.That(most, Is.EqualTo(1));
    }

    /// <summary>A small MLP trained with Adam and dropout (stateful random op), fetched loss each step.</summary>
    private static float[][] Train(int interOp, int steps)
    {
        var g = new Graph { Seed = 7 };
        var x = g.Placeholder(DType.Float32, [-1, 40], name: "x");
        var y = g.Placeholder(DType.Int32, [-1], name: "y");
        var w1 = g.Variable(g.RandomUniform([40, 33], -0.3, 0.3), name: "w1");
        var b1 = g.Variable(g.Zeros([33]), name: "b1");
        var w2 = g.Variable(g.RandomUniform([33, 5], -0.3, 0.3), name: "w2");
        var b2 = g.Variable(g.Zeros([5]), name: "b2");
        var h = g.Relu(g.BiasAdd(g.MatMul(x, w1), b1));
        var drop = g.Multiply(h, g.Cast(g.Greater(g.RandomUniform([17, 33], 0, 1), g.Constant(0.2f)), DType.Float32));
        var logits = g.BiasAdd(g.MatMul(drop, w2), b2);
        var loss = g.ReduceMean(g.SparseSoftmaxCrossEntropyWithLogits(y, logits));
        var train = new AdamOptimizer(0.01).Minimize(loss);
        using var s = Open(g, interOp);
        s.Run(g.GlobalVariablesInitializer());
        var rng = new Random(3);
        var xs = Tensor.Create(Enumerable.Range(0, 17 * 40).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), 17, 40);
        var ys = Tensor.Create(Enumerable.Range(0, 17).Select(i => i % 5).ToArray(), 17);
        var losses = new List<float>();
        for (int i = 0; i < steps; i++)
            losses.Add(s.Run([loss], new FeedDict { [x] = xs, [y] = ys }, [train])[0].Scalar<float>());
        var result = s.Run([w1, b1, w2, b2]).Select(t => t.ToArray<float>()).ToList();
        result.Add([.. losses]);
        return [.. result];
    }

    [Test]
    public void TrainingGivesTheBitsOfASequentialRun()
    {
        var one = Train(1, 30);
        var three = Train(3, 30);
        for (int i = 0; i < one.Length; i++) Assert.That(three[i], Is.EqualTo(one[i]), $"array {i} (w1, b1, w2, b2, losses)");
        Assert.That(one[^1][^1], Is.LessThan(one[^1][0]), "the loss went down");
    }

    [Test]
    public void ReadsAndUpdatesOfVariablesWithoutControlEdgesSeeWhatASequentialRunSees()
    {
        var g = new Graph();
        var v = g.Variable(Tensor.Scalar(1f), name: "v");
        // No edge orders the reads and the increment: a sequential run takes them in the order
        // they were built, and so must a concurrent one (forwarded reads see the storage itself).
        var read = g.Multiply(g.Identity(v.Ref), g.Constant(2f), name: "read");
        var other = g.Tanh(g.Constant(0.5f), name: "other");
        var assign = g.AssignAdd(v, g.Constant(1f), name: "inc");
        var after = g.Multiply(g.Identity(v.Ref), g.Constant(3f), name: "after");
        var afterValue = g.Multiply(v, g.Constant(5f), name: "afterValue");
        using var one = Open(g, 1);
        using var four = Open(g, 4);
        one.Run(g.GlobalVariablesInitializer());
        four.Run(g.GlobalVariablesInitializer());
        for (int i = 0; i < 200; i++)
        {
            var want = one.Run([read, other, after, afterValue], null, [assign.Op]).Select(t => t.Scalar<float>()).ToArray();
            var got = four.Run([read, other, after, afterValue], null, [assign.Op]).Select(t => t.Scalar<float>()).ToArray();
            Assert.That(got, Is.EqualTo(want), $"run {i}");
            if (i == 0) TestContext.Out.WriteLine($"sequential first run: {string.Join(", ", want)}");
        }
    }

    [Test]
    public void RandomWideGraphsGiveTheBitsOfASequentialRun()
    {
        // Buffers are reused by liveness: writers of a reused buffer must wait for the readers of
        // the value it held. Wide random graphs of element-wise ops and products exercise that.
        for (int seed = 0; seed < 12; seed++)
        {
            var (g, feed, fetches) = RandomGraph(seed);
            var input = Tensor.Create(Enumerable.Range(0, 48 * 48).Select(i => MathF.Sin(i * 0.37f + seed)).ToArray(), 48, 48);
            using var one = Open(g, 1);
            using var four = Open(g, 4);
            var want = one.Run(fetches, new FeedDict { [feed] = input }).Select(t => t.ToArray<float>()).ToArray();
            for (int rep = 0; rep < 5; rep++)
            {
                var got = four.Run(fetches, new FeedDict { [feed] = input });
                for (int f = 0; f < fetches.Length; f++) Assert.That(got[f].ToArray<float>(), Is.EqualTo(want[f]), $"seed {seed}, run {rep}, fetch {f}");
            }
        }
    }

    private static (Graph, Output, Output[]) RandomGraph(int seed)
    {
        var rng = new Random(seed);
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(48, 48), name: "x");
        var pool = new List<Output> { x };
        for (int i = 0; i < 60; i++)
        {
            var a = pool[rng.Next(pool.Count)];
            var b = pool[rng.Next(pool.Count)];
            pool.Add(rng.Next(6) switch
            {
                0 => g.Add(a, b),
                1 => g.Multiply(a, g.Constant(0.5f)),
                2 => g.Tanh(a),
                3 => g.Multiply(g.MatMul(a, b), g.Constant(0.05f)),
                4 => g.Subtract(a, b),
                _ => g.Sigmoid(a),
            });
        }
        return (g, x, [pool[^1], pool[^7], pool[^20]]);
    }

    [Test]
    public void AFailingBranchStopsTheRunWithItsOwnErrorAndTheNextRunWorks()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1), name: "x");
        var shape = g.Placeholder(DType.Int32, new Shape(1), name: "shape");
        var bad = g.Reshape(g.Square(x), shape, name: "reshape");
        var good = g.Tanh(g.Negative(x), name: "good");
        var sum = g.Add(g.ReduceSum(bad, [0]), g.ReduceSum(good, [0]), name: "sum");
        using var s = Open(g, 2);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(sum, new FeedDict { [x] = new float[] { 1, 2, 3 }, [shape] = new[] { 4 } }))!;
        Assert.That(e.NodeName, Is.EqualTo("reshape"));
        Assert.That(e.Message, Does.Contain("Input to reshape is a tensor with 3 values"));
        var y = s.Run(sum, new FeedDict { [x] = new float[] { 1, 2, 3 }, [shape] = new[] { 3 } });
        Assert.That(y.Scalar<float>(), Is.EqualTo(14f + MathF.Tanh(-1) + MathF.Tanh(-2) + MathF.Tanh(-3)).Within(1e-5f));
    }

    [Test]
    public void ACancelledRunStopsAndTheSessionStaysUsable()
    {
        var (g, x, sum) = TwoBranches();
        using var s = Open(g, 2);
        using var cts = new CancellationTokenSource();
        s.NodeStarting = n =>
        {
            if (n == "a") cts.Cancel();
        };
        Assert.Throws<CancelledException>(() => s.Run([sum], new FeedDict { [x] = new float[] { 1, 2, 3 } }, [], null, null, cts.Token));
        s.NodeStarting = null;
        Assert.That(s.Run(sum, new FeedDict { [x] = new float[] { 0, 0, 0 } }).ToArray<float>(), Is.EqualTo(new[] { 1f, 1, 1 }));
    }

    [Test]
    public void ASteadyStateTrainingStepWithTwoInterOpThreadsAllocatesNothingOnTheCaller()
    {
        var g = new Graph { Seed = 2 };
        var x = g.Placeholder(DType.Float32, [-1, 100], name: "images");
        var y = g.Placeholder(DType.Int32, [-1], name: "labels");
        var w1 = g.Variable(g.RandomUniform([100, 64], -0.1, 0.1), name: "w1");
        var b1 = g.Variable(g.Zeros([64]), name: "b1");
        var w2 = g.Variable(g.RandomUniform([64, 10], -0.1, 0.1), name: "w2");
        var b2 = g.Variable(g.Zeros([10]), name: "b2");
        var logits = g.BiasAdd(g.MatMul(g.Relu(g.BiasAdd(g.MatMul(x, w1), b1)), w2), b2);
        var loss = g.ReduceMean(g.SparseSoftmaxCrossEntropyWithLogits(y, logits));
        var train = RMSPropOptimizer.KerasDefaults().Minimize(loss);
        using var s = Open(g, 2);
        s.Run(g.GlobalVariablesInitializer());
        var step = s.MakeCallable([x, y], [loss], train);
        var rng = new Random(1);
        var xs = Tensor.Create(Enumerable.Range(0, 32 * 100).Select(_ => (float)rng.NextDouble()).ToArray(), 32, 100);
        var ys = Tensor.Create(Enumerable.Range(0, 32).Select(i => i % 10).ToArray(), 32);
        for (int i = 0; i < 50; i++) step.Run(xs, ys);
        Assert.That(AllocationProbe.SteadyState(() => step.Run(xs, ys), 25), Is.EqualTo(0));
    }

    [Test]
    public void TheScheduleOrdersWritersAfterEarlierReadersOfTheSameVariableOnly()
    {
        var g = new Graph();
        var v = g.Variable(Tensor.Scalar(1f), name: "v");
        var w = g.Variable(Tensor.Scalar(5f), name: "w");
        var readV = g.Multiply(v.Ref, g.Constant(2f), name: "readV");
        var incW = g.AssignAdd(w, g.Constant(1f), name: "incW");
        var incV = g.AssignAdd(v, g.Constant(1f), name: "incV");
        var side = g.Tanh(g.Constant(0.25f), name: "side");
        using var s = Open(g, 2);
        s.Run(g.GlobalVariablesInitializer());
        var plan = new TensorGraph.Runtime.ExecutionPlan(s, [], [readV, side], [incW.Op, incV.Op]);
        var schedule = plan.InterOp;
        Assert.That(schedule, Is.Not.Null);
        int Index(string name) => Array.FindIndex(plan.Nodes, n => n.Op.Name == name);
        bool Before(string a, string b) => schedule!.Successors[Index(a)].Contains(Index(b));
        Assert.That(Before("readV", "incV"), Is.True, "the increment of v waits for the earlier read of v");
        Assert.That(Before("readV", "incW"), Is.False, "w's increment does not wait for a read of v");
        var r = s.Run([readV], null, [incW.Op, incV.Op]);
        Assert.That(r[0].Scalar<float>(), Is.EqualTo(2f));
        Assert.That(s.Run(v).Scalar<float>(), Is.EqualTo(2f));
        Assert.That(s.Run(w).Scalar<float>(), Is.EqualTo(6f));
    }
}
