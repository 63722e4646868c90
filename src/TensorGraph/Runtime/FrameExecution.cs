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
    public LoopPlan(ExecutionPlan plan)
    {
        var nodes = plan.Nodes;
        int n = nodes.Length;
        Roles = new ControlFlowRole[n];
        FrameOf = new int[n];
        ChildFrame = new int[n];
        IsConstantEnter = new bool[n];
        NumBackInputs = new int[n];
        var producer = new int[plan.NumValues];
        Array.Fill(producer, -1);
        var consumers = new List<(int, int)>[plan.NumValues];
        var controlConsumers = new List<int>[n];
        for (int i = 0; i < n; i++)
        {
            var op = nodes[i].Op;
            Roles[i] = op.Spec.ControlFlow;
            if (Roles[i] == ControlFlowRole.Enter) IsConstantEnter[i] = op.GetAttrBool("is_constant");
            foreach (var o in nodes[i].OutputIds) producer[o] = i;
            controlConsumers[i] = [];
        }
        for (int i = 0; i < n; i++)
        {
            var ids = nodes[i].InputIds;
            for (int s = 0; s < ids.Length; s++)
            {
                (consumers[ids[s]] ??= []).Add((i, s));
                if (nodes[i].IsMerge && producer[ids[s]] >= 0 && Roles[producer[ids[s]]] == ControlFlowRole.NextIteration) NumBackInputs[i]++;
            }
            foreach (var c in nodes[i].ControlNodes) controlConsumers[c].Add(i);
        }
        Producer = producer;
        Consumers = consumers.Select(l => l?.ToArray() ?? []).ToArray();
        ControlConsumers = controlConsumers.Select(l => l.ToArray()).ToArray();

        // Frames: 0 is the root; others are keyed by (parent frame, frame_name).
        var frameIds = new Dictionary<(int, string), int>();
        var parents = new List<int> { -1 };
        var names = new List<string> { "" };
        Array.Fill(FrameOf, -1);
        Array.Fill(ChildFrame, -1);
        int OutFrame(int p)
        {
            int f = FrameOf[p];
            if (f < 0) return -1;
            switch (Roles[p])
            {
                case ControlFlowRole.Enter:
                    if (ChildFrame[p] < 0)
                    {
                        var key = (f, nodes[p].Op.GetAttrString("frame_name"));
                        if (!frameIds.TryGetValue(key, out int child))
                        {
                            frameIds[key] = child = parents.Count;
                            parents.Add(f);
                            names.Add(key.Item2);
                        }
                        ChildFrame[p] = child;
                    }
                    return ChildFrame[p];
                case ControlFlowRole.Exit:
                    if (f == 0) throw PlanError(nodes[p].Op, "is an Exit outside of any while loop (no Enter leads to it)");
                    return parents[f];
                default:
                    return f;
            }
        }
        bool IsBackEdge(int node, int slot) => nodes[node].IsMerge && Producer[nodes[node].InputIds[slot]] is int p && p >= 0 && Roles[p] == ControlFlowRole.NextIteration;
        int InputFrame(int node, int slot) => Producer[nodes[node].InputIds[slot]] is int p && p >= 0 ? OutFrame(p) : 0;
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = 0; i < n; i++)
            {
                if (FrameOf[i] >= 0) continue;
                int f = -1;
                for (int s = 0; s < nodes[i].InputIds.Length && f < 0; s++) if (!IsBackEdge(i, s)) f = InputFrame(i, s);
                foreach (var c in nodes[i].ControlNodes) if (f < 0) f = OutFrame(c);
                if (f < 0 && nodes[i].InputIds.Length == 0 && nodes[i].ControlNodes.Length == 0) f = 0;
                if (f >= 0)
                {
                    FrameOf[i] = f;
                    changed = true;
                }
            }
        }
        for (int i = 0; i < n; i++)
        {
            var op = nodes[i].Op;
            if (FrameOf[i] < 0) throw PlanError(op, "cannot be placed in a while-loop frame: all of its inputs come from NextIteration back edges");
            for (int s = 0; s < nodes[i].InputIds.Length; s++)
            {
                int f = InputFrame(i, s);
                if (f != FrameOf[i])
                    throw PlanError(op, $"reads '{op.Inputs[s].Name}', which is in {FrameName(names, f)} while it runs in {FrameName(names, FrameOf[i])}; " +
                        "tensors enter a while loop through Enter and leave it through Exit" +
                        (plan.Feeds.Length > 0 ? " (tensors inside a while loop cannot be fed either)" : ""));
            }
            foreach (var c in nodes[i].ControlNodes)
            {
                if (OutFrame(c) != FrameOf[i])
                    throw PlanError(op, $"has a control input on '{nodes[c].Op.Name}' in {FrameName(names, OutFrame(c))} while it runs in {FrameName(names, FrameOf[i])}");
            }
            if (Roles[i] == ControlFlowRole.Enter) OutFrame(i);
        }
        foreach (var (f, k) in plan.FetchIds.Select((f, k) => (f, k)))
        {
            if (Producer[f] >= 0 && OutFrame(Producer[f]) != 0)
                throw PlanError(plan.Fetches[k].Op, $"cannot be fetched: '{plan.Fetches[k].Name}' is inside while loop '{names[OutFrame(Producer[f])]}' (fetch the loop's Exit outputs)");
        }
        for (int k = 0; k < plan.FeedIds.Length; k++)
        {
            foreach (var (c, _) in Consumers[plan.FeedIds[k]])
            {
                if (FrameOf[c] != 0)
                    throw PlanError(plan.Feeds[k].Op, $"cannot be fed: '{plan.Feeds[k].Name}' is read inside while loop '{names[FrameOf[c]]}'");
            }
        }
        ParentFrame = [.. parents];
        FrameNames = [.. names];
        FrameNodeCount = new int[parents.Count];
        ExitNodes = new List<int>[parents.Count].Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < n; i++)
        {
            FrameNodeCount[FrameOf[i]]++;
            if (Roles[i] == ControlFlowRole.Exit) ExitNodes[FrameOf[i]].Add(i);
        }
        RootSources = Enumerable.Range(0, n).Where(i => FrameOf[i] == 0 && nodes[i].InputIds.Length == 0 && nodes[i].ControlNodes.Length == 0).ToArray();
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

    private static string FrameName(List<string> names, int f) => f <= 0 ? "the root frame" : $"while loop '{names[f]}'";

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
    }

    private void ExecuteFrames(ReadOnlySpan<Tensor> feeds)
    {
        var plan = Plan;
        var lp = plan.Loops!;
        var nodes = plan.Nodes;
        var rootValues = new Tensor?[plan.NumValues];
        var rootDone = new bool[plan.NumValues];
        var rootDead = new bool[plan.NumValues];
        var frames = new List<FrameInst>();
        var ready = new Queue<(int Node, FrameInst Frame, int Iter)>();
        var root = new FrameInst(0, null, 0);
        frames.Add(root);

        IterState Iter(FrameInst f, int iter)
        {
            if (f.Iters.TryGetValue(iter, out var it)) return it;
            f.Iters[iter] = it = new IterState();
            foreach (var (node, value, dead) in f.Invariants)
            {
                DeliverOutputs(node, 0, f, iter, value, dead);
                foreach (var c in lp.ControlConsumers[node]) Deliver(c, -1, f, iter, null, dead);
            }
            return it;
        }

        void Deliver(int m, int slot, FrameInst f, int iter, Tensor? v, bool dead)
        {
            var it = Iter(f, iter);
            if (!it.Nodes.TryGetValue(m, out var ni)) it.Nodes[m] = ni = new NodeInst(nodes[m].InputIds.Length);
            if (ni.Fired) return; // a Merge that already ran on its first live input
            if (slot >= 0)
            {
                ni.In[slot] = v;
                ni.InDead[slot] = dead;
                ni.Arrived[slot] = true;
                ni.DataArrived++;
                if (dead) ni.DeadArrived++;
                else ni.AnyLive = true;
            }
            else
            {
                ni.ControlArrived++;
                if (dead) ni.ControlDead = true;
            }
            var node = nodes[m];
            if (ni.ControlArrived < node.ControlNodes.Length) return;
            bool fire;
            if (node.IsMerge)
            {
                int back = lp.NumBackInputs[m];
                int expected = back == 0 ? node.InputIds.Length : iter == 0 ? node.InputIds.Length - back : back;
                fire = ni.AnyLive || ni.DeadArrived >= expected;
            }
            else fire = ni.DataArrived == node.InputIds.Length;
            if (fire)
            {
                ni.Fired = true;
                ready.Enqueue((m, f, iter));
            }
        }

        void DeliverOutputs(int m, int output, FrameInst f, int iter, Tensor? v, bool dead)
        {
            foreach (var (c, slot) in lp.Consumers[nodes[m].OutputIds[output]]) Deliver(c, slot, f, iter, v, dead);
        }

        FrameInst Child(FrameInst f, int iter, int frame)
        {
            if (!f.Children.TryGetValue((iter, frame), out var child))
            {
                f.Children[(iter, frame)] = child = new FrameInst(frame, f, iter);
                frames.Add(child);
            }
            return child;
        }

        void Propagate(int m, FrameInst f, int iter, Tensor?[] outs, bool[] outDead, bool nodeDead)
        {
            var node = nodes[m];
            FrameInst target = f;
            int targetIter = iter;
            switch (lp.Roles[m])
            {
                case ControlFlowRole.Enter:
                    target = Child(f, iter, lp.ChildFrame[m]);
                    targetIter = 0;
                    if (lp.IsConstantEnter[m])
                    {
                        target.Invariants.Add((m, outs[0], outDead[0]));
                        foreach (var i in target.Iters.Keys.ToArray())
                        {
                            DeliverOutputs(m, 0, target, i, outs[0], outDead[0]);
                            foreach (var c in lp.ControlConsumers[m]) Deliver(c, -1, target, i, null, nodeDead);
                        }
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
            if (target == root)
            {
                for (int o = 0; o < outs.Length; o++)
                {
                    int id = node.OutputIds[o];
                    rootValues[id] = outs[o];
                    rootDead[id] = outDead[o];
                    rootDone[id] = true;
                }
            }
            for (int o = 0; o < outs.Length; o++) DeliverOutputs(m, o, target, targetIter, outs[o], outDead[o]);
            foreach (var c in lp.ControlConsumers[m]) Deliver(c, -1, target, targetIter, null, nodeDead);
        }

        void Run(int m, FrameInst f, int iter)
        {
            var node = nodes[m];
            var it = f.Iters[iter];
            var ni = it.Nodes[m];
            var outs = new Tensor?[node.OutputIds.Length];
            var outDead = new bool[outs.Length];
            bool dead = node.IsMerge ? !ni.AnyLive : ni.DeadArrived > 0 || ni.ControlDead;
            if (dead)
            {
                Array.Fill(outDead, true);
            }
            else
            {
                var ids = node.InputIds;
                for (int i = 0; i < ids.Length; i++)
                {
                    if (!node.IsMerge && ni.In[i] is null && !node.InputIsRef[i]) throw Uninitialized(node, i);
                    Values[ids[i]] = ni.In[i];
                    Dead[ids[i]] = !ni.Arrived[i] || ni.InDead[i];
                }
                foreach (var o in node.OutputIds)
                {
                    Values[o] = null;
                    Dead[o] = false;
                }
                RunKernel(m, node);
                CheckOutputs(node);
                for (int o = 0; o < outs.Length; o++)
                {
                    outs[o] = Values[node.OutputIds[o]];
                    outDead[o] = Dead[node.OutputIds[o]];
                }
                foreach (var i in ids)
                {
                    Values[i] = null;
                    Dead[i] = false;
                }
                foreach (var o in node.OutputIds)
                {
                    Values[o] = null;
                    Dead[o] = false;
                }
            }
            Propagate(m, f, iter, outs, outDead, dead);
            it.Done++;
            if (it.Done == lp.FrameNodeCount[f.Frame] && f != root) f.Iters.Remove(iter);
        }

        for (int i = 0; i < feeds.Length; i++)
        {
            int id = plan.FeedIds[i];
            rootValues[id] = feeds[i];
            rootDone[id] = true;
            foreach (var (c, slot) in lp.Consumers[id]) Deliver(c, slot, root, 0, feeds[i], false);
        }
        foreach (var m in lp.RootSources)
        {
            var it = Iter(root, 0);
            it.Nodes[m] = new NodeInst(0) { Fired = true };
            ready.Enqueue((m, root, 0));
        }
        while (true)
        {
            while (ready.TryDequeue(out var r))
            {
                CheckStop();
                Run(r.Node, r.Frame, r.Iter);
            }
            // Nothing can run: frames whose Exits never got a live value (a loop that was itself
            // dead, e.g. inside an untaken conditional branch) hand dead values to their parents.
            bool any = false;
            foreach (var f in frames.ToArray())
            {
                if (f == root || f.ExitsResolved) continue;
                f.ExitsResolved = true;
                foreach (var x in lp.ExitNodes[f.Frame])
                {
                    if (f.LiveExits.Contains(x)) continue;
                    any = true;
                    var parent = f.Parent!;
                    int id = nodes[x].OutputIds[0];
                    if (parent == root)
                    {
                        rootDead[id] = true;
                        rootDone[id] = true;
                    }
                    foreach (var (c, slot) in lp.Consumers[id]) Deliver(c, slot, parent, f.ParentIter, null, true);
                    foreach (var c in lp.ControlConsumers[x]) Deliver(c, -1, parent, f.ParentIter, null, true);
                }
            }
            if (!any) break;
        }

        var fetchIds = plan.FetchIds;
        for (int i = 0; i < fetchIds.Length; i++)
        {
            int id = fetchIds[i];
            if (rootDead[id]) throw DeadFetch(i);
            if (!rootDone[id])
                throw Errors.Make(ErrorCode.Internal, $"Fetched tensor '{plan.Fetches[i].Name}' was never computed: the graph's control flow did not reach it", null, plan.Fetches[i].Op.Name);
            Results[i] = rootValues[id] ?? throw Uninitialized(id);
        }
    }
}
