namespace TensorGraph.Runtime;

/// <summary>
/// What a kernel sees while it runs: its inputs and where to put its outputs. One instance per
/// execution state, re-bound to each node, so running allocates nothing.
/// </summary>
internal sealed class OpContext
{
    internal ExecState State = null!;
    internal PlanNode Node = null!;

    public Operation Op => Node.Op;

    public Session Session => State.Plan.Session;

    public int NumInputs => Node.InputIds.Length;

    /// <summary>
    /// Throws if the run must stop (cancelled, past its deadline, or its session closed): a kernel
    /// that waits (a queue's dequeue) calls it between waits, so a blocked run can be stopped.
    /// </summary>
    public void CheckStop() => State.CheckStop();

    /// <summary>The resources of the current run (TF's step container): stacks and tensor arrays live here.</summary>
    public RunResources RunResources => State.Resources;

    public Tensor Input(int i) => State.Values[Node.InputIds[i]]!;

    /// <summary>
    /// The planned buffer of output <paramref name="i"/>, resized to <paramref name="dims"/>
    /// (storage reused when large enough). Contents are unspecified: kernels overwrite all of it.
    /// A size beyond <see cref="MemoryLimits"/> is a <see cref="ResourceExhaustedException"/>.
    /// </summary>
    public Tensor AllocateOutput(int i, DType dtype, ReadOnlySpan<int> dims)
    {
        // Checked before anything is allocated: the count fits, the tensor is within the
        // per-tensor budget, and new storage is within the per-run budget (ResourceExhausted).
        int n = TensorSize.ForAllocation(dtype, dims);
        int b = Node.OutputBuffers[i];
        Tensor t;
        if (b >= 0)
        {
            t = State.Buffers[b];
            if (!t.CanHold(dtype, n)) State.ChargeAllocation(dtype, n, dims);
            t.Reuse(dtype, dims, n);
        }
        else
        {
            State.ChargeAllocation(dtype, n, dims);
            t = Tensor.Zeros(dtype, dims.ToArray());
        }
        State.Values[Node.OutputIds[i]] = t;
        return t;
    }

    /// <summary>
    /// A copy of <paramref name="t"/> that the kernel keeps beyond the node (an element of a stack
    /// or a tensor array: TF's <c>allocate_persistent</c>), counted against the per-run budget.
    /// </summary>
    public Tensor CopyToKeep(Tensor t)
    {
        State.ChargeAllocation(t.DType, TensorSize.ForAllocation(t.DType, t.Dims), t.Dims);
        return t.Clone();
    }

    /// <summary>Zero-filled storage the kernel keeps beyond the node, counted against the per-run budget (see <see cref="CopyToKeep"/>).</summary>
    public Tensor AllocateToKeep(DType dtype, int[] dims)
    {
        State.ChargeAllocation(dtype, TensorSize.ForAllocation(dtype, dims), dims);
        return Tensor.Zeros(dtype, dims);
    }

    /// <summary>Sets output <paramref name="i"/> to a tensor owned elsewhere or forwarded from an input.</summary>
    public void SetOutput(int i, Tensor t) => State.Values[Node.OutputIds[i]] = t;

    /// <summary>
    /// Sets output <paramref name="i"/> to <paramref name="source"/>'s data seen with shape
    /// <paramref name="dims"/>, through the kernel's own <paramref name="view"/> object (no
    /// allocation). In a plan with while loops a value can outlive the iteration that made it
    /// (NextIteration, stacks), so there every call makes a new view instead.
    /// </summary>
    public void SetViewOutput(int i, Tensor view, Tensor source, ReadOnlySpan<int> dims)
    {
        if (State.Plan.HasLoops) view = Tensor.Empty(source.DType);
        view.SetView(source, dims);
        SetOutput(i, view);
    }

    /// <summary>Marks output <paramref name="i"/> dead: consumers are skipped until a Merge (Switch only).</summary>
    public void MarkDead(int i) => State.Dead[Node.OutputIds[i]] = true;

    /// <summary>Whether input <paramref name="i"/> is dead (only Merge ever runs with a dead input).</summary>
    public bool IsInputDead(int i) => State.Dead.Length > 0 && State.Dead[Node.InputIds[i]];

    /// <summary>An error naming this node; the executor adds the source location.</summary>
    public static InvalidArgumentException Error(string message) => new(message);
}

/// <summary>Plan-time information a kernel factory can use.</summary>
internal sealed class KernelBuilder(Operation op, Session session)
{
    public Operation Op { get; } = op;

    public Session Session { get; } = session;

    public DType InputType(int i) => Op.Inputs[i].DType;

    public Shape InputShape(int i) => Op.Inputs[i].Shape;

    public DType OutputType(int i) => Op.OutputType(i);

    /// <summary>The variable that ref input <paramref name="i"/> refers to.</summary>
    public VariableSlot RefInput(int i) => Session.ResolveVariable(Op.Inputs[i], Op);

    /// <summary>Resources that live as long as the session (queues).</summary>
    public SessionResources SessionResources => Session.Resources;

    /// <summary>Session-wide state of this op (e.g. a random stream), created on first use.</summary>
    public T OpState<T>(Func<T> create) where T : class => Session.OpState(Op, create);
}
