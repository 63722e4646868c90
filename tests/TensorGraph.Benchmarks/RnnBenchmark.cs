using System.Diagnostics;
using System.Globalization;
using TensorGraph.Rnn;
using TensorGraph.Training;

namespace TensorGraph.Benchmarks;

/// <summary>
/// One training step of a one-layer LSTM language-model core: inputs [batch 32, time 50, depth 64],
/// BasicLstmCell(256) through DynamicRnn, a dense read-out of every step's output to 64 classes,
/// sparse softmax cross-entropy, Adam 1e-3. The workload of peers/rnn.py (PyTorch nn.LSTM with the
/// same shapes). Prints the median step time over 5 windows after a warm-up.
/// </summary>
internal static class RnnBenchmark
{
    private const int Batch = 32, Steps = 50, Depth = 64, Units = 256, Classes = 64;

    public static void Run()
    {
        var g = new Graph { Seed = 1 };
        var x = g.Placeholder(DType.Float32, [Batch, Steps, Depth], name: "x");
        var y = g.Placeholder(DType.Int32, [Batch, Steps], name: "y");
        var (outputs, _) = g.DynamicRnn(new BasicLstmCell(Units), x, dtype: DType.Float32);
        var w = g.Variable(g.RandomUniform([Units, Classes], -0.1, 0.1), name: "w");
        var b = g.Variable(g.Zeros([Classes]), name: "b");
        var logits = g.BiasAdd(g.MatMul(g.Reshape(outputs, [-1, Units]), w), b);
        var loss = g.ReduceMean(g.SparseSoftmaxCrossEntropyWithLogits(g.Reshape(y, [-1]), logits));
        var train = new AdamOptimizer(1e-3).Minimize(loss);
        using var sess = new Session(g, Harness.SessionOptions());
        sess.Run(g.GlobalVariablesInitializer());
        var step = sess.MakeCallable([x, y], [loss], train);

        var rng = new Random(1);
        var xs = Tensor.Zeros(DType.Float32, Batch, Steps, Depth);
        var xd = xs.AsSpan<float>();
        for (int i = 0; i < xd.Length; i++) xd[i] = (float)(rng.NextDouble() * 2 - 1);
        var ys = Tensor.Zeros(DType.Int32, Batch, Steps);
        var yd = ys.AsSpan<int>();
        for (int i = 0; i < yd.Length; i++) yd[i] = rng.Next(Classes);

        float first = step.Run(xs, ys)[0].Scalar<float>();
        for (int i = 0; i < 5; i++) step.Run(xs, ys);
        var windows = new double[5];
        for (int wi = 0; wi < windows.Length; wi++)
        {
            const int n = 4;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) step.Run(xs, ys);
            windows[wi] = sw.Elapsed.TotalMilliseconds / n;
        }
        float last = step.Run(xs, ys)[0].Scalar<float>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rnn lstm train step (batch {Batch}, time {Steps}, depth {Depth}, units {Units}, Adam): median {Measurement.Median(windows):F1} ms (windows {string.Join(" ", windows.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))}); loss {first:F3} -> {last:F3}"));
    }
}
