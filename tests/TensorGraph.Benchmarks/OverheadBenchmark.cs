namespace TensorGraph.Benchmarks;

/// <summary>
/// Per-step runtime overhead: a scalar float32 graph (placeholder → 10 cheap element-wise ops →
/// fetch) where kernel work is negligible, so the time is what the session itself costs.
/// Compares <c>Session.Run</c> with a feed dict against a compiled <see cref="Callable"/>.
/// </summary>
internal static class OverheadBenchmark
{
    public static void Run()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        var y = x + 1f;                                   // AddV2
        y = y * 0.5f;                                     // Mul
        y = y - 0.25f;                                    // Sub
        y = -y;                                           // Neg
        y = g.Square(y);                                  // Square
        y = g.Maximum(y, g.Constant(0.1f));               // Maximum
        y = g.Minimum(y, g.Constant(100f));               // Minimum
        y = g.Abs(y);                                     // Abs
        y = g.Sqrt(y);                                    // Sqrt
        y = g.Add(y, x, name: "y");                       // Add
        int computeOps = g.Operations.Count(o => o.Type is not ("Const" or "Placeholder"));

        using var session = new Session(g, Harness.SessionOptions());
        var feedValue = Tensor.Scalar(1.5f);
        var feed = new FeedDict { [x] = feedValue };
        var callable = session.MakeCallable([x], [y]);

        float viaRun = session.Run(y, feed).Scalar<float>();
        float viaCallable = callable.Run(feedValue)[0].Scalar<float>();

        Console.WriteLine($"overhead: scalar float32, placeholder -> {computeOps} element-wise ops -> fetch " +
                          $"({g.OperationCount} nodes incl. constants); result {viaRun} (run) / {viaCallable} (callable)");

        var run = Harness.Measure(() => session.Run(y, feed));
        var call = Harness.Measure(() => callable.Run(feedValue));
        Console.WriteLine($"per call, {run.Micros.Length} reps of {run.Iterations} (run) / {call.Iterations} (callable) calls after a warm-up");

        var table = new Table();
        table.Add("run_us", run.Micros);
        table.Add("callable_us", call.Micros);
        table.Add("run_alloc_bytes", run.Bytes, "F0");
        table.Add("callable_alloc_bytes", call.Bytes, "F0");
        table.Print();
    }
}
