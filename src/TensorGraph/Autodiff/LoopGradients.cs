using TensorGraph.Ops;

namespace TensorGraph;

// Gradients through while loops, graph-to-graph as TF 1.15 builds them (control_flow_state.py's
// _GradLoopState and _ControlFlowState, WhileContext's counter and accumulator builders): every
// forward loop between xs and ys gets a forward iteration counter, a backprop loop that runs as
// many iterations, stacks (StackV2/StackPushV2/StackPopV2) replaying each forward value the
// gradient needs in reverse order, and accumulator loops summing the gradients of loop invariants.

public sealed partial class Graph
{
    /// <summary>The backprop loop gradients are being built in (null outside one).</summary>
    internal WhileContext? CurrentGradLoop => GradLoopOf(_controlContext);

    private static WhileContext? GradLoopOf(ControlFlowContext? c)
    {
        for (; c is not null; c = c.Outer)
            if (c is WhileContext w) return w.GradState is null ? null : w;
        return null;
    }

    /// <summary>The innermost while loop an op's outputs live in (an Exit's outputs live outside its loop).</summary>
    internal static WhileContext? WhileContextOf(Operation op)
    {
        var c = op.Context;
        if (op.Spec.ControlFlow == ControlFlowRole.Exit && c is WhileContext exited) c = exited.Outer;
        for (; c is not null; c = c.Outer)
            if (c is WhileContext w) return w;
        return null;
    }

    /// <summary>Whether <paramref name="op"/> is a Switch of a while loop (it reads the loop's LoopCond).</summary>
    internal static bool IsLoopSwitch(Operation op) =>
        op.Spec.ControlFlow == ControlFlowRole.Switch && op.Inputs[1].Op.Spec.ControlFlow == ControlFlowRole.LoopCond;

    /// <summary>Whether <paramref name="op"/> is the Exit of a while loop built here (with its loop context).</summary>
    internal static bool IsLoopExit(Operation op) => op.Spec.ControlFlow == ControlFlowRole.Exit && op.Context is WhileContext;

    /// <summary>TF's GetLoopConstantEnter: the constant Enter behind Identity/Switch ops, if any.</summary>
    private static Operation? LoopConstantEnter(Output t)
    {
        var op = t.Op;
        while (op.Type == IdentitySpec.OpType || op.Spec.ControlFlow == ControlFlowRole.Switch) op = op.Inputs[0].Op;
        return IsLoopConstantEnter(op[0]) ? op : null;
    }

    /// <summary>
    /// Where a Shape/Size/Rank op goes when a backprop loop takes it of a forward-loop value: beside
    /// that value (TF's WhileContext.AddOp), so the stack holds the shape rather than the tensor.
    /// </summary>
    private ControlFlowContext? ShapeOpContextInForwardLoop(OpSpec spec, Output[] inputs)
    {
        if (inputs.Length == 0 || _controlContext is null) return null;
        if (spec.Type is not (ShapeSpec.OpType or SizeSpec.OpType or RankSpec.OpType)) return null;
        if (GradLoopOf(_controlContext) is not { GradState: { } gs } || !gs.IsForwardValue(inputs[0])) return null;
        // And TF's util.GetWhileContext of the input's op: an Exit of a nested loop belongs to that
        // loop, so the shape of a nested loop's output is taken in the backprop loop, not moved.
        var context = inputs[0].Op.Context;
        for (var c = context; c is not null; c = c.Outer)
            if (c is WhileContext w) return ReferenceEquals(w, gs.Forward) ? context : null;
        return null;
    }

    /// <summary>Builds ops with <paramref name="context"/> current and no control dependencies, then restores both.</summary>
    private T InContext<T>(ControlFlowContext? context, Func<T> build)
    {
        using (ControlContextScope(context)) return build();
    }

    /// <summary>Adds an op of a while loop's own structure (Enter, Merge, Switch, NextIteration, Exit) in <paramref name="wc"/>, with <paramref name="known"/> read as it is.</summary>
    private Output LoopOp(WhileContext wc, string type, Output[] inputs, string? name, KeyValuePair<string, Proto.AttrValue>[] attrs, Output? known = null) =>
        InContext(wc, () =>
        {
            if (known is { } k) wc.Known.Add(k);
            try
            {
                return AddOp(type, inputs, name, type, attrs)[0];
            }
            finally
            {
                if (known is { } k2) wc.Known.Remove(k2);
            }
        });

    private static KeyValuePair<string, Proto.AttrValue>[] TypeAttr(DType t) => [new("T", Attr.Type(t))];

    /// <summary>TF's <c>math_ops.add(x, 1)</c>: an <c>Add</c> whose constant is <c>Add/y</c>.</summary>
    private Output AddOne(Output x)
    {
        using var scope = NameScope("Add");
        var exact = CurrentNameScope + "/";
        return Binary(AddSpec.OpType, x, Constant(Tensor.Scalar(1), name: "y"), exact);
    }

    /// <summary>A zero tensor for a statically known shape, as <c>constant_op.constant(0, shape=...)</c> builds it.</summary>
    private Output ZerosConst(Shape shape, DType dtype, string? name = null) => Constant(ScalarOf(dtype, 0), shape, name: name);

    /// <summary>
    /// One forward loop's gradient (TF's <c>_GradLoopState</c>): the forward counter, the backprop
    /// loop and its counter, the stacks of forward values, and the bookkeeping of the loop's Exits.
    /// </summary>
    internal sealed class GradLoopState
    {
        private readonly Graph _g;
        private readonly ControlFlowContext? _caller;
        private Operation? _forwardSync;
        private Operation? _gradSync;

        public GradLoopState(Graph g, WhileContext forward, GradLoopState? outer, ControlFlowContext? caller)
        {
            _g = g;
            _caller = caller;
            Forward = forward;
            Outer = outer;
            ForwardLoopExits = [.. forward.LoopExits];
            PendingExitsCount = ForwardLoopExits.Count;
            var (count, forwardIndex) = AddForwardLoopCounter();
            ForwardIndex = forwardIndex;
            if (outer is null)
            {
                Grad = new WhileContext(g.UniqueName(forward.FrameName), forward.ParallelIterations, forward.BackProp, caller) { GradState = this };
                GradIndex = AddBackpropLoopCounter(count);
            }
            else
            {
                // The inner loop runs once per outer iteration: its iteration count is a value of
                // the outer loop, replayed in the outer backprop loop to start this one.
                var history = outer.AddForwardAccumulator(count);
                Grad = new WhileContext(g.UniqueName(forward.FrameName), forward.ParallelIterations, forward.BackProp, outer.Grad) { GradState = this };
                var real = outer.AddBackpropAccumulatedValue(history, count);
                GradIndex = AddBackpropLoopCounter(real);
            }
        }

        public WhileContext Forward { get; }

        public GradLoopState? Outer { get; }

        /// <summary>The backprop loop.</summary>
        public WhileContext Grad { get; }

        /// <summary>The NextIteration of the forward counter: every push is ordered before it.</summary>
        public Operation ForwardIndex { get; }

        /// <summary>The NextIteration of the backprop counter.</summary>
        public Operation GradIndex { get; }

        /// <summary>The forward loop's Exits when the gradient started (without the counter's).</summary>
        public List<Output> ForwardLoopExits { get; }

        public int PendingExitsCount { get; set; }

        public List<Output> DeferredExits { get; } = [];

        public List<Output> UnusedExits { get; } = [];

        /// <summary>Forward loop Switch → the backprop Merge (<c>b_switch</c>) of its loop variable's gradient.</summary>
        public Dictionary<Operation, Output> SwitchMap { get; } = [];

        /// <summary>Whether <paramref name="x"/> is computed in the forward loop itself (so the backprop loop replays it from a stack).</summary>
        public bool IsForwardValue(Output x) => ReferenceEquals(WhileContextOf(x.Op), Forward);

        /// <summary>TF's forward_sync: a ControlTrigger ordering pushes inside conditionals before the counter's NextIteration.</summary>
        private Operation ForwardSync
        {
            get
            {
                if (_forwardSync is null)
                {
                    _forwardSync = _g.InContext(null, () => _g.AddOp(ControlTriggerSpec.OpType, [], "f_sync"));
                    Forward.Adopt(_forwardSync);
                    ForwardIndex.AddControlInput(_forwardSync);
                }
                return _forwardSync;
            }
        }

        /// <summary>TF's grad_sync: a ControlTrigger every pop is ordered before, ahead of the backprop counter's NextIteration.</summary>
        public Operation GradSync
        {
            get
            {
                if (_gradSync is null)
                {
                    _gradSync = _g.InContext(null, () => _g.AddOp(ControlTriggerSpec.OpType, [], "b_sync"));
                    Grad.Adopt(_gradSync);
                    GradIndex.AddControlInput(_gradSync);
                }
                return _gradSync;
            }
        }

        /// <summary>
        /// TF's AddForwardLoopCounter: an int32 loop variable counting the forward iterations
        /// (<c>f_count</c>); returns its Exit (the iteration count) and its NextIteration.
        /// </summary>
        private (Output Count, Operation Index) AddForwardLoopCounter()
        {
            var g = _g;
            var n = g.InContext(Forward.Outer, () => g.Constant(Tensor.Scalar(0), name: "f_count"));
            // Pushes of the i-th run of an inner loop come before those of the (i+1)-th.
            if (Outer is not null) n.Op.AddControlInput(Outer.ForwardIndex.Inputs[0].Op);
            var enter = g.LoopOp(Forward, EnterSpec.OpType, [n], "f_count", Forward.EnterAttrs(DType.Int32, isConstant: false), known: n);
            Forward.LoopEnters.Add(enter);
            return g.InContext(Forward, () =>
            {
                var merge = g.Merge([enter, enter]).Output;
                var sw = g.Switch(merge, Forward.Pivot!.Value);
                var index = g.AddOne(sw.True);
                var next = g.AddOp(NextIterationSpec.OpType, [index], null, NextIterationSpec.OpType, TypeAttr(DType.Int32))[0];
                merge.Op.UpdateInput(1, next);
                var exit = g.AddOp(ExitSpec.OpType, [sw.False], "f_count", ExitSpec.OpType, TypeAttr(DType.Int32))[0];
                Forward.LoopExits.Add(exit);
                return (exit, next.Op);
            });
        }

        /// <summary>
        /// TF's AddBackpropLoopCounter: the backprop loop's own counter, from the forward count down
        /// to zero (<c>b_count</c>); its LoopCond is the backprop loop's pivot. Returns its NextIteration.
        /// </summary>
        private Operation AddBackpropLoopCounter(Output count)
        {
            var g = _g;
            var one = g.InContext(Grad.Outer, () => g.Constant(Tensor.Scalar(1), name: "b_count"));
            var enter = g.LoopOp(Grad, EnterSpec.OpType, [count], "b_count", Grad.EnterAttrs(DType.Int32, isConstant: false), known: count);
            Grad.LoopEnters.Add(enter);
            return g.InContext(Grad, () =>
            {
                var merge = g.Merge([enter, enter]).Output;
                Grad.PivotForPred = merge;
                var pred = g.GreaterEqual(merge, one);
                Grad.Pivot = g.AddOp(LoopCondSpec.OpType, [pred], "b_count", LoopCondSpec.OpType)[0];
                var sw = g.Switch(merge, Grad.Pivot.Value);
                var index = g.Binary(SubSpec.OpType, sw.True, one, null, SubSpec.OpType);
                Grad.PivotForBody = index;
                var next = g.AddOp(NextIterationSpec.OpType, [index], null, NextIterationSpec.OpType, TypeAttr(DType.Int32))[0];
                merge.Op.UpdateInput(1, next);
                var exit = g.AddOp(ExitSpec.OpType, [sw.False], "b_count", ExitSpec.OpType, TypeAttr(DType.Int32))[0];
                Grad.LoopExits.Add(exit);
                Outer?.GradSync.AddControlInput(exit.Op);
                return next.Op;
            });
        }

        /// <summary>
        /// TF's AddForwardAccumulator: a stack (<c>f_acc</c>, created outside every loop) and a push
        /// of <paramref name="value"/> in every forward iteration, ordered after the counter's Add
        /// and before its NextIteration. Returns the stack handle.
        /// </summary>
        public Output AddForwardAccumulator(Output value, bool deadBranch = false)
        {
            var g = _g;
            var acc = g.InContext(_caller, () =>
            {
                var maxSize = g.Constant(Tensor.Scalar(-1), name: "Const");
                return g.AddOp(StackV2Spec.OpType, [maxSize], "f_acc", StackV2Spec.OpType,
                    [new("elem_type", Attr.Type(value.DType)), new("stack_name", Attr.String(""))])[0];
            });
            var enterAcc = g.InContext(null, () => g.CaptureInto(Forward, acc, g._scope, refInput: false));
            KeyValuePair<string, Proto.AttrValue>[] pushAttrs = [new("T", Attr.Type(value.DType)), new("swap_memory", Attr.Bool(false))];
            Operation push;
            if (value.Op.Context is CondContext cond && !ReferenceEquals(value.Op.Context, Forward))
            {
                if (deadBranch)
                {
                    // Zeros for the untaken branch of a Switch: pushed beside the conditional, then placed in it.
                    push = g.InContext(cond.Outer, () => g.AddOp(StackPushV2Spec.OpType, [enterAcc, value], null, StackPushV2Spec.OpType, pushAttrs));
                    cond.Adopt(push);
                }
                else
                {
                    push = g.InContext(cond, () => g.AddOp(StackPushV2Spec.OpType, [enterAcc, value], null, StackPushV2Spec.OpType, pushAttrs));
                }
                ForwardSync.AddControlInput(push);
            }
            else
            {
                push = g.InContext(Forward, () => g.AddOp(StackPushV2Spec.OpType, [enterAcc, value], null, StackPushV2Spec.OpType, pushAttrs));
                ForwardIndex.AddControlInput(push);
            }
            push.AddControlInput(ForwardIndex.Inputs[0].Op);
            return acc;
        }

        /// <summary>
        /// TF's AddBackpropAccumulatedValue: the pop in the backprop loop that replays the value
        /// <paramref name="history"/> stacked, guarded by the (replayed) predicate when the value
        /// lives in a conditional inside the loop, ordered before the backprop counter's NextIteration.
        /// </summary>
        public Output AddBackpropAccumulatedValue(Output history, Output value, bool deadBranch = false)
        {
            var g = _g;
            CondContext? cond = null;
            for (var c = value.Op.Context; c is not null && !ReferenceEquals(c, Forward); c = c.Outer)
            {
                if (c is CondContext cc) { cond = cc; break; }
            }
            var pop = g.InContext(Grad, () =>
            {
                var h = history;
                if (cond is not null)
                {
                    var pred = ReplayedPredicate(cond.Pred);
                    int branch = deadBranch ? 1 - cond.Branch : cond.Branch;
                    var sw = g.Switch(h, pred);
                    h = branch == 1 ? sw.True : sw.False;
                }
                var p = g.AddOp(StackPopV2Spec.OpType, [h], null, StackPopV2Spec.OpType, [new("elem_type", Attr.Type(value.DType))])[0];
                p.Op.SetOutputShape(0, value.Shape);
                return p;
            });
            if (Grad.ParallelIterations > 1) GradSync.AddControlInput(pop.Op);
            return pop;
        }

        /// <summary>The predicate of a conditional inside the forward loop, as the backprop loop replays it.</summary>
        private Output ReplayedPredicate(Output pred)
        {
            for (var s = this; s is not null; s = s.Outer)
                if (s.Grad.Captured.TryGetValue(pred, out var p)) return p;
            return RealValue(pred);
        }

        /// <summary>
        /// TF's GetRealValue: the backprop loop's view of forward value <paramref name="value"/>: a
        /// loop invariant enters the backprop loop directly, a constant is cloned, anything else is
        /// stacked in the forward loop and popped here. Cached per value.
        /// </summary>
        public Output RealValue(Output value)
        {
            if (Grad.Captured.TryGetValue(value, out var cached)) return cached;
            var g = _g;
            var cur = value;
            GradLoopState? state = this;
            Output? real = null;
            Output history = default;
            while (true)
            {
                if (LoopConstantEnter(cur) is { } enter)
                {
                    cur = enter.Inputs[0];
                    state = state.Outer;
                    if (state is null)
                    {
                        // Outside every loop of this gradient: a loop invariant, no history needed.
                        var invariant = cur;
                        real = g.InContext(null, () => g.CaptureInto(Grad, invariant, g._scope, refInput: false));
                        break;
                    }
                }
                else if (cur.Op.Type == ConstSpec.OpType)
                {
                    var constant = cur;
                    real = g.InContext(Grad, () => g.Constant(constant.Op.GetAttrTensor("value"), constant.DType));
                    break;
                }
                else
                {
                    history = state.AddForwardAccumulator(cur);
                    break;
                }
            }
            if (real is null)
            {
                real = state!.AddBackpropAccumulatedValue(history, cur);
                if (!ReferenceEquals(state, this))
                {
                    var popped = real.Value;
                    real = g.InContext(null, () => g.CaptureInto(Grad, popped, g._scope, refInput: false));
                }
            }
            Grad.Captured[value] = real.Value;
            return real.Value;
        }

        /// <summary>
        /// TF's AddBackpropAccumulator: the gradient of a loop invariant is the sum over all
        /// iterations, kept in a backprop-loop variable (<c>b_acc</c>) that starts from zeros.
        /// </summary>
        public Output AddBackpropAccumulator(Operation enter, Output grad)
        {
            var g = _g;
            Output acc;
            if (grad.Shape.IsFullyDefined)
            {
                acc = g.InContext(Grad.Outer, () => g.ZerosConst(grad.Shape, grad.DType, "b_acc"));
            }
            else if (Grad.Outer is WhileContext { GradState: not null } && Outer is not null)
            {
                // Nested: the shape of the invariant is a value of the outer loop.
                var value = enter.Inputs[0];
                var shape = g.InContext(Forward.Outer, () => g.ShapeOf(value));
                var history = Outer.AddForwardAccumulator(shape);
                acc = g.InContext(Grad.Outer, () => g.Zeros(Outer.AddBackpropAccumulatedValue(history, shape), grad.DType));
            }
            else
            {
                var value = enter.Inputs[0];
                acc = g.InContext(Grad.Outer, () => g.Zeros(g.ShapeOf(value), grad.DType));
            }
            var enterAcc = g.LoopOp(Grad, EnterSpec.OpType, [acc], "b_acc", Grad.EnterAttrs(grad.DType, isConstant: false), known: acc);
            Grad.LoopEnters.Add(enterAcc);
            return g.InContext(Grad, () =>
            {
                var merge = g.Merge([enterAcc, enterAcc], "b_acc").Output;
                var sw = g.Switch(merge, Grad.Pivot!.Value);
                var add = g.Add(sw.True, grad);
                var next = g.AddOp(NextIterationSpec.OpType, [add], null, NextIterationSpec.OpType, TypeAttr(add.DType))[0];
                merge.Op.UpdateInput(1, next);
                var exit = g.AddOp(ExitSpec.OpType, [sw.False], "b_acc", ExitSpec.OpType, TypeAttr(add.DType))[0];
                Grad.LoopExits.Add(exit);
                return exit;
            });
        }

        /// <summary>
        /// TF's _ControlFlowState.ZerosLike for an output of a forward-loop op without a gradient:
        /// zeros in the backprop loop, of the static shape, or of the shape the forward loop stacked.
        /// </summary>
        public Output? ZerosLike(Operation op, int index)
        {
            var g = _g;
            if (IsLoopSwitch(op)) return null;
            bool deadBranch = op.Spec.ControlFlow == ControlFlowRole.Switch;
            var val = op[index];
            var cond = op.Context as CondContext;
            if (val.Shape.IsFullyDefined)
            {
                return g.InContext(Grad, () =>
                {
                    var zeros = g.ZerosConst(val.Shape, val.DType);
                    if (deadBranch && cond is not null)
                    {
                        var sw = g.Switch(zeros, ReplayedPredicate(cond.Pred));
                        zeros = cond.Branch == 1 ? sw.False : sw.True;
                    }
                    return zeros;
                });
            }
            Output shape;
            if (deadBranch && cond is not null)
            {
                // The shape of the value on the branch not taken, read beside the conditional.
                shape = g.InContext(cond.Outer, () =>
                {
                    var sw = g.Switch(op.Inputs[0], cond.Pred);
                    var other = cond.Branch == 1 ? sw.False : sw.True;
                    cond.Adopt(other.Op);
                    var s = g.ShapeOf(other);
                    cond.Adopt(s.Op);
                    return s;
                });
            }
            else
            {
                shape = g.InContext(op.Context, () => g.ShapeOf(val));
            }
            var history = AddForwardAccumulator(shape, deadBranch);
            return g.InContext(Grad, () => g.Zeros(AddBackpropAccumulatedValue(history, shape, deadBranch), val.DType));
        }
    }

    /// <summary>
    /// TF's <c>_ControlFlowState</c> for one <see cref="Gradients(Output[], Output[], Output[], Output[], bool, string)"/>
    /// call: the gradient state of every forward loop between xs and ys.
    /// </summary>
    private sealed class LoopGradientStates(Graph g, ControlFlowContext? caller)
    {
        private readonly Dictionary<WhileContext, GradLoopState> _map = [];

        public IEnumerable<GradLoopState> States => _map.Values;

        /// <summary>
        /// Creates the state of every loop with an Exit in <paramref name="between"/> (outer loops
        /// first) and adds all of each loop's Exits to it, so unused loop outputs get zeros.
        /// </summary>
        public static LoopGradientStates? Create(Graph g, HashSet<Operation> between, ControlFlowContext? caller)
        {
            // back_prop=false loops get no state: their Exits' gradients stop there.
            var loops = between.Where(IsLoopExit).Select(e => (WhileContext)e.Context!).Where(w => w.BackProp && w.GradState is null).Distinct().ToList();
            if (loops.Count == 0) return null;
            var states = new LoopGradientStates(g, caller);
            foreach (var wc in loops.OrderBy(Depth)) states.Add(wc, between);
            return states;
        }

        private static int Depth(WhileContext wc)
        {
            int d = 0;
            for (var c = wc.Outer; c is not null; c = c.Outer) d++;
            return d;
        }

        private GradLoopState Add(WhileContext forward, HashSet<Operation> between)
        {
            if (_map.TryGetValue(forward, out var s)) return s;
            GradLoopState? outer = null;
            for (var c = forward.Outer; c is not null; c = c.Outer)
            {
                if (c is WhileContext ow)
                {
                    outer = _map.GetValueOrDefault(ow) ?? (ow.BackProp ? Add(ow, between) : null);
                    break;
                }
            }
            var state = new GradLoopState(g, forward, outer, caller);
            _map[forward] = state;
            foreach (var exit in state.ForwardLoopExits) between.Add(exit.Op);
            // The loop variables' Enters are visited too (TF gives them a pending count), so every
            // loop variable's gradient leaves the backprop loop through an Exit.
            foreach (var enter in forward.LoopEnters) between.Add(enter.Op);
            return state;
        }

        /// <summary>TF's GetGradState: the state whose backprop loop the gradient of <paramref name="op"/> is built in.</summary>
        public GradLoopState? Of(Operation op, bool before)
        {
            WhileContext? forward;
            if (before && IsLoopExit(op))
            {
                forward = null;
                for (var c = op.Context!.Outer; c is not null; c = c.Outer)
                    if (c is WhileContext w) { forward = w; break; }
            }
            else if (IsLoopExit(op)) forward = (WhileContext)op.Context!;
            else forward = WhileContextOf(op);
            return forward is not null && _map.TryGetValue(forward, out var s) ? s : null;
        }

        /// <summary>
        /// TF's ProcessUnusedLoopExits: Exits nothing between xs and ys reads are unused; once all
        /// Exits of a loop are accounted for, returns the unused ones (which then get zeros).
        /// </summary>
        public List<Output> ProcessUnusedLoopExits(Dictionary<Operation, int> pending, HashSet<Operation> toOps)
        {
            var exits = new List<Output>();
            foreach (var s in _map.Values)
            {
                foreach (var y in s.ForwardLoopExits)
                {
                    if (pending.GetValueOrDefault(y.Op) != 0) continue;
                    s.PendingExitsCount--;
                    if (!toOps.Contains(y.Op)) s.UnusedExits.Add(y);
                    if (s.PendingExitsCount == 0) exits.AddRange(s.UnusedExits);
                }
            }
            return exits;
        }

        /// <summary>
        /// TF's ZerosLikeForExit: zeros for an unused loop output (in the outer backprop loop when
        /// the loop is nested, from a stacked shape when the static one is unknown).
        /// </summary>
        public Output ZerosLikeForExit(Output val)
        {
            var forward = (WhileContext)val.Op.Context!;
            GradLoopState? outer = null;
            for (var c = forward.Outer; c is not null; c = c.Outer)
                if (c is WhileContext w) { outer = _map.GetValueOrDefault(w); break; }
            if (outer is null)
                return val.Shape.IsFullyDefined ? g.Zeros(val.Shape, val.DType) : g.ZerosLike(val);
            if (val.Shape.IsFullyDefined) return g.InContext(outer.Grad, () => g.Zeros(val.Shape, val.DType));
            var shape = g.InContext(forward.Outer, () => g.ShapeOf(val));
            var history = outer.AddForwardAccumulator(shape);
            return g.InContext(outer.Grad, () => g.Zeros(outer.AddBackpropAccumulatedValue(history, shape), val.DType));
        }

        /// <summary>
        /// TF's PostProcessing: a backprop Merge whose two inputs are still the same tensor (the
        /// loop variable's next value does not depend on its previous one) gets zeros from iteration 1 on.
        /// </summary>
        public void PostProcessing()
        {
            foreach (var s in _map.Values)
            {
                foreach (var merge in s.SwitchMap.Values)
                {
                    var op = merge.Op;
                    if (op.Inputs[0] != op.Inputs[1]) continue;
                    var first = op.Inputs[0];
                    Output next;
                    if (first.Shape.IsFullyDefined)
                    {
                        next = g.InContext(s.Grad, () =>
                        {
                            var zeros = g.ZerosConst(first.Shape, first.DType);
                            return g.AddOp(NextIterationSpec.OpType, [zeros], null, NextIterationSpec.OpType, TypeAttr(first.DType))[0];
                        });
                    }
                    else
                    {
                        var enterGrad = first.Op.Inputs[0];
                        var zeros = g.InContext(s.Grad.Outer, () => g.Zeros(g.ShapeOf(enterGrad), first.DType));
                        next = g.InContext(s.Grad, () => g.AddOp(NextIterationSpec.OpType, [zeros], null, NextIterationSpec.OpType, TypeAttr(first.DType))[0]);
                    }
                    op.UpdateInput(1, next);
                }
            }
        }
    }

    // ------------------------------------------------------------------ gradients of the loop ops

    /// <summary>
    /// TF's _ExitGrad: the gradient of a loop output enters the backprop loop (<c>b_exit</c>) as
    /// the initial value of a backprop loop variable. Null when the loop has back_prop=false.
    /// </summary>
    internal Output? LoopExitGradient(Operation exit, Output grad)
    {
        if (exit.Context is not WhileContext forward)
            throw new UnimplementedException(
                $"Cannot differentiate through the while loop of '{exit.Name}': the loop was imported without its while-loop context (a GraphDef, or a MetaGraphDef without the 'while_context' collection), and gradients need the loop's structure as Graph.WhileLoop records it" +
                SourceLocation.Suffix(exit.Location, exit.Name))
            { NodeName = exit.Name };
        if (forward.GradState is not null)
            throw new UnimplementedException($"Second-order gradients of while loops are not supported ('{exit.Name}' is in a backprop loop)") { NodeName = exit.Name };
        if (!forward.BackProp || CurrentGradLoop is not { } loop) return null;
        var enter = LoopOp(loop, EnterSpec.OpType, [grad], "b_exit", loop.EnterAttrs(grad.DType, isConstant: false), known: grad);
        loop.LoopEnters.Add(enter);
        return enter;
    }

    /// <summary>
    /// TF's _SwitchGrad for a loop Switch. First visit (the gradient of the Exit side): a Merge
    /// (<c>b_switch</c>) of it with itself, the backprop loop variable. Second visit (the gradient
    /// from the body): that Merge's back edge, through a NextIteration.
    /// </summary>
    internal Output?[] LoopSwitchGradient(Operation sw, Output?[] grads)
    {
        if (CurrentGradLoop is not { GradState: { } state }) return [null, null];
        if (state.SwitchMap.TryGetValue(sw, out var merge))
        {
            if (grads[1] is { } g1)
            {
                var next = InContext(state.Grad, () => AddOp(NextIterationSpec.OpType, [g1], null, NextIterationSpec.OpType, TypeAttr(g1.DType))[0]);
                merge.Op.UpdateInput(1, next);
            }
            return [null, null];
        }
        if (grads[0] is not { } g0) return [null, null];
        var m = Merge([g0, g0], "b_switch").Output;
        state.SwitchMap[sw] = m;
        return [m, null];
    }

    /// <summary>
    /// TF's _EnterGrad inside a backprop loop: a loop variable's gradient leaves the backprop loop
    /// through an Exit (the gradient of its initial value); a loop invariant's gradients are summed
    /// over the iterations by an accumulator loop. Outside a backprop loop the gradient passes through.
    /// </summary>
    internal Output? LoopEnterGradient(Operation enter, Output grad)
    {
        if (CurrentGradLoop is not { GradState: { } state } loop || !loop.BackProp) return grad;
        if (enter.GetAttrBool("is_constant")) return state.AddBackpropAccumulator(enter, grad);
        var exit = AddOp(ExitSpec.OpType, [grad], null, ExitSpec.OpType, TypeAttr(grad.DType))[0];
        loop.LoopExits.Add(exit);
        return exit;
    }

    /// <summary>
    /// The predicate a conditional's Merge gradient switches on: the forward predicate itself, or
    /// inside a backprop loop the value the forward loop stacked for this iteration.
    /// </summary>
    internal Output CondGradientPredicate(Output pred) =>
        CurrentGradLoop is { GradState: { } state } && state.IsForwardValue(pred) ? state.RealValue(pred) : pred;
}
