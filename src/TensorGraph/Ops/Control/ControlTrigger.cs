using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ControlTrigger: does nothing, like NoOp, but is never dead: it runs, and its control
/// consumers see it live, even when its control inputs come from an untaken branch (TF's executor
/// clears the dead flag of a control trigger). Loop gradients use it for their <c>f_sync</c> and
/// <c>b_sync</c> nodes.
/// </summary>
internal sealed class ControlTriggerSpec : OpSpec
{
    public const string OpType = "ControlTrigger";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override ControlFlowRole ControlFlow => ControlFlowRole.ControlTrigger;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => [];

    public override void Infer(InferContext c)
    {
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static _ => { });
}

public sealed partial class Graph
{
    /// <summary>
    /// A <c>ControlTrigger</c> node (TF's <c>control_flow_ops.control_trigger</c>) with control
    /// inputs on <paramref name="controlInputs"/>: a control-dependency sink that stays live when
    /// those inputs are dead.
    /// </summary>
    public Operation ControlTrigger(IEnumerable<Operation>? controlInputs = null, string? name = null) =>
        AddOp(ControlTriggerSpec.OpType, [], name, controlInputs: controlInputs?.ToArray());
}
