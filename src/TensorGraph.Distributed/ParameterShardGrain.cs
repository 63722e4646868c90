using Orleans.Concurrency;
using TensorGraph.Training;

namespace TensorGraph.Distributed;

/// <summary>
/// The parameter shard grain. Its graph holds the shard's variables, a gradient placeholder per
/// trainable variable and the optimizer's <c>ApplyGradients</c> over them, so the update (and
/// every slot) is exactly the local optimizer's. Reentrant: replicas waiting at a sync barrier do
/// not block the pushes that complete it; all state changes happen between awaits.
/// </summary>
[Reentrant, KeepAlive, ShardIndexPlacement]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Grains are not disposed; the state is disposed on deactivation, reset and re-initialization.")]
internal sealed class ParameterShardGrain : Grain, IParameterShardGrain
{
    private static readonly TimeSpan SnapshotLifetime = TimeSpan.FromMinutes(2);

    private readonly Dictionary<Guid, (byte[]?[] Parts, DateTime Started)> _uploads = [];
    private readonly Dictionary<Guid, (byte[][] Chunks, DateTime Created)> _snapshots = [];
    private ShardState? _state;

    public Task UploadChunk(Guid transfer, int index, int count, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (count < 1 || index < 0 || index >= count) throw new ArgumentOutOfRangeException(nameof(index), $"chunk {index} of {count}");
        if (!_uploads.TryGetValue(transfer, out var upload))
        {
            // Uploads abandoned by a replica that died mid-transfer expire.
            var now = DateTime.UtcNow;
            foreach (var old in _uploads.Where(kv => now - kv.Value.Started > SnapshotLifetime).Select(kv => kv.Key).ToArray()) _uploads.Remove(old);
            _uploads[transfer] = upload = (new byte[]?[count], now);
        }
        var parts = upload.Parts;
        if (parts.Length != count) throw new ArgumentException($"upload {transfer} has {parts.Length} chunks, not {count}", nameof(count));
        parts[index] = data;
        return Task.CompletedTask;
    }

    public Task<ShardStatus> Initialize(ShardConfig config, Payload values)
    {
        ArgumentNullException.ThrowIfNull(config);
        var data = Take(values);
        var tensors = TensorSet.Decode(data);
        _state?.Dispose();
        _state = null;
        _state = new ShardState(config, tensors);
        _uploads.Clear();
        _snapshots.Clear();
        return GetStatus();
    }

    public Task<ShardStatus> GetStatus() => Task.FromResult(_state is null
        ? new ShardStatus { Host = RuntimeIdentity }
        : new ShardStatus
        {
            Host = RuntimeIdentity,
            Initialized = true, Incarnation = _state.Config.Incarnation, Step = _state.Step,
            DroppedGradients = _state.Dropped, AppliedUpdates = _state.Applied, PendingReplicas = _state.Pending.Count,
        });

    public Task<PullResponse> Pull(Guid incarnation, bool includeSlots)
    {
        if (Check(incarnation) is { } bad) return Task.FromResult(new PullResponse { Status = bad.Status, Message = bad.Message });
        var s = _state!;
        var data = TensorSet.Encode(s.Values(includeSlots));
        if (data.Length <= s.Config.ChunkBytes) return Task.FromResult(new PullResponse { Status = ShardCallStatus.Ok, Step = s.Step, Inline = data });
        var now = DateTime.UtcNow;
        foreach (var old in _snapshots.Where(kv => now - kv.Value.Created > SnapshotLifetime).Select(kv => kv.Key).ToArray()) _snapshots.Remove(old);
        var id = Guid.NewGuid();
        var chunks = TensorSet.Split(data, s.Config.ChunkBytes);
        _snapshots[id] = (chunks, now);
        return Task.FromResult(new PullResponse { Status = ShardCallStatus.Ok, Step = s.Step, Snapshot = id, Chunks = chunks.Length });
    }

    public Task<byte[]> ReadChunk(Guid snapshot, int index)
    {
        if (!_snapshots.TryGetValue(snapshot, out var snap)) throw new KeyNotFoundException($"snapshot {snapshot} does not exist (expired, or the shard was reset)");
        if (index < 0 || index >= snap.Chunks.Length) throw new ArgumentOutOfRangeException(nameof(index), $"chunk {index} of {snap.Chunks.Length}");
        var c = snap.Chunks[index];
        if (index == snap.Chunks.Length - 1) _snapshots.Remove(snapshot);
        return Task.FromResult(c);
    }

    public async Task<PushResponse> Push(Guid incarnation, int replica, long step, Payload gradients)
    {
        if (Check(incarnation) is { } bad) return bad;
        var s = _state!;
        List<KeyValuePair<string, Tensor>> entries;
        try
        {
            entries = TensorSet.Decode(Take(gradients));
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            return new PushResponse { Status = ShardCallStatus.BadRequest, Step = s.Step, Message = e.Message };
        }
        if (replica < 0 || replica >= s.Config.Replicas)
            return new PushResponse { Status = ShardCallStatus.BadRequest, Step = s.Step, Message = $"replica {replica} is out of range: the job has {s.Config.Replicas} replica(s)" };
        if (s.Parse(entries, out var problem) is not { } update) return new PushResponse { Status = ShardCallStatus.BadRequest, Step = s.Step, Message = problem };
        if (s.Config.Mode == ReplicationMode.Async)
        {
            s.Apply(update);
            return new PushResponse { Status = ShardCallStatus.Ok, Step = s.Step };
        }
        if (step < s.Step)
        {
            s.Dropped++;
            return new PushResponse { Status = ShardCallStatus.Stale, Step = s.Step, Message = $"gradient of step {step} dropped: the global step is {s.Step}" };
        }
        if (step > s.Step)
            return new PushResponse { Status = ShardCallStatus.AheadOfShard, Step = s.Step, Message = $"replica {replica} is at step {step}, the shard at {s.Step}" };
        var barrier = s.Barrier;
        if (!s.Pending.ContainsKey(replica))
        {
            s.Pending[replica] = update;
            if (s.Pending.Count >= s.Config.ReplicasToAggregate)
            {
                s.ApplyAverage();
                return new PushResponse { Status = ShardCallStatus.Ok, Step = s.Step };
            }
        }
        long after = await barrier.Task;
        // The shard may have been re-initialized while this replica waited.
        if (!ReferenceEquals(_state, s)) return new PushResponse { Status = ShardCallStatus.WrongIncarnation, Step = _state?.Step ?? 0, Message = "the shard was re-initialized during the step" };
        return new PushResponse { Status = ShardCallStatus.Ok, Step = after };
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _state?.Dispose();
        _state = null;
        return Task.CompletedTask;
    }

    public Task Reset()
    {
        _state?.Dispose();
        _state = null;
        _uploads.Clear();
        _snapshots.Clear();
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private PushResponse? Check(Guid incarnation)
    {
        if (_state is null) return new PushResponse { Status = ShardCallStatus.NotInitialized, Message = $"parameter shard '{this.GetPrimaryKeyString()}' holds no parameters (it was never initialized, or it was lost and reactivated)" };
        if (_state.Config.Incarnation != incarnation)
            return new PushResponse { Status = ShardCallStatus.WrongIncarnation, Step = _state.Step, Message = $"parameter shard '{this.GetPrimaryKeyString()}' was re-initialized (incarnation {_state.Config.Incarnation}, caller attached to {incarnation})" };
        return null;
    }

    private byte[] Take(Payload p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Inline is { } inline) return inline;
        if (!_uploads.Remove(p.Transfer, out var upload)) throw new ArgumentException($"upload {p.Transfer} does not exist");
        var parts = upload.Parts;
        if (parts.Length != p.Chunks || parts.Any(c => c is null)) throw new ArgumentException($"upload {p.Transfer} is incomplete: {parts.Count(c => c is not null)} of {p.Chunks} chunks");
        return TensorSet.Join(parts!);
    }

    /// <summary>The graph, session and bookkeeping of an initialized shard.</summary>
    private sealed class ShardState : IDisposable
    {
        private readonly Graph _graph = new();
        private readonly Session _session;
        private readonly Variable[] _variables;
        private readonly Variable[] _trainable;
        private readonly bool[] _sparse;
        private readonly DType[] _indexTypes;
        private readonly Output[] _gradFeeds;
        private readonly Output?[] _indexFeeds;
        private readonly Output? _learningRateFeed;
        private readonly Variable[] _state;
        private readonly Dictionary<string, int> _trainableIndex = new(StringComparer.Ordinal), _stateIndex = new(StringComparer.Ordinal);
        private readonly Output[] _deltaFeeds;
        private readonly Operation[] _deltaAdds;
        private readonly Operation? _train;

        public ShardState(ShardConfig config, List<KeyValuePair<string, Tensor>> values)
        {
            Config = config;
            Step = config.InitialStep;
            if (config.Replicas < 1 || config.ReplicasToAggregate < 1 || config.ReplicasToAggregate > config.Replicas)
                throw new ArgumentException($"replicas_to_aggregate {config.ReplicasToAggregate} must be in [1, {config.Replicas}]");
            if (config.ChunkBytes < 1) throw new ArgumentException($"chunk size {config.ChunkBytes} must be positive");
            if (config.Sparse.Length != config.SparseIndexTypes.Length)
                throw new ArgumentException($"{config.Sparse.Length} sparse variables but {config.SparseIndexTypes.Length} index types");
            var byName = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (k, v) in values) byName[k] = v;
            _variables = new Variable[config.Variables.Length];
            for (int i = 0; i < _variables.Length; i++)
            {
                var name = config.Variables[i];
                if (!byName.TryGetValue(name, out var init)) throw new ArgumentException($"no initial value for variable '{name}'");
                _variables[i] = _graph.Variable(init, name + "/");
            }
            var vars = _variables.ToDictionary(v => v.Name, StringComparer.Ordinal);
            _trainable = config.Trainable.Select(n => vars.TryGetValue(n, out var v) ? v : throw new ArgumentException($"trainable variable '{n}' is not hosted by the shard")).ToArray();
            _sparse = new bool[_trainable.Length];
            _indexTypes = new DType[_trainable.Length];
            for (int j = 0; j < config.Sparse.Length; j++)
            {
                int i = Array.FindIndex(_trainable, v => v.Name == config.Sparse[j]);
                if (i < 0) throw new ArgumentException($"sparse variable '{config.Sparse[j]}' is not a trainable variable of the shard");
                if (config.SparseIndexTypes[j] is not (DType.Int32 or DType.Int64)) throw new ArgumentException($"sparse indices of '{config.Sparse[j]}' must be int32 or int64, not {config.SparseIndexTypes[j].Name()}");
                _sparse[i] = true;
                _indexTypes[i] = config.SparseIndexTypes[j];
            }
            _gradFeeds = new Output[_trainable.Length];
            _indexFeeds = new Output?[_trainable.Length];
            var trained = _trainable.ToHashSet();
            _state = [.. _variables.Where(v => !trained.Contains(v) && StepUpdate.CanSendChanges(v.DType))];
            for (int i = 0; i < _trainable.Length; i++) _trainableIndex[_trainable[i].Name] = i;
            for (int i = 0; i < _state.Length; i++) _stateIndex[_state[i].Name] = i;
            _deltaFeeds = new Output[_state.Length];
            _deltaAdds = new Operation[_state.Length];
            using (_graph.NameScope("updates_in"))
            {
                for (int i = 0; i < _state.Length; i++)
                {
                    _deltaFeeds[i] = _graph.Placeholder(_state[i].DType, _state[i].Shape);
                    _deltaAdds[i] = _graph.AssignAdd(_state[i], _deltaFeeds[i]).Op;
                }
            }
            if (_trainable.Length > 0)
            {
                var grads = new Gradient[_trainable.Length];
                using (_graph.NameScope("gradients_in"))
                {
                    for (int i = 0; i < _trainable.Length; i++)
                    {
                        var v = _trainable[i];
                        if (!_sparse[i])
                        {
                            _gradFeeds[i] = _graph.Placeholder(v.DType, v.Shape);
                            grads[i] = new Gradient(_gradFeeds[i]);
                            continue;
                        }
                        _gradFeeds[i] = _graph.Placeholder(v.DType, new Shape([-1, .. v.Shape.Dims[1..]]));
                        _indexFeeds[i] = _graph.Placeholder(_indexTypes[i], new Shape(-1));
                        grads[i] = new Gradient(new IndexedSlices(_gradFeeds[i], _indexFeeds[i]!.Value, _graph.Constant(v.Shape.Dims.ToArray())));
                    }
                    if (config.LearningRateFed) _learningRateFeed = _graph.Placeholder(_trainable[0].DType, Shape.Scalar, "learning_rate");
                }
                var opt = config.Optimizer.Create(_learningRateFeed);
                _train = opt.ApplyGradients(_trainable.Select((v, i) => ((Gradient?)grads[i], v)));
            }
            _session = new Session(_graph);
            _session.Run(_graph.GlobalVariablesInitializer());
            // Values for the optimizer's variables (slots, beta powers) that a restored checkpoint carries.
            var assigns = new List<Operation>();
            var feeds = new FeedDict();
            foreach (var v in _graph.GlobalVariables)
            {
                if (vars.ContainsKey(v.Name) || !byName.TryGetValue(v.Name, out var t)) continue;
                if (t.DType != v.DType || !v.Shape.IsCompatibleWith(t.Shape))
                    throw new ArgumentException($"checkpoint value of '{v.Name}' is {t.DType.Name()}{t.Shape}, the shard's variable {v.DType.Name()}{v.Shape}");
                var ph = _graph.Placeholder(v.DType, v.Shape);
                assigns.Add(_graph.Assign(v, ph).Op);
                feeds.Add(ph, t);
            }
            if (assigns.Count > 0) _session.Run([.. assigns], feeds);
            Barrier = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public ShardConfig Config { get; }
        public long Step { get; private set; }
        public long Dropped { get; set; }
        public long Applied { get; private set; }
        public Dictionary<int, StepUpdate> Pending { get; } = [];
        public TaskCompletionSource<long> Barrier { get; private set; }

        public IEnumerable<KeyValuePair<string, Tensor>> Values(bool includeSlots)
        {
            var vars = includeSlots ? _graph.GlobalVariables.ToArray() : _variables;
            var got = _session.Run(vars.Select(v => v.Value).ToArray());
            return vars.Select((v, i) => new KeyValuePair<string, Tensor>(v.Name, got[i]));
        }

        /// <summary>A replica's update, or null and the problem when it does not fit this shard.</summary>
        public StepUpdate? Parse(List<KeyValuePair<string, Tensor>> entries, out string? problem) =>
            StepUpdate.Parse(entries, _trainable, _trainableIndex, _sparse, _indexTypes, _state, _stateIndex, Config.LearningRateFed, out problem);

        /// <summary>Applies one update (the optimizer on the gradients, the state changes added) in one run of the shard's session.</summary>
        public void Apply(StepUpdate u)
        {
            var feeds = new FeedDict();
            var targets = new List<Operation>();
            if (_train is not null)
            {
                for (int i = 0; i < _trainable.Length; i++)
                {
                    feeds.Add(_gradFeeds[i], u.Grads[i]);
                    if (_indexFeeds[i] is { } ix) feeds.Add(ix, u.Indices[i]!);
                }
                if (_learningRateFeed is { } lr)
                    feeds.Add(lr, lr.DType == DType.Float32 ? Tensor.Scalar((float)u.LearningRate!.Value) : Tensor.Scalar(u.LearningRate!.Value));
                targets.Add(_train);
            }
            for (int i = 0; i < _state.Length; i++)
            {
                if (u.Deltas[i] is not { } d) continue;
                feeds.Add(_deltaFeeds[i], d);
                targets.Add(_deltaAdds[i]);
            }
            if (targets.Count > 0) _session.Run([.. targets], feeds);
            // A shard without trainable variables still counts the step, so every shard agrees on the global step.
            Step++;
            Applied++;
        }

        /// <summary>SyncReplicas' take_grad: the pending updates aggregated in replica order, applied once; then the barrier opens.</summary>
        public void ApplyAverage()
        {
            var contributions = Pending.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToArray();
            Pending.Clear();
            Apply(StepUpdate.Aggregate(contributions));
            var done = Barrier;
            Barrier = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            done.SetResult(Step);
        }

        public void Dispose()
        {
            _session.Dispose();
            Barrier.TrySetResult(-1);
        }
    }
}
