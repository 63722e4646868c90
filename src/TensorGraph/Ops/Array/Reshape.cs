using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Reshape: same elements, new dimensions; one -1 is inferred from the element count.</summary>
internal sealed class ReshapeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("Tshape", "type", Attr.Type(DType.Int32))];

    public const string OpType = "Reshape";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_ReshapeGrad</c>: the gradient reshaped back to the input's shape.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.Reshape(c.Grad, c.Graph.ShapeOf(c.X)), null];

    protected override string[] InputArgs => ["tensor: T", "shape: Tshape"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        var sh = c.InputShape(1);
        if (sh.IsRankKnown && sh.Rank != 1) throw c.Error($"shape must be a vector, got shape {sh}");
        var input = c.InputShape(0);
        if (c.ConstantInput(1) is not { } v)
        {
            c.AddOutput(c.InputType(0), PartialOutputShape(c, input));
            return;
        }
        var dims = new int[v.Size];
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            long d = v.GetInt64(i);
            if (d == -1)
            {
                if (unknown >= 0) throw c.Error($"Only one input size may be -1, not both {unknown} and {i}");
                unknown = i;
                dims[i] = -1;
            }
            else if (d < 0) throw c.Error($"Size {i} must be non-negative, not {d}");
            else { dims[i] = TensorSize.Dimension(d, "Size {0}", i); known = TensorSize.Multiply(known, d, "the requested shape's element count"); }
        }
        long n = input.NumElements;
        if (n >= 0)
        {
            if (unknown >= 0)
            {
                if (known == 0 || n % known != 0)
                    throw c.Error($"Cannot reshape a tensor with {n} elements to shape {Shape.Format(dims)}");
                dims[unknown] = (int)(n / known);
            }
            else if (known != n)
                throw c.Error($"Cannot reshape a tensor with {n} elements to shape {Shape.Format(dims)} ({known} elements)");
        }
        c.AddOutput(c.InputType(0), Shape.Wrap(dims));
    }

    /// <summary>
    /// The output shape when the shape argument is only partly known at build time (TF 1.15's
    /// SetOutputShapeForReshape): its known dims, and the one unknown dim when the input's element
    /// count and the other dims fix it.
    /// </summary>
    private static Shape PartialOutputShape(InferContext c, Shape input)
    {
        var partial = c.PartialShapeInput(1);
        if (!partial.IsRankKnown) return partial;
        var dims = partial.ToArray();
        long n = input.NumElements, known = 1;
        int unknown = -1, unknowns = 0;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0) { unknown = i; unknowns++; }
            else known = TensorSize.Multiply(known, dims[i], "the requested shape's element count");
        }
        if (n >= 0 && unknowns == 0 && known != n)
            throw c.Error($"Cannot reshape a tensor with {n} elements to shape {Shape.Format(dims)} ({known} elements)");
        if (n >= 0 && unknowns == 1 && known > 0)
        {
            if (n % known != 0) throw c.Error($"Cannot reshape a tensor with {n} elements to shape {partial}");
            dims[unknown] = (int)(n / known);
        }
        return Shape.FromSpan(dims);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new ReshapeKernel();

    private sealed class ReshapeKernel : OpKernel
    {
        private readonly Tensor _view = Tensor.Empty(DType.Float32);

        public override OutputKind GetOutputKind(int output) => OutputKind.Forwarded;

        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var s = ctx.Input(1);
            Span<int> dims = stackalloc int[s.ShapeVectorLength("shape")];
            int unknown = -1;
            long known = 1;
            for (int i = 0; i < dims.Length; i++)
            {
                long d = s.GetInt64(i);
                if (d == -1)
                {
                    if (unknown >= 0) throw new InvalidArgumentException($"Only one input size may be -1, not both {unknown} and {i}");
                    unknown = i;
                }
                else if (d < 0) throw new InvalidArgumentException($"Size {i} must be non-negative, not {d}");
                else { dims[i] = TensorSize.Dimension(d, "Size {0}", i); known = TensorSize.Multiply(known, d, "the requested shape's element count"); }
            }
            if (unknown >= 0)
            {
                if (known == 0 || x.Size % known != 0)
                    throw new InvalidArgumentException($"Input to reshape is a tensor with {x.Size} values, but the requested shape requires a multiple of {known}");
                dims[unknown] = (int)(x.Size / known);
            }
            else if (known != x.Size)
                throw new InvalidArgumentException($"Input to reshape is a tensor with {x.Size} values, but the requested shape has {known}");
            _view.SetView(x, dims);
            ctx.SetOutput(0, _view);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.reshape</c>; <paramref name="shape"/> may contain one -1.</summary>
    public Output Reshape(Output tensor, Output shape, string? name = null) =>
        AddOp(ReshapeSpec.OpType, [tensor, shape], name, attrs: [NamedAttr("T", Attr.Type(tensor.DType)), NamedAttr("Tshape", Attr.Type(shape.DType))])[0];

    /// <summary>TF's <c>tf.reshape</c> with a constant shape (a Const named <c>Reshape/shape</c>).</summary>
    public Output Reshape(Output tensor, int[] shape, string? name = null)
    {
        using var scope = NameScope(name ?? "Reshape");
        var exact = CurrentNameScope + "/";
        return Reshape(tensor, Constant(shape, name: "shape"), exact);
    }
}
