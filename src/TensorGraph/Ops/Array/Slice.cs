using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Slice: the block of <c>size</c> elements starting at <c>begin</c> (size -1 = to the end).</summary>
internal sealed class SliceSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("Index", "type")];

    public const string OpType = "Slice";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SliceGrad</c>: Pad(grad, [begin, shape(x) - shape(out) - begin]).</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var x = c.X;
        var begin = c.Input(1);
        var inputRank = g.Rank(x);
        var sliceSize = g.ShapeOf(c.Out(), begin.DType);
        var shape = g.Stack([inputRank, g.Constant(1)]);
        var beforePad = g.Reshape(begin, shape);
        var afterPad = g.Reshape(g.Subtract(g.Subtract(g.ShapeOf(x, begin.DType), sliceSize), begin), shape);
        var paddings = g.Concat([beforePad, afterPad], 1);
        return [g.Pad(c.Grad, paddings), null, null];
    }

    protected override string[] InputArgs => ["input: T", "begin: Index", "size: Index"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        c.RequireSameType(1, 2);
        var input = c.InputShape(0);
        var bs = c.InputShape(1);
        var ss = c.InputShape(2);
        if ((bs.IsRankKnown && bs.Rank != 1) || (ss.IsRankKnown && ss.Rank != 1) ||
            (bs.IsRankKnown && ss.IsRankKnown && bs[0] >= 0 && ss[0] >= 0 && bs[0] != ss[0]) ||
            (input.IsRankKnown && ((bs.IsRankKnown && bs[0] >= 0 && bs[0] != input.Rank) || (ss.IsRankKnown && ss[0] >= 0 && ss[0] != input.Rank))))
            throw c.Error($"Expected begin and size arguments to be 1-D tensors of size {(input.IsRankKnown ? input.Rank : bs[0])}, but got shapes {bs} and {ss} instead.");
        int rank = input.IsRankKnown ? input.Rank : bs.IsRankKnown && bs[0] >= 0 ? bs[0] : ss.IsRankKnown ? ss[0] : -1;
        if (rank < 0)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        var begin = c.ConstantInput(1);
        var size = c.ConstantInput(2);
        if (size is null)
        {
            c.AddOutput(c.InputType(0), Shape.UnknownOfRank(rank));
            return;
        }
        var d = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            long s = size.GetInt64(i);
            int dim = input.IsRankKnown ? input[i] : -1;
            if (begin is not null && dim >= 0)
            {
                long b = begin.GetInt64(i);
                if (b < 0 || b > dim) throw c.Error($"Expected begin[{i}] in [0, {dim}], but got {b}");
                if (s == -1) s = dim - b;
                if (s < 0 || b + s > dim) throw c.Error($"Expected size[{i}] in [0, {dim - b}], but got {s}");
            }
            else if (s < -1) throw c.Error($"Expected size[{i}] to be -1 or non-negative, but got {s}");
            d[i] = s == -1 ? -1 : TensorSize.Dimension(s, "size[{0}]", i);
        }
        c.AddOutput(c.InputType(0), Shape.Wrap(d));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(SliceKernel<>), b.InputType(0));

    private sealed class SliceKernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var begin = ctx.Input(1);
            var size = ctx.Input(2);
            int rank = x.Rank;
            if (begin.Rank != 1 || size.Rank != 1 || begin.Size != rank || size.Size != rank)
                throw new InvalidArgumentException($"Expected begin and size arguments to be 1-D tensors of size {rank}, but got shapes {Shape.Format(begin.Dims)} and {Shape.Format(size.Dims)} instead.");
            Span<int> od = stackalloc int[rank];
            Span<int> strides = stackalloc int[rank];
            ArrayCopy.RowMajorStrides(x.Dims, strides);
            int offset = 0;
            for (int i = 0; i < rank; i++)
            {
                long b = begin.GetInt64(i), s = size.GetInt64(i);
                int dim = x.Dims[i];
                if (s == -1) s = dim - b;
                if (b < 0 || b > dim) throw new InvalidArgumentException($"Expected begin[{i}] in [0, {dim}], but got {b}");
                if (s < 0 || b + s > dim) throw new InvalidArgumentException($"Expected size[{i}] in [0, {dim - b}], but got {s}");
                od[i] = (int)s;
                offset += (int)b * strides[i];
            }
            var o = ctx.AllocateOutput(0, x.DType, od);
            Span<int> ds = stackalloc int[rank];
            ArrayCopy.RowMajorStrides(od, ds);
            ArrayCopy.Strided<T>(x.Span<T>(), offset, strides, o.Span<T>(), 0, ds, od);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.slice(input, begin, size)</c>: a Slice node; a size of -1 takes the rest of the dimension.</summary>
    public Output Slice(Output input, Output begin, Output size, string? name = null) =>
        AddOp(SliceSpec.OpType, [input, begin, size], name, attrs: [NamedAttr("T", Attr.Type(input.DType)), NamedAttr("Index", Attr.Type(begin.DType))])[0];

    /// <summary>TF's <c>tf.slice</c> with constant <paramref name="begin"/> and <paramref name="size"/> (Consts <c>Slice/begin</c>, <c>Slice/size</c>).</summary>
    public Output Slice(Output input, int[] begin, int[] size, string? name = null)
    {
        using var scope = NameScope(name ?? "Slice");
        var exact = CurrentNameScope + "/";
        return Slice(input, Constant(begin, name: "begin"), Constant(size, name: "size"), exact);
    }
}
