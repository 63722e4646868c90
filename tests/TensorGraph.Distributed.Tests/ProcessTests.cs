using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using TensorGraph.Cli;
using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Distributed.Tests;

/// <summary>
/// <c>tensorgraph ps</c> and <c>tensorgraph worker</c> as separate processes on loopback, started
/// the way a user starts them, with a cluster spec file.
/// </summary>
[NonParallelizable]
public class ProcessTests
{
    private const int Steps = 30, Batch = 16, Examples = 960;
    private const double LearningRate = 0.2;

    /// <summary>A single process training on both replicas' batches of each step at once.</summary>
    private static Dictionary<string, float[]> Reference(int steps)
    {
        var m = new SyntheticDigits();
        var data = SyntheticDigits.Data(Examples);
        var train = new GradientDescentOptimizer(LearningRate).Minimize(m.Loss);
        using var s = new Session(m.G);
        s.Run(m.G.GlobalVariablesInitializer());
        for (int step = 0; step < steps; step++) s.Run(train, m.Feed(data, SyntheticDigits.BatchStart(step, 0, 2, Batch), 2 * Batch));
        return m.Variables.ToDictionary(v => v.Name, v => s.Run(v.Value).ToArray<float>());
    }

    /// <summary>A port p with p and its gateway port free on loopback.</summary>
    internal static int FreePortPair()
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            int port = Random.Shared.Next(20000, 29000);
            if (Free(port) && Free(port + ClusterSpec.GatewayPortOffset)) return port;
        }
        throw new InvalidOperationException("no free port pair");

        static bool Free(int p)
        {
            try
            {
                using var l = new TcpListener(IPAddress.Loopback, p);
                l.Start();
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }

    private sealed class Cli : IDisposable
    {
        private readonly List<string> _lines = [];
        private readonly Task _pump;
        private readonly Task<string> _stderr;

        public Cli(params string[] args)
        {
            var dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "TensorGraph.Cli.dll");
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("exec");
            psi.ArgumentList.Add(dll);
            foreach (var a in args) psi.ArgumentList.Add(a);
            Process = Process.Start(psi)!;
            _stderr = Process.StandardError.ReadToEndAsync();
            _pump = Task.Run(async () =>
            {
                while (await Process.StandardOutput.ReadLineAsync() is { } line)
                    lock (_lines) _lines.Add(line);
            });
        }

        public Process Process { get; }

        public string[] Lines
        {
            get
            {
                lock (_lines) return [.. _lines];
            }
        }

        public async Task<string> WaitForLine(Func<string, bool> match, TimeSpan timeout)
        {
            var end = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < end)
            {
                if (Lines.FirstOrDefault(match) is { } l) return l;
                if (Process.HasExited) break;
                await Task.Delay(20);
            }
            Assert.Fail($"no matching line; output:\n{string.Join("\n", Lines)}\n{(Process.HasExited ? await _stderr : "")}");
            return "";
        }

        public async Task<int> Exit(TimeSpan timeout)
        {
            await Process.WaitForExitAsync().WaitAsync(timeout);
            await _pump.WaitAsync(timeout);
            return Process.ExitCode;
        }

        public string Output => string.Join("\n", Lines) + "\n" + (Process.HasExited ? _stderr.Result : "");

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    private static (string Spec, string Dir) Setup()
    {
        var dir = Path.Combine(Path.GetTempPath(), "tg-dist-proc-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        int ps = FreePortPair();
        var spec = Path.Combine(dir, "cluster.json");
        File.WriteAllText(spec, string.Create(CultureInfo.InvariantCulture,
            $$$"""{"cluster": {"ps": ["127.0.0.1:{{{ps}}}"], "worker": ["127.0.0.1:{{{ps + 1}}}", "127.0.0.1:{{{ps + 2}}}"]}}"""));
        return (spec, dir);
    }

    private static string[] WorkerArgs(string spec, string dir, int index, int delayMs = 0) =>
    [
        "worker", "--cluster_spec", spec, "--task_type", "worker", "--task_index", index.ToString(CultureInfo.InvariantCulture),
        "--steps", Steps.ToString(CultureInfo.InvariantCulture), "--batch_size", Batch.ToString(CultureInfo.InvariantCulture),
        "--examples", Examples.ToString(CultureInfo.InvariantCulture), "--learning_rate", LearningRate.ToString(CultureInfo.InvariantCulture),
        "--checkpoint_dir", Path.Combine(dir, "ckpt"), "--save_checkpoint_steps", "10", "--log_every", "1",
        "--step_delay_ms", delayMs.ToString(CultureInfo.InvariantCulture),
    ];

    private static void AssertFinalCheckpointMatchesReference(string dir)
    {
        var latest = Saver.LatestCheckpoint(Path.Combine(dir, "ckpt"));
        Assert.That(latest, Does.EndWith("model.ckpt-" + Steps));
        using var r = new CheckpointReader(latest!);
        Assert.That(r.GetTensor(DistributedTrainingSession.GlobalStepKey).Scalar<long>(), Is.EqualTo(Steps));
        foreach (var (name, expected) in Reference(Steps))
            Assert.That(r.GetTensor(name).ToArray<float>(), Is.EqualTo(expected).Within(1e-5), name + ": sync training of 2 worker processes equals one process on the combined batch");
    }

    private static double Accuracy(string doneLine) =>
        double.Parse(doneLine.Split(' ')[Array.IndexOf(doneLine.Split(' '), "accuracy") + 1], CultureInfo.InvariantCulture);

    [Test]
    public async Task OnePsAndTwoWorkerProcessesTrainLikeOneProcess()
    {
        var (spec, dir) = Setup();
        using var ps = new Cli("ps", "--cluster_spec", spec, "--task_index", "0");
        await ps.WaitForLine(l => l.StartsWith("Parameter server ps:0 listening", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        using var w0 = new Cli(WorkerArgs(spec, dir, 0));
        using var w1 = new Cli(WorkerArgs(spec, dir, 1));
        Assert.That(await w0.Exit(TimeSpan.FromSeconds(60)), Is.Zero, w0.Output);
        Assert.That(await w1.Exit(TimeSpan.FromSeconds(60)), Is.Zero, w1.Output);
        var done = w0.Lines.Single(l => l.StartsWith("done ", StringComparison.Ordinal));
        Assert.That(done, Does.StartWith($"done step {Steps} "));
        Assert.That(Accuracy(done), Is.GreaterThan(0.9), done);
        Assert.That(w0.Lines.Count(l => l.StartsWith("step ", StringComparison.Ordinal)), Is.EqualTo(Steps), "worker 0 ran every step");
        Assert.That(w1.Lines.Any(l => l.Contains("checkpoint", StringComparison.Ordinal)), Is.False, "only the chief checkpoints");
        AssertFinalCheckpointMatchesReference(dir);
    }

    [Test]
    public async Task KillingAWorkerMidTrainingAndRestartingItFinishesTheJobCorrectly()
    {
        var (spec, dir) = Setup();
        using var ps = new Cli("ps", "--cluster_spec", spec, "--task_index", "0");
        await ps.WaitForLine(l => l.StartsWith("Parameter server ps:0 listening", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        using var w0 = new Cli(WorkerArgs(spec, dir, 0, delayMs: 30));
        using (var doomed = new Cli(WorkerArgs(spec, dir, 1, delayMs: 30)))
        {
            await doomed.WaitForLine(l => l.StartsWith("step 10 ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            doomed.Process.Kill(entireProcessTree: true);
            await doomed.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        // The chief waits at the step's barrier; the restarted worker rejoins at the current global step.
        using var again = new Cli(WorkerArgs(spec, dir, 1, delayMs: 30));
        var attached = await again.WaitForLine(l => l.Contains("attached at step", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        long at = long.Parse(attached.Split("attached at step ")[1].Split(':')[0], CultureInfo.InvariantCulture);
        Assert.That(at, Is.InRange(10L, Steps - 1L), attached);
        Assert.That(await again.Exit(TimeSpan.FromSeconds(60)), Is.Zero, again.Output);
        Assert.That(await w0.Exit(TimeSpan.FromSeconds(60)), Is.Zero, w0.Output);
        var done = w0.Lines.Single(l => l.StartsWith("done ", StringComparison.Ordinal));
        Assert.That(Accuracy(done), Is.GreaterThan(0.9), done);
        AssertFinalCheckpointMatchesReference(dir);
    }

    [Test]
    public void ABadClusterSpecIsAOneLineError()
    {
        var (spec, dir) = Setup();
        var bad = Path.Combine(dir, "bad.json");
        File.WriteAllText(bad, """{"cluster": {"ps": ["127.0.0.1:notaport"]}}""");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = CliApp.Run(["ps", "--cluster_spec", bad, "--task_index", "0"], stdout, stderr);
        Assert.That(code, Is.EqualTo((int)ExitCode.InvalidInput));
        Assert.That(stderr.ToString().Trim(), Is.EqualTo("tensorgraph: error: invalid input: cluster.ps[0]: '127.0.0.1:notaport' has no valid port (1-65535)"));
        code = CliApp.Run(["worker", "--cluster_spec", Path.Combine(dir, "missing.json")], stdout, stderr);
        Assert.That(code, Is.EqualTo((int)ExitCode.InvalidInput));
        Assert.That(stderr.ToString(), Does.Contain("missing.json"));
        code = CliApp.Run(["worker", "--cluster_spec", spec, "--task_type", "ps", "--task_index", "0"], stdout, stderr);
        Assert.That(code, Is.EqualTo((int)ExitCode.Usage), "a ps task is not a worker");
    }

    [Test]
    public void AWorkerWithoutReachablePsTasksFailsWithAnIoError()
    {
        var (spec, _) = Setup();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = CliApp.Run(["worker", "--cluster_spec", spec, "--task_type", "worker", "--task_index", "0", "--connect_timeout_s", "1"], stdout, stderr);
        Assert.That(code, Is.EqualTo((int)ExitCode.Io), stderr.ToString());
        Assert.That(stderr.ToString(), Does.StartWith("tensorgraph: error: I/O: cannot reach the ps tasks' gateways (127.0.0.1:"));
    }
}
