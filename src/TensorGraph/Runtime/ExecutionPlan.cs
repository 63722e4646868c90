using TensorGraph.Ops;

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

    /// <summary>A control trigger is never dead: it runs whatever its inputs are (TF's <c>is_control_trigger</c>).</summary>
    public bool NeverDead { get; init; }

    /// <summary>Set when a plan pass made this node run a fused kernel in place of a chain that ends in <see cref="Op"/>.</summary>
    public FusedNode? Fusion { get; init; }

    /// <summary>TF's timeline label of the node (<c>name = Op(inputs)</c>), made the first time a traced run asks.</summary>
    public string TimelineLabel => field ??= StepStatsCollector.Label(this);
}

/// <summary>
/// A compiled (feeds, fetches, targets) signature: the pruned nodes in topological order, value
/// ids for every tensor, and buffers assigned by liveness so a step reuses memory. Immutable after
/// construction; each concurrent run uses its own <see cref="ExecState"/>.
/// </summary>
internal sealed class ExecutionPlan
{
    private readonly Stack<ExecState> _pool = new();
    private readonly Lock _poolLock = new();

    /// <param name="session">The session whose kernels and variables the plan uses.</param>
    /// <param name="feeds">The fed tensors, in the order <c>ExecState.Execute</c> takes their values.</param>
    /// <param name="fetches">The tensors whose values a run returns.</param>
    /// <param name="targets">Ops run for their effect.</param>
    /// <param name="done">
    /// Ops that already ran in an earlier step of the same partial run: control inputs on them
    /// are satisfied, and their outputs the plan reads must be among <paramref name="feeds"/>.
    /// </param>
    /// <param name="connections">
    /// TF's <c>CallableOptions.tensor_connection</c>: each <c>To</c> tensor is cut from the graph
    /// as a feed is, and its readers get the value of <c>From</c>, computed in the same step.
    /// </param>
    /// <param name="functionBody">
    /// True for a library function's body: its nodes run where the calling node runs (TF's
    /// single-device functions), so they are not placed or logged.
    /// </param>
    public ExecutionPlan(Session session, Output[] feeds, Output[] fetches, Operation[] targets, IReadOnlySet<Operation>? done = null,
        (Output From, Output To)[]? connections = null, bool functionBody = false)
    {
        Session = session;
        Feeds = feeds;
        Fetches = fetches;
        Targets = targets;
        connections ??= [];
        var fed = new HashSet<Output>(feeds);
        var cut = new HashSet<Output>(fed);
        foreach (var (_, to) in connections) cut.Add(to);
        var needed = Prune(cut, fetches, targets, done);
        if (connections.Length > 0) NeedConnected(needed, fed, cut, fetches, connections);
        RefuseInertNodes(needed, cut, fetches, targets);
        // Creation order is a topological order: an op's inputs always exist before it. A tensor
        // connection adds edges creation order does not know (From before the readers of To).
        var order = connections.Length == 0 ? needed.OrderBy(o => o.Id).ToArray() : TopologicalOrder(needed, connections);
        RequireFedPlaceholders(order);
        if (!functionBody) Placement.Place(session, order);
        HasLoops = order.Any(o => o.Spec.ControlFlow == ControlFlowRole.Enter);
        if (HasLoops && connections.Length > 0)
            throw new UnimplementedException("A tensor connection in a plan with while loops is not supported");
        // Loop plans run iteration by iteration (FrameExecution): no fusion, no buffer reuse; a
        // connected From is read by nodes the fusion passes do not see, so those plans are not fused either.
        var fusions = session.EnableFusion && !HasLoops && connections.Length == 0 ? RunPlanPasses(order, needed, fed, fetches) : [];
        var absorbed = new HashSet<Operation>(fusions.Values.SelectMany(f => f.Absorbed));
        var kept = order.Where(op => !absorbed.Contains(op)).ToArray();

        var values = new ValueIds();
        FeedIds = [.. feeds.Select(values.OfFeed)];
        var outputIds = NumberOutputs(kept, cut, values);
        foreach (var (from, to) in connections) values.Alias(to, from);
        var nodes = BuildNodes(kept, outputIds, fusions, values);
        LinkControlInputs(nodes);
        HasControlFlow = HasLoops || nodes.Any(n => n.Op.Spec.ControlFlow == ControlFlowRole.Switch);
        NumValues = values.Count;
        FetchIds = [.. fetches.Select(values.Of)];
        Nodes = nodes;
        if (HasLoops)
        {
            Loops = new LoopPlan(this);
            CreateUnbufferedKernels(session);
        }
        else
        {
            var kernels = new OpKernel[Nodes.Length];
            for (int n = 0; n < Nodes.Length; n++) kernels[n] = CreateKernel(session, Nodes[n]);
            _firstKernels = kernels;
            // A function body runs inside its calling node, on that node's thread.
            var schedule = !functionBody && session.InterOpThreads > 1 ? InterOpSchedule.Start(this, kernels) : null;
            AssignBuffers(Nodes, kernels, schedule);
            InterOp = schedule?.Finish();
        }
    }

    /// <summary>The dependencies that let nodes run at once; null for a plan run one node at a time (loops, function bodies, a chain, one inter-op thread).</summary>
    public InterOpSchedule? InterOp { get; }

    /// <summary>
    /// The ops the fetches and targets need: walks back over data and control inputs; fed tensors
    /// cut the graph, and so do control inputs on <paramref name="done"/> ops and on fed placeholders.
    /// </summary>
    internal static HashSet<Operation> Prune(IReadOnlySet<Output> fed, IEnumerable<Output> fetches, IEnumerable<Operation> targets, IReadOnlySet<Operation>? done = null)
    {
        var needed = new HashSet<Operation>();
        var stack = new Stack<Operation>();
        void Need(Operation op)
        {
            if (needed.Add(op)) stack.Push(op);
        }
        foreach (var f in fetches) if (!fed.Contains(f)) Need(f.Op);
        foreach (var t in targets) Need(t);
        while (stack.Count > 0)
        {
            var op = stack.Pop();
            foreach (var i in op.Inputs) if (!fed.Contains(i)) Need(i.Op);
            foreach (var c in op.ControlInputs)
            {
                // TF's FeedInputs: a fed placeholder's control edges move to the value that
                // replaces it, so a control input on a fed placeholder is satisfied.
                if (c.Spec.IsPlaceholder && fed.Contains(c[0])) continue;
                if (done is null || !done.Contains(c)) Need(c);
            }
        }
        return needed;
    }

    /// <summary>
    /// Adds what each connected <c>From</c> needs, for every connection whose <c>To</c> the plan
    /// reads or fetches (until nothing changes: one From may read another To), after checking that
    /// From does not itself read To (TF's "would create a cycle").
    /// </summary>
    private static void NeedConnected(HashSet<Operation> needed, HashSet<Output> fed, HashSet<Output> cut, Output[] fetches, (Output From, Output To)[] connections)
    {
        var added = new bool[connections.Length];
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int i = 0; i < connections.Length; i++)
            {
                if (added[i]) continue;
                var (from, to) = connections[i];
                bool read = fetches.Contains(to) || needed.Any(op => op.Inputs.Contains(to));
                if (!read) continue;
                // TF walks back from From in the graph with only the feeds cut.
                if (from == to || Prune(fed, [from], []).Contains(to.Op))
                    throw new InvalidArgumentException($"Requested Tensor connection between nodes \"{to.Op.Name}\" and \"{from.Op.Name}\" would create a cycle.");
                needed.UnionWith(Prune(cut, [from], []));
                added[i] = true;
                changed = true;
            }
        }
    }

    /// <summary>The needed ops in a topological order over data and control edges plus the connections' From → readers of To, ties by creation order.</summary>
    private static Operation[] TopologicalOrder(HashSet<Operation> needed, (Output From, Output To)[] connections)
    {
        var preds = new Dictionary<Operation, HashSet<Operation>>();
        var succs = new Dictionary<Operation, List<Operation>>();
        foreach (var op in needed) preds[op] = [];
        var redirect = new Dictionary<Output, Output>();
        foreach (var (from, to) in connections) redirect[to] = from;
        void Edge(Operation a, Operation b)
        {
            if (a == b || !needed.Contains(a) || !preds[b].Add(a)) return;
            if (!succs.TryGetValue(a, out var l)) succs[a] = l = [];
            l.Add(b);
        }
        foreach (var op in needed)
        {
            foreach (var i in op.Inputs) Edge(redirect.TryGetValue(i, out var f) ? f.Op : i.Op, op);
            foreach (var c in op.ControlInputs) Edge(c, op);
        }
        var ready = new PriorityQueue<Operation, int>();
        var left = new Dictionary<Operation, int>();
        foreach (var op in needed)
        {
            left[op] = preds[op].Count;
            if (left[op] == 0) ready.Enqueue(op, op.Id);
        }
        var order = new List<Operation>(needed.Count);
        while (ready.TryDequeue(out var op, out _))
        {
            order.Add(op);
            if (succs.TryGetValue(op, out var next))
                foreach (var n in next)
                    if (--left[n] == 0) ready.Enqueue(n, n.Id);
        }
        if (order.Count != needed.Count)
            throw new InvalidArgumentException("The tensor connections make the callable's graph cyclic");
        return [.. order];
    }

    /// <summary>
    /// A plan that needs inert nodes (imported nodes that cannot run, <see cref="OpSpec.Inert"/>)
    /// fails before anything runs: one error listing every op type the plan lacks and each inert
    /// node with the first fetch (or target) that needs it.
    /// </summary>
    private static void RefuseInertNodes(HashSet<Operation> needed, IReadOnlySet<Output> fed, Output[] fetches, Operation[] targets)
    {
        bool any = false;
        foreach (var op in needed)
        {
            if (op.Spec.Inert is null) continue;
            any = true;
            break;
        }
        if (!any) return;
        var neededBy = new Dictionary<Operation, string>();
        var order = new List<Operation>();
        void Attribute(HashSet<Operation> reach, string who)
        {
            foreach (var op in reach.OrderBy(o => o.Id))
            {
                if (op.Spec.Inert is not null && neededBy.TryAdd(op, who)) order.Add(op);
            }
        }
        foreach (var f in fetches) Attribute(Prune(fed, [f], []), $"fetch '{f.Name}'");
        foreach (var t in targets) Attribute(Prune(fed, [], [t]), $"target '{t.Name}'");
        var missing = order.Where(o => o.Spec.Inert!.MissingOpType).Select(o => o.Type).Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal).ToArray();
        const int Shown = 20;
        var nodes = order.Take(Shown).Select(o =>
            $"node '{o.Name}' ({o.Type}{SourceLocation.Suffix(o.Location, o.Name)}) needed by {neededBy[o]}" +
            (o.Spec.Inert!.MissingOpType ? "" : $": {o.Spec.Inert.Reason}"));
        var msg = $"The run needs {order.Count} node(s) TensorGraph cannot run" +
            (missing.Length > 0 ? $" (op types not implemented: {string.Join(", ", missing)})" : "") +
            $": {string.Join("; ", nodes)}" + (order.Count > Shown ? $"; and {order.Count - Shown} more" : "");
        throw new UnimplementedException(msg) { NodeName = order[0].Name };
    }

    /// <summary>A placeholder the plan needs but nobody feeds fails the plan, before anything runs.</summary>
    internal static void RequireFedPlaceholders(IEnumerable<Operation> order)
    {
        foreach (var op in order)
        {
            if (!op.Spec.IsPlaceholder) continue;
            var o = op[0];
            throw Errors.Make(ErrorCode.InvalidArgument,
                $"You must feed a value for placeholder tensor '{op.Name}' with dtype {o.DType.Name()}" +
                (o.Shape.IsRankKnown ? $" and shape {o.Shape}" : "") +
                $" [node '{op.Name}' ({op.Type}){SourceLocation.Suffix(op.Location, op.Name)}]", null, op.Name);
        }
    }

    /// <summary>Runs every <see cref="PlanPass"/> over the pruned ops: the fused nodes, by the op that ends each chain.</summary>
    private static Dictionary<Operation, FusedNode> RunPlanPasses(Operation[] order, HashSet<Operation> needed, HashSet<Output> fed, Output[] fetches)
    {
        var context = new PlanPassContext(order, needed, fed, fetches);
        foreach (var pass in PlanPass.All) pass.Run(context);
        return context.Fusions;
    }

    /// <summary>Value ids: one per distinct feed, then one per node output.</summary>
    private sealed class ValueIds
    {
        private readonly Dictionary<Output, int> _ids = [];

        public int Count { get; private set; }

        public int OfFeed(Output feed)
        {
            if (!_ids.TryGetValue(feed, out int id)) _ids[feed] = id = Count++;
            return id;
        }

        /// <summary>A new id for a node output; a fed output's id is never read (the feed wins), so readers keep the feed's.</summary>
        public int NewOutput(Output o, bool fed)
        {
            int id = Count++;
            if (!fed) _ids[o] = id;
            return id;
        }

        public int Of(Output o) => _ids[o];

        /// <summary>Readers of <paramref name="to"/> read the value of <paramref name="from"/> (a tensor connection; one nothing reads has no From in the plan).</summary>
        public void Alias(Output to, Output from)
        {
            if (_ids.TryGetValue(from, out int id)) _ids[to] = id;
        }
    }

    /// <summary>
    /// The output ids of every kept node, numbered before any input is looked up: a loop's Merge
    /// reads its NextIteration, which comes later in creation order.
    /// </summary>
    private static int[][] NumberOutputs(Operation[] kept, IReadOnlySet<Output> fed, ValueIds values)
    {
        var outIdsOf = new int[kept.Length][];
        for (int n = 0; n < kept.Length; n++)
        {
            var op = kept[n];
            var outIds = new int[op.NumOutputs];
            for (int i = 0; i < outIds.Length; i++) outIds[i] = values.NewOutput(op[i], fed.Contains(op[i]));
            outIdsOf[n] = outIds;
        }
        return outIdsOf;
    }

    /// <summary>One plan node per kept op: its input ids (a fused node's come from its chain) and whether each is a reference.</summary>
    private static PlanNode[] BuildNodes(Operation[] kept, int[][] outputIds, Dictionary<Operation, FusedNode> fusions, ValueIds values)
    {
        var nodes = new PlanNode[kept.Length];
        for (int n = 0; n < kept.Length; n++)
        {
            var op = kept[n];
            fusions.TryGetValue(op, out var fusion);
            Output[] inputs = fusion is null ? op.Inputs.ToArray() : fusion.Inputs;
            var inIds = new int[inputs.Length];
            var isRef = new bool[inputs.Length];
            for (int i = 0; i < inIds.Length; i++)
            {
                inIds[i] = values.Of(inputs[i]);
                isRef[i] = fusion is null && op.Spec.IsRefInput(i);
            }
            nodes[n] = new PlanNode
            {
                Op = op, InputIds = inIds, InputIsRef = isRef, OutputIds = outputIds[n], OutputBuffers = new int[op.NumOutputs],
                Fusion = fusion, IsMerge = op.Spec.ControlFlow == ControlFlowRole.Merge,
                NeverDead = op.Spec.ControlFlow == ControlFlowRole.ControlTrigger,
            };
        }
        return nodes;
    }

    /// <summary>Records, for each node with control inputs, the plan indices of those that run in this plan.</summary>
    private static void LinkControlInputs(PlanNode[] nodes)
    {
        var index = new Dictionary<Operation, int>();
        for (int n = 0; n < nodes.Length; n++) index[nodes[n].Op] = n;
        foreach (var node in nodes)
        {
            if (node.Op.ControlInputs.Count > 0)
                node.ControlNodes = node.Op.ControlInputs.Where(index.ContainsKey).Select(c => index[c]).Distinct().ToArray();
        }
    }

    /// <summary>Loop plans stage each node's values as it runs: every output is freshly allocated, no value has a planned buffer.</summary>
    private void CreateUnbufferedKernels(Session session)
    {
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

    /// <summary>Whether the plan contains while loops (an op with the Enter role): it then runs through <see cref="ExecState"/>'s frame scheduler.</summary>
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

    /// <summary>Whether a Switch (or a while loop) can make values dead in this plan (enables dead-tensor propagation).</summary>
    public bool HasControlFlow { get; }
    public DType[] BufferTypes { get; private set; } = [];

    /// <summary>For each value id, the buffer it lives in (-1 for external values).</summary>
    public int[] ValueBuffer { get; private set; } = [];

    private OpKernel[]? _firstKernels;

    /// <summary>
    /// Liveness-based buffer assignment: a buffer is reused once every alias of its value is dead.
    /// With a <paramref name="schedule"/> (nodes may run at once), a node reuses a free buffer only
    /// when every node that used the value it held must finish before it anyway, so reuse never
    /// orders branches that could run side by side.
    /// </summary>
    private void AssignBuffers(PlanNode[] nodes, OpKernel[] kernels, InterOpSchedule.Builder? schedule)
    {
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

        // Per buffer, the nodes that produced or read the value it holds (only kept with a schedule).
        var users = new List<List<int>>();
        List<int>[]? readersOfRoot = null;
        if (schedule is not null)
        {
            readersOfRoot = new List<int>[NumValues];
            for (int n = 0; n < nodes.Length; n++)
                foreach (var id in nodes[n].InputIds) (readersOfRoot[root[id]] ??= []).Add(n);
        }
        var valueBuffer = new int[NumValues];
        Array.Fill(valueBuffer, -1);
        var types = new List<DType>();
        var free = new Dictionary<DType, List<int>>();
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
                b = -1;
                if (lastUse[v] != int.MaxValue && free.TryGetValue(dt, out var st))
                {
                    for (int k = st.Count - 1; k >= 0 && b < 0; k--)
                    {
                        if (schedule is not null && !schedule.AllBefore(users[st[k]], n)) continue;
                        b = st[k];
                        st.RemoveAt(k);
                    }
                }
                if (b < 0) { b = types.Count; types.Add(dt); users.Add([]); }
                if (readersOfRoot is not null)
                {
                    users[b].Clear();
                    users[b].Add(n);
                    if (readersOfRoot[v] is { } rs) users[b].AddRange(rs);
                }
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
                    if (!free.TryGetValue(types[b], out var st)) free[types[b]] = st = [];
                    st.Add(b);
                }
            }
        }
        for (int v = 0; v < NumValues; v++) if (valueBuffer[v] < 0 && valueBuffer[root[v]] >= 0) valueBuffer[v] = valueBuffer[root[v]];
        BufferTypes = [.. types];
        ValueBuffer = valueBuffer;
    }

    private static OpKernel CreateKernel(Session session, PlanNode node) =>
        node.Fusion is { } f ? f.CreateKernel() : session.CreateKernel(node.Op);

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
