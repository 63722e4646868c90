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
        int[] dims;
        bool fullyGiven;
        if (c.ConstantInput(1) is { } v) (dims, fullyGiven) = (ConstantDims(c, v), true);
        else
        {
            var partial = c.PartialShapeInput(1);
            if (!partial.IsRankKnown)
            {
                c.AddOutput(c.InputType(0), partial);
                return;
            }
            (dims, fullyGiven) = (partial.ToArray(), false);
        }
        c.AddOutput(c.InputType(0), Shape.Wrap(FillInferredDim(c, input.NumElements, dims, fullyGiven)));
    }

    /// <summary>A constant shape argument: non-negative sizes and at most one -1.</summary>
    private static int[] ConstantDims(InferContext c, Tensor v)
    {
        var dims = new int[v.Size];
        int unknown = -1;
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
            else dims[i] = TensorSize.Dimension(d, "Size {0}", i);
        }
        return dims;
    }

    /// <summary>
    /// TF 1.15's SetOutputShapeForReshape: with the input's element count <paramref name="n"/>
    /// known, a shape without unknown dims must hold exactly n elements, and a single unknown dim
    /// (-1) is what the others leave. A shape argument only partly known at build time
    /// (<paramref name="fullyGiven"/> false) may have several unknown dims, which stay unknown, and
    /// an unknown dim beside a zero-size one stays unknown too (TF infers it only when the known
    /// dims hold more than zero elements; the kernel decides it, see <see cref="ReshapeKernel"/>).
    /// </summary>
    private static int[] FillInferredDim(InferContext c, long n, int[] dims, bool fullyGiven)
    {
        long known = 1;
        int unknown = -1, unknowns = 0;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0) { unknown = i; unknowns++; }
            else known = TensorSize.Multiply(known, dims[i], "the requested shape's element count");
        }
        if (n < 0) return dims;
        if (unknowns == 0)
        {
            if (known != n) throw c.Error($"Cannot reshape a tensor with {n} elements to shape {Shape.Format(dims)} ({known} elements)");
        }
        else if (unknowns == 1 && known > 0)
        {
            if (n % known != 0) throw c.Error($"Cannot reshape a tensor with {n} elements to shape {Shape.Format(dims)}");
            dims[unknown] = (int)(n / known);
        }
        return dims;
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
            long product = 1;
            bool sizesHaveZero = false;
            for (int i = 0; i < dims.Length; i++)
            {
                long d = s.GetInt64(i);
                if (d == -1)
                {
                    if (unknown >= 0) throw new InvalidArgumentException($"Only one input size may be -1, not both {unknown} and {i}");
                    unknown = i;
                    dims[i] = 1;
                }
                else if (d < 0) throw new InvalidArgumentException($"Size {i} must be non-negative, not {d}");
                else if (d == 0)
                {
                    // Zero sizes stay out of the product, so the -1 can still be inferred.
                    dims[i] = 0;
                    sizesHaveZero = true;
                }
                else { dims[i] = TensorSize.Dimension(d, "Size {0}", i); product = TensorSize.Multiply(product, d, "the requested shape's element count"); }
            }
            if (unknown >= 0)
            {
                // TF 1.15's ReshapeOp: when the requested shape has a zero size, the input's zero
                // dims are left out of its count too, so [0, 6] → [0, -1] gives [0, 6].
                long inputCount = 1;
                bool inputHasZero = false;
                foreach (var d in x.Dims)
                {
                    if (d > 0 || !sizesHaveZero) inputCount *= d;
                    else inputHasZero = true;
                }
                long missing = inputCount / product;
                if (!inputHasZero && product * missing != inputCount)
                    throw new InvalidArgumentException($"Input to reshape is a tensor with {inputCount} values, but the requested shape requires a multiple of {product}");
                dims[unknown] = TensorSize.Dimension(missing, "Size {0}", unknown);
            }
            long total = 1;
            foreach (var d in dims) total = TensorSize.Multiply(total, d, "the requested shape's element count");
            if (total != x.Size)
                throw new InvalidArgumentException($"Input to reshape is a tensor with {x.Size} values, but the requested shape has {total}");
            ctx.SetViewOutput(0, _view, x, dims);
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
