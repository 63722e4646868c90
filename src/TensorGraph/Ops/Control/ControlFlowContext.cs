using TensorGraph.Ops;
using TensorGraph.Proto;

namespace TensorGraph;

// The control-flow family's shared pieces, used by both the conditional ops (ControlFlow.cs) and
// the while-loop ops (Loops.cs); this file defines no op and names none.

/// <summary>
/// A conditional branch or a while loop being built (TF's ControlFlowContext): the ops created in
/// it, and the outside tensors already brought in (through a Switch or an Enter).
/// </summary>
internal abstract class ControlFlowContext
{
    /// <summary>The collection of top-level while loops (TF's <c>GraphKeys.WHILE_CONTEXT</c>), exported as <c>WhileContextDef</c>s.</summary>
    public const string WhileCollection = "while_context";

    /// <summary>The collection of top-level conditional branches (TF's <c>GraphKeys.COND_CONTEXT</c>), exported as <c>CondContextDef</c>s.</summary>
    public const string CondCollection = "cond_context";

    protected ControlFlowContext(ControlFlowContext? outer)
    {
        Outer = outer;
        // TF's ControlFlowContext.__init__: a context is a nested context of the one it is built in.
        outer?.Nested.Add(this);
    }

    public ControlFlowContext? Outer { get; }

    /// <summary>The context's name (TF's <c>context_name</c>): a while loop's frame name, <c>cond/cond_text</c> for a branch.</summary>
    public abstract string Name { get; }

    /// <summary>Contexts built inside this one, in creation order (TF's <c>_nested_contexts</c>).</summary>
    public List<ControlFlowContext> Nested { get; } = [];

    /// <summary>Ops created inside this context (including nested contexts).</summary>
    public HashSet<Operation> Ops { get; } = [];

    /// <summary>Outside tensors used as they are (a while loop's own loop variables, before their Enters exist).</summary>
    public HashSet<Output> Known { get; } = [];

    /// <summary>Outside tensors already brought in, and what they became inside.</summary>
    public Dictionary<Output, Output> Captured { get; } = [];

    public bool Contains(Output t) => Ops.Contains(t.Op) || Known.Contains(t);

    /// <summary>Places <paramref name="op"/> in this context (and so in every enclosing one): TF's <c>_set_control_flow_context</c>.</summary>
    public void Adopt(Operation op)
    {
        op.Context = this;
        for (var c = this; c is not null; c = c.Outer) c.Ops.Add(op);
    }

    /// <summary>The op that gates input-less ops built in this context (null until it exists).</summary>
    public abstract Operation? ControlPivot { get; }

    /// <summary>
    /// True for a while loop (TF's WhileContext): control inputs on outside ops are rerouted
    /// through an Enter, and ops that read only loop invariants are gated on the pivot.
    /// </summary>
    public abstract bool IsLoop { get; }

    /// <summary>
    /// Builds the op that brings outside tensor <paramref name="x"/> into this context (a Switch
    /// for a branch, a constant Enter for a loop) and returns its value inside. Called with the
    /// outer context current and the name scope of the op that needs the value.
    /// </summary>
    public abstract Output BringIn(Graph graph, Output x, bool refInput);
}

/// <summary>
/// A while loop (TF's WhileContext): the loop being built by <see cref="Graph.WhileLoop(Func{Output[], Output}, Func{Output[], Output[]}, Output[], Shape[], int, string?, Output?, bool)"/>,
/// or the backprop loop that <see cref="Graph.Gradients(Output[], Output[], Output[], Output[], bool, string)"/>
/// builds for it (then <see cref="GradState"/> is set).
/// </summary>
internal sealed class WhileContext(string frameName, int parallelIterations, bool backProp, ControlFlowContext? outer) : ControlFlowContext(outer)
{
    /// <summary>The frame name (<c>while/while_context</c>) every Enter of this loop carries.</summary>
    public string FrameName { get; } = frameName;

    public override string Name => FrameName;

    public int ParallelIterations { get; } = parallelIterations;

    /// <summary>TF's <c>back_prop</c>: false stops gradients at the loop's Exits.</summary>
    public bool BackProp { get; } = backProp;

    /// <summary>The first loop variable's Merge: the pivot while the condition is built.</summary>
    public Output? PivotForPred { get; set; }

    /// <summary>The first loop variable's Identity: the pivot while the body is built.</summary>
    public Output? PivotForBody { get; set; }

    /// <summary>The LoopCond output every loop Switch reads.</summary>
    public Output? Pivot { get; set; }

    /// <summary>The non-constant Enters of the loop variables (and of counters and accumulators added later).</summary>
    public List<Output> LoopEnters { get; } = [];

    /// <summary>The Exits of the loop variables (and of counters and accumulators added later).</summary>
    public List<Output> LoopExits { get; } = [];

    /// <summary>For a backprop loop: the state of the gradient of its forward loop.</summary>
    public Graph.GradLoopState? GradState { get; set; }

    public override Operation? ControlPivot => (PivotForBody ?? PivotForPred)?.Op;

    public override bool IsLoop => true;

    /// <summary>
    /// A constant Enter into this loop's frame: the value is the same in every iteration. In a
    /// backprop loop, a value of the forward loop is replayed from a stack instead (TF's
    /// <c>GetRealValue</c>).
    /// </summary>
    public override Output BringIn(Graph graph, Output x, bool refInput) =>
        GradState is { } gs && gs.IsForwardValue(x)
            ? gs.RealValue(x)
            : graph.AddOp(refInput ? RefEnterSpec.OpType : EnterSpec.OpType, [x], null, EnterSpec.OpType, EnterAttrs(x.DType, isConstant: true))[0];

    public KeyValuePair<string, AttrValue>[] EnterAttrs(DType t, bool isConstant) =>
    [
        new("T", Attr.Type(t)), new("frame_name", Attr.String(FrameName)), new("is_constant", Attr.Bool(isConstant)),
        new("parallel_iterations", Attr.Int(ParallelIterations)),
    ];
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.init_scope()</c>: ops built inside the returned scope are outside every while
    /// loop and conditional being built and have no control dependencies (how an RNN cell called
    /// inside a loop creates its variables once, at the top level). The name scope is kept.
    /// </summary>
    public IDisposable InitScope() => ControlContextScope(null);

    /// <summary>Makes <paramref name="context"/> the current control-flow context, with no control dependencies, until disposed.</summary>
    private IDisposable ControlContextScope(ControlFlowContext? context)
    {
        var saved = _controlContext;
        _controlContext = context;
        var deps = ControlDependencies((Operation[]?)null);
        return new Restore(() =>
        {
            deps.Dispose();
            _controlContext = saved;
        });
    }

    /// <summary>
    /// While a branch or loop is being built: routes each outside input of a new op through a
    /// Switch (conditional) or a constant Enter (loop); in a loop, replaces control inputs on
    /// outside ops by control inputs on an Identity of their first output brought in through an
    /// Enter (TF's _RemoveExternalControlEdges); and gates ops that have no inputs, or only loop
    /// invariants, on the context's pivot (TF's CondContext/WhileContext.AddOp).
    /// </summary>
    private Output[] EnterControlContext(OpSpec spec, Output[] inputs, string opName, List<Operation> controls)
    {
        var cc = _controlContext!;
        Output[]? copy = null;
        for (int i = 0; i < inputs.Length; i++)
        {
            if (cc.Contains(inputs[i])) continue;
            copy ??= (Output[])inputs.Clone();
            copy[i] = CaptureInto(cc, inputs[i], opName, refInput: spec.IsRefInput(i) && IsRefTensor(inputs[i]));
        }
        var final = copy ?? inputs;
        var external = new List<Operation>();
        if (cc.IsLoop)
        {
            external.AddRange(controls.Where(c => !cc.Ops.Contains(c)));
            controls.RemoveAll(external.Contains);
        }
        if (cc.ControlPivot is { } pivot)
        {
            bool gate = final.Length == 0
                ? !controls.Any(cc.Ops.Contains)
                : cc.IsLoop && controls.Count == 0 && final.All(IsLoopConstantEnter);
            if (gate) controls.Add(pivot);
        }
        foreach (var ext in external)
        {
            if (ext.NumOutputs == 0) continue; // as in TF: an op without outputs cannot be brought in
            var entered = CaptureInto(cc, ext[0], opName, refInput: IsRefTensor(ext[0]));
            var savedScope = _scope;
            _scope = opName;
            try
            {
                using (ControlDependencies((Operation[]?)null)) controls.Add(Identity(entered).Op);
            }
            finally
            {
                _scope = savedScope;
            }
        }
        return final;
    }

    /// <summary>Whether <paramref name="t"/> is the output of a constant Enter (a loop invariant).</summary>
    private static bool IsLoopConstantEnter(Output t) =>
        t.Op.Spec.ControlFlow == ControlFlowRole.Enter && t.Op.GetAttrBool("is_constant");

    /// <summary>Brings outside tensor <paramref name="x"/> into <paramref name="cc"/>; the new op is named under <paramref name="scope"/>.</summary>
    private Output CaptureInto(ControlFlowContext cc, Output x, string scope, bool refInput)
    {
        if (cc.Captured.TryGetValue(x, out var v)) return v;
        var original = x;
        // The outer context brings the tensor in first (TF's AddValue order: `<op>/Switch`, then `<op>/Switch_1`).
        // A backprop loop replays its forward loop's values itself (from stacks), not through its outer context.
        bool replayed = cc is WhileContext { GradState: { } gs } && gs.IsForwardValue(x);
        if (!replayed && cc.Outer is { } outer && !outer.Contains(x)) x = CaptureInto(outer, x, scope, refInput);
        var savedContext = _controlContext;
        var savedScope = _scope;
        _controlContext = cc.Outer;
        _scope = scope;
        try
        {
            using (ControlDependencies((Operation[]?)null))
            {
                v = cc.BringIn(this, x, refInput);
                cc.Adopt(v.Op);
            }
        }
        finally
        {
            _controlContext = savedContext;
            _scope = savedScope;
        }
        cc.Captured[original] = v;
        return v;
    }

    private static bool IsRefTensor(Output t) => t.Op.Spec.IsRefOutput(t.Index);
}
