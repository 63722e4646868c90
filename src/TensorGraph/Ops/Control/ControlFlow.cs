using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Switch: forwards <c>data</c> to <c>output_true</c> (output 1) when <c>pred</c> is true, else to
/// <c>output_false</c> (output 0); the other output is dead, and so is every op that consumes it
/// until a Merge (TF's dead-tensor semantics). RefSwitch does the same for a variable reference.
/// </summary>
internal class SwitchSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "Switch";

    public override string Type => OpType;

    public override ControlFlowRole ControlFlow => ControlFlowRole.Switch;

    protected override string[] InputArgs => ["data: T", "pred: bool"];

    protected override string[] OutputArgs => ["output_false: T", "output_true: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        if (c.InputType(1) != DType.Bool)
            throw c.Error($"The predicate of {Type} must be bool, got {c.InputType(1).Name()} ('{c.Inputs[1].Name}')");
        if (c.InputShape(1).IsRankKnown && c.InputShape(1).Rank != 0)
            throw c.Error($"The predicate of {Type} must be a scalar, but '{c.Inputs[1].Name}' has shape {c.InputShape(1)}");
        c.AddOutput(c.InputType(0), c.InputShape(0));
        c.AddOutput(c.InputType(0), c.InputShape(0));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var src = b.Op.Inputs[0];
        // A variable read through a (non-ref) Switch is copied, like Identity, so later updates in the same step do not show.
        return new SwitchKernel(IsRefOutput(0) ? OutputKind.External : src.Op.Spec.IsRefOutput(src.Index) ? OutputKind.Allocated : OutputKind.Forwarded);
    }

    /// <summary>
    /// TF 1.15's <c>_SwitchGrad</c>. For a cond: merges the gradients of the two outputs (the
    /// untaken one is dead at run time, and a missing one is zeros of that output, which are
    /// dead exactly when the branch is not taken). For a while loop: the backprop loop variable's
    /// Merge (see <see cref="Graph.LoopSwitchGradient"/>).
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        if (Graph.IsLoopSwitch(c.Op)) return c.Graph.LoopSwitchGradient(c.Op, c.Grads);
        if (c.Grads[0] is not { } gFalse || c.Grads[1] is not { } gTrue) return [null, null];
        return [c.Graph.Merge([gFalse, gTrue], "cond_grad").Output, null];
    }
}

/// <summary>RefSwitch: Switch over a variable reference (TF uses it when a branch assigns to an outside variable).</summary>
internal sealed class RefSwitchSpec : SwitchSpec
{
    public new const string OpType = "RefSwitch";

    public override string Type => OpType;

    protected override string[] InputArgs => ["data: Ref(T)", "pred: bool"];

    protected override string[] OutputArgs => ["output_false: Ref(T)", "output_true: Ref(T)"];
}

internal sealed class SwitchKernel(OutputKind kind) : OpKernel
{
    public override OutputKind GetOutputKind(int output) => kind;

    public override void Compute(OpContext ctx)
    {
        var pred = ctx.Input(1);
        if (pred.Rank != 0)
            throw OpContext.Error($"The second input must be a scalar, but it has shape {Shape.Format(pred.Dims)}");
        int live = pred.AsSpan<bool>()[0] ? 1 : 0;
        var x = ctx.Input(0);
        if (kind == OutputKind.Allocated)
        {
            var o = ctx.AllocateOutput(live, x.DType, x.Dims);
            Array.Copy(x.Data, o.Data, x.Size);
        }
        else ctx.SetOutput(live, x);
        ctx.MarkDead(1 - live);
    }
}

/// <summary>
/// Merge: forwards the first of its inputs that is alive (in a conditional exactly one is) and its
/// index as <c>value_index</c>. Runs when any input is alive; dead only when all are.
/// </summary>
internal sealed class MergeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("N", "int"), new("T", "type")];

    public const string OpType = "Merge";

    public override string Type => OpType;

    public override ControlFlowRole ControlFlow => ControlFlowRole.Merge;

    protected override string[] InputArgs => ["inputs: N * T"];

    protected override string[] OutputArgs => ["output: T", "value_index: int32"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        if (c.NumInputs < 1) throw c.Error("Merge needs N >= 1 inputs");
        var t = c.AttrType("T");
        for (int i = 0; i < c.NumInputs; i++)
        {
            if (c.InputType(i) != t)
                throw c.Error($"All inputs of Merge must have dtype {t.Name()}, but input {i} ('{c.Inputs[i].Name}') is {c.InputType(i).Name()}");
        }
        // TF's shape function: equal shapes stay; equal ranks keep the dims that agree; else unknown.
        var s = c.InputShape(0);
        for (int i = 1; i < c.NumInputs && s.IsRankKnown; i++)
        {
            var o = c.InputShape(i);
            if (!o.IsRankKnown || o.Rank != s.Rank) { s = Shape.Unknown; break; }
            var dims = new int[s.Rank];
            for (int d = 0; d < dims.Length; d++) dims[d] = s[d] == o[d] ? s[d] : -1;
            s = new Shape(dims);
        }
        c.AddOutput(t, s);
        c.AddOutput(DType.Int32, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new MergeKernel();

    /// <summary>
    /// TF 1.15's <c>_MergeGrad</c>. For a cond: a Switch of the incoming gradient on the
    /// conditional's predicate (inside a backprop loop, the predicate the forward loop stacked),
    /// routing it into the branch that ran. For a while loop: a Switch on the backprop loop's predicate.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var op = c.Op;
        foreach (var input in op.Inputs)
        {
            if (input.Op.Spec.ControlFlow != ControlFlowRole.NextIteration) continue;
            // A loop Merge: route the gradient on the backprop loop's predicate (Switch:1 into the
            // body's gradient, Switch:0 out towards the Enter).
            if (c.Graph.CurrentGradLoop is not { Pivot: { } pivot })
                throw new UnimplementedException($"Cannot differentiate loop Merge '{op.Name}' outside a backprop loop") { NodeName = op.Name };
            var (lf, lt) = c.Graph.Switch(c.Grad, pivot);
            return [lf, lt];
        }
        var result = new Output?[op.NumInputs];
        if (c.Graph.CondPredicateOf(op) is { } registered)
        {
            // Built by Graph.Cond: inputs are (false branch, true branch).
            var (f, t) = c.Graph.Switch(c.Grad, c.Graph.CondGradientPredicate(registered), "cond_grad");
            return [f, t];
        }
        Output? pred = null;
        (Output False, Output True)? routed = null;
        for (int i = 0; i < op.NumInputs; i++)
        {
            var (p, port) = GuardOf(op.Inputs[i]) ?? throw new UnimplementedException(
                $"Cannot differentiate Merge '{op.Name}': input {i} ('{op.Inputs[i].Name}') is not guarded by a Switch (only tf.cond-style conditionals are supported)")
            { NodeName = op.Name };
            if (pred is null)
            {
                pred = p;
                routed = c.Graph.Switch(c.Grad, c.Graph.CondGradientPredicate(p), "cond_grad");
            }
            else if (Underlying(pred.Value) != Underlying(p))
            {
                throw new UnimplementedException(
                    $"Cannot differentiate Merge '{op.Name}': its inputs are guarded by different predicates ('{pred.Value.Name}' and '{p.Name}')")
                { NodeName = op.Name };
            }
            result[i] = port == 1 ? routed!.Value.True : routed!.Value.False;
        }
        return result;
    }

    /// <summary>The predicate behind Identity ops (<c>cond/pred_id</c> is an Identity of the user's predicate).</summary>
    private static Output Underlying(Output p)
    {
        while (p.Op.Type == IdentitySpec.OpType) p = p.Op.Inputs[0];
        return p;
    }

    /// <summary>
    /// The Switch that decides whether <paramref name="t"/> is alive: its predicate and the output
    /// port (0 = false branch, 1 = true branch). Walks back over data and control inputs; nested
    /// conditionals (a Merge on the way) are stepped over by matching them with their Switches.
    /// </summary>
    private static (Output Pred, int Port)? GuardOf(Output t)
    {
        var seen = new HashSet<(Operation, int, int)>();
        var stack = new Stack<(Operation Op, int Port, int Depth)>();
        stack.Push((t.Op, t.Index, 0));
        while (stack.Count > 0)
        {
            var (op, port, depth) = stack.Pop();
            if (!seen.Add((op, port, depth))) continue;
            // A while loop on the way (its Switches read LoopCond, its Merges a NextIteration) is not
            // a conditional: walk through it without counting.
            var role = op.Spec.ControlFlow;
            bool loopSwitch = role == ControlFlowRole.Switch && op.Inputs[1].Op.Spec.ControlFlow == ControlFlowRole.LoopCond;
            bool loopMerge = role == ControlFlowRole.Merge && op.Inputs.ToArray().Any(i => i.Op.Spec.ControlFlow == ControlFlowRole.NextIteration);
            if (role == ControlFlowRole.Switch && port >= 0 && !loopSwitch)
            {
                if (depth == 0) return (op.Inputs[1], port);
                depth--;
            }
            else if (role == ControlFlowRole.Merge && !loopMerge) depth++;
            for (int i = op.NumInputs - 1; i >= 0; i--) stack.Push((op.Inputs[i].Op, op.Inputs[i].Index, depth));
            foreach (var ctl in op.ControlInputs) stack.Push((ctl, -1, depth));
        }
        return null;
    }
}

/// <summary>
/// Output 0 is one of the inputs, chosen at run time: it is planned as external, and the plan
/// keeps every input's buffer alive as long as the Merge output is used.
/// </summary>
internal sealed class MergeKernel : OpKernel
{
    public override OutputKind GetOutputKind(int output) => output == 0 ? OutputKind.External : OutputKind.Allocated;

    public override void Compute(OpContext ctx)
    {
        for (int i = 0; i < ctx.NumInputs; i++)
        {
            if (ctx.IsInputDead(i)) continue;
            ctx.SetOutput(0, ctx.Input(i));
            ctx.AllocateOutput(1, DType.Int32, []).AsSpan<int>()[0] = i;
            return;
        }
        throw new InternalException("Merge ran with every input dead");
    }
}

/// <summary>The branch being built by <see cref="Graph.Cond(Output, Func{Output[]}, Func{Output[]}, string?)"/> (TF's CondContext).</summary>
internal sealed class CondContext : ControlFlowContext
{
    /// <summary>
    /// A branch of a conditional built here (<paramref name="adoptPivot"/>): as TF's CondContext,
    /// the predicate counts as already brought in and the pivot is placed in the branch.
    /// An imported branch gets both from its CondContextDef instead.
    /// </summary>
    public CondContext(string name, Output pred, Output pivot, int branch, ControlFlowContext? outer, bool adoptPivot = false) : base(outer)
    {
        Name = name;
        Pred = pred;
        Pivot = pivot;
        Branch = branch;
        if (!adoptPivot) return;
        Captured[pred] = pred;
        Adopt(pivot.Op);
    }

    public override string Name { get; }

    /// <summary>The predicate as seen inside the conditional (<c>cond/pred_id</c>).</summary>
    public Output Pred { get; }

    /// <summary><c>cond/switch_t</c> or <c>cond/switch_f</c>: alive only when this branch is taken.</summary>
    public Output Pivot { get; }

    /// <summary>1 for the true branch, 0 for the false branch (the Switch output it reads).</summary>
    public int Branch { get; }

    public override Operation? ControlPivot => Pivot.Op;

    public override bool IsLoop => false;

    /// <summary>A Switch on the predicate; the value is its output for this branch.</summary>
    public override Output BringIn(Graph graph, Output x, bool refInput) =>
        graph.AddOp(refInput ? RefSwitchSpec.OpType : SwitchSpec.OpType, [x, Pred], null, SwitchSpec.OpType, [new("T", Attr.Type(x.DType))])[Branch];
}

public sealed partial class Graph
{
    /// <summary>The predicate of a Merge built by <see cref="Cond(Output, Func{Output[]}, Func{Output[]}, string?)"/> (inputs: false branch, true branch).</summary>
    internal Output? CondPredicateOf(Operation merge)
    {
        lock (_lock) return _condPredicates.TryGetValue(merge, out var p) ? p : null;
    }

    /// <summary>
    /// A <c>Switch</c> node: (<c>output_false</c>, <c>output_true</c>). Only the output selected by
    /// <paramref name="pred"/> is computed; ops reading the other are skipped until a Merge.
    /// </summary>
    public (Output False, Output True) Switch(Output data, Output pred, string? name = null)
    {
        var op = AddOp(IsRefTensor(data) ? RefSwitchSpec.OpType : SwitchSpec.OpType, [data, pred], name, SwitchSpec.OpType, [new("T", Attr.Type(data.DType))]);
        return (op[0], op[1]);
    }

    /// <summary>A <c>Merge</c> node: (the alive input, its index as int32).</summary>
    public (Output Output, Output ValueIndex) Merge(Output[] inputs, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw new InvalidArgumentException("Merge needs at least one input");
        var op = AddOp(MergeSpec.OpType, inputs, name, MergeSpec.OpType, [new("N", Attr.Int(inputs.Length)), new("T", Attr.Type(inputs[0].DType))]);
        return (op[0], op[1]);
    }

    /// <summary>
    /// TF 1.x's <c>tf.cond</c>: builds both branches under a <c>cond</c> name scope and returns
    /// the Merge of their results; at run time only the branch selected by <paramref name="pred"/>
    /// (a bool scalar) runs. Tensors from outside a branch enter it through Switch nodes named
    /// <c>&lt;op&gt;/Switch</c>, ops without inputs get a control dependency on the branch pivot,
    /// exactly as TF builds them, so the graph exports to TensorFlow unchanged. Gradients flow
    /// through the taken branch.
    /// </summary>
    public Output[] Cond(Output pred, Func<Output[]> trueFn, Func<Output[]> falseFn, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(trueFn);
        ArgumentNullException.ThrowIfNull(falseFn);
        if (pred.Op is null) throw new InvalidArgumentException("The predicate of Cond is a default (unset) Output");
        if (pred.DType != DType.Bool)
            throw new InvalidArgumentException($"The predicate of Cond must be a bool scalar, but '{pred.Name}' is {pred.DType.Name()}");
        using var scope = NameScope(name ?? "cond");
        var (pFalse, pTrue) = Switch(pred, pred);
        var pivotT = Identity(pTrue, "switch_t");
        var pivotF = Identity(pFalse, "switch_f");
        var predId = Identity(pred, "pred_id");
        var contextT = new CondContext(UniqueName("cond_text"), predId, pivotT, 1, _controlContext, adoptPivot: true);
        var contextF = new CondContext(UniqueName("cond_text"), predId, pivotF, 0, _controlContext, adoptPivot: true);
        if (_controlContext is null)
        {
            // As TF: only top-level contexts are collected; nested ones are exported inside them.
            AddToCollection(ControlFlowContext.CondCollection, contextT);
            AddToCollection(ControlFlowContext.CondCollection, contextF);
        }
        var resT = BuildCondBranch(contextT, trueFn);
        var resF = BuildCondBranch(contextF, falseFn);
        if (resT.Length != resF.Length)
            throw new InvalidArgumentException($"The true branch of '{CurrentNameScope}' returns {resT.Length} tensors and the false branch {resF.Length}; they must return the same number");
        if (resT.Length == 0) throw new InvalidArgumentException($"The branches of '{CurrentNameScope}' return no tensors");
        var merged = new Output[resT.Length];
        for (int i = 0; i < merged.Length; i++)
        {
            if (resT[i].DType != resF[i].DType)
                throw new InvalidArgumentException(
                    $"Outputs of true_fn and false_fn must have the same type: {resT[i].DType.Name()} ('{resT[i].Name}') vs {resF[i].DType.Name()} ('{resF[i].Name}')");
            merged[i] = Merge([resF[i], resT[i]]).Output;
            lock (_lock) _condPredicates[merged[i].Op] = predId;
        }
        return merged;
    }

    /// <summary>TF's <c>tf.cond</c> for branches that return one tensor each.</summary>
    public Output Cond(Output pred, Func<Output> trueFn, Func<Output> falseFn, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(trueFn);
        ArgumentNullException.ThrowIfNull(falseFn);
        return Cond(pred, () => [trueFn()], () => [falseFn()], name)[0];
    }

    private Output[] BuildCondBranch(CondContext cc, Func<Output[]> fn)
    {
        var saved = _controlContext;
        _controlContext = cc;
        try
        {
            var r = fn() ?? throw new InvalidArgumentException("A Cond branch returned null");
            var result = new Output[r.Length];
            for (int i = 0; i < r.Length; i++)
            {
                if (r[i].Op is null) throw new InvalidArgumentException("A Cond branch returned a default (unset) Output");
                if (!ReferenceEquals(r[i].Graph, this)) throw new InvalidArgumentException($"A Cond branch returned '{r[i].Name}' from another graph");
                // A tensor from outside the branch (e.g. `() => x`) is returned through its Switch.
                result[i] = cc.Contains(r[i]) ? r[i] : CaptureInto(cc, r[i], _scope, refInput: false);
            }
            return result;
        }
        finally
        {
            _controlContext = saved;
        }
    }
}
