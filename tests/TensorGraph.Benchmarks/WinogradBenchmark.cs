using System.Diagnostics;
using TensorGraph.Kernels;

namespace TensorGraph.Benchmarks;

/// <summary>
/// One float32 NHWC forward convolution (with bias + ReLU) through im2col and through Winograd:
/// <c>winograd [--threads N] [--block BYTES] [--cpu]</c>. Prints <c>conv NAME N HxWxC KxK OC im2col_ms
/// winograd_ms</c> (best of 5 after a warm-up) for the Deep MNIST CNN's two layers at batch 1000
/// and 50, and a few 3×3 layers.
/// </summary>
internal static class WinogradBenchmark
{
    private static readonly (string Name, int N, int H, int W, int C, int K, int OC)[] Shapes =
    [
        ("cnn_conv1", 1000, 28, 28, 1, 5, 32),
        ("cnn_conv2", 1000, 14, 14, 32, 5, 64),
        ("cnn_conv1_b50", 50, 28, 28, 1, 5, 32),
        ("cnn_conv2_b50", 50, 14, 14, 32, 5, 64),
        ("c5_8_16", 100, 28, 28, 8, 5, 16),
        ("c5_16_32", 100, 28, 28, 16, 5, 32),
        ("c3_3_32", 100, 32, 32, 3, 3, 32),
        ("c3_16_16", 100, 32, 32, 16, 3, 16),
        ("c3_64_64", 50, 28, 28, 64, 3, 64),
    ];

    private sealed class BiasRelu(float[] bias) : IConvEpilogue<float>
    {
        public void Apply(Span<float> rows, int channels)
        {
            for (int off = 0; off < rows.Length; off += channels)
            {
                var row = rows.Slice(off, channels);
                System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);
                System.Numerics.Tensors.TensorPrimitives.Max(row, 0f, row);
            }
        }
    }

    public static void Run(string[] args)
    {
        int ti = Array.IndexOf(args, "--threads");
        if (ti >= 0) Gemm.MaxThreads = int.Parse(args[ti + 1], System.Globalization.CultureInfo.InvariantCulture);
        int bi = Array.IndexOf(args, "--block");
        int block = bi >= 0 ? int.Parse(args[bi + 1], System.Globalization.CultureInfo.InvariantCulture) : Winograd.DefaultBlockBytes;
        s_cpuTime = args.Contains("--cpu");
        Console.WriteLine($"# threads {Gemm.MaxThreads}, block {block} bytes, {(s_cpuTime ? "process CPU" : "wall-clock")} ms");
        var r = new Random(1);
        foreach (var (name, n, h, w, c, k, oc) in Shapes)
        {
            var x = Enumerable.Range(0, n * h * w * c).Select(_ => (float)r.NextDouble()).ToArray();
            var f = Enumerable.Range(0, k * k * c * oc).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
            var epi = new BiasRelu(Enumerable.Range(0, oc).Select(_ => 0.1f).ToArray());
            var g = new ConvGeometry(n, h, w, c, k, k, oc, h, w, 1, 1, 1, 1, (k - 1) / 2, (k - 1) / 2);
            var y = new float[g.Rows * oc];
            var im2col = new ConvParallel<float>();
            var wino = new Winograd(block);
            double a = Best(() => im2col.Forward(x, f, y, g, epi));
            double b = Best(() => wino.Forward(x, f, y, g, epi));
            Console.WriteLine(FormattableString.Invariant($"conv {name} {n} {h}x{w}x{c} {k}x{k} {oc} {a:F2} {b:F2} ratio {b / a:F2}"));
        }
    }

    /// <summary>Best of 5 wall-clock times, or with <see cref="s_cpuTime"/> of process CPU times (steadier on a shared machine).</summary>
    private static double Best(Action body)
    {
        body();
        body();
        double best = double.MaxValue;
        var process = Process.GetCurrentProcess();
        for (int i = 0; i < 5; i++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            body();
            double wall = sw.Elapsed.TotalMilliseconds;
            process.Refresh();
            double cpu = (process.TotalProcessorTime - cpu0).TotalMilliseconds;
            best = Math.Min(best, s_cpuTime ? cpu : wall);
        }
        return best;
    }

    private static bool s_cpuTime;
}
