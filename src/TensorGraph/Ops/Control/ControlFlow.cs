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

    public override string Type => "Switch";

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
}

/// <summary>RefSwitch: Switch over a variable reference (TF uses it when a branch assigns to an outside variable).</summary>
internal sealed class RefSwitchSpec : SwitchSpec
{
    public override string Type => "RefSwitch";

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

    public override string Type => "Merge";

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

/// <summary>
/// A conditional branch or a while loop being built (TF's ControlFlowContext): the ops created in
/// it, and the outside tensors already brought in (through a Switch or an Enter).
/// </summary>
internal abstract class ControlFlowContext(ControlFlowContext? outer)
{
    public ControlFlowContext? Outer { get; } = outer;

    /// <summary>Ops created inside this context (including nested contexts).</summary>
    public HashSet<Operation> Ops { get; } = [];

    /// <summary>Outside tensors used as they are (a while loop's own loop variables, before their Enters exist).</summary>
    public HashSet<Output> Known { get; } = [];

    /// <summary>Outside tensors already brought in, and what they became inside.</summary>
    public Dictionary<Output, Output> Captured { get; } = [];

    public bool Contains(Output t) => Ops.Contains(t.Op) || Known.Contains(t);

    /// <summary>The op that gates input-less ops built in this context (null until it exists).</summary>
    public abstract Operation? ControlPivot { get; }
}

/// <summary>The branch being built by <see cref="Graph.Cond(Output, Func{Output[]}, Func{Output[]}, string?)"/> (TF's CondContext).</summary>
internal sealed class CondContext(Output pred, Output pivot, int branch, ControlFlowContext? outer) : ControlFlowContext(outer)
{
    /// <summary>The predicate as seen inside the conditional (<c>cond/pred_id</c>).</summary>
    public Output Pred { get; } = pred;

    /// <summary><c>cond/switch_t</c> or <c>cond/switch_f</c>: alive only when this branch is taken.</summary>
    public Output Pivot { get; } = pivot;

    /// <summary>1 for the true branch, 0 for the false branch (the Switch output it reads).</summary>
    public int Branch { get; } = branch;

    public override Operation? ControlPivot => Pivot.Op;
}

public sealed partial class Graph
{
    private ControlFlowContext? _controlContext;
    private readonly Dictionary<Operation, Output> _condPredicates = [];

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
        var op = AddOp(IsRefTensor(data) ? "RefSwitch" : "Switch", [data, pred], name, "Switch", [new("T", Attr.Type(data.DType))]);
        return (op[0], op[1]);
    }

    /// <summary>A <c>Merge</c> node: (the alive input, its index as int32).</summary>
    public (Output Output, Output ValueIndex) Merge(Output[] inputs, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw new InvalidArgumentException("Merge needs at least one input");
        var op = AddOp("Merge", inputs, name, "Merge", [new("N", Attr.Int(inputs.Length)), new("T", Attr.Type(inputs[0].DType))]);
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
        var resT = BuildCondBranch(new CondContext(predId, pivotT, 1, _controlContext), trueFn);
        var resF = BuildCondBranch(new CondContext(predId, pivotF, 0, _controlContext), falseFn);
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
        if (cc is WhileContext)
        {
            external.AddRange(controls.Where(c => !cc.Ops.Contains(c)));
            controls.RemoveAll(external.Contains);
        }
        if (cc.ControlPivot is { } pivot)
        {
            bool gate = final.Length == 0
                ? !controls.Any(cc.Ops.Contains)
                : cc is WhileContext && controls.Count == 0 && final.All(IsLoopConstantEnter);
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

    private static bool IsLoopConstantEnter(Output t) => t.Op.Type is "Enter" or "RefEnter" && t.Op.GetAttrBool("is_constant");

    /// <summary>Brings outside tensor <paramref name="x"/> into <paramref name="cc"/>; the new op is named under <paramref name="scope"/>.</summary>
    private Output CaptureInto(ControlFlowContext cc, Output x, string scope, bool refInput)
    {
        if (cc.Captured.TryGetValue(x, out var v)) return v;
        var original = x;
        // The outer context brings the tensor in first (TF's AddValue order: `<op>/Switch`, then `<op>/Switch_1`).
        if (cc.Outer is { } outer && !outer.Contains(x)) x = CaptureInto(outer, x, scope, refInput);
        var savedContext = _controlContext;
        var savedScope = _scope;
        _controlContext = cc.Outer;
        _scope = scope;
        try
        {
            using (ControlDependencies((Operation[]?)null))
            {
                Operation op;
                if (cc is CondContext cond)
                {
                    op = AddOp(refInput ? "RefSwitch" : "Switch", [x, cond.Pred], null, "Switch", [new("T", Attr.Type(x.DType))]);
                    v = op[cond.Branch];
                }
                else
                {
                    var loop = (WhileContext)cc;
                    op = AddOp(refInput ? "RefEnter" : "Enter", [x], null, "Enter", loop.EnterAttrs(x.DType, isConstant: true));
                    v = op[0];
                }
                for (var c = cc; c is not null; c = c.Outer) c.Ops.Add(op);
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
