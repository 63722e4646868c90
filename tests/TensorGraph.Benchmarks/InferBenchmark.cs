namespace TensorGraph.Benchmarks;

/// <summary>
/// Inference of the 784→512 ReLU→10 MLP (the network of the mlp benchmark and of
/// tools/peers/ort-mlp's mlp.onnx) through a compiled callable, at batch 1, 128 and 10000: the
/// workload of the ONNX Runtime peer. Weights are random (the cost does not depend on them).
/// </summary>
internal static class InferBenchmark
{
    public static void Run()
    {
        var g = new Graph { Seed = 3 };
        var x = g.Placeholder(DType.Float32, [-1, 784], name: "x");
        var w1 = g.Constant(Random(784 * 512, 1), [784, 512]);
        var b1 = g.Constant(Random(512, 2), [512]);
        var w2 = g.Constant(Random(512 * 10, 3), [512, 10]);
        var b2 = g.Constant(Random(10, 4), [10]);
        var logits = g.BiasAdd(g.MatMul(g.Relu(g.BiasAdd(g.MatMul(x, w1), b1)), w2), b2, name: "logits");
        using var session = new Session(g, Harness.SessionOptions());
        var callable = session.MakeCallable([x], [logits]);
        Console.WriteLine("infer: 784-512-10 ReLU MLP forward pass through a callable (MatMul+BiasAdd+Relu fused), per run");
        var table = new Table();
        var rng = new System.Random(0);
        foreach (int n in new[] { 1, 128, 10000 })
        {
            var data = new float[n * 784];
            for (int i = 0; i < data.Length; i++) data[i] = (float)rng.NextDouble();
            var input = Tensor.Create(data, n, 784);
            var m = Harness.Measure(() => callable.Run(input), reps: 7, warmupSeconds: n == 10000 ? 2 : 3, repSeconds: n == 10000 ? 0.5 : 0.2);
            table.Add($"batch_{n}_us", m.Micros, "F1");
            table.Add($"batch_{n}_alloc_bytes", m.Bytes, "F0");
            double us = Measurement.Median(m.Micros);
            Console.WriteLine($"infer batch {n} us_per_run {us:F1} samples_per_s {n * 1e6 / us:F0}");
        }
        table.Print();
    }

    private static Tensor Random(int count, int seed)
    {
        var rng = new System.Random(seed);
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 0.1 - 0.05);
        return Tensor.Create(v, count);
    }
}
