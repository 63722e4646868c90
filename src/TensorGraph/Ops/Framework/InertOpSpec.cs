using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph.Ops;

/// <summary>
/// Why an imported node is inert (see <see cref="OpSpec.Inert"/>): <paramref name="MissingOpType"/>
/// when its op type is not implemented, otherwise it is an implemented op that could not be built
/// (it reads an inert node); <paramref name="Reason"/> says why, as a phrase. <paramref name="Original"/> is
/// the node's <c>NodeDef</c> exactly as it was read, written back on export when the node kept its
/// name and inputs (an import without prefix or input map), or null.
/// </summary>
internal sealed record InertNode(bool MissingOpType, string Reason, NodeDef? Original);

/// <summary>
/// The schema of one inert node: a placeholder-of-record for an imported node that TensorGraph
/// keeps (name, inputs, control inputs, attrs and device, so the graph exports as it was read) but
/// cannot run. It declares no arguments and is never registered: the importer makes one per inert
/// node, with the output count and dtypes it worked out for that node. Nothing validates or infers
/// it; a plan that needs it fails before running (the runtime asks <see cref="Inert"/>).
/// </summary>
internal sealed class InertOpSpec(string type, InertNode inert) : OpSpec
{
    /// <inheritdoc/>
    public override string Type { get; } = type;

    /// <inheritdoc/>
    public override InertNode? Inert { get; } = inert;

    /// <inheritdoc/>
    protected override string[] InputArgs => [];

    /// <inheritdoc/>
    protected override string[] OutputArgs => [];

    /// <summary>What the node does is unknown, so nothing may merge or precompute it.</summary>
    public override bool IsStateful => true;

    /// <inheritdoc/>
    public override void Infer(InferContext c) =>
        throw new InternalException($"An inert '{Type}' node is created by the importer, never inferred");

    /// <inheritdoc/>
    public override OpKernel CreateKernel(KernelBuilder b) => throw Unrunnable(b.Op);

    /// <summary>No gradient can be built through a node that cannot run.</summary>
    public override Output?[] Gradient(Autodiff.GradContext c) =>
        throw new UnimplementedException($"No gradient defined for operation '{c.Op.Name}' (op type: {Type}): {Describe(Inert!)}");

    /// <summary>The error for running node <paramref name="op"/>.</summary>
    public UnimplementedException Unrunnable(Operation op) =>
        new($"Node '{op.Name}' ({Type}) cannot run: {Describe(Inert!)}") { NodeName = op.Name };

    /// <summary>The reason a node is inert, as a phrase.</summary>
    public static string Describe(InertNode inert) => inert.Reason;

    /// <summary>The reason recorded for a node whose op type <paramref name="type"/> is not implemented.</summary>
    public static string MissingTypeReason(string type) => $"op type '{type}' is not implemented by TensorGraph";
}
