using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using TensorGraph.Serving.Master;

namespace TensorGraph.Benchmarks;

/// <summary>
/// A bounded loopback load test of the TF1 master (<c>tensorgraph server</c>): the master served
/// in-process on a free port, C clients (default 32), each a remote <see cref="Session"/> of its
/// own (<c>grpc://127.0.0.1:port</c>, its own channel and server session), each making R steps
/// (default 2000) one after another: RunStep (<c>Session.Run</c>) in one configuration,
/// RunCallable (<c>Session.MakeCallable</c>) in the other. A step feeds x (4 floats), fetches
/// y = 2x + 1 and runs an AssignAdd on a per-session counter; every answer is checked against the
/// request's own x and every counter against R at the end. Prints QPS and p50/p90/p99/max latency.
/// Usage: <c>master [CLIENTS] [STEPS_PER_CLIENT]</c>.
/// </summary>
internal static class MasterBenchmark
{
    public static void Run() => Run([]);

    public static void Run(string[] args)
    {
        int clients = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 32;
        int perClient = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
        Console.WriteLine($"master: TF1 master over gRPC on loopback, {clients} remote sessions x {perClient} steps (feed x: [4] float32, fetch y = 2x + 1, target counter += 1), answers checked");
        var table = new Table();
        foreach (var (name, callable) in new[] { ("runstep", false), ("runcallable", true) })
        {
            var r = Load(clients, perClient, callable).GetAwaiter().GetResult();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"master {name} qps {r.Qps:F0} p50_ms {r.P50:F2} p90_ms {r.P90:F2} p99_ms {r.P99:F2} max_ms {r.Max:F2} wrong {r.Wrong} failed {r.Failed}"));
            table.Add($"{name}_qps", [r.Qps], "F0");
            table.Add($"{name}_p50_ms", [r.P50], "F2");
            table.Add($"{name}_p90_ms", [r.P90], "F2");
            table.Add($"{name}_p99_ms", [r.P99], "F2");
            table.Add($"{name}_max_ms", [r.Max], "F2");
            table.Add($"{name}_wrong_or_failed", [r.Wrong + r.Failed], "F0");
        }
        table.Print();
    }

    private sealed record Result(double Qps, double P50, double P90, double P99, double Max, int Wrong, int Failed);

    private static async Task<Result> Load(int clients, int perClient, bool callable)
    {
        await using var server = await MasterServer.StartAsync(new MasterServerOptions { Port = 0 });
        var target = $"grpc://127.0.0.1:{server.Port}";
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(4), name: "x");
        var y = g.Add(g.Multiply(x, g.Constant(2f)), g.Constant(1f), name: "y");
        var counter = g.Variable(0f, name: "counter");
        var init = g.GlobalVariablesInitializer();
        var inc = g.AssignAdd(counter, g.Constant(1f), name: "inc").Op;
        var sessions = Enumerable.Range(0, clients).Select(_ => new Session(g, target)).ToArray();
        var callables = new Callable?[clients];
        var latencies = new ConcurrentBag<double[]>();
        int wrong = 0, failed = 0;
        try
        {
            for (int c = 0; c < clients; c++)
            {
                sessions[c].Run(init);
                if (callable) callables[c] = sessions[c].MakeCallable([x], [y], inc);
            }
            Tensor[] Step(int c, Tensor feed) =>
                callable ? callables[c]!.Run(feed) : sessions[c].Run([y], new FeedDict { [x] = feed }, inc);
            // Warm-up: connections, plans, tiered compilation (20 steps per client, counted in the counter check).
            const int WarmUp = 20;
            await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() =>
            {
                for (int i = 0; i < WarmUp; i++) Step(c, Tensor.Create(new float[4], 4));
            })));
            var total = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Factory.StartNew(() =>
            {
                var mine = new double[perClient];
                int n = 0;
                var feed = new float[4];
                for (int i = 0; i < perClient; i++)
                {
                    for (int k = 0; k < 4; k++) feed[k] = c * 10_000 + i + k * 0.25f;
                    var sw = Stopwatch.StartNew();
                    try
                    {
                        var got = Step(c, Tensor.Create(feed, 4))[0].AsSpan<float>();
                        mine[n++] = sw.Elapsed.TotalMilliseconds;
                        for (int k = 0; k < 4; k++)
                            if (got[k] != 2f * feed[k] + 1f) { Interlocked.Increment(ref wrong); break; }
                    }
                    catch (TensorGraphException)
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
                latencies.Add(mine[..n]);
            }, TaskCreationOptions.LongRunning)));
            total.Stop();
            for (int c = 0; c < clients; c++)
                if (sessions[c].Run(counter.Value).Scalar<float>() != WarmUp + perClient) Interlocked.Increment(ref wrong);
            var sorted = latencies.SelectMany(l => l).Order().ToArray();
            double P(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
            return new Result(sorted.Length / total.Elapsed.TotalSeconds, P(0.50), P(0.90), P(0.99), sorted.Length == 0 ? double.NaN : sorted[^1], wrong, failed);
        }
        finally
        {
            foreach (var c in callables) c?.Dispose();
            foreach (var s in sessions) s.Dispose();
        }
    }
}
