using System.Diagnostics;
using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph.Benchmarks;

/// <summary>
/// Graph-building cost per op: name uniquing, attr defaults, build-time shape inference and the
/// capture of the caller's source location that error messages cite; and the cost per node of
/// importing a large GraphDef (in memory and from a binary file).
/// </summary>
internal static class GraphBuildBenchmark
{
    private const int Ops = 200;

    private const int ImportNodes = 100_000;

    public static void Run()
    {
        static void Build()
        {
            var g = new Graph();
            var y = g.Placeholder(DType.Float32, new Shape(-1, 16), name: "x");
            for (int i = 0; i < Ops; i++) y = g.Square(y);
        }

        Console.WriteLine($"build: a new graph with a placeholder and a chain of {Ops} Square ops, per op");
        var m = Harness.Measure(Build, repSeconds: 0.5);
        var perOpMicros = m.Micros.Select(v => v / (Ops + 1)).ToArray();
        var perOpBytes = m.Bytes.Select(v => v / (Ops + 1)).ToArray();
        Console.WriteLine($"{m.Micros.Length} reps of {m.Iterations} graphs after a warm-up");

        var table = new Table();
        table.Add("op_build_us", perOpMicros);
        table.Add("op_build_alloc_bytes", perOpBytes, "F0");

        var def = Chain(ImportNodes);
        var path = Path.Combine(Path.GetTempPath(), $"tensorgraph-bench-chain-{Environment.ProcessId}.pb");
        File.WriteAllBytes(path, def.ToByteArray());
        try
        {
            Console.WriteLine($"import: a GraphDef with a placeholder and a chain of {ImportNodes - 1} Square nodes, per node (Graph.FromGraphDef; Graph.Load of the binary file)");
            var (importUs, importBytes) = Once(() => Graph.FromGraphDef(def), ImportNodes);
            var (loadUs, loadBytes) = Once(() => Graph.Load(path), ImportNodes);
            table.Add("node_import_us", importUs);
            table.Add("node_import_alloc_bytes", importBytes, "F0");
            table.Add("node_load_us", loadUs);
            table.Add("node_load_alloc_bytes", loadBytes, "F0");
        }
        finally
        {
            File.Delete(path);
        }
        table.Print();
    }

    /// <summary>A placeholder and a chain of Square nodes, as a GraphDef.</summary>
    private static GraphDef Chain(int nodes)
    {
        var def = new GraphDef { Versions = new VersionDef { Producer = 134 } };
        var x = new NodeDef { Name = "x", Op = "Placeholder" };
        x.Attr["dtype"] = new AttrValue { Type = DataType.DtFloat };
        x.Attr["shape"] = new AttrValue { Shape = new Shape(-1, 16).ToProto() };
        def.Node.Add(x);
        string prev = "x";
        for (int i = 1; i < nodes; i++)
        {
            var n = new NodeDef { Name = "square_" + i, Op = "Square" };
            n.Input.Add(prev);
            n.Attr["T"] = new AttrValue { Type = DataType.DtFloat };
            def.Node.Add(n);
            prev = n.Name;
        }
        return def;
    }

    /// <summary>One warm-up call, then five timed calls: µs and bytes per node of each.</summary>
    private static (double[] Micros, double[] Bytes) Once(Func<Graph> body, int nodes, int reps = 5)
    {
        _ = body();
        var micros = new double[reps];
        var bytes = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = Stopwatch.GetTimestamp();
            var g = body();
            long t1 = Stopwatch.GetTimestamp();
            long a1 = GC.GetAllocatedBytesForCurrentThread();
            GC.KeepAlive(g);
            micros[r] = (t1 - t0) * 1e6 / Stopwatch.Frequency / nodes;
            bytes[r] = (double)(a1 - a0) / nodes;
        }
        return (micros, bytes);
    }
}
