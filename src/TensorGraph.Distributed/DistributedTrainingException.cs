namespace TensorGraph.Distributed;

/// <summary>
/// A distributed training step that could not complete: a shard was lost or re-initialized, a
/// replica fell out of step, or a call failed or timed out. No update of the step was applied on
/// the shards that report it; training resumes from the shards' state or the last checkpoint.
/// </summary>
public class DistributedTrainingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DistributedTrainingException() : base("distributed training step failed") { }

    /// <summary>Creates the exception.</summary>
    public DistributedTrainingException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public DistributedTrainingException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The shard the failure concerns, or null.</summary>
    public string? Shard { get; init; }

    /// <summary>The shard's answer, when it gave one.</summary>
    public ShardCallStatus? Status { get; init; }

    /// <summary>The global step the replica was at.</summary>
    public long Step { get; init; }
}

/// <summary>
/// A parameter shard lost its state (never initialized, reactivated after its silo died, or
/// re-initialized by the chief): the replica must re-attach (<see cref="DistributedTrainingSession.InitializeAsync"/>),
/// and the chief restores from the last checkpoint.
/// </summary>
public sealed class ShardLostException : DistributedTrainingException
{
    /// <summary>Creates the exception.</summary>
    public ShardLostException() { }

    /// <summary>Creates the exception.</summary>
    public ShardLostException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ShardLostException(string message, Exception innerException) : base(message, innerException) { }
}
