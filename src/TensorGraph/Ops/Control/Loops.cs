using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Enter: makes its input available inside the while-loop frame <c>frame_name</c> (a child of the
/// frame it runs in): to iteration 0, or to every iteration when <c>is_constant</c> (a loop
/// invariant). RefEnter does the same for a variable reference.
/// </summary>
internal class EnterSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("T", "type"), new("frame_name", "string"), new("is_constant", "bool", Attr.Bool(false)),
        new("parallel_iterations", "int", Attr.Int(10)),
    ];

    public const string OpType = "Enter";

    public override string Type => OpType;

    public override ControlFlowRole ControlFlow => ControlFlowRole.Enter;

    protected override string[] InputArgs => ["data: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        if (c.Attr("frame_name").S.IsEmpty) throw c.Error("Enter needs a non-empty frame_name");
        if (c.AttrInt("parallel_iterations") <= 0) throw c.Error($"parallel_iterations must be positive, got {c.AttrInt("parallel_iterations")}");
        c.AddOutput(c.InputType(0), c.InputShape(0));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new ForwardKernel(IsRefOutput(0) ? OutputKind.External : OutputKind.Forwarded);

    /// <summary>
    /// TF's <c>_EnterGrad</c>: in a backprop loop, an Exit for a loop variable (the gradient of its
    /// initial value) or an accumulator loop for a loop invariant; elsewhere the gradient passes through.
    /// </summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.LoopEnterGradient(c.Op, c.Grad)];
}

internal sealed class RefEnterSpec : EnterSpec
{
    public new const string OpType = "RefEnter";

    public override string Type => OpType;

    protected override string[] InputArgs => ["data: Ref(T)"];

    protected override string[] OutputArgs => ["output: Ref(T)"];
}

/// <summary>Exit: hands a loop variable's final value from a while-loop frame to its parent frame.</summary>
internal class ExitSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "Exit";

    public override string Type => OpType;

    public override ControlFlowRole ControlFlow => ControlFlowRole.Exit;

    protected override string[] InputArgs => ["data: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => c.AddOutput(c.InputType(0), c.InputShape(0));

    public override OpKernel CreateKernel(KernelBuilder b) => new ForwardKernel(IsRefOutput(0) ? OutputKind.External : OutputKind.Forwarded);

    /// <summary>TF's <c>_ExitGrad</c>: the gradient enters the backprop loop as a loop variable (<c>b_exit</c>).</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.LoopExitGradient(c.Op, c.Grad)];
}

/// <summary>NextIteration: hands a value to the next iteration of the same frame (the loop's back edge into its Merge).</summary>
internal class NextIterationSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "NextIteration";

    public override string Type => OpType;

    public override ControlFlowRole ControlFlow => ControlFlowRole.NextIteration;

    protected override string[] InputArgs => ["data: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => c.AddOutput(c.InputType(0), c.InputShape(0));

    public override OpKernel CreateKernel(KernelBuilder b) => new ForwardKernel(IsRefOutput(0) ? OutputKind.External : OutputKind.Forwarded);

    /// <summary>TF's <c>_NextIterationGrad</c>: the gradient passes through.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Grad];
}

/// <summary>LoopCond: the loop's continuation predicate (a bool scalar), fed to the loop's Switches.</summary>
internal sealed class LoopCondSpec : OpSpec
{
    public const string OpType = "LoopCond";

    public override string Type => OpType;

    public override ControlFlowRole ControlFlow => ControlFlowRole.LoopCond;

    protected override string[] InputArgs => ["input: bool"];

    protected override string[] OutputArgs => ["output: bool"];

    public override void Infer(InferContext c)
    {
        if (c.InputType(0) != DType.Bool)
            throw c.Error($"The loop condition must be bool, got {c.InputType(0).Name()} ('{c.Inputs[0].Name}')");
        if (c.InputShape(0).IsRankKnown && c.InputShape(0).Rank != 0)
            throw c.Error($"The loop condition must be a scalar, but '{c.Inputs[0].Name}' has shape {c.InputShape(0)}");
        c.AddOutput(DType.Bool, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static ctx =>
    {
        var p = ctx.Input(0);
        if (p.Rank != 0) throw OpContext.Error($"The loop condition must be a scalar, but it has shape {Shape.Format(p.Dims)}");
        ctx.SetOutput(0, p);
    }, OutputKind.Forwarded);

    /// <summary>TF's <c>_LoopCondGrad</c>: the predicate has no gradient.</summary>
    public override Output?[] Gradient(GradContext c) => [null];
}

/// <summary>Forwards input 0 to output 0 (Enter, Exit, NextIteration).</summary>
internal sealed class ForwardKernel(OutputKind kind) : OpKernel
{
    public override OutputKind GetOutputKind(int output) => kind;

    public override void Compute(OpContext ctx) => ctx.SetOutput(0, ctx.Input(0));
}

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.x's <c>tf.while_loop</c>: repeats <paramref name="body"/> while <paramref name="cond"/>
    /// holds, starting from <paramref name="loopVars"/>, and returns the final values. Builds TF's
    /// nodes (<c>while/Enter</c>, <c>while/Merge</c>, <c>while/LoopCond</c>, <c>while/Switch</c>,
    /// <c>while/Identity</c>, <c>while/NextIteration</c>, <c>while/Exit</c>; outside tensors enter
    /// as constant Enters named <c>&lt;op&gt;/Enter</c>), so the graph exports to TensorFlow
    /// unchanged. Each loop variable must keep its shape across iterations unless
    /// <paramref name="shapeInvariants"/> gives a less specific one. <paramref name="maximumIterations"/>
    /// (an int scalar) caps the iterations as TF does, with a counter loop variable named
    /// <c>iteration_counter</c>. Iterations run one after another. <see cref="Gradients(Output[], Output[], Output[], Output[], bool, string)"/>
    /// differentiates through the loop as TF 1.15 does (a backprop loop replaying forward values
    /// from stacks) unless <paramref name="backProp"/> is false.
    /// </summary>
    public Output[] WhileLoop(Func<Output[], Output> cond, Func<Output[], Output[]> body, Output[] loopVars,
        Shape[]? shapeInvariants = null, int parallelIterations = 10, string? name = null, Output? maximumIterations = null,
        bool backProp = true)
    {
        ArgumentNullException.ThrowIfNull(cond);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(loopVars);
        if (loopVars.Length == 0) throw new InvalidArgumentException("WhileLoop needs at least one loop variable");
        if (parallelIterations <= 0) throw new InvalidArgumentException($"parallel_iterations must be a positive integer, got {parallelIterations}");
        if (shapeInvariants is not null && shapeInvariants.Length != loopVars.Length)
            throw new InvalidArgumentException($"WhileLoop got {shapeInvariants.Length} shape invariants for {loopVars.Length} loop variables");
        foreach (var v in loopVars)
        {
            if (v.Op is null) throw new InvalidArgumentException("A loop variable is a default (unset) Output");
            if (!ReferenceEquals(v.Graph, this)) throw new InvalidArgumentException($"Loop variable '{v.Name}' belongs to a different graph");
        }
        using var scope = NameScope(name ?? "while");
        if (maximumIterations is { } max)
        {
            // TF's maximum_iterations: an iteration counter in front of the loop variables, and-ed into the condition.
            if (max.DType is not (DType.Int32 or DType.Int64))
                throw new InvalidArgumentException($"maximum_iterations must be int32 or int64, got {max.DType.Name()} ('{max.Name}')");
            if (max.Shape.IsRankKnown && max.Shape.Rank != 0)
                throw new InvalidArgumentException($"maximum_iterations must be a scalar, but '{max.Name}' has shape {max.Shape}");
            var counter = Constant(max.DType == DType.Int64 ? Tensor.Scalar(0L) : Tensor.Scalar(0), name: "iteration_counter");
            var (origCond, origBody) = (cond, body);
            cond = v => LogicalAnd(Less(v[0], max), origCond(v[1..]));
            body = v => [v[0] + (max.DType == DType.Int64 ? Tensor.Scalar(1L) : Tensor.Scalar(1)), .. origBody(v[1..])];
            loopVars = [counter, .. loopVars];
            if (shapeInvariants is not null) shapeInvariants = [Shape.Scalar, .. shapeInvariants];
            return WhileLoopCore(cond, body, loopVars, shapeInvariants, parallelIterations, backProp)[1..];
        }
        return WhileLoopCore(cond, body, loopVars, shapeInvariants, parallelIterations, backProp);
    }

    private Output[] WhileLoopCore(Func<Output[], Output> cond, Func<Output[], Output[]> body, Output[] loopVars, Shape[]? shapeInvariants,
        int parallelIterations, bool backProp)
    {
        var wc = new WhileContext(UniqueName("while_context"), parallelIterations, backProp, _controlContext);
        // As TF: only top-level loops are collected; nested contexts are exported inside them.
        if (wc.Outer is null) AddToCollection(ControlFlowContext.WhileCollection, wc);
        var saved = _controlContext;
        try
        {
            // Loop variables from outside an enclosing context enter that context first.
            var real = loopVars.Select(v => wc.Outer is { } o && !o.Contains(v) ? CaptureInto(o, v, _scope, refInput: false) : v).ToArray();
            foreach (var v in real) wc.Known.Add(v);
            _controlContext = wc;
            var enters = new Output[real.Length];
            // Control dependencies in effect around the loop apply to its Enters (TF's
            // _FixControlInputsAndContext): the loop starts after them. The loop's own structure
            // is built without them; ops the condition and body create still get them.
            Operation[] outerControls;
            lock (_lock) outerControls = [.. CurrentControlInputs()];
            using (ControlDependencies((Operation[]?)null))
            {
                for (int i = 0; i < real.Length; i++)
                {
                    enters[i] = AddOp(EnterSpec.OpType, [real[i]], null, EnterSpec.OpType, wc.EnterAttrs(real[i].DType, isConstant: false))[0];
                    // A loop nested in another loop or a branch, started from an outer invariant, must
                    // only start when the enclosing body or branch runs: gate it on the nearest pivot.
                    if (IsLoopConstantEnter(real[i]) && OuterPivot(wc) is { } outerPivot) enters[i].Op.AddControlInput(outerPivot);
                    foreach (var oc in outerControls)
                    {
                        // Only dependencies in the loop's own frame: one from outside an enclosing
                        // loop would cross frames (the body's ops still get it through an Enter).
                        if (EnclosingLoop(wc) is not { } outerLoop || outerLoop.Ops.Contains(oc)) enters[i].Op.AddControlInput(oc);
                    }
                    if (shapeInvariants?[i] is { } inv)
                    {
                        if (!inv.IsCompatibleWith(real[i].Shape))
                            throw new InvalidArgumentException(
                                $"The shape invariant specified for '{loopVars[i].Name}' is not compatible with the initial shape of the loop variable. It enters the loop with shape {real[i].Shape}, but the specified shape invariant is {inv}.");
                        enters[i].Op.SetOutputShape(0, inv);
                    }
                }
            }
            // From here on the loop variables are outside values like any other (TF re-initializes
            // the context's values to the Enters): a body that reads one gets it through a constant Enter.
            wc.Known.Clear();
            Output[] merges;
            using (ControlDependencies((Operation[]?)null)) merges = enters.Select(e => Merge([e, e]).Output).ToArray();
            wc.PivotForPred = merges[0];
            var c = cond(merges);
            if (c.Op is null) throw new InvalidArgumentException("The loop condition returned a default (unset) Output");
            (Output False, Output True)[] switches;
            Output[] identities;
            using (ControlDependencies((Operation[]?)null))
            {
                var loopCond = AddOp(LoopCondSpec.OpType, [c], null, LoopCondSpec.OpType)[0];
                wc.Pivot = loopCond;
                switches = merges.Select(m => Switch(m, loopCond)).ToArray();
                identities = switches.Select(s => Identity(s.True)).ToArray();
            }
            wc.PivotForBody = identities[0];
            var result = body(identities) ?? throw new InvalidArgumentException("The loop body returned null");
            if (result.Length != loopVars.Length)
                throw new InvalidArgumentException($"Number of inputs and outputs of body must match loop_vars: {loopVars.Length}, {result.Length}");
            for (int i = 0; i < result.Length; i++)
            {
                if (result[i].Op is null) throw new InvalidArgumentException("The loop body returned a default (unset) Output");
                if (result[i].DType != loopVars[i].DType)
                    throw new InvalidArgumentException(
                        $"Loop variable {i} ('{loopVars[i].Name}') is {loopVars[i].DType.Name()}, but the body returns {result[i].DType.Name()} ('{result[i].Name}')");
                var before = merges[i].Shape;
                var after = result[i].Shape;
                if (!ShapeLessThanOrEqual(after, before))
                    throw new InvalidArgumentException(
                        $"Input tensor '{loopVars[i].Name}' enters the loop with shape {before}, but has shape {after} after one iteration. " +
                        "To allow the shape to vary across iterations, use the shapeInvariants argument of WhileLoop to specify a less-specific shape.");
            }
            for (int i = 0; i < result.Length; i++)
            {
                Output next;
                using (ControlDependencies((Operation[]?)null))
                    next = AddOp(NextIterationSpec.OpType, [result[i]], null, NextIterationSpec.OpType, [new("T", Attr.Type(result[i].DType))])[0];
                merges[i].Op.UpdateInput(1, next);
            }
            wc.LoopEnters.AddRange(enters);
            using (ControlDependencies((Operation[]?)null))
            {
                var exits = switches.Select(s => AddOp(ExitSpec.OpType, [s.False], null, ExitSpec.OpType, [new("T", Attr.Type(s.False.DType))])[0]).ToArray();
                wc.LoopExits.AddRange(exits);
                return exits;
            }
        }
        finally
        {
            _controlContext = saved;
        }
    }

    private static WhileContext? EnclosingLoop(ControlFlowContext cc)
    {
        for (var o = cc.Outer; o is not null; o = o.Outer)
            if (o is WhileContext w) return w;
        return null;
    }

    private static Operation? OuterPivot(ControlFlowContext cc)
    {
        for (var o = cc.Outer; o is not null; o = o.Outer)
            if (o.ControlPivot is { } p) return p;
        return null;
    }

    /// <summary>TF's <c>tf.while_loop</c> over one loop variable.</summary>
    public Output WhileLoop(Func<Output, Output> cond, Func<Output, Output> body, Output loopVar, Shape? shapeInvariant = null,
        int parallelIterations = 10, string? name = null, Output? maximumIterations = null, bool backProp = true)
    {
        ArgumentNullException.ThrowIfNull(cond);
        ArgumentNullException.ThrowIfNull(body);
        return WhileLoop(v => cond(v[0]), v => [body(v[0])], [loopVar], shapeInvariant is null ? null : [shapeInvariant], parallelIterations, name, maximumIterations, backProp)[0];
    }

    /// <summary>Whether <paramref name="a"/> is at least as specific as <paramref name="b"/> (TF's _ShapeLessThanOrEqual).</summary>
    private static bool ShapeLessThanOrEqual(Shape a, Shape b)
    {
        if (!b.IsRankKnown) return true;
        if (!a.IsRankKnown || a.Rank != b.Rank) return false;
        for (int i = 0; i < a.Rank; i++)
        {
            if (b[i] >= 0 && a[i] != b[i]) return false;
        }
        return true;
    }
}
