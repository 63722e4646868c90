namespace TensorGraph.Benchmarks;

/// <summary>
/// Row-wise kernels split across cores by runs of whole rows: Softmax, SparseSoftmaxCrossEntropyWithLogits
/// and a bias-row AddV2 on [1024, 1000] float32 logits (a large classifier's batch), each through a
/// compiled callable with <c>intra_op_parallelism_threads</c> 1 and 0 (one per core), alternating.
/// </summary>
internal static class RowsBenchmark
{
    public static void Run()
    {
        const int rows = 1024, classes = 1000;
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(rows, classes), name: "x");
        var bias = g.Placeholder(DType.Float32, new Shape(classes), name: "bias");
        var labels = g.Placeholder(DType.Int32, new Shape(rows), name: "labels");
        var softmax = g.Softmax(x);
        var xent = g.SparseSoftmaxCrossEntropyWithLogitsOp(x, labels).Backprop;
        var biased = g.AddV2(x, bias);
        var rnd = new Random(1);
        var feeds = new[]
        {
            Tensor.Create(Enumerable.Range(0, rows * classes).Select(_ => (float)(rnd.NextDouble() * 8 - 4)).ToArray(), rows, classes),
            Tensor.Create(Enumerable.Range(0, classes).Select(_ => (float)rnd.NextDouble()).ToArray(), classes),
            Tensor.Create(Enumerable.Range(0, rows).Select(i => i * 37 % classes).ToArray(), rows),
        };
        using var one = new Session(g, new SessionOptions { IntraOpParallelismThreads = 1 });
        using var all = new Session(g, new SessionOptions { IntraOpParallelismThreads = 0 });
        Console.WriteLine($"rows: [{rows},{classes}] float32 logits, one op per callable, intra-op 1 vs 0 (one per core)");
        var table = new Table();
        foreach (var (name, output) in new[] { ("softmax", softmax), ("sparse_xent", xent), ("bias_add_row", biased) })
        {
            var c1 = one.MakeCallable([x, bias, labels], [output]);
            var c0 = all.MakeCallable([x, bias, labels], [output]);
            bool same = c1.Run(feeds)[0].ToArray<float>().AsSpan().SequenceEqual(c0.Run(feeds)[0].ToArray<float>());
            if (!same) Console.WriteLine($"{name}: results differ");
            var r1 = new List<double>();
            var r0 = new List<double>();
            for (int round = 0; round < 2; round++)
            {
                r1.AddRange(Harness.Measure(() => c1.Run(feeds)).Micros);
                r0.AddRange(Harness.Measure(() => c0.Run(feeds)).Micros);
            }
            table.Add($"{name}_us_intra1", [.. r1]);
            table.Add($"{name}_us_intra0", [.. r0]);
        }
        table.Print();
    }
}
