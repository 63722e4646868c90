namespace TensorGraph.Distributed;

/// <summary>Settings of a <see cref="DistributedTrainingSession"/> (TF's MonitoredTrainingSession arguments and replica_device_setter's).</summary>
public sealed class DistributedSessionOptions
{
    /// <summary>Default largest message payload: 4 MiB, far below Orleans' 100 MB body limit.</summary>
    public const int DefaultChunkBytes = 4 << 20;

    /// <summary>Names the training job; shard grains are keyed <c>job/ps/k</c>, so jobs sharing a cluster do not meet.</summary>
    public string Job { get; init; } = "tensorgraph";

    /// <summary>Number of parameter shards (TF: the number of ps tasks).</summary>
    public int NumShards { get; init; } = 1;

    /// <summary>How variables are spread over the shards.</summary>
    public VariablePlacement Placement { get; init; } = VariablePlacement.RoundRobin;

    /// <summary>This replica's index in [0, replicas).</summary>
    public int ReplicaIndex { get; init; }

    /// <summary>Whether this replica initializes the shards, restores and writes checkpoints and summaries.</summary>
    public bool IsChief { get; init; }

    /// <summary>Payloads larger than this travel in chunks of this size.</summary>
    public int ChunkBytes { get; init; } = DefaultChunkBytes;

    /// <summary>Where the chief writes (and restores) V2 checkpoints; null for none.</summary>
    public string? CheckpointDir { get; init; }

    /// <summary>The chief saves a checkpoint every this many global steps (0: only when asked).</summary>
    public int SaveCheckpointSteps { get; init; }

    /// <summary>Checkpoints kept (Saver's max_to_keep).</summary>
    public int MaxCheckpointsToKeep { get; init; } = 5;

    /// <summary>A serialized Summary tensor (e.g. merge_all) the chief fetches every <see cref="SaveSummariesSteps"/>.</summary>
    public Output? SummaryOp { get; init; }

    /// <summary>
    /// A scalar learning-rate tensor of this replica's graph, e.g. <c>LearningRates.ExponentialDecay(g, 0.1,
    /// g.GetGlobalStep(), ...)</c>: evaluated with each step's gradients (the graph's global step holds the
    /// shards' step) and sent with them; the shards apply with it instead of the optimizer's constant
    /// rate. Null: <see cref="OptimizerSpec.LearningRate"/>. Every replica of a job must agree on whether it is set.
    /// </summary>
    public Output? LearningRate { get; init; }

    /// <summary>Where the chief writes summaries; null for none.</summary>
    public string? SummaryDir { get; init; }

    /// <summary>The chief's summary period in global steps.</summary>
    public int SaveSummariesSteps { get; init; } = 100;

    /// <summary>How long a non-chief replica waits for the chief to initialize the shards.</summary>
    public TimeSpan AttachTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// TF's <c>StopAtStepHook(last_step)</c>: once the shards' global step reaches it, a step pulls
    /// but computes and pushes nothing (<see cref="StepResult.Stopped"/>), and
    /// <see cref="DistributedTrainingSession.ShouldStop"/> is true. A replica that falls behind then
    /// stops instead of waiting at a sync barrier the finished replicas will not come to. Null: no limit.
    /// </summary>
    public long? LastStep { get; init; }

    /// <summary>How long the chief retries for a snapshot in which every shard is at the same global step (checkpoints).</summary>
    public TimeSpan SnapshotTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Options for the task a <see cref="ClusterSpec"/> names: one shard per <c>ps</c> task, the
    /// replica index and chief flag of TF's TF_CONFIG conventions.
    /// </summary>
    public static DistributedSessionOptions FromClusterSpec(ClusterSpec spec, string job = "tensorgraph") 
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.NumPs == 0) throw new ClusterSpecException("cluster.ps", "the cluster has no ps task to hold parameters");
        return new DistributedSessionOptions { Job = job, NumShards = spec.NumPs, ReplicaIndex = spec.ReplicaIndex, IsChief = spec.IsChief };
    }
}

/// <summary>What one distributed training step returned.</summary>
public sealed class StepResult
{
    internal StepResult(Tensor?[] fetched, long step, long globalStep, bool dropped)
    {
        Fetched = fetched;
        Step = step;
        GlobalStep = globalStep;
        Dropped = dropped;
    }

    /// <summary>The requested fetches, computed with the parameters of <see cref="Step"/>.</summary>
    public IReadOnlyList<Tensor?> Fetched { get; }

    /// <summary>The global step the gradients were computed at.</summary>
    public long Step { get; }

    /// <summary>The global step after the update.</summary>
    public long GlobalStep { get; }

    /// <summary>Whether a shard dropped this replica's gradient as stale.</summary>
    public bool Dropped { get; }

    /// <summary>Whether the global step had reached <see cref="DistributedSessionOptions.LastStep"/>: nothing was computed or pushed.</summary>
    public bool Stopped { get; init; }

    /// <summary>Time spent pulling the parameters into the local session.</summary>
    public TimeSpan PullTime { get; init; }

    /// <summary>Time spent computing the gradients (and fetches) locally.</summary>
    public TimeSpan ComputeTime { get; init; }

    /// <summary>Time spent pushing the gradients, waiting at the sync barrier included.</summary>
    public TimeSpan PushTime { get; init; }

    /// <summary>Tensor payload bytes sent during the step (gradients).</summary>
    public long BytesSent { get; init; }

    /// <summary>Tensor payload bytes received during the step (values).</summary>
    public long BytesReceived { get; init; }
}
