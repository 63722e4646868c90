using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>StopGradient: the input unchanged; gradients do not flow through it (<c>tf.stop_gradient</c>).</summary>
internal sealed class StopGradientSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "StopGradient";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => c.AddOutput(c.InputType(0), c.InputShape(0));

    public override OpKernel CreateKernel(KernelBuilder b) => PassThrough(b);

    /// <summary>Forwards the input; a variable (ref) input is copied, like Identity.</summary>
    internal static OpKernel PassThrough(KernelBuilder b)
    {
        var src = b.Op.Inputs[0];
        return new IdentityKernel(forward: !src.Op.Spec.IsRefOutput(src.Index));
    }
}

/// <summary>
/// PreventGradient: the input unchanged; asking for its gradient is an error that quotes attr
/// <c>message</c> (TF's <c>array_ops.prevent_gradient</c>).
/// </summary>
internal sealed class PreventGradientSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("message", "string", Attr.String(""))];

    public const string OpType = "PreventGradient";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_PreventGradientGrad</c>: building the gradient throws, quoting <c>message</c>.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var op = c.Op;
        var where = SourceLocation.Suffix(op.Location, op.Name);
        throw new UnimplementedException(
            $"Gradient explicitly disabled. Reason: {op.GetAttrString("message")} (operation '{op.Name}', op type: PreventGradient{where})")
        { NodeName = op.Name };
    }

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => c.AddOutput(c.InputType(0), c.InputShape(0));

    public override OpKernel CreateKernel(KernelBuilder b) => StopGradientSpec.PassThrough(b);
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.stop_gradient</c>: the value of <paramref name="input"/>, treated as a constant by <see cref="Gradients(Output[], Output[], Output[], Output[], bool, string)"/>.</summary>
    public Output StopGradient(Output input, string? name = null) => Unary(StopGradientSpec.OpType, input, name);

    /// <summary>
    /// TF's <c>array_ops.prevent_gradient</c>: the value of <paramref name="input"/>; building a
    /// gradient through it throws, quoting <paramref name="message"/>.
    /// </summary>
    public Output PreventGradient(Output input, string message = "", string? name = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return AddOp(PreventGradientSpec.OpType, [input], name, attrs: [NamedAttr("T", Attr.Type(input.DType)), NamedAttr("message", Attr.String(message))])[0];
    }
}
