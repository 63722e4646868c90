// TF1's distributed MNIST (tensorflow/tools/dist_test/python/mnist_replica.py): a 784-100-10
// network trained by between-graph replication, with the parameters on ps tasks, Adam, and
// optionally SyncReplicasOptimizer. The cluster comes from TF_CONFIG (or --cluster_spec).
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;
using TensorGraph.Data;
using TensorGraph.Distributed;
using TensorGraph.Initializers;

namespace TensorGraph.Examples;

/// <summary>mnist_replica.py's flags.</summary>
public sealed class DistributedMnistOptions
{
    /// <summary>Directory with the MNIST IDX files (default: the user cache directory).</summary>
    public string? DataDir { get; init; }
    /// <summary>Hidden units (hidden_units).</summary>
    public int HiddenUnits { get; init; } = 100;
    /// <summary>Global steps (train_steps).</summary>
    public int TrainSteps { get; init; } = 200;
    /// <summary>Batch per replica (batch_size).</summary>
    public int BatchSize { get; init; } = 100;
    /// <summary>Adam's learning rate (learning_rate).</summary>
    public double LearningRate { get; init; } = 0.01;
    /// <summary>SyncReplicasOptimizer (sync_replicas).</summary>
    public bool SyncReplicas { get; init; }
    /// <summary>replicas_to_aggregate (default: every replica).</summary>
    public int? ReplicasToAggregate { get; init; }
    /// <summary>The chief's checkpoint folder.</summary>
    public string? CheckpointDir { get; init; }
}

/// <summary>The ps and worker tasks of the example.</summary>
public static class DistributedMnistExample
{
    /// <summary>Runs ps task <c>spec.TaskIndex</c> until Ctrl+C or SIGTERM.</summary>
    public static async Task RunPsAsync(ClusterSpec spec, TextWriter log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(log);
        // In a Kubernetes pod (POD_NAME set by the manifests), Orleans' Kubernetes hosting takes the
        // pod's IP and cluster ids from the environment and removes silos whose pods are gone.
        bool inPod = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is not null && Environment.GetEnvironmentVariable("POD_NAME") is not null;
        using var host = DistributedHosting.BuildParameterServer(spec, spec.TaskIndex, configure: inPod ? silo => silo.UseKubernetesHosting() : null);
        await host.StartAsync(cancellationToken);
        var (h, port) = spec.Address("ps", spec.TaskIndex);
        log.WriteLine($"ps:{spec.TaskIndex} up at {h}:{port}{(inPod ? " (Kubernetes hosting)" : "")}");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        await host.StopAsync(CancellationToken.None);
    }

    /// <summary>Runs a worker (or chief) task; returns the test accuracy it sees at the end.</summary>
    public static async Task<float> RunWorkerAsync(ClusterSpec spec, DistributedMnistOptions o, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(log);
        var mnist = Mnist.ReadDataSets(o.DataDir, oneHot: true, seed: spec.ReplicaIndex);
        var (g, x, yTrue, crossEntropy, accuracy) = Model(o.HiddenUnits);

        var optimizer = new DistributedOptimizer(OptimizerSpec.Adam(o.LearningRate), spec.NumReplicas,
            o.SyncReplicas ? ReplicationMode.Sync : ReplicationMode.Async, o.ReplicasToAggregate);
        var basic = DistributedSessionOptions.FromClusterSpec(spec);
        var options = new DistributedSessionOptions
        {
            NumShards = basic.NumShards, ReplicaIndex = basic.ReplicaIndex, IsChief = basic.IsChief,
            CheckpointDir = o.CheckpointDir, SaveCheckpointSteps = o.CheckpointDir is null ? 0 : 100,
        };
        using var client = DistributedHosting.BuildWorkerClient(spec);
        await client.StartAsync();
        using var session = new DistributedTrainingSession(client.Services.GetRequiredService<IGrainFactory>(), crossEntropy, optimizer, options);
        await session.InitializeAsync();
        log.WriteLine($"Worker {spec.ReplicaIndex}: session initialization complete at global step {session.GlobalStep}{(session.IsChief ? " (chief)" : "")}");
        var start = DateTime.UtcNow;
        var timing = new System.Diagnostics.Stopwatch();
        int timed = 0;
        double pull = 0, compute = 0, push = 0;
        long sent = 0;
        while (session.GlobalStep < o.TrainSteps)
        {
            var (images, labels) = mnist.Train.NextBatch(o.BatchSize);
            var r = await session.RunStepAsync(new FeedDict { { x, images }, { yTrue, labels } });
            if (timing.IsRunning)
            {
                timed++;
                (pull, compute, push, sent) = (pull + r.PullTime.TotalMilliseconds, compute + r.ComputeTime.TotalMilliseconds, push + r.PushTime.TotalMilliseconds, sent + r.BytesSent);
            }
            else timing.Start(); // the first step compiles the plans
            if (r.Step % 20 == 0)
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow - start:mm\\:ss\\.f}: Worker {spec.ReplicaIndex}: training step {r.Step} done (global step: {r.GlobalStep})"));
        }
        if (timed > 0)
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Worker {spec.ReplicaIndex}: {timed / timing.Elapsed.TotalSeconds:0.0} steps/s; per step: pull {pull / timed:0.00} ms, compute {compute / timed:0.00} ms, push+barrier {push / timed:0.00} ms, {sent / timed:0} bytes of gradients"));
        await session.PullIntoSessionAsync();
        float acc = session.Session.Run(accuracy, new FeedDict { { x, mnist.Test.Images }, { yTrue, mnist.Test.Labels } }).Scalar<float>();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Training ends at global step {session.GlobalStep}; test accuracy {acc:0.0000}"));
        if (session.IsChief && o.CheckpointDir is not null) log.WriteLine("Checkpoint " + await session.SaveCheckpointAsync());
        await client.StopAsync();
        return acc;
    }

    /// <summary>
    /// Without a cluster spec: one ps task and two sync workers in this process, on free loopback
    /// ports, each worker with its own Orleans client as separate processes would have.
    /// </summary>
    public static async Task<float> RunLocalAsync(DistributedMnistOptions o, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(log);
        log = TextWriter.Synchronized(log);
        int port = FreePort();
        var json = string.Create(CultureInfo.InvariantCulture,
            $$$"""{"cluster": {"ps": ["127.0.0.1:{{{port}}}"], "worker": ["127.0.0.1:{{{port + 1}}}", "127.0.0.1:{{{port + 2}}}"]}}""");
        log.WriteLine("No TF_CONFIG: running ps:0, worker:0 and worker:1 in one process with TF_CONFIG " + json);
        var spec = ClusterSpec.Parse(json);
        using var stop = new CancellationTokenSource();
        var ps = RunPsAsync(spec.WithTask("ps", 0), log, stop.Token);
        var options = new DistributedMnistOptions
        {
            DataDir = o.DataDir, HiddenUnits = o.HiddenUnits, TrainSteps = o.TrainSteps, BatchSize = o.BatchSize,
            LearningRate = o.LearningRate, SyncReplicas = true, ReplicasToAggregate = o.ReplicasToAggregate, CheckpointDir = o.CheckpointDir,
        };
        var workers = await Task.WhenAll(RunWorkerAsync(spec.WithTask("worker", 0), options, log), RunWorkerAsync(spec.WithTask("worker", 1), options, log));
        await stop.CancelAsync();
        await ps;
        return workers[0];
    }

    private static int FreePort()
    {
        for (int i = 0; i < 100; i++)
        {
            int p = Random.Shared.Next(20000, 29000);
            if (new[] { p, p + ClusterSpec.GatewayPortOffset }.All(IsFree)) return p;
        }
        throw new InvalidOperationException("no free loopback port pair found");

        static bool IsFree(int p)
        {
            try
            {
                using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, p);
                l.Start();
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }
    }

    /// <summary>The model, exactly as mnist_replica.py builds it.</summary>
    private static (Graph G, Output X, Output Labels, Output Loss, Output Accuracy) Model(int hiddenUnits)
    {
        var g = new Graph();
        var hidW = g.Variable(new TruncatedNormal(stddev: 1.0 / 28, seed: 1).Call(g, [784, hiddenUnits], DType.Float32), "hid_w");
        var hidB = g.Variable(Tensor.Create(new float[hiddenUnits], hiddenUnits), "hid_b");
        var smW = g.Variable(new TruncatedNormal(stddev: 1.0 / Math.Sqrt(hiddenUnits), seed: 2).Call(g, [hiddenUnits, 10], DType.Float32), "sm_w");
        var smB = g.Variable(Tensor.Create(new float[10], 10), "sm_b");
        var x = g.Placeholder(DType.Float32, new Shape(-1, 784), "x");
        var yTrue = g.Placeholder(DType.Float32, new Shape(-1, 10), "y_");
        var hid = g.Relu(g.MatMul(x, hidW) + hidB);
        var y = g.Softmax(g.MatMul(hid, smW) + smB);
        var crossEntropy = -g.ReduceSum(yTrue * g.Log(g.ClipByValue(y, 1e-10f, 1.0f)));
        var accuracy = g.ReduceMean(g.Cast(g.Equal(g.ArgMax(y, 1), g.ArgMax(yTrue, 1)), DType.Float32));
        return (g, x, yTrue, crossEntropy, accuracy);
    }

    /// <summary>The same model and optimizer in one ordinary session (the baseline for scaling figures); returns the test accuracy.</summary>
    public static float RunSingleProcess(DistributedMnistOptions o, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(log);
        var mnist = Mnist.ReadDataSets(o.DataDir, oneHot: true, seed: 0);
        var (g, x, yTrue, loss, accuracy) = Model(o.HiddenUnits);
        var train = new TensorGraph.Training.AdamOptimizer(o.LearningRate).Minimize(loss);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var clock = new System.Diagnostics.Stopwatch();
        for (int step = 0; step < o.TrainSteps; step++)
        {
            var (images, labels) = mnist.Train.NextBatch(o.BatchSize);
            s.Run(train, new FeedDict { { x, images }, { yTrue, labels } });
            if (step == 0) clock.Start();
        }
        float acc = s.Run(accuracy, new FeedDict { { x, mnist.Test.Images }, { yTrue, mnist.Test.Labels } }).Scalar<float>();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Single process: {(o.TrainSteps - 1) / clock.Elapsed.TotalSeconds:0.0} steps/s; test accuracy {acc:0.0000} after {o.TrainSteps} steps"));
        return acc;
    }
}

