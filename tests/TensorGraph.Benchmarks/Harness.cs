using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace TensorGraph.Benchmarks;

/// <summary>Timing and allocation measurement shared by all benchmarks, plus table printing.</summary>
internal static class Harness
{
    /// <summary>The sessions' <c>inter_op_parallelism_threads</c> (the <c>--inter-op N</c> option; 0 = the default).</summary>
    public static int InterOpThreads { get; set; }

    /// <summary>The options every benchmark session is created with.</summary>
    public static SessionOptions SessionOptions() => new() { InterOpParallelismThreads = InterOpThreads };

    /// <summary>One line describing the machine and runtime, printed above every table.</summary>
    public static string MachineHeader()
    {
        var config = typeof(Harness).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "?";
        var line = $"TensorGraph benchmarks | {Environment.ProcessorCount} cores | {CpuModel()} | " +
                   $"{RuntimeInformation.FrameworkDescription} | {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture} | {config}";
        if (!string.Equals(config, "Release", StringComparison.Ordinal)) line += Environment.NewLine + "WARNING: not a Release build; numbers are not representative.";
        return line;
    }

    /// <summary>The CPU model from /proc/cpuinfo where available.</summary>
    public static string CpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (var l in File.ReadLines("/proc/cpuinfo"))
                {
                    if (l.StartsWith("model name", StringComparison.Ordinal)) return l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>
    /// Calls <paramref name="body"/> for <paramref name="warmupSeconds"/> (tiered JIT needs
    /// seconds, not a fixed number of calls, to reach optimized code), then runs
    /// <paramref name="reps"/> repetitions of a call count sized to last about
    /// <paramref name="repSeconds"/> each. Returns the per-call time of each repetition in
    /// microseconds and the per-call managed allocation of each repetition in bytes.
    /// </summary>
    public static Measurement Measure(Action body, int reps = 9, double warmupSeconds = 3, double repSeconds = 0.2)
    {
        long warmupCalls = 0;
        long start = Stopwatch.GetTimestamp();
        long warmupEnd = start + (long)(warmupSeconds * Stopwatch.Frequency);
        long now;
        do
        {
            for (int i = 0; i < 100; i++) body();
            warmupCalls += 100;
            now = Stopwatch.GetTimestamp();
        }
        while (now < warmupEnd);
        double secondsPerCall = (double)(now - start) / Stopwatch.Frequency / warmupCalls;
        int iterations = (int)Math.Clamp(repSeconds / secondsPerCall, 10, 10_000_000);

        var micros = new double[reps];
        var bytes = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            long alloc0 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < iterations; i++) body();
            long t1 = Stopwatch.GetTimestamp();
            long alloc1 = GC.GetAllocatedBytesForCurrentThread();
            micros[r] = (t1 - t0) * 1e6 / Stopwatch.Frequency / iterations;
            bytes[r] = (double)(alloc1 - alloc0) / iterations;
        }
        return new Measurement(micros, bytes, iterations);
    }
}

/// <summary>Per-call time (µs) and allocation (bytes) of each repetition, and the calls per repetition.</summary>
internal sealed record Measurement(double[] Micros, double[] Bytes, int Iterations)
{
    public static double Median(double[] v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}

/// <summary>A small fixed-width table: metric name, median, min, max.</summary>
internal sealed class Table
{
    private readonly List<(string Metric, double Median, double Min, double Max, string Format)> _rows = [];

    public void Add(string metric, double[] values, string format = "F3") =>
        _rows.Add((metric, Measurement.Median(values), values.Min(), values.Max(), format));

    public void Print()
    {
        Console.WriteLine($"{"metric",-24}{"median",12}{"min",12}{"max",12}");
        foreach (var (m, med, min, max, f) in _rows)
        {
            Console.WriteLine($"{m,-24}{med.ToString(f, System.Globalization.CultureInfo.InvariantCulture),12}" +
                              $"{min.ToString(f, System.Globalization.CultureInfo.InvariantCulture),12}" +
                              $"{max.ToString(f, System.Globalization.CultureInfo.InvariantCulture),12}");
        }
    }
}
