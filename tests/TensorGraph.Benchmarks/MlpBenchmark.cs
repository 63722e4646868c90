using System.Diagnostics;
using System.Globalization;
using TensorGraph.Data;
using TensorGraph.Training;

namespace TensorGraph.Benchmarks;

/// <summary>
/// One training epoch of the MnistMlp network (784→512 ReLU→10, sparse softmax cross-entropy,
/// RMSProp lr 1e-3 / rho 0.9 / eps 1e-7, batch 128) over the 60000 MNIST training images, through
/// a compiled callable: the workload of tools/peers/mlp.py.
/// </summary>
internal static class MlpBenchmark
{
    public static void Run()
    {
        var data = Mnist.ReadDataSets(null, validationSize: 0);
        var images = data.Train.Images.AsSpan<float>().ToArray();
        var labels = data.Train.ClassIds.ToArray();
        const int batch = 128;
        int n = labels.Length;

        var g = new Graph { Seed = 1 };
        var x = g.Placeholder(DType.Float32, [-1, 784], name: "images");
        var y = g.Placeholder(DType.Int32, [-1], name: "labels");
        Output Dense(Output input, int fanIn, int fanOut, string name)
        {
            using var scope = g.NameScope(name);
            double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
            var w = g.Variable(g.RandomUniform([fanIn, fanOut], -limit, limit), name: "kernel");
            var b = g.Variable(g.Zeros([fanOut]), name: "bias");
            return g.BiasAdd(g.MatMul(input, w), b);
        }
        var logits = Dense(g.Relu(Dense(x, 784, 512, "dense")), 512, 10, "dense_1");
        var loss = g.ReduceMean(g.SparseSoftmaxCrossEntropyWithLogits(y, logits));
        var train = RMSPropOptimizer.KerasDefaults().Minimize(loss);
        using var sess = new Session(g, Harness.SessionOptions());
        sess.Run(g.GlobalVariablesInitializer());
        var step = sess.MakeCallable([x, y], [loss], train);

        var xb = Tensor.Zeros(DType.Float32, batch, 784);
        var yb = Tensor.Zeros(DType.Int32, batch);
        int rest = n % batch;
        var xt = Tensor.Zeros(DType.Float32, rest == 0 ? batch : rest, 784);
        var yt = Tensor.Zeros(DType.Int32, rest == 0 ? batch : rest);
        var order = Enumerable.Range(0, n).ToArray();
        var rng = new Random(1);
        int batches = (n + batch - 1) / batch;

        void Fill(Tensor xs, Tensor ys, int start, int count)
        {
            var xd = xs.AsSpan<float>();
            var yd = ys.AsSpan<int>();
            for (int i = 0; i < count; i++)
            {
                int j = order[start + i];
                images.AsSpan(j * 784, 784).CopyTo(xd.Slice(i * 784, 784));
                yd[i] = labels[j];
            }
        }

        double Epoch(out float lastLoss)
        {
            rng.Shuffle(order);
            lastLoss = 0;
            var sw = Stopwatch.StartNew();
            for (int b = 0; b < batches; b++)
            {
                int start = b * batch, count = Math.Min(batch, n - start);
                var (xs, ys) = count == batch ? (xb, yb) : (xt, yt);
                Fill(xs, ys, start, count);
                lastLoss = step.Run(xs, ys)[0].Scalar<float>();
            }
            return sw.Elapsed.TotalSeconds;
        }

        // Warm up (JIT tiers, buffers), then time whole epochs.
        for (int b = 0; b < 60; b++)
        {
            Fill(xb, yb, b * batch, batch);
            step.Run(xb, yb);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int b = 0; b < 100; b++)
        {
            Fill(xb, yb, b * batch, batch);
            step.Run(xb, yb);
        }
        long allocPerStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 100;
        var times = new List<double>();
        float loss1 = 0;
        for (int e = 0; e < 2; e++) times.Add(Epoch(out loss1));
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "mlp epoch_seconds {0:F2}", times.Min()));
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "mlp epoch_seconds_all {0}", string.Join(" ", times.Select(t => t.ToString("F2", CultureInfo.InvariantCulture)))));
        Console.WriteLine($"mlp alloc_bytes_per_step {allocPerStep}");
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "mlp last_batch_loss {0:F4}", loss1));

        // Where a step's time goes: one traced step, per op type.
        Fill(xb, yb, 0, batch);
        var meta = new Proto.RunMetadata();
        step.Run([xb, yb], new RunOptions { TraceLevel = TraceLevel.FullTrace }, meta);
        foreach (var t in Timeline.OpTypeTotals(meta.StepStats).Take(12))
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "mlp step_op {0} count {1} ms {2:F3} pct {3:F1}", t.OpType, t.Count, t.TotalMicros / 1000.0, t.PercentOfStep));
    }
}
