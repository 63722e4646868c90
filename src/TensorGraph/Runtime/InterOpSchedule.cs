namespace TensorGraph.Runtime;

/// <summary>
/// What lets independent nodes of a straight plan (no while loops) run at the same time (TF's
/// inter-op parallelism): for every node, the nodes that must finish before it starts. Besides
/// the graph's data and control edges, two kinds of hidden order that the one-at-a-time executor
/// gets for free are made explicit, so a concurrent run computes what a sequential one does:
/// <list type="bullet">
/// <item>Reused buffers: a node that writes a planned buffer (<see cref="ExecutionPlan.ValueBuffer"/>)
/// waits for every reader of the value the buffer held before.</item>
/// <item>State: a variable, a resource handle or anything else a stateful node hands out as an
/// external output is state; a node that reads it through any chain of forwarding ops waits for
/// the last node before it (in plan order) that changes it, and a node that changes it (a stateful
/// op, or any op with a reference input, such as Assign or ApplyAdam) waits for every earlier
/// reader and changer. Stateful nodes also keep their plan order among themselves (random streams,
/// queues and summaries see the same sequence as in a sequential run).</item>
/// </list>
/// Built once per plan, together with its buffer assignment (<see cref="Builder"/>); immutable.
/// </summary>
internal sealed class InterOpSchedule
{
    private InterOpSchedule(int[] initialPending, int[][] successors, int width)
    {
        InitialPending = initialPending;
        Successors = successors;
        Width = width;
    }

    /// <summary>Per node: how many distinct nodes must finish before it may start.</summary>
    public int[] InitialPending { get; }

    /// <summary>Per node: the nodes that wait for it, each once.</summary>
    public int[][] Successors { get; }

    /// <summary>
    /// The most nodes with inputs that share one dependency level (a lower bound of how many can
    /// run at once; nodes without inputs, such as constants and variables, are not counted).
    /// </summary>
    public int Width { get; }

    /// <summary>Plans with more nodes than this run one node at a time (the ancestor sets grow with its square).</summary>
    internal const int MaxNodes = 8192;

    /// <summary>
    /// Starts the schedule of <paramref name="plan"/> before its buffers are assigned, given its
    /// kernels (their output kinds): the data, control and state edges, and which nodes precede
    /// which. Null for a plan too large to schedule (<see cref="MaxNodes"/>).
    /// </summary>
    public static Builder? Start(ExecutionPlan plan, OpKernel[] kernels) =>
        plan.Nodes.Length > MaxNodes ? null : new Builder(plan, kernels);

    /// <summary>The schedule while the plan's buffers are assigned.</summary>
    internal sealed class Builder
    {
        private readonly ExecutionPlan _plan;
        private readonly HashSet<int>[] _preds;
        private readonly int[] _producer;
        private readonly int[][] _aliases;
        private readonly ulong[][] _ancestors;

        public Builder(ExecutionPlan plan, OpKernel[] kernels)
        {
            _plan = plan;
            var nodes = plan.Nodes;
            int n = nodes.Length;
            _preds = new HashSet<int>[n];
            for (int m = 0; m < n; m++) _preds[m] = [];
            _producer = new int[plan.NumValues];
            Array.Fill(_producer, -1);
            for (int m = 0; m < n; m++) foreach (var o in nodes[m].OutputIds) _producer[o] = m;
            for (int m = 0; m < n; m++)
            {
                foreach (var id in nodes[m].InputIds) Edge(_producer[id], m);
                foreach (var c in nodes[m].ControlNodes) Edge(c, m);
            }
            _aliases = Aliases(plan, kernels, _producer, out var isState);
            AddStateEdges(plan, _aliases, isState, Edge);
            // Every edge goes from a lower plan index to a higher one, so one pass in order suffices.
            int words = (n + 63) / 64;
            _ancestors = new ulong[n][];
            for (int m = 0; m < n; m++)
            {
                var set = _ancestors[m] = new ulong[words];
                foreach (var p in _preds[m])
                {
                    set[p >> 6] |= 1UL << (p & 63);
                    var ps = _ancestors[p];
                    for (int w = 0; w < words; w++) set[w] |= ps[w];
                }
            }
        }

        private void Edge(int from, int to)
        {
            if (from >= 0 && from != to) _preds[to].Add(from);
        }

        /// <summary>Whether every node in <paramref name="nodes"/> must finish before node <paramref name="n"/> starts (or is <paramref name="n"/>).</summary>
        public bool AllBefore(List<int> nodes, int n)
        {
            var set = _ancestors[n];
            foreach (var m in nodes) if (m != n && (set[m >> 6] & (1UL << (m & 63))) == 0) return false;
            return true;
        }

        /// <summary>The schedule, once buffers are assigned; null when no two nodes with inputs could ever run at once.</summary>
        public InterOpSchedule? Finish()
        {
            var nodes = _plan.Nodes;
            int n = nodes.Length;
            // Reuse was chosen so this adds nothing new; kept so a reused buffer is always ordered.
            AddBufferEdges(_plan, _aliases, _producer, Edge);
            var pending = new int[n];
            var successors = new List<int>[n];
            for (int m = 0; m < n; m++) successors[m] = [];
            for (int m = 0; m < n; m++)
            {
                pending[m] = _preds[m].Count;
                foreach (var p in _preds[m]) successors[p].Add(m);
            }
            int width = WidthOf(nodes, _preds);
            return width < 2 ? null : new InterOpSchedule(pending, [.. successors.Select(x => x.ToArray())], width);
        }
    }

    /// <summary>
    /// For every value, the values whose storage it may be: itself for a planned buffer or a piece
    /// of state, the input's for a forwarded output, every input's for another external output
    /// (nothing for a constant). <paramref name="isState"/> marks the external outputs of stateful nodes.
    /// </summary>
    private static int[][] Aliases(ExecutionPlan plan, OpKernel[] kernels, int[] producer, out bool[] isState)
    {
        var nodes = plan.Nodes;
        var aliases = new int[plan.NumValues][];
        isState = new bool[plan.NumValues];
        for (int v = 0; v < aliases.Length; v++) aliases[v] = producer[v] < 0 ? [] : [v];
        // Plan order is topological: an input's aliases are known before its reader's outputs.
        for (int m = 0; m < nodes.Length; m++)
        {
            var node = nodes[m];
            for (int i = 0; i < node.OutputIds.Length; i++)
            {
                int v = node.OutputIds[i];
                switch (kernels[m].GetOutputKind(i))
                {
                    case OutputKind.Forwarded:
                        aliases[v] = aliases[node.InputIds[kernels[m].ForwardedInput(i)]];
                        break;
                    case OutputKind.External when node.Op.Spec.IsStateful:
                        isState[v] = true;
                        break;
                    case OutputKind.External:
                        aliases[v] = [.. node.InputIds.SelectMany(id => aliases[id]).Distinct()];
                        break;
                }
            }
        }
        return aliases;
    }

    /// <summary>A node that writes a reused buffer waits for the readers and the producer of the value it held before.</summary>
    private static void AddBufferEdges(ExecutionPlan plan, int[][] aliases, int[] producer, Action<int, int> edge)
    {
        var nodes = plan.Nodes;
        var owner = new int[plan.BufferTypes.Length];
        Array.Fill(owner, -1);
        var readers = new List<int>[plan.BufferTypes.Length];
        for (int b = 0; b < readers.Length; b++) readers[b] = [];
        for (int m = 0; m < nodes.Length; m++)
        {
            var node = nodes[m];
            foreach (var id in node.InputIds)
            {
                foreach (var a in aliases[id])
                {
                    int b = plan.ValueBuffer[a];
                    if (b >= 0 && owner[b] == a) readers[b].Add(m);
                }
            }
            for (int i = 0; i < node.OutputIds.Length; i++)
            {
                int b = node.OutputBuffers[i];
                if (b < 0) continue;
                if (owner[b] >= 0)
                {
                    edge(producer[owner[b]], m);
                    foreach (var r in readers[b]) edge(r, m);
                }
                owner[b] = node.OutputIds[i];
                readers[b].Clear();
            }
        }
    }

    /// <summary>Readers of a piece of state wait for its last changer; a changer waits for every earlier reader and changer.</summary>
    private static void AddStateEdges(ExecutionPlan plan, int[][] aliases, bool[] isState, Action<int, int> edge)
    {
        var nodes = plan.Nodes;
        const int AnyState = -1; // the order of stateful nodes among themselves
        var lastWriter = new Dictionary<int, int>();
        var readers = new Dictionary<int, List<int>>();
        var touched = new HashSet<int>();
        for (int m = 0; m < nodes.Length; m++)
        {
            var node = nodes[m];
            touched.Clear();
            bool writes = node.Op.Spec.IsStateful;
            for (int i = 0; i < node.InputIds.Length; i++)
            {
                if (node.InputIsRef[i]) writes = true;
                foreach (var a in aliases[node.InputIds[i]]) if (isState[a]) touched.Add(a);
            }
            foreach (var o in node.OutputIds) if (isState[o]) touched.Add(o);
            if (node.Op.Spec.IsStateful) touched.Add(AnyState);
            foreach (var s in touched)
            {
                if (lastWriter.TryGetValue(s, out int w)) edge(w, m);
                if (!readers.TryGetValue(s, out var rs)) readers[s] = rs = [];
                if (writes)
                {
                    foreach (var r in rs) edge(r, m);
                    rs.Clear();
                    lastWriter[s] = m;
                }
                else rs.Add(m);
            }
        }
    }

    /// <summary>The most nodes with inputs on one level, a node's level being one more than its deepest predecessor's.</summary>
    private static int WidthOf(PlanNode[] nodes, HashSet<int>[] preds)
    {
        var level = new int[nodes.Length];
        var count = new Dictionary<int, int>();
        int width = 0;
        for (int m = 0; m < nodes.Length; m++)
        {
            foreach (var p in preds[m]) level[m] = Math.Max(level[m], level[p] + 1);
            if (nodes[m].InputIds.Length == 0) continue;
            count[level[m]] = count.GetValueOrDefault(level[m]) + 1;
            width = Math.Max(width, count[level[m]]);
        }
        return width;
    }
}
