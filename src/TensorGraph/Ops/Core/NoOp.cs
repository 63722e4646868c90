using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>NoOp: does nothing; used as a control-dependency sink (<c>tf.group</c>, <c>init</c>).</summary>
internal sealed class NoOpSpec : OpSpec
{
    public const string OpType = "NoOp";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => [];

    public override void Infer(InferContext c)
    {
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static _ => { });
}

public sealed partial class Graph
{
    /// <summary>A <c>NoOp</c> node (<c>tf.no_op</c>).</summary>
    public Operation NoOp(string? name = null) => AddOp(NoOpSpec.OpType, [], name);

    /// <summary>TF's <c>tf.group</c>: a NoOp (default name <c>group_deps</c>) with control inputs on <paramref name="ops"/>.</summary>
    public Operation Group(IEnumerable<Operation> ops, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(ops);
        return AddOp(NoOpSpec.OpType, [], name, "group_deps", controlInputs: ops.ToArray());
    }

    /// <summary>TF's <c>tf.group</c> over ops and the producers of tensors.</summary>
    public Operation Group(params object[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var ops = new List<Operation>();
        foreach (var i in items)
        {
            ops.Add(i switch
            {
                Operation o => o,
                Output t => t.Op,
                Variable v => v.Op,
                _ => throw new InvalidArgumentException($"Group accepts operations, tensors and variables, not {i?.GetType().Name ?? "null"}"),
            });
        }
        return Group(ops);
    }
}
