namespace TensorGraph.Runtime;

/// <summary>One node of a plan with its value ids and planned buffers.</summary>
internal sealed class PlanNode
{
    public required Operation Op { get; init; }
    public required int[] InputIds { get; init; }
    public required bool[] InputIsRef { get; init; }
    public required int[] OutputIds { get; init; }
    public required int[] OutputBuffers { get; init; }

    /// <summary>Plan indices of the nodes this one has control inputs on (for dead-tensor propagation).</summary>
    public int[] ControlNodes { get; set; } = [];

    /// <summary>A Merge runs when any input is alive; every other node is skipped when any input is dead.</summary>
    public bool IsMerge { get; init; }

    /// <summary>Set when this node runs a fused MatMul+BiasAdd(+Relu) in place of the Op's own kernel.</summary>
    public FusedDense? Fusion { get; init; }
}

/// <summary>A plan-time fusion of MatMul → BiasAdd (→ Relu); the graph itself keeps TF's three ops.</summary>
internal sealed record FusedDense(Operation MatMul, Operation BiasAdd, bool Relu);

/// <summary>
/// A compiled (feeds, fetches, targets) signature: the pruned nodes in topological order, value
/// ids for every tensor, and buffers assigned by liveness so a step reuses memory. Immutable after
/// construction; each concurrent run uses its own <see cref="ExecState"/>.
/// </summary>
internal sealed class ExecutionPlan
{
    private readonly Stack<ExecState> _pool = new();
    private readonly Lock _poolLock = new();

    public ExecutionPlan(Session session, Output[] feeds, Output[] fetches, Operation[] targets)
    {
        Session = session;
        Feeds = feeds;
        Fetches = fetches;
        Targets = targets;
        var fedSet = new HashSet<Output>(feeds);

        // Prune: walk back from fetches and targets; fed tensors cut the graph.
        var needed = new HashSet<Operation>();
        var stack = new Stack<Operation>();
        void Need(Operation op)
        {
            if (needed.Add(op)) stack.Push(op);
        }
        foreach (var f in fetches) if (!fedSet.Contains(f)) Need(f.Op);
        foreach (var t in targets) Need(t);
        while (stack.Count > 0)
        {
            var op = stack.Pop();
            foreach (var i in op.Inputs) if (!fedSet.Contains(i)) Need(i.Op);
            foreach (var c in op.ControlInputs) Need(c);
        }
        // Creation order is a topological order: an op's inputs always exist before it.
        var order = needed.OrderBy(o => o.Id).ToArray();

        foreach (var op in order)
        {
            if (op.Type == "Placeholder")
            {
                var o = op[0];
                throw Errors.Make(ErrorCode.InvalidArgument,
                    $"You must feed a value for placeholder tensor '{op.Name}' with dtype {o.DType.Name()}" +
                    (o.Shape.IsRankKnown ? $" and shape {o.Shape}" : "") +
                    $" [node '{op.Name}' (Placeholder){SourceLocation.Suffix(op.Location, op.Name)}]", null, op.Name);
            }
        }

        // Value ids: feeds first, then each node output.
        var ids = new Dictionary<Output, int>();
        int next = 0;
        FeedIds = new int[feeds.Length];
        for (int i = 0; i < feeds.Length; i++)
        {
            if (!ids.TryGetValue(feeds[i], out int id)) ids[feeds[i]] = id = next++;
            FeedIds[i] = id;
        }
        HasLoops = order.Any(o => o.Type is "Enter" or "RefEnter");
        // Loop plans run iteration by iteration (FrameExecution): no fusion, no buffer reuse.
        var fusions = session.EnableFusion && !HasLoops ? FindDenseFusions(order, needed, fedSet, fetches) : [];
        var skipped = new HashSet<Operation>(fusions.Values.SelectMany(f => f.Relu ? new[] { f.MatMul, f.BiasAdd } : [f.MatMul]));
        var kept = order.Where(op => !skipped.Contains(op)).ToArray();
        // Output ids first: a loop's Merge reads its NextIteration, which comes later in creation order.
        var outIdsOf = new int[kept.Length][];
        for (int n = 0; n < kept.Length; n++)
        {
            var op = kept[n];
            var outIds = new int[op.NumOutputs];
            for (int i = 0; i < outIds.Length; i++)
            {
                var o = op[i];
                if (fedSet.Contains(o)) outIds[i] = next++; // the kernel's value is discarded; the feed wins
                else ids[o] = outIds[i] = next++;
            }
            outIdsOf[n] = outIds;
        }
        var nodes = new List<PlanNode>(kept.Length);
        for (int n = 0; n < kept.Length; n++)
        {
            var op = kept[n];
            fusions.TryGetValue(op, out var fusion);
            Output[] inputs = fusion is null ? op.Inputs.ToArray() : [fusion.MatMul.Inputs[0], fusion.MatMul.Inputs[1], fusion.BiasAdd.Inputs[1]];
            var inIds = new int[inputs.Length];
            var isRef = new bool[inputs.Length];
            for (int i = 0; i < inIds.Length; i++)
            {
                inIds[i] = ids[inputs[i]];
                isRef[i] = fusion is null && op.Spec.IsRefInput(i);
            }
            nodes.Add(new PlanNode { Op = op, InputIds = inIds, InputIsRef = isRef, OutputIds = outIdsOf[n], OutputBuffers = new int[op.NumOutputs], Fusion = fusion, IsMerge = op.Type == "Merge" });
        }
        var index = new Dictionary<Operation, int>();
        for (int n = 0; n < nodes.Count; n++) index[nodes[n].Op] = n;
        foreach (var node in nodes)
        {
            if (node.Op.ControlInputs.Count > 0)
                node.ControlNodes = node.Op.ControlInputs.Where(index.ContainsKey).Select(c => index[c]).Distinct().ToArray();
        }
        HasControlFlow = HasLoops || nodes.Any(n => n.Op.Type is "Switch" or "RefSwitch");
        NumValues = next;
        FetchIds = fetches.Select(f => ids[f]).ToArray();
        Nodes = [.. nodes];
        if (HasLoops)
        {
            Loops = new LoopPlan(this);
            var kernels = new OpKernel[Nodes.Length];
            for (int n = 0; n < Nodes.Length; n++)
            {
                kernels[n] = CreateKernel(session, Nodes[n]);
                Array.Fill(Nodes[n].OutputBuffers, -1);
            }
            _firstKernels = kernels;
            ValueBuffer = new int[NumValues];
            Array.Fill(ValueBuffer, -1);
        }
        else AssignBuffers(Nodes, session);
    }

    /// <summary>Whether the plan contains while loops (Enter): it then runs through <see cref="ExecState"/>'s frame scheduler.</summary>
    public bool HasLoops { get; }

    /// <summary>Frames and edges of a plan with while loops.</summary>
    public LoopPlan? Loops { get; }

    public Session Session { get; }
    public Output[] Feeds { get; }
    public Output[] Fetches { get; }
    public Operation[] Targets { get; }
    public PlanNode[] Nodes { get; }
    public int[] FeedIds { get; }
    public int[] FetchIds { get; }
    public int NumValues { get; }

    /// <summary>Whether a Switch can make values dead in this plan (enables dead-tensor propagation).</summary>
    public bool HasControlFlow { get; }
    public DType[] BufferTypes { get; private set; } = [];

    /// <summary>For each value id, the buffer it lives in (-1 for external values).</summary>
    public int[] ValueBuffer { get; private set; } = [];

    private OpKernel[]? _firstKernels;

    /// <summary>Liveness-based buffer assignment: a buffer is reused once every alias of its value is dead.</summary>
    private void AssignBuffers(PlanNode[] nodes, Session session)
    {
        var kernels = new OpKernel[nodes.Length];
        for (int n = 0; n < nodes.Length; n++) kernels[n] = CreateKernel(session, nodes[n]);
        _firstKernels = kernels;

        var root = new int[NumValues];
        for (int v = 0; v < NumValues; v++) root[v] = v;
        var lastUse = new int[NumValues];
        Array.Fill(lastUse, -1);
        for (int n = 0; n < nodes.Length; n++)
        {
            var node = nodes[n];
            for (int i = 0; i < node.OutputIds.Length; i++)
            {
                if (kernels[n].GetOutputKind(i) == OutputKind.Forwarded)
                    root[node.OutputIds[i]] = root[node.InputIds[kernels[n].ForwardedInput(i)]];
            }
        }
        for (int n = 0; n < nodes.Length; n++)
        {
            foreach (var id in nodes[n].InputIds) lastUse[root[id]] = Math.Max(lastUse[root[id]], n);
        }
        foreach (var id in FetchIds) lastUse[root[id]] = int.MaxValue;
        // A Merge output is whichever input is alive: keep every input's buffer as long as it (inner Merges last).
        for (int n = nodes.Length - 1; n >= 0; n--)
        {
            if (!nodes[n].IsMerge) continue;
            int end = lastUse[root[nodes[n].OutputIds[0]]];
            foreach (var id in nodes[n].InputIds) lastUse[root[id]] = Math.Max(lastUse[root[id]], end);
        }

        var valueBuffer = new int[NumValues];
        Array.Fill(valueBuffer, -1);
        var types = new List<DType>();
        var free = new Dictionary<DType, Stack<int>>();
        var releaseAt = new List<int>[nodes.Length];
        for (int n = 0; n < nodes.Length; n++)
        {
            var node = nodes[n];
            for (int i = 0; i < node.OutputIds.Length; i++)
            {
                int v = node.OutputIds[i];
                if (kernels[n].GetOutputKind(i) != OutputKind.Allocated) { node.OutputBuffers[i] = -1; continue; }
                var dt = node.Op.OutputType(i);
                int b;
                // A fetched value gets a buffer of its own: Session.Run hands fetched buffers to the
                // caller, which must not take a large recycled buffer away from the next run.
                if (lastUse[v] != int.MaxValue && free.TryGetValue(dt, out var st) && st.Count > 0) b = st.Pop();
                else { b = types.Count; types.Add(dt); }
                node.OutputBuffers[i] = b;
                valueBuffer[v] = b;
                int end = lastUse[v] < 0 ? n : lastUse[v];
                if (end != int.MaxValue)
                {
                    (releaseAt[end] ??= []).Add(b);
                }
            }
            if (releaseAt[n] is { } rel)
            {
                foreach (var b in rel)
                {
                    if (!free.TryGetValue(types[b], out var st)) free[types[b]] = st = new Stack<int>();
                    st.Push(b);
                }
            }
        }
        for (int v = 0; v < NumValues; v++) if (valueBuffer[v] < 0 && valueBuffer[root[v]] >= 0) valueBuffer[v] = valueBuffer[root[v]];
        BufferTypes = [.. types];
        ValueBuffer = valueBuffer;
    }

    private static OpKernel CreateKernel(Session session, PlanNode node) =>
        node.Fusion is { } f ? FusedDenseKernel.Create(f) : session.CreateKernel(node.Op);

    /// <summary>
    /// MatMul → BiasAdd (→ Relu) chains whose intermediate values nothing else in this plan reads
    /// (not fetched, not fed, one consumer, no control edges), keyed by the op that ends the chain.
    /// </summary>
    private static Dictionary<Operation, FusedDense> FindDenseFusions(Operation[] order, HashSet<Operation> needed, HashSet<Output> fed, Output[] fetches)
    {
        var fetched = new HashSet<Output>(fetches);
        var result = new Dictionary<Operation, FusedDense>();
        (Operation Op, int Input)? OnlyConsumer(Operation op)
        {
            if (op.ControlOutputs.Any(needed.Contains)) return null;
            var o = op[0];
            if (fetched.Contains(o) || fed.Contains(o)) return null;
            var cs = op.Consumers.Where(c => needed.Contains(c.Op)).ToArray();
            return cs.Length == 1 ? cs[0] : null;
        }
        foreach (var m in order)
        {
            if (m.Type != "MatMul" || m.OutputType(0) is not (DType.Float32 or DType.Float64) || m.ControlInputs.Count > 0) continue;
            if (OnlyConsumer(m) is not { } b || b.Op.Type != "BiasAdd" || b.Input != 0) continue;
            var bias = b.Op;
            if (bias.ControlInputs.Count > 0) continue; // a control edge may carry deadness or ordering the fused node would lose
            bool relu = OnlyConsumer(bias) is { } r && r.Op.Type == "Relu" && r.Op.ControlInputs.Count == 0;
            var end = relu ? OnlyConsumer(bias)!.Value.Op : bias;
            if (fed.Contains(end[0])) continue;
            result[end] = new FusedDense(m, bias, relu);
        }
        return result;
    }

    public ExecState Rent()
    {
        lock (_poolLock)
        {
            if (_pool.Count > 0) return _pool.Pop();
            if (_firstKernels is { } k)
            {
                _firstKernels = null;
                return new ExecState(this, k);
            }
        }
        var kernels = new OpKernel[Nodes.Length];
        for (int n = 0; n < Nodes.Length; n++) kernels[n] = CreateKernel(Session, Nodes[n]);
        return new ExecState(this, kernels);
    }

    public void Return(ExecState s)
    {
        lock (_poolLock) _pool.Push(s);
    }
}
