using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>CheckNumerics: passes the tensor through, failing with InvalidArgument if it holds NaN or Inf.</summary>
internal sealed class CheckNumericsSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("message", "string")];

    public const string OpType = "CheckNumerics";

    public override string Type => OpType;

    protected override string[] InputArgs => ["tensor: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Float);
        c.AddOutput(c.InputType(0), c.InputShape(0));
    }

    /// <summary>TF 1.15's <c>_CheckNumericsGrad</c>: the gradient is checked too.</summary>
    public override Output?[] Gradient(GradContext c) =>
        [c.Graph.CheckNumerics(c.Grad, "Not a number (NaN) or infinity (Inf) values detected in gradient. " + c.Op.GetAttrString("message"))];

    public override OpKernel CreateKernel(KernelBuilder b) => new CheckKernel(b.Op.GetAttrString("message"));

    private sealed class CheckKernel(string message) : OpKernel
    {
        public override OutputKind GetOutputKind(int output) => OutputKind.Forwarded;

        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            bool nan = false, inf = false;
            if (x.DType == DType.Float32)
            {
                foreach (var v in x.Span<float>()) { nan |= float.IsNaN(v); inf |= float.IsInfinity(v); }
            }
            else
            {
                foreach (var v in x.Span<double>()) { nan |= double.IsNaN(v); inf |= double.IsInfinity(v); }
            }
            if (nan || inf)
                throw new InvalidArgumentException($"{message} : Tensor had {(nan && inf ? "NaN and Inf" : nan ? "NaN" : "Inf")} values");
            ctx.SetOutput(0, x);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.check_numerics</c>: fails the run (naming this node) if <paramref name="tensor"/> has NaN or Inf.</summary>
    public Output CheckNumerics(Output tensor, string message, string? name = null) =>
        AddOp(CheckNumericsSpec.OpType, [tensor], name, CheckNumericsSpec.OpType, [NamedAttr("T", Attr.Type(tensor.DType)), NamedAttr("message", Attr.String(message))])[0];
}
