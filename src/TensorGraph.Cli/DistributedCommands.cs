using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TensorGraph.Distributed;

namespace TensorGraph.Cli;

/// <summary>Settings of <c>tensorgraph worker</c>.</summary>
public sealed class WorkerOptions
{
    /// <summary>TF_CONFIG-style JSON file; null: the TF_CONFIG environment variable.</summary>
    public string? ClusterSpecFile { get; init; }
    /// <summary>Overrides the spec's task type (worker or chief).</summary>
    public string? TaskType { get; init; }
    /// <summary>Overrides the spec's task index.</summary>
    public int? TaskIndex { get; init; }
    /// <summary>Global steps to train.</summary>
    public int Steps { get; init; } = 200;
    /// <summary>Examples per replica per step.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>sgd, momentum, adam or rmsprop.</summary>
    public string Optimizer { get; init; } = "sgd";
    /// <summary>Learning rate.</summary>
    public double LearningRate { get; init; } = 0.1;
    /// <summary>Sync (SyncReplicasOptimizer) or async updates.</summary>
    public bool Sync { get; init; } = true;
    /// <summary>Gradients per sync step; default every replica.</summary>
    public int? ReplicasToAggregate { get; init; }
    /// <summary>The chief's checkpoint folder.</summary>
    public string? CheckpointDir { get; init; }
    /// <summary>The chief's checkpoint period.</summary>
    public int SaveCheckpointSteps { get; init; } = 100;
    /// <summary>The chief's summary folder.</summary>
    public string? SummaryDir { get; init; }
    /// <summary>Print a progress line every this many steps.</summary>
    public int LogEvery { get; init; } = 10;
    /// <summary>A MetaGraph (<c>.meta</c>) or GraphDef file to train instead of the built-in model.</summary>
    public string? GraphFile { get; init; }
    /// <summary>The loss tensor of <see cref="GraphFile"/>.</summary>
    public string? Loss { get; init; }
    /// <summary>A tensor of <see cref="GraphFile"/> printed with the loss.</summary>
    public string? Metric { get; init; }
    /// <summary><c>NAME=@file.npy</c> data sets of <see cref="GraphFile"/>, one row per example.</summary>
    public IReadOnlyList<string> Feeds { get; init; } = [];
    /// <summary>Training examples (the synthetic data set's size).</summary>
    public int Examples { get; init; } = 2048;
    /// <summary>Job name: shard grains are keyed by it.</summary>
    public string Job { get; init; } = "tensorgraph";
    /// <summary>Slow each step by this many milliseconds (to watch or interrupt a run).</summary>
    public int StepDelayMs { get; init; }
    /// <summary>How long to keep trying to reach the ps tasks at start.</summary>
    public int ConnectTimeoutSeconds { get; init; } = 60;
}

/// <summary>The <c>ps</c> and <c>worker</c> commands: data-parallel training processes of a TF_CONFIG cluster.</summary>
public static class DistributedCommands
{
    /// <summary>Reads the cluster spec from <paramref name="file"/> or the TF_CONFIG environment variable, with the task overridden when given.</summary>
    public static ClusterSpec LoadSpec(string? file, string? taskType, int? taskIndex)
    {
        var spec = file is not null ? ClusterSpec.FromFile(file) : ClusterSpec.FromEnvironment()
            ?? throw new CliException(ExitCode.Usage, "no cluster spec: pass --cluster_spec FILE or set TF_CONFIG");
        if (taskType is not null || taskIndex is not null)
            spec = spec.WithTask(taskType ?? spec.TaskType ?? throw new CliException(ExitCode.Usage, "--task_index needs a task type (--task_type or TF_CONFIG's task.type)"), taskIndex ?? spec.TaskIndex);
        return spec;
    }

    /// <summary>Runs parameter-server task <c>ps:k</c> (an Orleans silo holding shard grains) until SIGTERM or Ctrl+C.</summary>
    public static void Ps(string? clusterSpecFile, int? taskIndex, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var spec = LoadSpec(clusterSpecFile, taskIndex is null ? null : "ps", taskIndex);
        if (spec.TaskType != "ps") throw new CliException(ExitCode.Usage, $"task type is '{spec.TaskType ?? "(none)"}', not ps");
        RunPs(spec, stdout).GetAwaiter().GetResult();
    }

    private static async Task RunPs(ClusterSpec spec, TextWriter stdout)
    {
        using var host = DistributedHosting.BuildParameterServer(spec, spec.TaskIndex);
        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        await host.StartAsync(stop.Token).ConfigureAwait(false);
        var (h, port) = spec.Address("ps", spec.TaskIndex);
        Line(stdout, $"Parameter server ps:{spec.TaskIndex} listening on {h}:{port} (gateway {port + ClusterSpec.GatewayPortOffset})");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        Line(stdout, "Shutting down: parameter server stopped.");
    }

    /// <summary>
    /// Runs a training replica (<c>worker:k</c> or <c>chief:0</c>) until the global step reaches the
    /// target: of <see cref="WorkerOptions.GraphFile"/>'s loss on this replica's shard of the fed
    /// data sets (see <see cref="WorkerGraph"/>), or without a graph file of the synthetic-digits MLP.
    /// </summary>
    public static void Worker(WorkerOptions options, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        var spec = LoadSpec(options.ClusterSpecFile, options.TaskType, options.TaskIndex);
        if (spec.TaskType is not ("worker" or "chief")) throw new CliException(ExitCode.Usage, $"task type is '{spec.TaskType ?? "(none)"}', not worker or chief");
        if (options.Steps < 0 || options.BatchSize < 1 || options.Examples < 1) throw new CliException(ExitCode.Usage, "--steps must be ≥ 0, --batch_size and --examples ≥ 1");
        WorkerGraph? graph = null;
        if (options.GraphFile is { } file)
        {
            if (options.Loss is null) throw new CliException(ExitCode.Usage, "--graph needs --loss TENSOR (the scalar to minimize)");
            graph = WorkerGraph.Load(file, options.Loss, options.Metric, options.Feeds, options.BatchSize, spec.NumReplicas);
        }
        else if (options.Loss is not null || options.Metric is not null || options.Feeds.Count > 0)
        {
            throw new CliException(ExitCode.Usage, "--loss, --metric and --feed need --graph FILE");
        }
        RunWorker(spec, options, graph, stdout).GetAwaiter().GetResult();
    }

    /// <summary>The optimizer named on the command line.</summary>
    public static OptimizerSpec OptimizerOf(string name, double learningRate) => name.ToLowerInvariant() switch
    {
        "sgd" or "gradientdescent" => OptimizerSpec.GradientDescent(learningRate),
        "momentum" => OptimizerSpec.MomentumOf(learningRate, 0.9),
        "adam" => OptimizerSpec.Adam(learningRate),
        "rmsprop" => OptimizerSpec.RMSProp(learningRate),
        _ => throw new CliException(ExitCode.Usage, $"unknown optimizer '{name}' (sgd, momentum, adam, rmsprop)"),
    };

    private static async Task RunWorker(ClusterSpec spec, WorkerOptions o, WorkerGraph? user, TextWriter stdout)
    {
        int replicas = spec.NumReplicas, replica = spec.ReplicaIndex;
        var optimizer = new DistributedOptimizer(OptimizerOf(o.Optimizer, o.LearningRate), replicas, o.Sync ? ReplicationMode.Sync : ReplicationMode.Async, o.ReplicasToAggregate);
        var model = user is null ? new SyntheticDigits() : null;
        var data = model is null ? default : SyntheticDigits.Data(o.Examples);
        var graph = user?.Graph ?? model!.G;
        var loss = user?.Loss ?? model!.Loss;
        Output[] fetches = user?.Metric is { } metric ? [loss, metric] : [loss];
        Func<long, FeedDict> feedFor = user is not null
            ? step => user.Batch(step, replica, replicas, o.BatchSize)
            : step => model!.Feed(data, SyntheticDigits.BatchStart(step, replica, replicas, o.BatchSize), o.BatchSize);
        var sessionOptions = DistributedSessionOptions.FromClusterSpec(spec, o.Job);
        sessionOptions = new DistributedSessionOptions
        {
            Job = sessionOptions.Job, NumShards = sessionOptions.NumShards, ReplicaIndex = replica, IsChief = sessionOptions.IsChief,
            CheckpointDir = o.CheckpointDir, SaveCheckpointSteps = o.SaveCheckpointSteps, SummaryDir = o.SummaryDir,
            SummaryOp = o.SummaryDir is null ? null : graph.ScalarSummary("loss", loss), SaveSummariesSteps = Math.Max(1, o.LogEvery),
            LastStep = o.Steps,
        };
        using var host = DistributedHosting.BuildWorkerClient(spec, connectTimeout: TimeSpan.FromSeconds(o.ConnectTimeoutSeconds));
        try
        {
            await host.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var gateways = string.Join(", ", Enumerable.Range(0, spec.NumPs).Select(k => spec.Address("ps", k)).Select(a => $"{a.Host}:{a.Port + ClusterSpec.GatewayPortOffset}"));
            throw new CliException(ExitCode.Io, $"cannot reach the ps tasks' gateways ({gateways}) within {o.ConnectTimeoutSeconds} s: {e.Message}", e);
        }
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        using var session = user is null ? new DistributedTrainingSession(grains, loss, optimizer, sessionOptions)
            : Models.Read(user.Path, () => new DistributedTrainingSession(grains, loss, optimizer, sessionOptions));
        await session.InitializeAsync().ConfigureAwait(false);
        Line(stdout, $"{spec.TaskType}:{spec.TaskIndex} (replica {replica} of {replicas}{(session.IsChief ? ", chief" : "")}) attached at step {session.GlobalStep}: {user?.Describe() ?? SyntheticDigits.Describe()}, {(o.Sync ? "sync" : "async")} {o.Optimizer}, {sessionOptions.NumShards} shard(s)");
        int failures = 0;
        var timing = new StepTiming();
        while (session.GlobalStep < o.Steps)
        {
            try
            {
                var r = await session.RunStepAsync(feedFor, fetches).ConfigureAwait(false);
                failures = 0;
                if (r.Stopped) break;
                timing.Add(r);
                if (o.LogEvery > 0 && (r.Step % o.LogEvery == 0 || r.GlobalStep >= o.Steps))
                    Line(stdout, $"step {r.Step} loss {WorkerGraph.Format(r.Fetched[0]!)}{(fetches.Length > 1 ? $" {user!.MetricName} {WorkerGraph.Format(r.Fetched[1]!)}" : "")}{(r.Dropped ? " (stale, dropped)" : "")}");
                if (o.StepDelayMs > 0) await Task.Delay(o.StepDelayMs).ConfigureAwait(false);
            }
            catch (ShardLostException e)
            {
                Line(stdout, $"shard lost ({e.Message}); re-attaching");
                if (++failures > 5) throw;
                await session.InitializeAsync().ConfigureAwait(false);
                Line(stdout, $"resumed at step {session.GlobalStep}{(session.LastCheckpoint is { } c ? " from " + Path.GetFileName(c) : "")}");
            }
            catch (DistributedTrainingException e)
            {
                Line(stdout, $"step failed ({e.Message}); retrying");
                if (++failures > 5) throw;
                await Task.Delay(500).ConfigureAwait(false);
            }
        }
        await session.PullIntoSessionAsync().ConfigureAwait(false);
        string? ckpt = session.IsChief && o.CheckpointDir is not null ? await session.SaveCheckpointAsync().ConfigureAwait(false) : null;
        string saved = ckpt is null ? "" : " checkpoint " + ckpt;
        if (user is null)
        {
            var (l, acc) = session.Session.Run(model!.Loss, model.Accuracy, model.Feed(data, 0, data.Labels.Length));
            Line(stdout, string.Create(CultureInfo.InvariantCulture,
                $"done step {session.GlobalStep} loss {l.Scalar<float>():0.0000} accuracy {acc.Scalar<float>():0.0000}{saved}"));
        }
        else if (user.CanFeedAllRows)
        {
            // The loss (and metric) of the trained parameters on every row.
            var all = session.Session.Run(fetches, user.All());
            Line(stdout, string.Create(CultureInfo.InvariantCulture,
                $"done step {session.GlobalStep} loss {WorkerGraph.Format(all[0]!)}{(all.Length > 1 ? $" {user.MetricName} {WorkerGraph.Format(all[1]!)}" : "")}{saved}"));
        }
        else
        {
            Line(stdout, string.Create(CultureInfo.InvariantCulture, $"done step {session.GlobalStep}{saved}"));
        }
        Line(stdout, timing.Summary());
        await host.StopAsync().ConfigureAwait(false);
    }

    private static void Line(TextWriter w, string s)
    {
        w.WriteLine(s);
        w.Flush();
    }
}

/// <summary>Per-step times and bytes of a replica, summed for the closing summary line.</summary>
public sealed class StepTiming
{
    private readonly System.Diagnostics.Stopwatch _wall = new();
    private int _steps;
    private TimeSpan _pull, _compute, _push;
    private long _sent, _received;

    /// <summary>Adds a step (the wall clock starts at the first).</summary>
    public void Add(StepResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (!_wall.IsRunning) _wall.Start();
        else _steps++;
        if (_steps == 0) return; // the first step warms up (plans are compiled) and is left out
        _pull += r.PullTime;
        _compute += r.ComputeTime;
        _push += r.PushTime;
        _sent += r.BytesSent;
        _received += r.BytesReceived;
    }

    /// <summary>
    /// <c>timing: N steps, S steps/s, per step: pull P ms, compute C ms, push+barrier B ms, sent X bytes, received Y bytes</c>
    /// (the first step left out).
    /// </summary>
    public string Summary()
    {
        if (_steps == 0) return "timing: not enough steps";
        double n = _steps;
        return string.Create(CultureInfo.InvariantCulture,
            $"timing: {_steps} steps, {_steps / _wall.Elapsed.TotalSeconds:0.0} steps/s, per step: pull {_pull.TotalMilliseconds / n:0.00} ms, compute {_compute.TotalMilliseconds / n:0.00} ms, push+barrier {_push.TotalMilliseconds / n:0.00} ms, sent {_sent / n:0} bytes, received {_received / n:0} bytes");
    }
}

