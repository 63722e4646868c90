using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using TensorGraph.Proto;
using TensorGraph.Serving;
using Tensorflow.Serving;

namespace TensorGraph.Benchmarks;

/// <summary>
/// A bounded loopback load test of <c>tensorgraph serve</c>: TF Serving's half_plus_two served
/// in-process on a free port, C clients (default 32) each sending R gRPC Predict calls (default
/// 500) one after another, without and with server-side batching. Every answer is checked against
/// 0.5 x + 2 of the request's own x (a lost, failed or mixed-up answer is counted), and QPS with
/// p50/p99 latency are printed. Usage: <c>serve [CLIENTS] [REQUESTS_PER_CLIENT]</c>.
/// </summary>
internal static class ServeBenchmark
{
    public static void Run() => Run([]);

    public static void Run(string[] args)
    {
        int clients = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 32;
        int perClient = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500;
        var model = FindModel();
        Console.WriteLine($"serve: half_plus_two over gRPC on loopback, {clients} clients x {perClient} Predict calls (x: [1, 1] float32), answers checked");
        var table = new Table();
        foreach (var (name, batching) in new (string, BatchingOptions?)[]
        {
            ("unbatched", null),
            ("batched_1ms", new BatchingOptions { MaxBatchSize = 32, BatchTimeoutMicros = 1000 }),
            ("batched_5ms", new BatchingOptions { MaxBatchSize = 32, BatchTimeoutMicros = 5000 }),
        })
        {
            var r = Load(model, batching, clients, perClient).GetAwaiter().GetResult();
            var batches = batching is null ? ""
                : string.Create(CultureInfo.InvariantCulture, $" session_runs {r.Runs} requests_per_run {clients * perClient / (double)Math.Max(1, r.Runs):F2}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"serve {name} qps {r.Qps:F0} p50_ms {r.P50:F2} p99_ms {r.P99:F2} wrong {r.Wrong} lost {r.Failed}") + batches);
            table.Add($"{name}_qps", [r.Qps], "F0");
            table.Add($"{name}_p50_ms", [r.P50], "F2");
            table.Add($"{name}_p99_ms", [r.P99], "F2");
            table.Add($"{name}_lost_or_wrong", [r.Wrong + r.Failed], "F0");
        }
        table.Print();
    }

    private static string FindModel()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Graph.sln"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("repository root (Graph.sln) not found above " + AppContext.BaseDirectory);
        return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures", "tensorflow", "serving", "servables", "tensorflow", "testdata", "saved_model_half_plus_two_cpu"));
    }

    private sealed record Result(double Qps, double P50, double P99, int Wrong, int Failed, long Runs);

    private static async Task<Result> Load(string model, BatchingOptions? batching, int clients, int perClient)
    {
        await using var server = await ModelServer.StartAsync(new ServingOptions
        {
            ModelName = "half", ModelBasePath = model, Port = 0, RestApiPort = -1, FileSystemPollWaitSeconds = 0, Batching = batching,
        });
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}");
        var client = new PredictionService.PredictionServiceClient(channel);
        async Task<float> Call(float x)
        {
            var req = new PredictRequest { ModelSpec = new ModelSpec { Name = "half" } };
            var t = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShapeProto() };
            t.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 1 });
            t.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 1 });
            t.FloatVal.Add(x);
            req.Inputs["x"] = t;
            var r = await client.PredictAsync(req);
            return r.Outputs["y"].FloatVal[0];
        }
        // Warm-up: connections, plans, tiered compilation.
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            for (int i = 0; i < 20; i++) await Call(i);
        }));
        var (runs0, _) = server.Core.BatchStats;
        var latencies = new ConcurrentBag<double>();
        int wrong = 0, failed = 0;
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (int i = 0; i < perClient; i++)
            {
                float x = c * 100_000 + i;
                var sw = Stopwatch.StartNew();
                try
                {
                    float y = await Call(x);
                    latencies.Add(sw.Elapsed.TotalMilliseconds);
                    if (y != 0.5f * x + 2f) Interlocked.Increment(ref wrong);
                }
                catch (Grpc.Core.RpcException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })));
        total.Stop();
        var sorted = latencies.Order().ToArray();
        double P(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        var (runs1, _) = server.Core.BatchStats;
        return new Result(sorted.Length / total.Elapsed.TotalSeconds, P(0.50), P(0.99), wrong, clients * perClient - sorted.Length, runs1 - runs0);
    }
}
