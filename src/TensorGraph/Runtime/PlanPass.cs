using System.Reflection;

namespace TensorGraph.Runtime;

/// <summary>
/// A rewrite of a plan's pruned ops before value ids and buffers are assigned (in the spirit of
/// TF grappler's remapper, at plan time only): a pass finds chains of ops by their declared roles
/// (<see cref="Ops.OpSpec.Fusion"/>, never op names) and puts one <see cref="FusedNode"/> in their
/// place; the graph and its GraphDef keep TF's ops. A pass lives beside the fused kernel it runs.
/// </summary>
/// <remarks>
/// Passes are found by reflection (every concrete subclass with a parameterless constructor) and
/// run in the order of their type names, on plans without while loops, when
/// <see cref="Session.EnableFusion"/> is set. A pass leaves alone the ops an earlier pass claimed
/// (<see cref="PlanPassContext.IsClaimed"/>).
/// </remarks>
internal abstract class PlanPass
{
    /// <summary>Finds what this pass rewrites in <paramref name="plan"/> and records it with <see cref="PlanPassContext.Fuse"/>.</summary>
    public abstract void Run(PlanPassContext plan);

    /// <summary>Every plan pass, in the order they run.</summary>
    public static IReadOnlyList<PlanPass> All { get; } = Discover();

    private static PlanPass[] Discover()
    {
        var passes = new List<PlanPass>();
        foreach (var t in typeof(PlanPass).Assembly.GetTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            if (t.IsAbstract || !typeof(PlanPass).IsAssignableFrom(t)) continue;
            var ctor = t.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes)
                ?? throw new InternalException($"Plan pass {t.Name} needs a parameterless constructor");
            passes.Add((PlanPass)ctor.Invoke(null));
        }
        return [.. passes];
    }
}

/// <summary>
/// One plan node that runs a fused kernel in place of a chain of ops. It stands for the op that
/// ends the chain (<see cref="Op"/>: its outputs, its name in errors); the other ops of the chain
/// (<see cref="Absorbed"/>) do not run.
/// </summary>
internal abstract class FusedNode(Operation op, Operation[] absorbed, Output[] inputs)
{
    /// <summary>The op that ends the chain; the node produces its outputs.</summary>
    public Operation Op { get; } = op;

    /// <summary>The other ops of the chain, which the plan leaves out.</summary>
    public Operation[] Absorbed { get; } = absorbed;

    /// <summary>The node's inputs, in the order the fused kernel reads them (values, never references).</summary>
    public Output[] Inputs { get; } = inputs;

    /// <summary>Creates the fused kernel (once per execution state).</summary>
    public abstract OpKernel CreateKernel();
}

/// <summary>What a <see cref="PlanPass"/> sees of the plan being built, and where it records its rewrites.</summary>
internal sealed class PlanPassContext
{
    private readonly HashSet<Operation> _needed;
    private readonly HashSet<Output> _fed;
    private readonly HashSet<Output> _fetched;
    private readonly HashSet<Operation> _claimed = [];
    private readonly Dictionary<Operation, FusedNode> _fusions = [];

    internal PlanPassContext(Operation[] order, HashSet<Operation> needed, HashSet<Output> fed, Output[] fetches)
    {
        Operations = order;
        _needed = needed;
        _fed = fed;
        _fetched = [.. fetches];
    }

    /// <summary>The plan's ops in topological (creation) order.</summary>
    public IReadOnlyList<Operation> Operations { get; }

    /// <summary>The fused nodes recorded so far, by the op that ends each chain.</summary>
    internal Dictionary<Operation, FusedNode> Fusions => _fusions;

    /// <summary>Whether <paramref name="op"/> runs in this plan.</summary>
    public bool Contains(Operation op) => _needed.Contains(op);

    /// <summary>Whether the caller feeds <paramref name="o"/> (the feed replaces the op's value).</summary>
    public bool IsFed(Output o) => _fed.Contains(o);

    /// <summary>Whether the caller fetches <paramref name="o"/>.</summary>
    public bool IsFetched(Output o) => _fetched.Contains(o);

    /// <summary>Whether an earlier pass already fused <paramref name="op"/> into a node.</summary>
    public bool IsClaimed(Operation op) => _claimed.Contains(op);

    /// <summary>
    /// The one op of this plan that reads output 0 of <paramref name="op"/>, and at which input,
    /// when nothing else can see that value: it is neither fetched nor fed, no other op of the
    /// plan reads it, and no op of the plan has a control input on <paramref name="op"/>. Null
    /// otherwise. A chain whose inner values all pass this test can run as one kernel.
    /// </summary>
    public (Operation Op, int Input)? SoleConsumer(Operation op)
    {
        if (op.ControlOutputs.Any(_needed.Contains)) return null;
        var o = op[0];
        if (IsFetched(o) || IsFed(o)) return null;
        var cs = op.Consumers.Where(c => _needed.Contains(c.Op)).ToArray();
        return cs.Length == 1 ? cs[0] : null;
    }

    /// <summary>
    /// The BiasAdd (→ Relu) tail a fused kernel can absorb after <paramref name="head"/> (by their
    /// fusion roles): the BiasAdd reads the head's value at input 0 and is its sole consumer, the
    /// Relu, if any, is the BiasAdd's; none has control inputs, the chain's end is not fed, no op of
    /// it is claimed, and <paramref name="acceptBias"/> (when given) accepts the BiasAdd. Null otherwise.
    /// </summary>
    public (Operation BiasAdd, Operation? Relu)? BiasReluTail(Operation head, Func<Operation, bool>? acceptBias = null)
    {
        if (head.ControlInputs.Count > 0) return null;
        if (SoleConsumer(head) is not { } b || b.Op.Spec.Fusion != Ops.FusionRole.BiasAdd || b.Input != 0) return null;
        var bias = b.Op;
        // A control edge may carry deadness or ordering the fused node would lose.
        if (bias.ControlInputs.Count > 0 || (acceptBias is not null && !acceptBias(bias))) return null;
        var relu = SoleConsumer(bias) is { } r && r.Op.Spec.Fusion == Ops.FusionRole.Relu && r.Op.ControlInputs.Count == 0 ? r.Op : null;
        var end = relu ?? bias;
        if (IsFed(end[0]) || IsClaimed(head) || IsClaimed(bias) || IsClaimed(end)) return null;
        return (bias, relu);
    }

    /// <summary>Records <paramref name="node"/> in place of its chain.</summary>
    public void Fuse(FusedNode node)
    {
        foreach (var op in node.Absorbed.Append(node.Op))
        {
            if (!_claimed.Add(op)) throw new InternalException($"Op '{op.Name}' is fused twice by the plan passes");
        }
        _fusions.Add(node.Op, node);
    }
}
