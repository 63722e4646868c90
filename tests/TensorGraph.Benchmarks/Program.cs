// The TensorGraph performance harness. Usage:
//   dotnet run -c Release --project tests/TensorGraph.Benchmarks -- [name ...] [--inter-op N]
// With no names every benchmark runs. Benchmarks print numbers; they never assert.
using TensorGraph.Benchmarks;

// Any benchmark that builds a session takes --inter-op N: its inter_op_parallelism_threads (default 0 = one node at a time).
int interOpAt = Array.IndexOf(args, "--inter-op");
if (interOpAt >= 0 && interOpAt + 1 < args.Length)
{
    Harness.InterOpThreads = int.Parse(args[interOpAt + 1], System.Globalization.CultureInfo.InvariantCulture);
    args = [.. args[..interOpAt], .. args[(interOpAt + 2)..]];
}

var benchmarks = new SortedDictionary<string, Action>(StringComparer.OrdinalIgnoreCase)
{
    ["overhead"] = OverheadBenchmark.Run,
    ["interop"] = InterOpBenchmark.Run,
    ["rows"] = RowsBenchmark.Run,
    ["build"] = GraphBuildBenchmark.Run,
    ["mlp"] = MlpBenchmark.Run,
    ["infer"] = InferBenchmark.Run,
    ["gemm"] = () => GemmBenchmark.Run([]),
    ["serve"] = ServeBenchmark.Run,
    ["master"] = MasterBenchmark.Run,
    ["rnn"] = RnnBenchmark.Run,
    ["cnn"] = CnnBenchmark.Run,
    ["histogram"] = HistogramBenchmark.Run,
    ["winograd"] = () => WinogradBenchmark.Run([]),
};

// cnn takes the step count and batch size of peers/cnn.py: cnn [STEPS] [BATCH]
if (args.Length > 1 && string.Equals(args[0], "cnn", StringComparison.OrdinalIgnoreCase))
{
    Console.WriteLine(Harness.MachineHeader());
    CnnBenchmark.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture),
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 50);
    return 0;
}

// winograd takes options: winograd [--threads N] [--block BYTES]
if (args.Length > 0 && string.Equals(args[0], "winograd", StringComparison.OrdinalIgnoreCase))
{
    Console.WriteLine(Harness.MachineHeader());
    WinogradBenchmark.Run(args[1..]);
    return 0;
}

// histogram takes the value count: histogram [COUNT]
if (args.Length > 1 && string.Equals(args[0], "histogram", StringComparison.OrdinalIgnoreCase))
{
    Console.WriteLine(Harness.MachineHeader());
    HistogramBenchmark.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
    return 0;
}

// serve takes the client count and requests per client: serve [CLIENTS] [REQUESTS_PER_CLIENT]
if (args.Length > 1 && string.Equals(args[0], "serve", StringComparison.OrdinalIgnoreCase))
{
    Console.WriteLine(Harness.MachineHeader());
    ServeBenchmark.Run(args[1..]);
    return 0;
}

// master takes the client count and steps per client: master [CLIENTS] [STEPS_PER_CLIENT]
if (args.Length > 1 && string.Equals(args[0], "master", StringComparison.OrdinalIgnoreCase))
{
    Console.WriteLine(Harness.MachineHeader());
    MasterBenchmark.Run(args[1..]);
    return 0;
}

// gemm takes options of its own: gemm [--threads N] [--isa ...] [--double] [--ta] [--tb] [--cpu] [--kernel]
if (args.Length > 0 && string.Equals(args[0], "gemm", StringComparison.OrdinalIgnoreCase))
{
    Console.WriteLine(Harness.MachineHeader());
    GemmBenchmark.Run(args[1..]);
    return 0;
}

var names = args.Length == 0 || (args.Length == 1 && args[0] is "all") ? [.. benchmarks.Keys] : args;
foreach (var name in names)
{
    if (!benchmarks.ContainsKey(name))
    {
        Console.Error.WriteLine($"Unknown benchmark '{name}'. Available: {string.Join(", ", benchmarks.Keys)} (or 'all').");
        return 2;
    }
}

Console.WriteLine(Harness.MachineHeader());
foreach (var name in names)
{
    Console.WriteLine();
    benchmarks[name]();
}
return 0;
