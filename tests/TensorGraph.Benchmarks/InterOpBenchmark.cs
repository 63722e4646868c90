namespace TensorGraph.Benchmarks;

/// <summary>
/// Inter-op parallelism on a wide graph: four independent branches of 24 element-wise ops each on
/// [128, 128] float32 (16 Ki elements: too small for an op to split across cores by itself), summed
/// at the end. Times one callable step with <c>inter_op_parallelism_threads</c> 1 and 2, alternating.
/// </summary>
internal static class InterOpBenchmark
{
    public static void Run()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(128, 128), name: "x");
        Output total = g.Constant(0f);
        for (int b = 0; b < 4; b++)
        {
            Output y = x * (1f + b);
            for (int i = 0; i < 12; i++) y = g.Tanh(y) * 1.5f;
            total = total + y;
        }
        var input = Tensor.Create(Enumerable.Range(0, 128 * 128).Select(i => MathF.Sin(i * 0.01f)).ToArray(), 128, 128);
        using var one = new Session(g, new SessionOptions { InterOpParallelismThreads = 1 });
        using var two = new Session(g, new SessionOptions { InterOpParallelismThreads = 2 });
        var c1 = one.MakeCallable([x], [total]);
        var c2 = two.MakeCallable([x], [total]);
        bool same = c1.Run(input)[0].ToArray<float>().AsSpan().SequenceEqual(c2.Run(input)[0].ToArray<float>());
        Console.WriteLine($"interop: 4 branches x 24 element-wise ops on [128,128] float32, one callable step; results equal: {same}");
        var table = new Table();
        var r1 = new List<double>();
        var r2 = new List<double>();
        for (int round = 0; round < 3; round++)
        {
            r1.AddRange(Harness.Measure(() => c1.Run(input)).Micros);
            r2.AddRange(Harness.Measure(() => c2.Run(input)).Micros);
        }
        table.Add("wide_step_us_interop1", [.. r1]);
        table.Add("wide_step_us_interop2", [.. r2]);
        table.Print();
    }
}
