using TensorGraph.Remote;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// A partial run (TF's <c>sess.partial_run_setup</c> / <c>sess.partial_run</c>): one step of the
/// graph fed and fetched in pieces. The feeds and fetches (and targets) are declared up front;
/// each <see cref="Run"/> feeds some of the declared feeds and fetches some of the declared
/// fetches. Every node runs at most once over the whole partial run: values computed by one call
/// are reused by later ones, so a random or stateful op upstream of two fetches is computed once.
/// The run is complete once every declared feed is fed and every declared fetch fetched (targets
/// have run by then); a failed call ends it too. Calls on one handle are serialized.
/// </summary>
/// <remarks>
/// A node runs in the first call that needs it (for a fetch of that call, or for a declared
/// target whose inputs are all fed by then), not as soon as its inputs exist as in TF's
/// executor; the values are the same. A tensor on an untaken conditional branch cannot be carried
/// from one call to the next.
/// </remarks>
public sealed class PartialRunHandle
{
    private readonly Session _session;
    private readonly Lock _gate = new();
    private readonly RemotePartialRun? _remote;

    // Local partial runs: what was declared, and what is known so far.
    private readonly HashSet<Output> _declaredFeeds = [];
    private readonly HashSet<Output> _declaredFetches = [];
    private readonly HashSet<Output> _fed = [];
    private readonly HashSet<Output> _fetched = [];
    private readonly List<Operation> _pendingTargets = [];
    private readonly HashSet<Operation> _needed = [];
    private readonly Dictionary<Output, Tensor> _known = [];
    private readonly HashSet<Operation> _executed = [];
    private bool _finished;

    internal PartialRunHandle(Session session, Output[] fetches, Output[] feeds, Operation[] targets, RemotePartialRun? remote)
    {
        _session = session;
        _remote = remote;
        foreach (var f in feeds)
            if (!_declaredFeeds.Add(f)) throw new InvalidArgumentException($"Tensor '{f.Name}' is declared as a feed twice in partial_run_setup");
        foreach (var f in fetches) _declaredFetches.Add(f);
        foreach (var t in targets) if (!_pendingTargets.Contains(t)) _pendingTargets.Add(t);
        if (remote is not null) return;
        _needed.UnionWith(ExecutionPlan.Prune(_declaredFeeds, fetches, targets));
        // A placeholder the step needs but nobody declared as a feed can never be fed: fail now.
        ExecutionPlan.RequireFedPlaceholders(_needed.OrderBy(o => o.Id));
    }

    internal Session Session => _session;

    /// <summary>True once every declared feed was fed and every declared fetch fetched, or a call failed: later calls fail.</summary>
    public bool IsFinished
    {
        get
        {
            lock (_gate) return _finished;
        }
    }

    /// <summary>The feeds declared at setup.</summary>
    public IReadOnlyCollection<Output> Feeds => _declaredFeeds;

    /// <summary>The fetches declared at setup.</summary>
    public IReadOnlyCollection<Output> Fetches => _declaredFetches;

    /// <summary>
    /// Feeds some declared feeds and returns the values of some declared fetches, in the order of
    /// <paramref name="fetches"/>. Undeclared feeds or fetches, a feed fed or a fetch fetched
    /// before, and a fetch that needs a feed not fed yet are <see cref="InvalidArgumentException"/>s
    /// in TF's words, and leave the partial run usable.
    /// </summary>
    public Tensor[] Run(Output[] fetches, FeedDict? feeds = null, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fetches);
        _session.ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested) throw ExecState.CancelledError();
        var (feedKeys, feedValues) = _session.CollectFeeds(feeds);
        foreach (var f in fetches)
        {
            if (f.Op is null) throw new InvalidArgumentException("Fetch argument is a default (unset) Output");
            _session.CheckGraph(f.Op);
        }
        lock (_gate)
        {
            if (_finished) throw new InvalidArgumentException("Must run 'setup' before performing partial runs! (this partial run has finished: every declared feed was fed and every fetch fetched, or a step failed)");
            foreach (var f in feedKeys)
            {
                if (!_declaredFeeds.Contains(f)) throw new InvalidArgumentException($"The feed {f.Name} was not specified in partial_run_setup.");
                if (_fed.Contains(f)) throw new InvalidArgumentException($"The feed {f.Name} has already been fed.");
            }
            foreach (var f in fetches)
            {
                if (!_declaredFetches.Contains(f)) throw new InvalidArgumentException($"The fetch {f.Name} was not specified in partial_run_setup.");
                if (_fetched.Contains(f)) throw new InvalidArgumentException($"The fetch {f.Name} has already been fetched.");
            }
            var pending = new HashSet<Output>(_declaredFeeds.Where(f => !_fed.Contains(f)));
            pending.ExceptWith(feedKeys);
            foreach (var f in fetches)
                if (PendingInput(f, pending) is { } missing)
                    throw Errors.Make(ErrorCode.InvalidArgument, $"Fetch {missing.Name} can't be computed from the feeds that have been fed so far.", null, missing.Op.Name);
            try
            {
                Tensor[] values = _remote is not null
                    ? _remote.Run(fetches, feedKeys, feedValues, _session.TimeoutFor(options), cancellationToken)
                    : RunLocal(fetches, feedKeys, feedValues, pending, options, cancellationToken);
                foreach (var f in feedKeys) _fed.Add(f);
                foreach (var f in fetches) _fetched.Add(f);
                if (_fed.Count == _declaredFeeds.Count && _fetched.Count == _declaredFetches.Count) Finish();
                return values;
            }
            catch
            {
                // TF drops a partial run whose step failed.
                Finish();
                throw;
            }
        }
    }

    private void Finish()
    {
        _finished = true;
        _known.Clear();
        _executed.Clear();
        _remote?.Dispose();
    }

    /// <summary>
    /// The first not-yet-fed declared feed that <paramref name="fetch"/> reads (walking back over
    /// data and control inputs, stopping at values already known), as TF's CheckFetches; null when none.
    /// </summary>
    private Output? PendingInput(Output fetch, HashSet<Output> pending) =>
        _known.ContainsKey(fetch) || _fed.Contains(fetch) ? null : PendingUpstream(fetch.Op, pending);

    /// <summary>The first pending feed that <paramref name="start"/> needs, walking back from its inputs; null when none.</summary>
    private Output? PendingUpstream(Operation start, HashSet<Output> pending)
    {
        if (pending.Count == 0 || _executed.Contains(start)) return null;
        var seen = new HashSet<Operation> { start };
        var stack = new Stack<Operation>();
        stack.Push(start);
        while (stack.Count > 0)
        {
            var op = stack.Pop();
            foreach (var i in op.Inputs)
            {
                if (pending.Contains(i)) return i;
                if (_known.ContainsKey(i) || _fed.Contains(i)) continue;
                if (seen.Add(i.Op)) stack.Push(i.Op);
            }
            foreach (var c in op.ControlInputs)
                if (!_executed.Contains(c) && seen.Add(c)) stack.Push(c);
        }
        return null;
    }

    private Tensor[] RunLocal(Output[] fetches, Output[] feedKeys, Tensor[] feedValues, HashSet<Output> pending, RunOptions? options, CancellationToken cancellationToken)
    {
        for (int i = 0; i < feedKeys.Length; i++) _known[feedKeys[i]] = feedValues[i];
        // Targets run in the first call where everything they read is available.
        _pendingTargets.RemoveAll(_executed.Contains);
        var targets = _pendingTargets.Where(t => PendingUpstream(t, pending) is null).ToArray();
        var known = new HashSet<Output>(_known.Keys);
        var step = ExecutionPlan.Prune(known, fetches, targets, _executed);
        // Known values the step reads (or returns) are fed to it; everything else it computes.
        var feedSet = new HashSet<Output>();
        foreach (var op in step)
            foreach (var i in op.Inputs)
                if (known.Contains(i)) feedSet.Add(i);
        foreach (var f in fetches) if (known.Contains(f)) feedSet.Add(f);
        // Outputs of this step's nodes that a later call will read: nodes still to run consume them, or they are declared fetches still to come.
        var keep = new List<Output>();
        foreach (var op in step.OrderBy(o => o.Id))
        {
            if (op.Spec.IsVariable) continue;
            for (int k = 0; k < op.NumOutputs; k++)
            {
                var o = op[k];
                if (known.Contains(o)) continue;
                bool later = _declaredFetches.Contains(o) && !_fetched.Contains(o) && Array.IndexOf(fetches, o) < 0;
                if (!later)
                    foreach (var (consumer, input) in op.Consumers)
                        if (consumer.Inputs[input] == o && _needed.Contains(consumer) && !step.Contains(consumer) && !_executed.Contains(consumer))
                        {
                            later = true;
                            break;
                        }
                if (later) keep.Add(o);
            }
        }
        var planFeeds = feedSet.OrderBy(f => f.Op.Id).ThenBy(f => f.Index).ToArray();
        var plan = new ExecutionPlan(_session, planFeeds, [.. fetches, .. keep], targets, _executed);
        var state = plan.Rent();
        var values = new Tensor[planFeeds.Length];
        for (int i = 0; i < planFeeds.Length; i++) values[i] = _known[planFeeds[i]];
        state.Execute(values, _session.TimeoutFor(options), cancellationToken);
        var results = state.Results;
        for (int i = 0; i < keep.Count; i++) _known[keep[i]] = results[fetches.Length + i];
        foreach (var op in step) if (!op.Spec.IsVariable) _executed.Add(op);
        foreach (var t in targets) _pendingTargets.Remove(t);
        return results[..fetches.Length];
    }
}
