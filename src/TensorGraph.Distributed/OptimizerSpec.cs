using TensorGraph.Training;

namespace TensorGraph.Distributed;

/// <summary>The optimizers a parameter shard can run (the core's TF1 optimizers).</summary>
public enum OptimizerKind
{
    /// <summary><see cref="GradientDescentOptimizer"/>.</summary>
    GradientDescent = 0,
    /// <summary><see cref="MomentumOptimizer"/>.</summary>
    Momentum = 1,
    /// <summary><see cref="AdamOptimizer"/>.</summary>
    Adam = 2,
    /// <summary><see cref="RMSPropOptimizer"/>.</summary>
    RMSProp = 3,
    /// <summary><see cref="AdagradOptimizer"/>.</summary>
    Adagrad = 4,
}

/// <summary>
/// A serializable description of a core optimizer and its hyper-parameters. Each parameter shard
/// builds the optimizer from it in its own graph, so slots (Adam's m and v, the beta powers,
/// momentum accumulators) live on the shard and updates are the local optimizer's kernels.
/// </summary>
[GenerateSerializer, Immutable, Alias("TensorGraph.Distributed.OptimizerSpec")]
public sealed record OptimizerSpec
{
    /// <summary>Which optimizer.</summary>
    [Id(0)] public OptimizerKind Kind { get; init; }
    /// <summary>The learning rate.</summary>
    [Id(1)] public double LearningRate { get; init; }
    /// <summary>Momentum (Momentum, RMSProp).</summary>
    [Id(2)] public double Momentum { get; init; }
    /// <summary>Nesterov momentum (Momentum).</summary>
    [Id(3)] public bool UseNesterov { get; init; }
    /// <summary>Adam's beta1.</summary>
    [Id(4)] public double Beta1 { get; init; } = 0.9;
    /// <summary>Adam's beta2.</summary>
    [Id(5)] public double Beta2 { get; init; } = 0.999;
    /// <summary>Epsilon (Adam, RMSProp).</summary>
    [Id(6)] public double Epsilon { get; init; } = 1e-8;
    /// <summary>RMSProp's decay.</summary>
    [Id(7)] public double Decay { get; init; } = 0.9;
    /// <summary>Centered RMSProp.</summary>
    [Id(8)] public bool Centered { get; init; }
    /// <summary>Adagrad's initial accumulator value.</summary>
    [Id(9)] public double InitialAccumulatorValue { get; init; } = 0.1;

    /// <summary>tf.train.GradientDescentOptimizer(learning_rate).</summary>
    public static OptimizerSpec GradientDescent(double learningRate) => new() { Kind = OptimizerKind.GradientDescent, LearningRate = learningRate };

    /// <summary>tf.train.MomentumOptimizer(learning_rate, momentum, use_nesterov).</summary>
    public static OptimizerSpec MomentumOf(double learningRate, double momentum, bool useNesterov = false) =>
        new() { Kind = OptimizerKind.Momentum, LearningRate = learningRate, Momentum = momentum, UseNesterov = useNesterov };

    /// <summary>tf.train.AdamOptimizer(learning_rate, beta1, beta2, epsilon).</summary>
    public static OptimizerSpec Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) =>
        new() { Kind = OptimizerKind.Adam, LearningRate = learningRate, Beta1 = beta1, Beta2 = beta2, Epsilon = epsilon };

    /// <summary>tf.train.RMSPropOptimizer(learning_rate, decay, momentum, epsilon, centered).</summary>
    public static OptimizerSpec RMSProp(double learningRate, double decay = 0.9, double momentum = 0.0, double epsilon = 1e-10, bool centered = false) =>
        new() { Kind = OptimizerKind.RMSProp, LearningRate = learningRate, Decay = decay, Momentum = momentum, Epsilon = epsilon, Centered = centered };

    /// <summary>tf.train.AdagradOptimizer(learning_rate, initial_accumulator_value).</summary>
    public static OptimizerSpec Adagrad(double learningRate, double initialAccumulatorValue = 0.1) =>
        new() { Kind = OptimizerKind.Adagrad, LearningRate = learningRate, InitialAccumulatorValue = initialAccumulatorValue };

    /// <summary>A new core optimizer with these settings (the same one a single-process run would use).</summary>
    public Optimizer Create() => Kind switch
    {
        OptimizerKind.GradientDescent => new GradientDescentOptimizer(LearningRate),
        OptimizerKind.Momentum => new MomentumOptimizer(LearningRate, Momentum, useNesterov: UseNesterov),
        OptimizerKind.Adam => new AdamOptimizer(LearningRate, Beta1, Beta2, Epsilon),
        OptimizerKind.RMSProp => new RMSPropOptimizer(LearningRate, Decay, Momentum, Epsilon, centered: Centered),
        OptimizerKind.Adagrad => new AdagradOptimizer(LearningRate, InitialAccumulatorValue),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "unknown optimizer kind"),
    };

    /// <summary>
    /// <see cref="Create()"/> with the learning rate taken from <paramref name="learningRate"/> (a tensor such
    /// as a decay schedule; <see cref="LearningRate"/> is then ignored); null: the constant rate.
    /// </summary>
    public Optimizer Create(Output? learningRate)
    {
        if (learningRate is not { } lr) return Create();
        return Kind switch
        {
            OptimizerKind.GradientDescent => new GradientDescentOptimizer(lr),
            OptimizerKind.Momentum => new MomentumOptimizer(lr, Momentum, useNesterov: UseNesterov),
            OptimizerKind.Adam => new AdamOptimizer(lr, Beta1, Beta2, Epsilon),
            OptimizerKind.RMSProp => new RMSPropOptimizer(lr, Decay, Momentum, Epsilon, centered: Centered),
            OptimizerKind.Adagrad => new AdagradOptimizer(lr, InitialAccumulatorValue),
            _ => throw new InvalidOperationException($"unknown optimizer kind {Kind}"),
        };
    }
}

/// <summary>How replicas' gradients are applied.</summary>
public enum ReplicationMode
{
    /// <summary>TF1's default between-graph replication: each push is applied on arrival.</summary>
    Async = 0,
    /// <summary>
    /// <c>tf.train.SyncReplicasOptimizer</c>: per global step, <see cref="DistributedOptimizer.ReplicasToAggregate"/>
    /// gradients are averaged and applied once; gradients of older steps are dropped; replicas wait at a barrier.
    /// </summary>
    Sync = 1,
}

/// <summary>How variables are spread over parameter shards (TF1's <c>replica_device_setter</c> strategies).</summary>
public enum VariablePlacement
{
    /// <summary>Round-robin in creation order (replica_device_setter's default).</summary>
    RoundRobin = 0,
    /// <summary>Each variable goes to the shard with the fewest bytes so far (GreedyLoadBalancingStrategy with byte_size_load_fn).</summary>
    BySize = 1,
}

/// <summary>
/// The distributed counterpart of wrapping an optimizer in <c>tf.train.SyncReplicasOptimizer</c>:
/// the optimizer the shards run, how many replicas train, and whether updates are synchronous.
/// </summary>
public sealed class DistributedOptimizer
{
    /// <summary>Creates the wrapper; <paramref name="replicasToAggregate"/> defaults to <paramref name="replicas"/>.</summary>
    public DistributedOptimizer(OptimizerSpec optimizer, int replicas, ReplicationMode mode = ReplicationMode.Sync, int? replicasToAggregate = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        int agg = replicasToAggregate ?? replicas;
        if (agg < 1 || agg > replicas)
            throw new ArgumentOutOfRangeException(nameof(replicasToAggregate), agg, $"must be between 1 and the number of replicas ({replicas})");
        Optimizer = optimizer;
        Replicas = replicas;
        Mode = mode;
        ReplicasToAggregate = agg;
    }

    /// <summary>The optimizer applied on the shards.</summary>
    public OptimizerSpec Optimizer { get; }

    /// <summary>Total number of training replicas (TF's total_num_replicas).</summary>
    public int Replicas { get; }

    /// <summary>Gradients averaged per step in <see cref="ReplicationMode.Sync"/> (TF's replicas_to_aggregate).</summary>
    public int ReplicasToAggregate { get; }

    /// <summary>Sync or async.</summary>
    public ReplicationMode Mode { get; }
}
