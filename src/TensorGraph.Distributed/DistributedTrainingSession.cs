using System.Globalization;
using TensorGraph.Serialization;
using TensorGraph.Summaries;
using TensorGraph.Training;

namespace TensorGraph.Distributed;

/// <summary>
/// A replica's training session (between-graph replication, TF's MonitoredTrainingSession on a
/// worker): the ordinary user graph runs locally on this replica's data; its variables live on
/// parameter shards. A step pulls the values, computes the gradients of the loss, and pushes
/// them to the shards that hold the variables. The chief initializes the shards (from the last
/// checkpoint when there is one) and writes checkpoints and summaries.
/// </summary>
public sealed class DistributedTrainingSession : IDisposable
{
    /// <summary>The checkpoint key of the global step (TF's).</summary>
    public const string GlobalStepKey = "global_step";

    private readonly IGrainFactory _grains;
    private readonly DistributedOptimizer _optimizer;
    private readonly DistributedSessionOptions _options;
    private readonly Graph _graph;
    private readonly Variable[] _vars;
    private readonly int[] _shardOf;
    private readonly Output[] _assignFeeds;
    private readonly Operation[] _assigns;
    private readonly Operation _init;
    private readonly Variable? _globalStepVar;
    private readonly Output? _globalStepFeed;
    private readonly Operation? _globalStepAssign;
    private readonly (Variable Var, Gradient Grad)[] _grads;
    private readonly Output[] _gradFetches;
    private readonly int[] _gradShard;
    private readonly int[] _state;
    private readonly Tensor?[] _pulled;
    private readonly IParameterShardGrain[] _shards;
    private readonly string[] _shardKeys;
    private Guid _incarnation;
    private FileWriter? _summaryWriter;
    private long _lastSaved = -1;
    private long _bytesSent;
    private long _bytesReceived;
    private long _lastSummary = -1;

    /// <summary>
    /// Prepares a replica for <paramref name="loss"/>'s graph: every global variable is hosted on a
    /// shard; those of <paramref name="varList"/> (default: the trainable ones) with a gradient are trained.
    /// </summary>
    public DistributedTrainingSession(IGrainFactory grains, Output loss, DistributedOptimizer optimizer, DistributedSessionOptions options, IEnumerable<Variable>? varList = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(options);
        if (options.NumShards < 1) throw new ArgumentOutOfRangeException(nameof(options), options.NumShards, "NumShards must be at least 1");
        if (options.ReplicaIndex < 0 || options.ReplicaIndex >= optimizer.Replicas)
            throw new ArgumentOutOfRangeException(nameof(options), options.ReplicaIndex, $"ReplicaIndex must be in [0, {optimizer.Replicas})");
        if (options.ChunkBytes < 1) throw new ArgumentOutOfRangeException(nameof(options), options.ChunkBytes, "ChunkBytes must be positive");
        _grains = grains;
        _optimizer = optimizer;
        _options = options;
        _graph = loss.Graph;
        // The graph's global step (tf.train.get_global_step) is the shards' step: not hosted, set locally at each pull.
        _globalStepVar = _graph.GetGlobalStep();
        _vars = [.. _graph.GlobalVariables.Where(v => v != _globalStepVar)];
        if (_vars.Length == 0) throw new InvalidArgumentException("The graph has no variables to train");
        var trainable = (varList ?? _graph.TrainableVariables).ToArray();
        if (options.LearningRate is { } lr && (lr.Graph != _graph || lr.DType is not (DType.Float32 or DType.Float64) || lr.Shape.Rank > 0))
            throw new InvalidArgumentException($"The learning rate '{lr.Name}' must be a float32 or float64 scalar of the loss's graph, got {lr.DType.Name()}{lr.Shape}") { NodeName = lr.Op.Name };
        // Sparse gradients (of gathered variables) stay sparse: their rows travel and the shards apply them as the local optimizer's sparse update.
        var gv = optimizer.Optimizer.Create().ComputeGradientValues(loss, trainable);
        _grads = gv.Where(p => p.Gradient is not null).Select(p => (p.Variable, p.Gradient!)).ToArray();
        _gradFetches = [.. _grads.SelectMany(p => p.Grad.Sparse is { } sp ? new[] { sp.Values, sp.Indices } : [p.Grad.Dense!.Value])];
        if (_grads.Length == 0) throw new InvalidArgumentException($"No gradients provided for any variable between [{string.Join(", ", trainable.Select(v => v.Name))}] and loss '{loss.Name}'");
        foreach (var (v, _) in _grads)
            if (Array.IndexOf(_vars, v) < 0) throw new InvalidArgumentException($"Variable '{v.Name}' is not a global variable of the loss's graph");
        _shardOf = ShardPlacement.Assign(_vars, options.NumShards, options.Placement);
        _gradShard = [.. _grads.Select(p => _shardOf[Array.IndexOf(_vars, p.Var)])];
        // Hosted variables the optimizer does not train (batch-norm moving averages, counters): a step's changes to them are sent back.
        var trained = _grads.Select(p => p.Var).ToHashSet();
        _state = [.. Enumerable.Range(0, _vars.Length).Where(i => !trained.Contains(_vars[i]) && StepUpdate.CanSendChanges(_vars[i].DType))];
        _pulled = new Tensor?[_vars.Length];
        _assignFeeds = new Output[_vars.Length];
        _assigns = new Operation[_vars.Length];
        using (_graph.NameScope("distributed_values"))
        {
            for (int i = 0; i < _vars.Length; i++)
            {
                _assignFeeds[i] = _graph.Placeholder(_vars[i].DType, _vars[i].Shape);
                _assigns[i] = _graph.Assign(_vars[i], _assignFeeds[i]).Op;
            }
            if (_globalStepVar is not null)
            {
                _globalStepFeed = _graph.Placeholder(_globalStepVar.DType, _globalStepVar.Shape);
                _globalStepAssign = _graph.Assign(_globalStepVar, _globalStepFeed.Value).Op;
            }
        }
        _init = _graph.GlobalVariablesInitializer();
        _shardKeys = Enumerable.Range(0, options.NumShards).Select(k => string.Create(CultureInfo.InvariantCulture, $"{options.Job}/ps/{k}")).ToArray();
        _shards = _shardKeys.Select(k => grains.GetGrain<IParameterShardGrain>(k)).ToArray();
        Session = new Session(_graph);
    }

    /// <summary>The local session (its variables hold the values pulled at the last step).</summary>
    public Session Session { get; }

    /// <summary>The global step as last seen on the shards.</summary>
    public long GlobalStep { get; private set; }

    /// <summary>TF's <c>should_stop()</c> with a StopAtStepHook: whether the global step has reached <see cref="DistributedSessionOptions.LastStep"/>.</summary>
    public bool ShouldStop => _options.LastStep is { } last && GlobalStep >= last;

    /// <summary>Whether this replica is the chief.</summary>
    public bool IsChief => _options.IsChief;

    /// <summary>The shard each global variable lives on.</summary>
    public IReadOnlyDictionary<string, int> ShardOf => _vars.Select((v, i) => (v.Name, _shardOf[i])).ToDictionary(p => p.Name, p => p.Item2, StringComparer.Ordinal);

    /// <summary>Tensor payload bytes this replica has sent to the shards (gradients, initial values).</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Tensor payload bytes this replica has received from the shards (values).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>The latest checkpoint the chief wrote or restored, or null.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>
    /// Attaches to the shards. When every shard holds the same incarnation, this replica joins it
    /// (a restarted replica continues at the current global step). Otherwise the chief
    /// initializes all shards afresh, from the latest checkpoint in <see cref="DistributedSessionOptions.CheckpointDir"/>
    /// when there is one, else from the variables' initializers; other replicas wait for it.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + _options.AttachTimeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var statuses = await Call(null, () => Task.WhenAll(_shards.Select(s => s.GetStatus()))).ConfigureAwait(false);
            if (statuses.All(s => s.Initialized) && statuses.Select(s => s.Incarnation).Distinct().Count() == 1)
            {
                _incarnation = statuses[0].Incarnation;
                GlobalStep = statuses.Min(s => s.Step);
                return;
            }
            if (IsChief)
            {
                await InitializeShardsAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            if (DateTime.UtcNow > deadline)
                throw new DistributedTrainingException($"replica {_options.ReplicaIndex}: the parameter shards of job '{_options.Job}' were not initialized by the chief within {_options.AttachTimeout.TotalSeconds:0} s");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task InitializeShardsAsync(CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        long step = 0;
        var ckpt = _options.CheckpointDir is { } dir && Directory.Exists(dir) ? Saver.LatestCheckpoint(dir) : null;
        if (ckpt is not null)
        {
            using var r = new CheckpointReader(ckpt);
            foreach (var name in r.TensorNames) values[name] = r.GetTensor(name);
            foreach (var v in _vars)
                if (!values.ContainsKey(v.Name)) throw new NotFoundException($"Key {v.Name} not found in checkpoint {ckpt}") { NodeName = v.Name };
            if (values.Remove(GlobalStepKey, out var gs)) step = gs.DType == DType.Int32 ? gs.Scalar<int>() : gs.Scalar<long>();
            LastCheckpoint = ckpt;
            _lastSaved = step;
        }
        else
        {
            Session.Run(_init, cancellationToken: cancellationToken);
            var got = Session.Run(_vars.Select(v => v.Value).ToArray());
            for (int i = 0; i < _vars.Length; i++) values[_vars[i].Name] = got[i];
        }
        var incarnation = Guid.NewGuid();
        var others = new HashSet<string>(_vars.Select(v => v.Name), StringComparer.Ordinal);
        await Call(null, () => Task.WhenAll(_shards.Select(async (shard, k) =>
        {
            var mine = _vars.Where((v, i) => _shardOf[i] == k).ToArray();
            var names = mine.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
            // The shard's own variables, and every checkpoint entry that is no other shard's variable (its slots, beta powers).
            var payload = values.Where(kv => names.Contains(kv.Key) || !others.Contains(kv.Key));
            var config = new ShardConfig
            {
                Incarnation = incarnation,
                Variables = [.. names.Count == 0 ? [] : mine.Select(v => v.Name)],
                Trainable = [.. _grads.Where(p => names.Contains(p.Var.Name)).Select(p => p.Var.Name)],
                Sparse = [.. _grads.Where(p => names.Contains(p.Var.Name) && p.Grad.IsSparse).Select(p => p.Var.Name)],
                SparseIndexTypes = [.. _grads.Where(p => names.Contains(p.Var.Name) && p.Grad.IsSparse).Select(p => p.Grad.Sparse!.Indices.DType)],
                LearningRateFed = _options.LearningRate is not null,
                Optimizer = _optimizer.Optimizer,
                Mode = _optimizer.Mode,
                Replicas = _optimizer.Replicas,
                ReplicasToAggregate = _optimizer.ReplicasToAggregate,
                ChunkBytes = _options.ChunkBytes,
                InitialStep = step,
            };
            await shard.Initialize(config, await Send(shard, TensorSet.Encode(payload)).ConfigureAwait(false)).ConfigureAwait(false);
        }))).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        _incarnation = incarnation;
        GlobalStep = step;
    }

    /// <summary>
    /// One training step: pulls the parameters, runs the gradients (and <paramref name="fetches"/>)
    /// on <paramref name="feeds"/>, and pushes the gradients. In sync mode it returns once the
    /// step's averaged update is applied (the barrier). The chief then writes summaries and
    /// checkpoints when due.
    /// </summary>
    public Task<StepResult> RunStepAsync(FeedDict? feeds = null, Output[]? fetches = null, CancellationToken cancellationToken = default) =>
        RunStepAsync(_ => feeds, fetches, cancellationToken);

    /// <summary>
    /// <see cref="RunStepAsync(FeedDict?, Output[], CancellationToken)"/> with feeds chosen for the
    /// global step the parameters were pulled at (e.g. this replica's batch of that step).
    /// </summary>
    public async Task<StepResult> RunStepAsync(Func<long, FeedDict?> feedsForStep, Output[]? fetches = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feedsForStep);
        fetches ??= [];
        long sent0 = Interlocked.Read(ref _bytesSent), received0 = Interlocked.Read(ref _bytesReceived);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long step = await PullIntoSessionAsync().ConfigureAwait(false);
        var pullTime = clock.Elapsed;
        if (_options.LastStep is { } last && step >= last)
        {
            GlobalStep = Math.Max(GlobalStep, step);
            return new StepResult(new Tensor?[fetches.Length], step, GlobalStep, false) { Stopped = true, PullTime = pullTime };
        }
        cancellationToken.ThrowIfCancellationRequested();
        var feeds = feedsForStep(step);
        bool summarize = IsChief && _options.SummaryOp is not null && _options.SummaryDir is not null
            && (_lastSummary < 0 || step - _lastSummary >= _options.SaveSummariesSteps);
        var all = _gradFetches.ToList();
        if (_options.LearningRate is { } lrTensor) all.Add(lrTensor);
        int userAt = all.Count;
        all.AddRange(fetches);
        if (summarize) all.Add(_options.SummaryOp!.Value);
        var got = Session.Run([.. all], feeds);
        var grads = new List<(string, Tensor, Tensor?)>[_shards.Length];
        var deltas = new List<(string, Tensor)>[_shards.Length];
        for (int k = 0; k < _shards.Length; k++) (grads[k], deltas[k]) = ([], []);
        for (int i = 0, at = 0; i < _grads.Length; i++)
        {
            var (v, gr) = _grads[i];
            var list = grads[_gradShard[i]];
            if (gr.IsSparse)
            {
                list.Add((v.Name, got[at]!, got[at + 1]!));
                at += 2;
            }
            else list.Add((v.Name, got[at++]!, null));
        }
        double? learningRate = _options.LearningRate is null ? null : got[userAt - 1]!.DType == DType.Float64 ? got[userAt - 1]!.Scalar<double>() : got[userAt - 1]!.Scalar<float>();
        if (_state.Length > 0)
        {
            var now = Session.Run(_state.Select(i => _vars[i].Value).ToArray());
            for (int j = 0; j < _state.Length; j++)
                if (StepUpdate.Delta(now[j]!, _pulled[_state[j]]!) is { } d) deltas[_shardOf[_state[j]]].Add((_vars[_state[j]].Name, d));
        }
        var computeTime = clock.Elapsed - pullTime;
        var byShard = new List<KeyValuePair<string, Tensor>>[_shards.Length];
        for (int k = 0; k < byShard.Length; k++) byShard[k] = StepUpdate.Entries(grads[k], deltas[k], learningRate);
        // Every shard gets a push, an empty one when it holds no trainable variable, so all shards count the same steps.
        var responses = await Call(null, () => Task.WhenAll(_shards.Select(async (shard, k) =>
            await shard.Push(_incarnation, _options.ReplicaIndex, step, await Send(shard, TensorSet.Encode(byShard[k])).ConfigureAwait(false)).ConfigureAwait(false)))).ConfigureAwait(false);
        for (int k = 0; k < responses.Length; k++) Throw(k, responses[k].Status, responses[k].Message, step, ShardCallStatus.Stale);
        GlobalStep = responses.Max(r => r.Step);
        var pushTime = clock.Elapsed - pullTime - computeTime;
        if (summarize)
        {
            _summaryWriter ??= new FileWriter(_options.SummaryDir!, _graph);
            _summaryWriter.AddSummary(got[^1], step);
            _summaryWriter.Flush();
            _lastSummary = step;
        }
        if (IsChief && _options.CheckpointDir is not null && _options.SaveCheckpointSteps > 0 && GlobalStep - Math.Max(_lastSaved, 0) >= _options.SaveCheckpointSteps)
            await SaveCheckpointAsync().ConfigureAwait(false);
        return new StepResult([.. got.Skip(userAt).Take(fetches.Length)], step, GlobalStep, responses.Any(r => r.Status == ShardCallStatus.Stale))
        {
            PullTime = pullTime, ComputeTime = computeTime, PushTime = pushTime,
            BytesSent = Interlocked.Read(ref _bytesSent) - sent0, BytesReceived = Interlocked.Read(ref _bytesReceived) - received0,
        };
    }

    /// <summary>Pulls the current parameters into the local session's variables; returns their global step.</summary>
    public async Task<long> PullIntoSessionAsync()
    {
        var pulled = await PullAsync(false).ConfigureAwait(false);
        var feeds = new FeedDict();
        var byName = pulled.Values.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        for (int i = 0; i < _vars.Length; i++)
        {
            if (!byName.TryGetValue(_vars[i].Name, out var t))
                throw new DistributedTrainingException($"shard '{_shardKeys[_shardOf[i]]}' did not return variable '{_vars[i].Name}'") { Shard = _shardKeys[_shardOf[i]] };
            feeds.Add(_assignFeeds[i], t);
            _pulled[i] = t;
        }
        // The pulled values of state variables are kept apart from the session's (whose kernels may update in place) to find a step's changes.
        foreach (int i in _state) _pulled[i] = _pulled[i]!.Clone();
        if (_globalStepVar is not null)
        {
            feeds.Add(_globalStepFeed!.Value, _globalStepVar.DType == DType.Int32 ? Tensor.Scalar((int)pulled.Step) : Tensor.Scalar(pulled.Step));
            Session.Run([.. _assigns, _globalStepAssign!], feeds);
        }
        else Session.Run(_assigns, feeds);
        return pulled.Step;
    }

    /// <summary>
    /// The parameters on the shards (with <paramref name="includeSlots"/>: optimizer slots and
    /// beta powers too, each name once), and the lowest global step among the shards.
    /// </summary>
    public async Task<(List<KeyValuePair<string, Tensor>> Values, long Step)> PullAsync(bool includeSlots)
    {
        var (values, steps) = await PullEachAsync(includeSlots).ConfigureAwait(false);
        return (values, steps.Min());
    }

    /// <summary>The values of every shard and each shard's step.</summary>
    private async Task<(List<KeyValuePair<string, Tensor>> Values, long[] Steps)> PullEachAsync(bool includeSlots)
    {
        var parts = await Call(null, () => Task.WhenAll(_shards.Select(async (shard, k) =>
        {
            var r = await shard.Pull(_incarnation, includeSlots).ConfigureAwait(false);
            Throw(k, r.Status, r.Message, GlobalStep);
            byte[] data;
            if (r.Inline is { } inline) data = inline;
            else
            {
                var chunks = new byte[r.Chunks][];
                for (int c = 0; c < r.Chunks; c++) chunks[c] = await shard.ReadChunk(r.Snapshot, c).ConfigureAwait(false);
                data = TensorSet.Join(chunks);
            }
            Interlocked.Add(ref _bytesReceived, data.Length);
            return (Values: TensorSet.Decode(data), r.Step);
        }))).ConfigureAwait(false);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var values = new List<KeyValuePair<string, Tensor>>();
        foreach (var p in parts)
            foreach (var kv in p.Values)
                if (seen.Add(kv.Key)) values.Add(kv);
        return (values, [.. parts.Select(p => p.Step)]);
    }

    /// <summary>
    /// The chief's checkpoint: every shard's variables and slots and the global step, written as a
    /// V2 checkpoint with the core's <see cref="Saver"/> to <c>CheckpointDir/model.ckpt-STEP</c>.
    /// The shards' values are taken at one global step: while other replicas move some shards on
    /// (backup replicas in sync mode, async pushes in flight) the snapshot is taken again, for up
    /// to <see cref="DistributedSessionOptions.SnapshotTimeout"/>. Past it, sync mode fails with a
    /// <see cref="DistributedTrainingException"/>; async mode saves what it has, as TF's Saver does
    /// while other workers update (the global step is then the lowest shard's).
    /// </summary>
    public async Task<string> SaveCheckpointAsync()
    {
        if (!IsChief) throw new InvalidOperationException("only the chief writes checkpoints");
        var dir = _options.CheckpointDir ?? throw new InvalidOperationException("no CheckpointDir is set");
        var deadline = DateTime.UtcNow + _options.SnapshotTimeout;
        var (values, steps) = await PullEachAsync(true).ConfigureAwait(false);
        while (steps.Distinct().Count() > 1)
        {
            if (DateTime.UtcNow > deadline)
            {
                if (_optimizer.Mode == ReplicationMode.Sync)
                    throw new DistributedTrainingException($"replica {_options.ReplicaIndex}: no consistent snapshot of job '{_options.Job}' within {_options.SnapshotTimeout.TotalSeconds:0.#} s (shard steps {string.Join(", ", steps)}); the checkpoint was not written") { Step = steps.Min() };
                break;
            }
            await Task.Delay(5).ConfigureAwait(false);
            (values, steps) = await PullEachAsync(true).ConfigureAwait(false);
        }
        long step = steps.Min();
        Directory.CreateDirectory(dir);
        var g = new Graph();
        var vars = new List<KeyValuePair<string, Variable>>();
        foreach (var (name, t) in values) vars.Add(new(name, g.Variable(t, "v", trainable: false)));
        // global_step in the graph's own dtype (TF's is int64; older graphs made an int32 one), so the graph's Saver restores it.
        var stepValue = _globalStepVar?.DType == DType.Int32 ? Tensor.Scalar(checked((int)step)) : Tensor.Scalar(step);
        vars.Add(new(GlobalStepKey, g.Variable(stepValue, "v", trainable: false)));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var saver = new Saver(vars, _options.MaxCheckpointsToKeep);
        saver.RecoverLastCheckpoints(Saver.AllCheckpointPaths(dir), dir);
        var prefix = saver.Save(s, Path.Combine(dir, "model.ckpt"), step);
        LastCheckpoint = prefix;
        _lastSaved = step;
        return prefix;
    }

    /// <summary>
    /// Frees the job's shards (their grains keep their state while alive otherwise): call it from
    /// the chief once every replica is done and the last checkpoint is written.
    /// </summary>
    public Task ReleaseShardsAsync()
    {
        if (!IsChief) throw new InvalidOperationException("only the chief releases the shards");
        return Call(null, () => Task.WhenAll(_shards.Select(s => s.Reset())));
    }

    /// <summary>The status of every shard.</summary>
    public Task<ShardStatus[]> StatusAsync() => Call(null, () => Task.WhenAll(_shards.Select(s => s.GetStatus())));

    /// <inheritdoc/>
    public void Dispose()
    {
        _summaryWriter?.Dispose();
        Session.Dispose();
    }

    private async Task<Payload> Send(IParameterShardGrain shard, byte[] data)
    {
        Interlocked.Add(ref _bytesSent, data.Length);
        if (data.Length <= _options.ChunkBytes) return new Payload { Inline = data };
        var id = Guid.NewGuid();
        var chunks = TensorSet.Split(data, _options.ChunkBytes);
        for (int i = 0; i < chunks.Length; i++) await shard.UploadChunk(id, i, chunks.Length, chunks[i]).ConfigureAwait(false);
        return new Payload { Transfer = id, Chunks = chunks.Length };
    }

    private void Throw(int shard, ShardCallStatus status, string? message, long step, ShardCallStatus alsoOk = ShardCallStatus.Ok)
    {
        if (status == ShardCallStatus.Ok || status == alsoOk) return;
        var text = $"replica {_options.ReplicaIndex}, step {step}: {message ?? status.ToString()}";
        if (status is ShardCallStatus.NotInitialized or ShardCallStatus.WrongIncarnation)
            throw new ShardLostException(text) { Shard = _shardKeys[shard], Status = status, Step = step };
        throw new DistributedTrainingException(text) { Shard = _shardKeys[shard], Status = status, Step = step };
    }

    private Task Call(string? shard, Func<Task> call) => Call<bool>(shard, async () =>
    {
        await call().ConfigureAwait(false);
        return true;
    });

    /// <summary>Runs shard calls; transport failures (timeouts, lost silos, rejected messages) become <see cref="DistributedTrainingException"/>.</summary>
    private async Task<T> Call<T>(string? shard, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not DistributedTrainingException and not OperationCanceledException and not TensorGraphException)
        {
            throw new DistributedTrainingException($"replica {_options.ReplicaIndex}, step {GlobalStep}: a parameter shard call of job '{_options.Job}' failed: {e.Message}", e) { Shard = shard, Step = GlobalStep };
        }
    }
}
