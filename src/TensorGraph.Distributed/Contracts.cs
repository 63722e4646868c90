namespace TensorGraph.Distributed;

/// <summary>
/// Bytes carried by a call: inline when they fit one chunk, otherwise uploaded before the call
/// with <see cref="IParameterShardGrain.UploadChunk"/> under <see cref="Transfer"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("TensorGraph.Distributed.Payload")]
public sealed record Payload
{
    /// <summary>The bytes, when sent inline.</summary>
    [Id(0)] public byte[]? Inline { get; init; }
    /// <summary>The upload the bytes were sent under, when chunked.</summary>
    [Id(1)] public Guid Transfer { get; init; }
    /// <summary>Number of uploaded chunks.</summary>
    [Id(2)] public int Chunks { get; init; }
}

/// <summary>What a parameter shard hosts and how it trains; sent by the chief.</summary>
[GenerateSerializer, Immutable, Alias("TensorGraph.Distributed.ShardConfig")]
public sealed record ShardConfig
{
    /// <summary>Identifies this initialization; calls naming another one are refused.</summary>
    [Id(0)] public Guid Incarnation { get; init; }
    /// <summary>The shard's variables in creation order.</summary>
    [Id(1)] public string[] Variables { get; init; } = [];
    /// <summary>Those of <see cref="Variables"/> the optimizer updates (the ones with a gradient).</summary>
    [Id(2)] public string[] Trainable { get; init; } = [];
    /// <summary>The optimizer.</summary>
    [Id(3)] public OptimizerSpec Optimizer { get; init; } = OptimizerSpec.GradientDescent(0.01);
    /// <summary>Sync or async.</summary>
    [Id(4)] public ReplicationMode Mode { get; init; }
    /// <summary>Total replicas.</summary>
    [Id(5)] public int Replicas { get; init; } = 1;
    /// <summary>Gradients averaged per step in sync mode.</summary>
    [Id(6)] public int ReplicasToAggregate { get; init; } = 1;
    /// <summary>The largest payload sent in one message.</summary>
    [Id(7)] public int ChunkBytes { get; init; } = DistributedSessionOptions.DefaultChunkBytes;
    /// <summary>The global step to start at (a restored checkpoint's).</summary>
    [Id(8)] public long InitialStep { get; init; }
    /// <summary>Those of <see cref="Trainable"/> whose gradients arrive as IndexedSlices rows (gathered variables, e.g. embeddings).</summary>
    [Id(9)] public string[] Sparse { get; init; } = [];
    /// <summary>The dtype of each sparse gradient's row indices (int32 or int64, as the gather's), in <see cref="Sparse"/> order.</summary>
    [Id(10)] public DType[] SparseIndexTypes { get; init; } = [];
    /// <summary>Whether the learning rate is a tensor of the replicas' graph, sent with each push (a decay schedule).</summary>
    [Id(11)] public bool LearningRateFed { get; init; }
}

/// <summary>Whether a shard is initialized, with which incarnation, at which step.</summary>
[GenerateSerializer, Immutable, Alias("TensorGraph.Distributed.ShardStatus")]
public sealed record ShardStatus
{
    /// <summary>Whether the shard holds parameters.</summary>
    [Id(0)] public bool Initialized { get; init; }
    /// <summary>Its incarnation.</summary>
    [Id(1)] public Guid Incarnation { get; init; }
    /// <summary>Its global step.</summary>
    [Id(2)] public long Step { get; init; }
    /// <summary>Gradients dropped as stale so far.</summary>
    [Id(3)] public long DroppedGradients { get; init; }
    /// <summary>Updates applied so far.</summary>
    [Id(4)] public long AppliedUpdates { get; init; }
    /// <summary>Replicas whose gradients for the current step wait for aggregation (sync mode).</summary>
    [Id(5)] public int PendingReplicas { get; init; }
    /// <summary>The silo the shard is activated on.</summary>
    [Id(6)] public string Host { get; init; } = "";
}

/// <summary>The outcome of a shard call.</summary>
public enum ShardCallStatus
{
    /// <summary>Done (for a push in sync mode: the step's averaged update was applied).</summary>
    Ok = 0,
    /// <summary>The gradient was for an older step and was dropped (SyncReplicas' staleness check).</summary>
    Stale = 1,
    /// <summary>The shard holds no parameters (new or reactivated after a failure).</summary>
    NotInitialized = 2,
    /// <summary>The shard was re-initialized since the caller attached.</summary>
    WrongIncarnation = 3,
    /// <summary>The caller is ahead of the shard's global step.</summary>
    AheadOfShard = 4,
    /// <summary>The request was malformed (see the message).</summary>
    BadRequest = 5,
}

/// <summary>A push's result.</summary>
[GenerateSerializer, Immutable, Alias("TensorGraph.Distributed.PushResponse")]
public sealed record PushResponse
{
    /// <summary>The outcome.</summary>
    [Id(0)] public ShardCallStatus Status { get; init; }
    /// <summary>The shard's global step after the call.</summary>
    [Id(1)] public long Step { get; init; }
    /// <summary>Details of a failure.</summary>
    [Id(2)] public string? Message { get; init; }
}

/// <summary>A pull's result: values inline, or a snapshot to read in chunks.</summary>
[GenerateSerializer, Immutable, Alias("TensorGraph.Distributed.PullResponse")]
public sealed record PullResponse
{
    /// <summary>The outcome.</summary>
    [Id(0)] public ShardCallStatus Status { get; init; }
    /// <summary>The global step of the values.</summary>
    [Id(1)] public long Step { get; init; }
    /// <summary>The encoded values, when they fit one chunk.</summary>
    [Id(2)] public byte[]? Inline { get; init; }
    /// <summary>The snapshot to read with <see cref="IParameterShardGrain.ReadChunk"/> otherwise.</summary>
    [Id(3)] public Guid Snapshot { get; init; }
    /// <summary>Number of chunks of the snapshot.</summary>
    [Id(4)] public int Chunks { get; init; }
    /// <summary>Details of a failure.</summary>
    [Id(5)] public string? Message { get; init; }
}

/// <summary>
/// A parameter shard: a slice of the model's variables with their optimizer slots, in a small
/// graph and session of its own (TF1's ps task). Keyed by <c>job/shard</c>.
/// </summary>
[Alias("TensorGraph.Distributed.IParameterShardGrain")]
public interface IParameterShardGrain : IGrainWithStringKey
{
    /// <summary>Stores chunk <paramref name="index"/> of <paramref name="count"/> of an upload.</summary>
    [Alias("UploadChunk")]
    Task UploadChunk(Guid transfer, int index, int count, byte[] data);

    /// <summary>
    /// Builds the shard's graph for <paramref name="config"/> and sets its variables (and any
    /// slots present) from <paramref name="values"/>. Replaces any earlier state.
    /// </summary>
    [Alias("Initialize")]
    Task<ShardStatus> Initialize(ShardConfig config, Payload values);

    /// <summary>The shard's status.</summary>
    [Alias("GetStatus")]
    Task<ShardStatus> GetStatus();

    /// <summary>The current values of the variables (with <paramref name="includeSlots"/>: every variable of the shard's graph, slots and beta powers included).</summary>
    [Alias("Pull")]
    Task<PullResponse> Pull(Guid incarnation, bool includeSlots);

    /// <summary>Chunk <paramref name="index"/> of a pulled snapshot.</summary>
    [Alias("ReadChunk")]
    Task<byte[]> ReadChunk(Guid snapshot, int index);

    /// <summary>
    /// Pushes replica <paramref name="replica"/>'s update computed at <paramref name="step"/>: its
    /// gradients, the changes it made to the shard's other variables (moving averages) and the
    /// step's learning rate when that is a tensor, as entries of a <see cref="TensorSet"/>.
    /// Async: applied at once. Sync: aggregated; completes when the step's averaged update is applied.
    /// </summary>
    [Alias("Push")]
    Task<PushResponse> Push(Guid incarnation, int replica, long step, Payload gradients);

    /// <summary>Drops all state and deactivates, as a reactivation after a failure would (and as a finished job releases its shards).</summary>
    [Alias("Reset")]
    Task Reset();
}
