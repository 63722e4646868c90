using TensorGraph.Ops;

namespace TensorGraph.Runtime;

/// <summary>
/// The static half of running a plan that contains while loops: which frame every node runs in
/// (TF's ControlFlowInfo: an Enter's outputs live in the child frame it names, an Exit's in the
/// parent frame, everything else in the frame of its inputs), the edges by value id, and the
/// loop Merges' back edges from NextIteration.
/// </summary>
internal sealed class LoopPlan
{
    private readonly PlanNode[] _nodes;

    // Frames while they are found: 0 is the root; others are keyed by (parent frame, frame_name).
    private readonly Dictionary<(int, string), int> _frameIds = [];
    private readonly List<int> _parents = [-1];
    private readonly List<string> _names = [""];

    public LoopPlan(ExecutionPlan plan)
    {
        _nodes = plan.Nodes;
        int n = _nodes.Length;
        Roles = new ControlFlowRole[n];
        FrameOf = new int[n];
        ChildFrame = new int[n];
        IsConstantEnter = new bool[n];
        NumBackInputs = new int[n];
        Producer = IndexProducers(plan.NumValues);
        (Consumers, ControlConsumers) = IndexConsumers(plan.NumValues);
        PlaceNodesInFrames();
        CheckFrameEdges(plan);
        CheckFetchesAndFeedsInRoot(plan);
        ParentFrame = [.. _parents];
        FrameNames = [.. _names];
        FrameNodeCount = new int[_parents.Count];
        ExitNodes = new List<int>[_parents.Count].Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < n; i++)
        {
            FrameNodeCount[FrameOf[i]]++;
            if (Roles[i] == ControlFlowRole.Exit) ExitNodes[FrameOf[i]].Add(i);
        }
        RootSources = Enumerable.Range(0, n).Where(i => FrameOf[i] == 0 && _nodes[i].InputIds.Length == 0 && _nodes[i].ControlNodes.Length == 0).ToArray();
    }

    /// <summary>Each node's control-flow role (Enter, Exit and NextIteration move values between frames and iterations).</summary>
    public ControlFlowRole[] Roles { get; }

    public int[] FrameOf { get; }

    /// <summary>For Enter nodes: the frame they enter.</summary>
    public int[] ChildFrame { get; }

    public bool[] IsConstantEnter { get; }

    /// <summary>For Merge nodes: how many inputs come from NextIteration (0 for a conditional's Merge).</summary>
    public int[] NumBackInputs { get; }

    /// <summary>Value id → producing node (-1 for feeds).</summary>
    public int[] Producer { get; }

    /// <summary>Value id → (node, input slot) reading it.</summary>
    public (int Node, int Slot)[][] Consumers { get; }

    /// <summary>Node → nodes with a control input on it.</summary>
    public int[][] ControlConsumers { get; }

    public int[] ParentFrame { get; }

    public string[] FrameNames { get; }

    public int[] FrameNodeCount { get; }

    public List<int>[] ExitNodes { get; }

    /// <summary>Root-frame nodes with no inputs at all: ready at the start.</summary>
    public int[] RootSources { get; }

    /// <summary>Records each node's role (and whether an Enter is constant); returns the producer of every value id.</summary>
    private int[] IndexProducers(int numValues)
    {
        var producer = new int[numValues];
        Array.Fill(producer, -1);
        for (int i = 0; i < _nodes.Length; i++)
        {
            var op = _nodes[i].Op;
            Roles[i] = op.Spec.ControlFlow;
            if (Roles[i] == ControlFlowRole.Enter) IsConstantEnter[i] = op.GetAttrBool("is_constant");
            foreach (var o in _nodes[i].OutputIds) producer[o] = i;
        }
        return producer;
    }

    /// <summary>The readers of every value id and of every node (control edges); counts each Merge's back edges.</summary>
    private ((int, int)[][] Consumers, int[][] ControlConsumers) IndexConsumers(int numValues)
    {
        var consumers = new List<(int, int)>[numValues];
        var controlConsumers = new List<int>[_nodes.Length];
        for (int i = 0; i < _nodes.Length; i++) controlConsumers[i] = [];
        for (int i = 0; i < _nodes.Length; i++)
        {
            var ids = _nodes[i].InputIds;
            for (int s = 0; s < ids.Length; s++)
            {
                (consumers[ids[s]] ??= []).Add((i, s));
                if (IsBackEdge(i, s)) NumBackInputs[i]++;
            }
            foreach (var c in _nodes[i].ControlNodes) controlConsumers[c].Add(i);
        }
        return (consumers.Select(l => l?.ToArray() ?? []).ToArray(), controlConsumers.Select(l => l.ToArray()).ToArray());
    }

    /// <summary>Whether input <paramref name="slot"/> of <paramref name="node"/> is a loop Merge's back edge from NextIteration.</summary>
    private bool IsBackEdge(int node, int slot) =>
        _nodes[node].IsMerge && Producer[_nodes[node].InputIds[slot]] is int p && p >= 0 && Roles[p] == ControlFlowRole.NextIteration;

    /// <summary>The frame the outputs of node <paramref name="p"/> live in (-1 while <paramref name="p"/> is not placed yet).</summary>
    private int OutFrame(int p)
    {
        int f = FrameOf[p];
        if (f < 0) return -1;
        switch (Roles[p])
        {
            case ControlFlowRole.Enter:
                if (ChildFrame[p] < 0) ChildFrame[p] = ChildFrameOf(f, _nodes[p].Op.GetAttrString("frame_name"));
                return ChildFrame[p];
            case ControlFlowRole.Exit:
                if (f == 0) throw PlanError(_nodes[p].Op, "is an Exit outside of any while loop (no Enter leads to it)");
                return _parents[f];
            default:
                return f;
        }
    }

    /// <summary>The frame named <paramref name="name"/> inside <paramref name="parent"/>, created on first use.</summary>
    private int ChildFrameOf(int parent, string name)
    {
        var key = (parent, name);
        if (!_frameIds.TryGetValue(key, out int child))
        {
            _frameIds[key] = child = _parents.Count;
            _parents.Add(parent);
            _names.Add(name);
        }
        return child;
    }

    private int InputFrame(int node, int slot) => Producer[_nodes[node].InputIds[slot]] is int p && p >= 0 ? OutFrame(p) : 0;

    /// <summary>
    /// Places every node in the frame of its first input that is not a back edge (or of its first
    /// control input; input-less nodes in the root), repeating until nothing changes.
    /// </summary>
    private void PlaceNodesInFrames()
    {
        Array.Fill(FrameOf, -1);
        Array.Fill(ChildFrame, -1);
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = 0; i < _nodes.Length; i++)
            {
                if (FrameOf[i] >= 0) continue;
                var node = _nodes[i];
                int f = -1;
                for (int s = 0; s < node.InputIds.Length && f < 0; s++) if (!IsBackEdge(i, s)) f = InputFrame(i, s);
                foreach (var c in node.ControlNodes) if (f < 0) f = OutFrame(c);
                if (f < 0 && node.InputIds.Length == 0 && node.ControlNodes.Length == 0) f = 0;
                if (f >= 0)
                {
                    FrameOf[i] = f;
                    changed = true;
                }
            }
        }
    }

    /// <summary>Every node is placed, and all its inputs (data and control) come from its own frame.</summary>
    private void CheckFrameEdges(ExecutionPlan plan)
    {
        for (int i = 0; i < _nodes.Length; i++)
        {
            var op = _nodes[i].Op;
            if (FrameOf[i] < 0) throw PlanError(op, "cannot be placed in a while-loop frame: all of its inputs come from NextIteration back edges");
            for (int s = 0; s < _nodes[i].InputIds.Length; s++)
            {
                int f = InputFrame(i, s);
                if (f != FrameOf[i])
                    throw PlanError(op, $"reads '{op.Inputs[s].Name}', which is in {FrameName(f)} while it runs in {FrameName(FrameOf[i])}; " +
                        "tensors enter a while loop through Enter and leave it through Exit" +
                        (plan.Feeds.Length > 0 ? " (tensors inside a while loop cannot be fed either)" : ""));
            }
            foreach (var c in _nodes[i].ControlNodes)
            {
                if (OutFrame(c) != FrameOf[i])
                    throw PlanError(op, $"has a control input on '{_nodes[c].Op.Name}' in {FrameName(OutFrame(c))} while it runs in {FrameName(FrameOf[i])}");
            }
            if (Roles[i] == ControlFlowRole.Enter) OutFrame(i);
        }
    }

    /// <summary>Fetched values are produced, and fed values read, in the root frame only.</summary>
    private void CheckFetchesAndFeedsInRoot(ExecutionPlan plan)
    {
        foreach (var (f, k) in plan.FetchIds.Select((f, k) => (f, k)))
        {
            if (Producer[f] >= 0 && OutFrame(Producer[f]) != 0)
                throw PlanError(plan.Fetches[k].Op, $"cannot be fetched: '{plan.Fetches[k].Name}' is inside while loop '{_names[OutFrame(Producer[f])]}' (fetch the loop's Exit outputs)");
        }
        for (int k = 0; k < plan.FeedIds.Length; k++)
        {
            foreach (var (c, _) in Consumers[plan.FeedIds[k]])
            {
                if (FrameOf[c] != 0)
                    throw PlanError(plan.Feeds[k].Op, $"cannot be fed: '{plan.Feeds[k].Name}' is read inside while loop '{_names[FrameOf[c]]}'");
            }
        }
    }

    private string FrameName(int f) => f <= 0 ? "the root frame" : $"while loop '{_names[f]}'";

    private static InvalidArgumentException PlanError(Operation op, string what) =>
        (InvalidArgumentException)Graph.NodeError(new InvalidArgumentException($"'{op.Name}' {what}"), op.Name, op.Type, op.Location);
}

/// <summary>
/// Running a plan with while loops: TF's executor model, one node at a time. Every value is
/// tagged with a frame instance and an iteration; a node runs when its inputs for that
/// (frame, iteration) have arrived (a Merge when one live input has, or all expected ones are
/// dead). Enter moves values into a child frame (constant Enters into every iteration), NextIteration
/// into the next iteration, Exit back to the parent. Kernels are the same as in straight plans:
/// each node's inputs are staged into the value table just before it runs.
/// </summary>
internal sealed partial class ExecState
{
    private sealed class FrameInst(int frame, FrameInst? parent, int parentIter)
    {
        public int Frame { get; } = frame;
        public FrameInst? Parent { get; } = parent;
        public int ParentIter { get; } = parentIter;
        public Dictionary<int, IterState> Iters { get; } = [];
        public List<(int Node, Tensor? Value, bool Dead)> Invariants { get; } = [];
        public Dictionary<(int Iter, int Frame), FrameInst> Children { get; } = [];
        public HashSet<int> LiveExits { get; } = [];
        public bool ExitsResolved { get; set; }
    }

    private sealed class IterState
    {
        public Dictionary<int, NodeInst> Nodes { get; } = [];
        public int Done { get; set; }
    }

    /// <summary>One node in one (frame instance, iteration): what has arrived so far.</summary>
    private sealed class NodeInst(int inputs)
    {
        public Tensor?[] In { get; } = new Tensor?[inputs];
        public bool[] Arrived { get; } = new bool[inputs];
        public bool[] InDead { get; } = new bool[inputs];
        public int DataArrived { get; set; }
        public int DeadArrived { get; set; }
        public bool AnyLive { get; set; }
        public int ControlArrived { get; set; }
        public bool ControlDead { get; set; }
        public bool Fired { get; set; }

        public void ArriveData(int slot, Tensor? v, bool dead)
        {
            In[slot] = v;
            InDead[slot] = dead;
            Arrived[slot] = true;
            DataArrived++;
            if (dead) DeadArrived++;
            else AnyLive = true;
        }

        public void ArriveControl(bool dead)
        {
            ControlArrived++;
            if (dead) ControlDead = true;
        }
    }

    private void ExecuteFrames(ReadOnlySpan<Tensor> feeds)
    {
        var run = new FrameRun(this);
        run.DeliverFeeds(feeds);
        run.StartRootSources();
        run.RunToCompletion();
        run.CollectFetches();
    }

    /// <summary>The dynamic state of one run of a loop plan: frame instances, the ready queue and the root frame's values.</summary>
    private sealed class FrameRun
    {
        private readonly ExecState _state;
        private readonly ExecutionPlan _plan;
        private readonly LoopPlan _lp;
        private readonly PlanNode[] _nodes;
        private readonly Tensor?[] _rootValues;
        private readonly bool[] _rootDone;
        private readonly bool[] _rootDead;
        private readonly List<FrameInst> _frames = [];
        private readonly Queue<(int Node, FrameInst Frame, int Iter)> _ready = new();
        private readonly FrameInst _root = new(0, null, 0);

        public FrameRun(ExecState state)
        {
            _state = state;
            _plan = state.Plan;
            _lp = _plan.Loops!;
            _nodes = _plan.Nodes;
            _rootValues = new Tensor?[_plan.NumValues];
            _rootDone = new bool[_plan.NumValues];
            _rootDead = new bool[_plan.NumValues];
            _frames.Add(_root);
        }

        // ------------------------------------------------------------ start and finish

        public void DeliverFeeds(ReadOnlySpan<Tensor> feeds)
        {
            for (int i = 0; i < feeds.Length; i++)
            {
                int id = _plan.FeedIds[i];
                _rootValues[id] = feeds[i];
                _rootDone[id] = true;
                foreach (var (c, slot) in _lp.Consumers[id]) Deliver(c, slot, _root, 0, feeds[i], false);
            }
        }

        /// <summary>Root-frame nodes without inputs are ready at once.</summary>
        public void StartRootSources()
        {
            foreach (var m in _lp.RootSources)
            {
                var it = Iter(_root, 0);
                it.Nodes[m] = new NodeInst(0) { Fired = true };
                _ready.Enqueue((m, _root, 0));
            }
        }

        /// <summary>Runs ready nodes until none is left and no frame has unresolved Exits.</summary>
        public void RunToCompletion()
        {
            do
            {
                while (_ready.TryDequeue(out var r))
                {
                    _state.CheckStop();
                    Run(r.Node, r.Frame, r.Iter);
                }
            }
            while (ResolveDeadExits());
        }

        public void CollectFetches()
        {
            var fetchIds = _plan.FetchIds;
            for (int i = 0; i < fetchIds.Length; i++)
            {
                int id = fetchIds[i];
                if (_rootDead[id]) throw _state.DeadFetch(i);
                if (!_rootDone[id])
                    throw Errors.Make(ErrorCode.Internal, $"Fetched tensor '{_plan.Fetches[i].Name}' was never computed: the graph's control flow did not reach it", null, _plan.Fetches[i].Op.Name);
                _state.Results[i] = _rootValues[id] ?? throw _state.Uninitialized(id);
            }
        }

        /// <summary>
        /// Nothing can run: frames whose Exits never got a live value (a loop that was itself dead,
        /// e.g. inside an untaken conditional branch) hand dead values to their parents. Returns
        /// whether any frame did (then more nodes may be ready).
        /// </summary>
        private bool ResolveDeadExits()
        {
            bool any = false;
            foreach (var f in _frames.ToArray())
            {
                if (f == _root || f.ExitsResolved) continue;
                f.ExitsResolved = true;
                foreach (var x in _lp.ExitNodes[f.Frame])
                {
                    if (f.LiveExits.Contains(x)) continue;
                    any = true;
                    var parent = f.Parent!;
                    int id = _nodes[x].OutputIds[0];
                    if (parent == _root)
                    {
                        _rootDead[id] = true;
                        _rootDone[id] = true;
                    }
                    foreach (var (c, slot) in _lp.Consumers[id]) Deliver(c, slot, parent, f.ParentIter, null, true);
                    foreach (var c in _lp.ControlConsumers[x]) Deliver(c, -1, parent, f.ParentIter, null, true);
                }
            }
            return any;
        }

        // ------------------------------------------------------------ arrivals

        /// <summary>The state of iteration <paramref name="iter"/> of <paramref name="f"/>; a new iteration first receives the frame's loop invariants.</summary>
        private IterState Iter(FrameInst f, int iter)
        {
            if (f.Iters.TryGetValue(iter, out var it)) return it;
            f.Iters[iter] = it = new IterState();
            foreach (var (node, value, dead) in f.Invariants) SendInvariant(node, f, iter, value, dead, dead);
            return it;
        }

        /// <summary>Input <paramref name="slot"/> (-1: a control input) of node <paramref name="m"/> arrives; queues the node once it can run.</summary>
        private void Deliver(int m, int slot, FrameInst f, int iter, Tensor? v, bool dead)
        {
            var it = Iter(f, iter);
            if (!it.Nodes.TryGetValue(m, out var ni)) it.Nodes[m] = ni = new NodeInst(_nodes[m].InputIds.Length);
            if (ni.Fired) return; // a Merge that already ran on its first live input
            if (slot >= 0) ni.ArriveData(slot, v, dead);
            else ni.ArriveControl(dead);
            if (CanFire(m, ni, iter))
            {
                ni.Fired = true;
                _ready.Enqueue((m, f, iter));
            }
        }

        /// <summary>
        /// Every control input has arrived, and: for a Merge, one live input or every expected
        /// input dead (a loop Merge expects its Enter in iteration 0 and its NextIteration after);
        /// for any other node, every input.
        /// </summary>
        private bool CanFire(int m, NodeInst ni, int iter)
        {
            var node = _nodes[m];
            if (ni.ControlArrived < node.ControlNodes.Length) return false;
            if (!node.IsMerge) return ni.DataArrived == node.InputIds.Length;
            int back = _lp.NumBackInputs[m];
            int expected = back == 0 ? node.InputIds.Length : iter == 0 ? node.InputIds.Length - back : back;
            return ni.AnyLive || ni.DeadArrived >= expected;
        }

        private void DeliverOutputs(int m, int output, FrameInst f, int iter, Tensor? v, bool dead)
        {
            foreach (var (c, slot) in _lp.Consumers[_nodes[m].OutputIds[output]]) Deliver(c, slot, f, iter, v, dead);
        }

        /// <summary>A constant Enter's value reaches one iteration of its frame, with its control consumers.</summary>
        private void SendInvariant(int m, FrameInst f, int iter, Tensor? value, bool dead, bool nodeDead)
        {
            DeliverOutputs(m, 0, f, iter, value, dead);
            foreach (var c in _lp.ControlConsumers[m]) Deliver(c, -1, f, iter, null, nodeDead);
        }

        private FrameInst Child(FrameInst f, int iter, int frame)
        {
            if (!f.Children.TryGetValue((iter, frame), out var child))
            {
                f.Children[(iter, frame)] = child = new FrameInst(frame, f, iter);
                _frames.Add(child);
            }
            return child;
        }

        // ------------------------------------------------------------ running a node

        /// <summary>Runs node <paramref name="m"/> in (<paramref name="f"/>, <paramref name="iter"/>) (or marks it dead) and sends its outputs on.</summary>
        private void Run(int m, FrameInst f, int iter)
        {
            var node = _nodes[m];
            var it = f.Iters[iter];
            var ni = it.Nodes[m];
            var outs = new Tensor?[node.OutputIds.Length];
            var outDead = new bool[outs.Length];
            bool dead = !node.NeverDead && (node.IsMerge ? !ni.AnyLive : ni.DeadArrived > 0 || ni.ControlDead);
            if (dead) Array.Fill(outDead, true);
            else RunKernel(m, ni, outs, outDead);
            Propagate(m, f, iter, outs, outDead, dead);
            it.Done++;
            if (it.Done == _lp.FrameNodeCount[f.Frame] && f != _root) f.Iters.Remove(iter);
        }

        /// <summary>Stages the node's inputs in the value table, runs its kernel, and takes its outputs back out.</summary>
        private void RunKernel(int m, NodeInst ni, Tensor?[] outs, bool[] outDead)
        {
            var node = _nodes[m];
            var values = _state.Values;
            var deadFlags = _state.Dead;
            var ids = node.InputIds;
            for (int i = 0; i < ids.Length; i++)
            {
                if (!node.IsMerge && ni.In[i] is null && !node.InputIsRef[i]) throw _state.Uninitialized(node, i);
                values[ids[i]] = ni.In[i];
                deadFlags[ids[i]] = !ni.Arrived[i] || ni.InDead[i];
            }
            ClearValues(node.OutputIds);
            _state.RunNode(m, node, _state._ctx);
            for (int o = 0; o < outs.Length; o++)
            {
                outs[o] = values[node.OutputIds[o]];
                outDead[o] = deadFlags[node.OutputIds[o]];
            }
            ClearValues(ids);
            ClearValues(node.OutputIds);
        }

        private void ClearValues(int[] ids)
        {
            foreach (var id in ids)
            {
                _state.Values[id] = null;
                _state.Dead[id] = false;
            }
        }

        /// <summary>
        /// Sends a node's outputs to their consumers: an Enter's into its child frame (a constant
        /// Enter's into every iteration, present and future), a live Exit's to the parent frame, a
        /// live NextIteration's to the next iteration, anyone else's within the same iteration.
        /// </summary>
        private void Propagate(int m, FrameInst f, int iter, Tensor?[] outs, bool[] outDead, bool nodeDead)
        {
            FrameInst target = f;
            int targetIter = iter;
            switch (_lp.Roles[m])
            {
                case ControlFlowRole.Enter:
                    target = Child(f, iter, _lp.ChildFrame[m]);
                    targetIter = 0;
                    if (_lp.IsConstantEnter[m])
                    {
                        target.Invariants.Add((m, outs[0], outDead[0]));
                        foreach (var i in target.Iters.Keys.ToArray()) SendInvariant(m, target, i, outs[0], outDead[0], nodeDead);
                        return;
                    }
                    break;
                case ControlFlowRole.Exit:
                    if (outDead[0]) return; // resolved when the frame has finished, if no iteration exits live
                    f.LiveExits.Add(m);
                    target = f.Parent!;
                    targetIter = f.ParentIter;
                    break;
                case ControlFlowRole.NextIteration:
                    if (outDead[0]) return; // the loop has ended
                    targetIter = iter + 1;
                    break;
            }
            if (target == _root) RecordRootValues(m, outs, outDead);
            for (int o = 0; o < outs.Length; o++) DeliverOutputs(m, o, target, targetIter, outs[o], outDead[o]);
            foreach (var c in _lp.ControlConsumers[m]) Deliver(c, -1, target, targetIter, null, nodeDead);
        }

        /// <summary>Keeps the root frame's values: fetches read them once the run is over.</summary>
        private void RecordRootValues(int m, Tensor?[] outs, bool[] outDead)
        {
            var node = _nodes[m];
            for (int o = 0; o < outs.Length; o++)
            {
                int id = node.OutputIds[o];
                _rootValues[id] = outs[o];
                _rootDead[id] = outDead[o];
                _rootDone[id] = true;
            }
        }
    }
}
