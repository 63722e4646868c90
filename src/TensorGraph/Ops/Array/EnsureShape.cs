using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// EnsureShape: the input unchanged, after checking at run time that its shape is compatible with
/// the <c>shape</c> attr (<c>tf.ensure_shape</c>); build-time inference takes the more specific of
/// the two shapes.
/// </summary>
internal sealed class EnsureShapeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("shape", "shape"), new("T", "type")];

    public const string OpType = "EnsureShape";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_EnsureShapeGrad</c>: the gradient passes through.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Grad];

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var expected = c.AttrShape("shape");
        var input = c.InputShape(0);
        if (!input.IsCompatibleWith(expected))
            throw c.Error($"Shape of tensor {c.Inputs[0].Name} {input} is not compatible with expected shape {expected}");
        c.AddOutput(c.InputType(0), input.MergeWith(expected));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var src = b.Op.Inputs[0];
        return new Kernel(Shape.FromProto(b.Op.GetAttr("shape").Shape), src.Name, forward: !src.Op.Spec.IsRefOutput(src.Index));
    }

    private sealed class Kernel(Shape expected, string inputName, bool forward) : OpKernel
    {
        private readonly IdentityKernel _identity = new(forward);

        public override OutputKind GetOutputKind(int output) => _identity.GetOutputKind(output);

        public override void Compute(OpContext ctx)
        {
            var dims = ctx.Input(0).Dims;
            if (!expected.IsCompatibleWith(dims))
                throw new InvalidArgumentException(
                    $"Shape of tensor {inputName} {Partial(Shape.FromSpan(dims))} is not compatible with expected shape {Partial(expected)}.");
            _identity.Compute(ctx);
        }

        // TF's TensorShape/PartialTensorShape::DebugString: [4,3], [?,4], or <unknown>.
        private static string Partial(Shape s) =>
            s.IsRankKnown ? "[" + string.Join(",", s.ToArray().Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]" : "<unknown>";
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// <c>tf.ensure_shape</c>: <paramref name="x"/> unchanged, checked at run time against
    /// <paramref name="shape"/> (-1 = any size); the result's static shape merges both.
    /// </summary>
    public Output EnsureShape(Output x, Shape shape, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return AddOp(EnsureShapeSpec.OpType, [x], name, EnsureShapeSpec.OpType,
            [NamedAttr("shape", Attr.Shape(shape)), NamedAttr("T", Attr.Type(x.DType))])[0];
    }
}
