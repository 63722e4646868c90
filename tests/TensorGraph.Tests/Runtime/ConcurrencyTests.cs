using System.Runtime.InteropServices;

namespace TensorGraph.Tests.Runtime;

/// <summary>
/// Session.Run from several threads at once, on one shared session, on a session per thread and
/// through a callable per thread, over the kernels that split work across the GEMM worker pool
/// (packed products split by rows or columns, few-row products split by columns), convolution
/// and its backprops, and the fused dense kernel. Every result must be bit-for-bit the result of
/// a serial run of the same input.
///
/// Stress mode: set <c>TENSORGRAPH_STRESS_SECONDS</c> to keep every case running for that many
/// seconds instead of a fixed number of runs (e.g. <c>TENSORGRAPH_STRESS_SECONDS=60 dotnet test
/// --filter Category=Concurrency</c>).
/// </summary>
[Category("Concurrency")]
[NonParallelizable]
public class ConcurrencyTests
{
    /// <summary>Runs per thread: enough for every thread to overlap the others many times.</summary>
    private static int RunsPerThread(int threads) => Math.Max(6, 32 / threads);
    private const int Inputs = 5;

    /// <summary>A graph, its feed and its fetches, with a distinct input per index.</summary>
    private sealed record Workload(Graph Graph, Output Feed, Output[] Fetches, Func<int, Tensor> Input);

    private static float[] RandomFloats(int count, int seed)
    {
        var r = new Random(seed);
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(r.NextDouble() * 2 - 1);
        return v;
    }

    private static Output Weights(Graph g, int seed, string name, params int[] dims) =>
        g.Constant(Tensor.Create(RandomFloats(dims.Aggregate(1, (a, b) => a * b), seed), dims), name: name);

    private static Workload Make(string name)
    {
        var g = new Graph();
        switch (name)
        {
            case "split-gemm":
            {
                // 64×784 · 784×512 (split by columns) and 784×64 · 64×300: large enough to be split
                // across the worker pool.
                var x = g.Placeholder(DType.Float32, new Shape(-1, 784), name: "x");
                var y = g.MatMul(x, Weights(g, 1, "w", 784, 512), name: "y");
                var yt = g.MatMul(x, Weights(g, 2, "v", 64, 300), transposeA: true, name: "yt"); // 784×300, split by rows
                return new(g, x, [y, yt], i => Tensor.Create(RandomFloats(64 * 784, 100 + i), 64, 784));
            }
            case "few-rows":
            {
                // Batch-1 inference: a one-row product whose columns are split across the pool.
                var x = g.Placeholder(DType.Float32, new Shape(-1, 784), name: "x");
                var y = g.MatMul(x, Weights(g, 3, "w", 784, 1024), name: "y");
                return new(g, x, [y], i => Tensor.Create(RandomFloats(784, 200 + i), 1, 784));
            }
            case "fused-dense":
            {
                // MatMul → BiasAdd → Relu, fused into one kernel by the plan.
                var x = g.Placeholder(DType.Float32, new Shape(-1, 784), name: "x");
                var h = g.Relu(g.BiasAdd(g.MatMul(x, Weights(g, 4, "w1", 784, 256)), Weights(g, 5, "b1", 256)));
                var y = g.BiasAdd(g.MatMul(h, Weights(g, 6, "w2", 256, 10)), Weights(g, 7, "b2", 10), name: "y");
                return new(g, x, [y], i => Tensor.Create(RandomFloats(100 * 784, 300 + i), 100, 784));
            }
            case "conv":
            {
                // Conv2D → MaxPool → loss, and the gradients of the loss for the input and the filter
                // (Conv2DBackpropInput, Conv2DBackpropFilter, MaxPoolGrad, split GEMMs inside).
                var x = g.Placeholder(DType.Float32, new Shape(-1, 28, 28, 1), name: "x");
                var f1 = Weights(g, 8, "f1", 5, 5, 1, 32);
                var f2 = Weights(g, 9, "f2", 5, 5, 32, 64);
                var c1 = g.Relu(g.Conv2D(x, f1, [1, 1, 1, 1], "SAME"));
                var p1 = g.MaxPool(c1, [1, 2, 2, 1], [1, 2, 2, 1], "SAME");
                var c2 = g.Conv2D(p1, f2, [1, 1, 1, 1], "SAME");
                var loss = g.ReduceSum(g.Square(c2), name: "loss");
                var grads = g.Gradients([loss], [x, f1, f2]);
                return new(g, x, [c2, grads[0]!.Value, grads[1]!.Value, grads[2]!.Value], i => Tensor.Create(RandomFloats(4 * 28 * 28, 400 + i), 4, 28, 28, 1));
            }
            case "mlp-gradients":
            {
                var x = g.Placeholder(DType.Float32, new Shape(-1, 784), name: "x");
                var w1 = Weights(g, 10, "w1", 784, 512);
                var w2 = Weights(g, 11, "w2", 512, 10);
                var logits = g.MatMul(g.Relu(g.MatMul(x, w1)), w2);
                var loss = g.ReduceMean(g.Square(logits), name: "loss");
                var grads = g.Gradients([loss], [w1, w2, x]);
                return new(g, x, [loss, grads[0]!.Value, grads[1]!.Value, grads[2]!.Value], i => Tensor.Create(RandomFloats(128 * 784, 500 + i), 128, 784));
            }
            default:
                throw new ArgumentException(name);
        }
    }

    private static readonly string[] WorkloadNames = ["split-gemm", "few-rows", "fused-dense", "conv", "mlp-gradients"];

    private static IEnumerable<TestCaseData> Cases() =>
        from w in WorkloadNames
        from mode in new[] { "shared", "separate", "callable" }
        from threads in new[] { 2, 4, 8 }
        select new TestCaseData(w, mode, threads);

    private static bool SameBits(Tensor a, Tensor b) =>
        a.DType == b.DType && a.Dims.SequenceEqual(b.Dims)
        && MemoryMarshal.AsBytes(a.AsSpan<float>()).SequenceEqual(MemoryMarshal.AsBytes(b.AsSpan<float>()));

    [TestCaseSource(nameof(Cases))]
    public void ConcurrentRunsMatchSerialRunsBitForBit(string workload, string mode, int threads)
    {
        var w = Make(workload);
        var inputs = Enumerable.Range(0, Inputs).Select(w.Input).ToArray();

        // Serial reference: one thread, one session.
        Tensor[][] expected;
        using (var serial = new Session(w.Graph))
            expected = inputs.Select(t => serial.Run(w.Fetches, new FeedDict { [w.Feed] = t }).Select(r => r.Clone()).ToArray()).ToArray();

        double stressSeconds = double.TryParse(Environment.GetEnvironmentVariable("TENSORGRAPH_STRESS_SECONDS"), out var s) ? s : 0;
        var deadline = DateTime.UtcNow.AddSeconds(stressSeconds);
        using var shared = new Session(w.Graph);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        long runs = 0;
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            Session? own = null;
            try
            {
                var session = mode == "separate" ? own = new Session(w.Graph) : shared;
                var callable = mode == "callable" ? session.MakeCallable([w.Feed], w.Fetches) : null;
                start.SignalAndWait();
                for (int i = 0; i < RunsPerThread(threads) || DateTime.UtcNow < deadline; i++)
                {
                    int which = (t * 7 + i) % Inputs;
                    var got = callable is not null
                        ? callable.Run(inputs[which])
                        : session.Run(w.Fetches, new FeedDict { [w.Feed] = inputs[which] });
                    for (int f = 0; f < got.Length; f++)
                    {
                        if (!SameBits(got[f], expected[which][f]))
                            failures.Enqueue($"thread {t}, run {i}, input {which}: {w.Fetches[f].Name} differs from the serial result");
                    }
                    Interlocked.Increment(ref runs);
                    if (!failures.IsEmpty) break;
                }
            }
            catch (Exception e)
            {
                failures.Enqueue($"thread {t}: {e}");
                start.RemoveParticipant();
            }
            finally
            {
                own?.Dispose();
            }
        })).ToList();
        workers.ForEach(x => x.Start());
        workers.ForEach(x => x.Join());
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(5)));
        Assert.That(Interlocked.Read(ref runs), Is.GreaterThanOrEqualTo((long)threads * RunsPerThread(threads)));
    }

    /// <summary>The program that used to kill the process: two threads, one session, a split MatMul.</summary>
    [Test]
    public void TwoThreadsOnASplitMatMulRunToCompletion()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1, 784), name: "x");
        var y = g.MatMul(x, g.Constant(Tensor.Zeros(DType.Float32, 784, 512), name: "w"), name: "y");
        using var s = new Session(g);
        var input = Tensor.Zeros(DType.Float32, 64, 784);
        int done = 0;
        var threads = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                var r = s.Run(y, new FeedDict { [x] = input });
                if (r.Dims[0] == 64 && r.Dims[1] == 512 && r.AsSpan<float>().IndexOfAnyExcept(0f) < 0) Interlocked.Increment(ref done);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.That(done, Is.EqualTo(400));
    }
}
