using TensorGraph.Summaries;

namespace TensorGraph.Benchmarks;

/// <summary>
/// The cost of TensorBoard histograms per value: a <c>HistogramSummary</c> node over COUNT float32
/// values (default 1e6, spread like weights: normal with σ = 0.05, plus some zeros) through a
/// compiled callable — bucket lookup, min/max/sum, encoding and serializing — and the
/// <see cref="Histogram"/> accumulation alone over the same values.
/// </summary>
internal static class HistogramBenchmark
{
    public static void Run() => Run(1_000_000);

    public static void Run(int count)
    {
        var rng = new System.Random(11);
        var data = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            data[i] = i % 97 == 0 ? 0f : (float)(0.05 * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [count], name: "x");
        var summary = g.HistogramSummary("weights", x);
        using var session = new Session(g);
        var callable = session.MakeCallable([x], [summary]);
        var input = Tensor.Create(data, count);
        Console.WriteLine($"histogram: HistogramSummary over {count} float32 values (normal, sigma 0.05), per value");
        bool tiny = count < 100_000;
        var op = Harness.Measure(() => callable.Run(input), reps: 5, warmupSeconds: tiny ? 0.2 : 2, repSeconds: tiny ? 0.05 : 0.5);
        var add = Harness.Measure(() => new Histogram().AddFinite<float>(data), reps: 5, warmupSeconds: tiny ? 0.2 : 2, repSeconds: tiny ? 0.05 : 0.5);
        var table = new Table();
        table.Add("summary_op_ns_per_value", op.Micros.Select(us => us * 1000 / count).ToArray(), "F2");
        table.Add("histogram_add_ns_per_value", add.Micros.Select(us => us * 1000 / count).ToArray(), "F2");
        table.Print();
    }
}
