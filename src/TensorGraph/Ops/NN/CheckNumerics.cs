using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>CheckNumerics: passes the tensor through, failing with InvalidArgument if it holds NaN or Inf.</summary>
internal sealed class CheckNumericsSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("message", "string")];

    public override string Type => "CheckNumerics";

    protected override string[] InputArgs => ["tensor: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Float);
        c.AddOutput(c.InputType(0), c.InputShape(0));
    }

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
        AddOp("CheckNumerics", [tensor], name, "CheckNumerics", [NamedAttr("T", Attr.Type(tensor.DType)), NamedAttr("message", Attr.String(message))])[0];
}
