using System.Diagnostics;
using System.Globalization;
using TensorGraph.Data;
using TensorGraph.Training;

namespace TensorGraph.Benchmarks;

/// <summary>
/// TensorFlow's "Deep MNIST" CNN (conv 5×5 1→32 SAME + ReLU, max-pool 2×2/2, conv 5×5 32→64 SAME
/// + ReLU, max-pool, dense 3136→1024 + ReLU, dense 1024→10, sparse softmax cross-entropy, Adam
/// lr 1e-4, batch 50, NHWC): the workload of tools/peers/cnn.py, measured the same way — 20
/// warm-up steps, the median of 5 windows of STEPS/5 steps, then one pass over the 10000 test
/// images in batches of 1000.
/// </summary>
internal static class CnnBenchmark
{
    public static void Run() => Run(200, 50);

    public static void Run(int steps, int batch)
    {
        var data = Mnist.ReadDataSets(null, validationSize: 0);
        var images = data.Train.Images.AsSpan<float>().ToArray();
        var labels = data.Train.ClassIds.ToArray();
        var test = data.Test.Images.AsSpan<float>().ToArray();
        int n = labels.Length;

        var g = new Graph { Seed = 1 };
        var x = g.Placeholder(DType.Float32, [-1, 28, 28, 1], name: "images");
        var y = g.Placeholder(DType.Int32, [-1], name: "labels");
        Output Weight(int[] shape, string name) => g.Variable(g.TruncatedNormal(shape, stddev: 0.1), name: name);
        Output Bias(int size, string name) => g.Variable(g.Constant(Enumerable.Repeat(0.1f, size).ToArray()), name: name);
        Output Conv(Output input, int cin, int cout, string scope)
        {
            using var s = g.NameScope(scope);
            var h = g.Relu(g.BiasAdd(g.Conv2D(input, Weight([5, 5, cin, cout], "W"), [1, 1, 1, 1], "SAME"), Bias(cout, "b")));
            return g.MaxPool(h, [1, 2, 2, 1], [1, 2, 2, 1], "SAME");
        }
        var h2 = Conv(Conv(x, 1, 32, "conv1"), 32, 64, "conv2");
        Output fc1;
        using (g.NameScope("fc1"))
            fc1 = g.Relu(g.BiasAdd(g.MatMul(g.Reshape(h2, g.Constant(new[] { -1, 7 * 7 * 64 })), Weight([7 * 7 * 64, 1024], "W")), Bias(1024, "b")));
        Output logits;
        using (g.NameScope("fc2"))
            logits = g.BiasAdd(g.MatMul(fc1, Weight([1024, 10], "W")), Bias(10, "b"));
        var loss = g.ReduceMean(g.SparseSoftmaxCrossEntropyWithLogits(y, logits));
        var train = new AdamOptimizer(1e-4).Minimize(loss);
        using var sess = new Session(g, Harness.SessionOptions());
        sess.Run(g.GlobalVariablesInitializer());
        var step = sess.MakeCallable([x, y], [loss], train);
        var infer = sess.MakeCallable([x], [logits]);

        var xb = Tensor.Zeros(DType.Float32, batch, 28, 28, 1);
        var yb = Tensor.Zeros(DType.Int32, batch);
        void Step(int i)
        {
            int s = i * batch % (n - batch);
            images.AsSpan(s * 784, batch * 784).CopyTo(xb.AsSpan<float>());
            labels.AsSpan(s, batch).CopyTo(yb.AsSpan<int>());
            step.Run(xb, yb);
        }

        long workingSetBefore = Environment.WorkingSet;
        for (int i = 0; i < 20; i++) Step(i);
        using (var self = Process.GetCurrentProcess())
        {
            // The data set and graph are resident before the first step; the peak after the warm-up steps adds the step's buffers.
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "cnn working_set_mb_before_steps {0:F1} peak_working_set_mb_after_steps {1:F1}",
                workingSetBefore / 1048576.0, self.PeakWorkingSet64 / 1048576.0));
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        int per = Math.Max(1, steps / 5);
        var windows = new double[5];
        for (int w = 0; w < 5; w++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < per; i++) Step(20 + w * per + i);
            windows[w] = sw.Elapsed.TotalMilliseconds / per;
        }
        long allocPerStep = (GC.GetAllocatedBytesForCurrentThread() - before) / (5 * per);
        double ms = Measurement.Median(windows);
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "cnn_step_ms {0:F3}", ms));
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "cnn_images_per_s {0:F1}", batch / ms * 1e3));
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "cnn step_windows_ms {0}", string.Join(" ", windows.Select(v => v.ToString("F2", CultureInfo.InvariantCulture)))));
        Console.WriteLine($"cnn alloc_bytes_per_step {allocPerStep}");

        // Where a step's time goes: one traced step, per op type.
        var meta = new Proto.RunMetadata();
        step.Run([xb, yb], new RunOptions { TraceLevel = TraceLevel.FullTrace }, meta);
        foreach (var t in Timeline.OpTypeTotals(meta.StepStats).Take(12))
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "cnn step_op {0} count {1} ms {2:F2} pct {3:F1}", t.OpType, t.Count, t.TotalMicros / 1000.0, t.PercentOfStep));

        var xt = Tensor.Zeros(DType.Float32, 1000, 28, 28, 1);
        infer.Run(xt);
        var inferWatch = Stopwatch.StartNew();
        int testCount = test.Length / 784;
        for (int s = 0; s + 1000 <= testCount; s += 1000)
        {
            test.AsSpan(s * 784, 1000 * 784).CopyTo(xt.AsSpan<float>());
            infer.Run(xt);
        }
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "cnn_infer_ms_per_1000 {0:F2}", inferWatch.Elapsed.TotalMilliseconds / (testCount / 1000)));
        var inferMeta = new Proto.RunMetadata();
        infer.Run([xt], new RunOptions { TraceLevel = TraceLevel.FullTrace }, inferMeta);
        foreach (var t in Timeline.OpTypeTotals(inferMeta.StepStats).Take(8))
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "cnn infer_op {0} count {1} ms {2:F2} pct {3:F1}", t.OpType, t.Count, t.TotalMicros / 1000.0, t.PercentOfStep));
    }
}
