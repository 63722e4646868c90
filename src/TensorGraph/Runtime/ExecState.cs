namespace TensorGraph.Runtime;

/// <summary>
/// The mutable half of a plan for one run at a time: value table, buffers and kernel instances.
/// Reused across runs, so a steady-state step allocates nothing.
/// </summary>
/// <remarks>
/// Plans with a Switch also track a dead flag per value and per node (TF's dead tensors): a node
/// with a dead input or a dead control input is skipped and its outputs are dead; a Merge runs
/// when any input is alive. Plans with while loops (Enter/Exit/NextIteration) run through the
/// frame scheduler instead (FrameExecution.cs), one node and iteration at a time.
/// </remarks>
internal sealed partial class ExecState
{
    private readonly OpKernel[] _kernels;
    private readonly OpContext _ctx = new();
    private StepStatsCollector? _trace;

    public ExecState(ExecutionPlan plan, OpKernel[] kernels)
    {
        Plan = plan;
        _kernels = kernels;
        Values = new Tensor?[plan.NumValues];
        Buffers = new Tensor[plan.BufferTypes.Length];
        for (int b = 0; b < Buffers.Length; b++) Buffers[b] = Tensor.Empty(plan.BufferTypes[b]);
        Results = new Tensor[plan.FetchIds.Length];
        Dead = plan.HasControlFlow ? new bool[plan.NumValues] : [];
        _nodeDead = plan.HasControlFlow ? new bool[plan.Nodes.Length] : [];
        _ctx.State = this;
    }

    public ExecutionPlan Plan { get; }
    public Tensor?[] Values { get; }
    public Tensor[] Buffers { get; }
    public Tensor[] Results { get; }

    /// <summary>Per value id: produced on an untaken branch (empty when the plan has no Switch).</summary>
    public bool[] Dead { get; }

    /// <summary>Resources created by the current run (stacks, tensor arrays); released when it ends.</summary>
    public RunResources Resources { get; } = new();

    private readonly bool[] _nodeDead;

    /// <summary>Bytes of new output storage allocated in the current run (see <see cref="MemoryLimits.MaxRunBytes"/>).</summary>
    public long RunBytes => Interlocked.Read(ref _runBytes);

    private long _runBytes;

    /// <summary>
    /// Charges <paramref name="elements"/> new elements of <paramref name="dtype"/> to this run;
    /// going over <see cref="MemoryLimits.MaxRunBytes"/> is TF's OOM error (the executor names the node).
    /// </summary>
    public void ChargeAllocation(DType dtype, int elements, ReadOnlySpan<int> dims)
    {
        long bytes = TensorSize.Bytes(dtype, elements);
        long max = MemoryLimits.MaxRunBytes;
        // Nodes running at once (inter-op parallelism) charge the one budget.
        long total = Interlocked.Add(ref _runBytes, bytes);
        if (total > max)
        {
            Interlocked.Add(ref _runBytes, -bytes);
            throw TensorSize.Oom(dtype, dims, System.FormattableString.Invariant(
                $"this run has allocated {total - bytes} bytes of tensors; {bytes} more exceed the per-run budget of {max} bytes (MemoryLimits.MaxRunBytes)"));
        }
    }

    /// <summary>Runs every node with the given feeds (already validated) and fills <see cref="Results"/>.</summary>
    /// <remarks>
    /// Before each node the run stops if <paramref name="cancellationToken"/> is cancelled or the
    /// session disposed (<see cref="CancelledException"/>), or <paramref name="timeoutMs"/> (when
    /// positive) has passed (<see cref="DeadlineExceededException"/>). A stopped run leaves the
    /// state clean for the next one; nodes that ran keep their effects.
    /// </remarks>
    public void Execute(ReadOnlySpan<Tensor> feeds, long timeoutMs = 0, CancellationToken cancellationToken = default) =>
        Execute(feeds, timeoutMs, null, cancellationToken);

    /// <summary>Runs every node as <see cref="Execute(ReadOnlySpan{Tensor}, long, CancellationToken)"/> does, recording each executed node in <paramref name="trace"/>.</summary>
    /// <param name="feeds">The fed values, in the plan's feed order.</param>
    /// <param name="timeoutMs">The run's deadline in milliseconds; 0 for none.</param>
    /// <param name="trace">Records every executed node when given (a traced run); null costs nothing per node.</param>
    /// <param name="cancellationToken">Stops the run before its next node.</param>
    public void Execute(ReadOnlySpan<Tensor> feeds, long timeoutMs, StepStatsCollector? trace, CancellationToken cancellationToken)
    {
        BeginStopChecks(timeoutMs, Plan.Session.IntraOpParallelismThreads, cancellationToken);
        _trace = trace;
        var plan = Plan;
        _runBytes = 0;
        if (plan.HasLoops)
        {
            try
            {
                CheckStop();
                ExecuteFrames(feeds);
            }
            finally
            {
                Array.Clear(Values);
                Array.Clear(Dead);
                Resources.ReleaseAll();
                EndStopChecks();
                _trace = null;
            }
            return;
        }
        for (int i = 0; i < feeds.Length; i++) Values[plan.FeedIds[i]] = feeds[i];
        var nodes = plan.Nodes;
        bool controlFlow = plan.HasControlFlow;
        _interOpThreads = plan.Session.InterOpThreads;
        try
        {
            CheckStop();
            if (plan.InterOp is { } schedule && _interOpThreads > 1) ExecuteInterOp(schedule);
            else
            {
                for (int n = 0; n < nodes.Length; n++)
                {
                    if (n > 0) CheckStop();
                    RunPlanned(n, _ctx);
                }
            }
            var fetchIds = plan.FetchIds;
            for (int i = 0; i < fetchIds.Length; i++)
            {
                if (controlFlow && Dead[fetchIds[i]]) throw DeadFetch(i);
                Results[i] = Values[fetchIds[i]] ?? throw Uninitialized(fetchIds[i]);
            }
        }
        finally
        {
            Array.Clear(Values);
            if (controlFlow)
            {
                Array.Clear(Dead);
                Array.Clear(_nodeDead);
            }
            Resources.ReleaseAll();
            EndStopChecks();
            _trace = null;
        }
    }

    /// <summary>
    /// Runs node <paramref name="n"/> of a straight plan with <paramref name="ctx"/>: skipped (its
    /// outputs dead) when an input is dead, else its kernel once every input is set.
    /// </summary>
    private void RunPlanned(int n, OpContext ctx)
    {
        var node = Plan.Nodes[n];
        var ids = node.InputIds;
        bool controlFlow = Plan.HasControlFlow;
        if (controlFlow && IsDead(node))
        {
            _nodeDead[n] = true;
            foreach (var o in node.OutputIds) Dead[o] = true;
            return;
        }
        for (int i = 0; i < ids.Length; i++)
        {
            if (Values[ids[i]] is null && !node.InputIsRef[i] && !(controlFlow && Dead[ids[i]])) throw Uninitialized(node, i);
        }
        Plan.Session.NodeStarting?.Invoke(node.Op.Name);
        RunNode(n, node, ctx);
    }

    /// <summary>Runs node <paramref name="n"/>'s kernel and checks its outputs; in a traced run also records it.</summary>
    private void RunNode(int n, PlanNode node, OpContext ctx)
    {
        if (_trace is null)
        {
            RunKernel(n, node, ctx);
            CheckOutputs(node);
        }
        else RunNodeTraced(n, node, ctx, _trace);
    }

    private void RunNodeTraced(int n, PlanNode node, OpContext ctx, StepStatsCollector trace)
    {
        long allStart = trace.NowMicros();
        long opStart = trace.NowMicros();
        RunKernel(n, node, ctx);
        long opEnd = trace.NowMicros();
        CheckOutputs(node);
        trace.Record(node, Values, Dead, allStart, opStart, opEnd, trace.NowMicros());
    }

    private void RunKernel(int n, PlanNode node, OpContext ctx)
    {
        ctx.Node = node;
        try
        {
            _kernels[n].Compute(ctx);
        }
        catch (TensorGraphException e) when (e.NodeName is null)
        {
            throw Graph.NodeError(e, node.Op.Name, node.Op.Type, node.Op.Location);
        }
        catch (OutOfMemoryException e)
        {
            throw Graph.NodeError(new ResourceExhaustedException(
                $"OOM while running the kernel: the process is out of memory (see MemoryLimits for the per-tensor and per-run budgets)", e),
                node.Op.Name, node.Op.Type, node.Op.Location);
        }
        catch (OverflowException e)
        {
            // Sizes or values derived from the inputs went past the integer range.
            throw Graph.NodeError(new InvalidArgumentException(
                "Integer overflow: a size or value computed from the inputs does not fit its integer type", e),
                node.Op.Name, node.Op.Type, node.Op.Location);
        }
        catch (Exception e) when (e is not TensorGraphException)
        {
            throw Graph.NodeError(new InternalException($"Kernel failed: {e.GetType().Name}: {e.Message}", e), node.Op.Name, node.Op.Type, node.Op.Location);
        }
    }

    private bool IsDead(PlanNode node)
    {
        var ids = node.InputIds;
        if (node.NeverDead) return false;
        if (node.IsMerge)
        {
            for (int i = 0; i < ids.Length; i++) if (!Dead[ids[i]]) return false;
            return ids.Length > 0;
        }
        for (int i = 0; i < ids.Length; i++) if (Dead[ids[i]]) return true;
        foreach (var c in node.ControlNodes) if (_nodeDead[c]) return true;
        return false;
    }

    private TensorGraphException DeadFetch(int fetch)
    {
        var t = Plan.Fetches[fetch];
        return Errors.Make(ErrorCode.InvalidArgument,
            $"Fetched tensor '{t.Name}' was not computed in this run: it is on the untaken branch of a conditional (a Switch output or an op that depends on one)" +
            $" [node '{t.Op.Name}' ({t.Op.Type}){SourceLocation.Suffix(t.Op.Location, t.Op.Name)}]", null, t.Op.Name);
    }

    private void CheckOutputs(PlanNode node)
    {
        var op = node.Op;
        for (int i = 0; i < node.OutputIds.Length; i++)
        {
            if (Dead.Length > 0 && Dead[node.OutputIds[i]]) continue;
            var t = Values[node.OutputIds[i]];
            // A variable's ref may be null (uninitialized) or reshaped by Assign(validate_shape=false).
            if (op.Spec.IsRefOutput(i)) continue;
            if (t is null)
            {
                throw Graph.NodeError(new InternalException($"Kernel did not set output {i}"), op.Name, op.Type, op.Location);
            }
            // Static shapes may legitimately be stale (a variable reshaped by Assign with
            // validate_shape=false), as in TF; kernel/inference agreement is checked by the
            // conformance tests instead. The dtype must always agree.
            if (t.DType != op.OutputType(i))
                throw Graph.NodeError(new InternalException(
                    $"Kernel output {i} is {t.DType.Name()} but the graph inferred {op.OutputType(i).Name()}"),
                    op.Name, op.Type, op.Location);
        }
    }

    private TensorGraphException Uninitialized(PlanNode node, int input)
    {
        var src = node.Op.Inputs[input].Op;
        return Errors.Make(ErrorCode.FailedPrecondition,
            $"Attempting to use uninitialized value {src.Name}{(src.Location is null ? "" : $" ({src.Location.Describe(src.Name)})")} " +
            $"[node '{node.Op.Name}' ({node.Op.Type}){SourceLocation.Suffix(node.Op.Location, node.Op.Name)}]", null, src.Name);
    }

    private TensorGraphException Uninitialized(int valueId)
    {
        foreach (var n in Plan.Nodes)
        {
            int i = Array.IndexOf(n.OutputIds, valueId);
            if (i >= 0)
                return Errors.Make(ErrorCode.FailedPrecondition,
                    $"Attempting to use uninitialized value {n.Op.Name}{(n.Op.Location is null ? "" : $" ({n.Op.Location.Describe(n.Op.Name)})")}", null, n.Op.Name);
        }
        return new InternalException("A fetched value was not produced");
    }
}
