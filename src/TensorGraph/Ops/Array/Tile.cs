using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Tile: repeats the input <c>multiples[i]</c> times along axis i.</summary>
internal sealed class TileSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("Tmultiples", "type", Attr.Type(DType.Int32))];

    public const string OpType = "Tile";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_TileGrad</c>: reshape grad to the interleaved [multiples_i, shape_i] and sum the even axes.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var multiples = c.Input(1);
        var inputShape = g.ShapeOf(c.X, multiples.DType);
        var splitShape = g.Reshape(g.Transpose(g.Stack([multiples, inputShape])), [-1]);
        var axes = g.Range(g.Constant(0), g.Size(splitShape), g.Constant(2));
        return [g.Reduce(SumSpec.OpType, g.Reshape(c.Grad, splitShape), axes), null];
    }

    protected override string[] InputArgs => ["input: T", "multiples: Tmultiples"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        var input = c.InputShape(0);
        var ms = c.InputShape(1);
        if (ms.IsRankKnown && ms.Rank != 1) throw c.Error($"multiples must be a vector, got shape {ms}");
        if (input.IsRankKnown && ms.IsRankKnown && ms[0] >= 0 && ms[0] != input.Rank)
            throw c.Error($"multiples has {ms[0]} elements but the input has rank {input.Rank}");
        if (!input.IsRankKnown)
        {
            c.AddOutput(c.InputType(0), ms.IsRankKnown && ms[0] >= 0 ? Shape.UnknownOfRank(ms[0]) : Shape.Unknown);
            return;
        }
        var m = c.ConstantInput(1);
        var d = new int[input.Rank];
        for (int i = 0; i < d.Length; i++)
        {
            if (m is null || input[i] < 0) { d[i] = -1; continue; }
            long k = m.GetInt64(i);
            if (k < 0) throw c.Error($"multiples[{i}] must be non-negative, got {k}");
            d[i] = TensorSize.Dimension(TensorSize.Multiply(input[i], k, "dimension {0} times multiples[{0}]", i), "output dimension {0}", i);
        }
        c.AddOutput(c.InputType(0), Shape.Wrap(d));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new TileKernel();

    private sealed class TileKernel : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var m = ctx.Input(1);
            int rank = x.Rank;
            if (m.Size != rank) throw new InvalidArgumentException($"multiples has {m.Size} elements but the input has rank {rank}");
            Span<int> od = stackalloc int[rank];
            for (int i = 0; i < rank; i++)
            {
                long k = m.GetInt64(i);
                if (k < 0) throw new InvalidArgumentException($"multiples[{i}] must be non-negative, got {k}");
                od[i] = TensorSize.Dimension(TensorSize.Multiply(x.Dims[i], k, "dimension {0} times multiples[{0}]", i), "output dimension {0}", i);
            }
            var o = ctx.AllocateOutput(0, x.DType, od);
            if (o.Size == 0) return;
            if (rank == 0) { Array.Copy(x.Data, o.Data, 1); return; }
            // Copy the input into the leading block, then replicate axis by axis from the innermost.
            Span<int> blockDims = stackalloc int[rank];
            x.Dims.CopyTo(blockDims);
            CopyInto(x, o, blockDims, od);
            for (int axis = rank - 1; axis >= 0; axis--)
            {
                int reps = od[axis] / Math.Max(1, x.Dims[axis]);
                if (reps <= 1 || x.Dims[axis] == 0) { blockDims[axis] = od[axis]; continue; }
                // For each outer index, the block [blockDims[axis..]] repeats reps times along axis.
                int inner = 1;
                for (int d = axis + 1; d < rank; d++) inner *= od[d];
                int chunk = x.Dims[axis] * inner;
                int outer = 1;
                for (int d = 0; d < axis; d++) outer *= blockDims[d];
                for (int o2 = 0; o2 < outer; o2++)
                {
                    int baseOff = OuterOffset(o2, axis, blockDims, od, inner);
                    for (int r = 1; r < reps; r++) Array.Copy(o.Data, baseOff, o.Data, baseOff + r * chunk, chunk);
                }
                blockDims[axis] = od[axis];
            }
        }

        // Offset in the output of outer index o (over axes < axis, within the already-filled block).
        private static int OuterOffset(int o, int axis, ReadOnlySpan<int> blockDims, ReadOnlySpan<int> od, int inner)
        {
            int off = 0, stride = od[axis] * inner;
            for (int d = axis - 1; d >= 0; d--)
            {
                int idx = o % blockDims[d];
                o /= blockDims[d];
                off += idx * stride;
                stride *= od[d];
            }
            return off;
        }

        // Places x at the origin of o (x's rows are scattered with o's strides).
        private static void CopyInto(Tensor x, Tensor o, ReadOnlySpan<int> xd, ReadOnlySpan<int> od)
        {
            int rank = xd.Length;
            int inner = xd[rank - 1];
            int rows = x.Size / Math.Max(1, inner);
            if (inner == 0) return;
            for (int r = 0; r < rows; r++)
            {
                int rem = r, off = 0, stride = od[rank - 1];
                for (int d = rank - 2; d >= 0; d--)
                {
                    int idx = rem % xd[d];
                    rem /= xd[d];
                    off += idx * stride;
                    stride *= od[d];
                }
                Array.Copy(x.Data, r * inner, o.Data, off, inner);
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.tile</c>.</summary>
    public Output Tile(Output input, Output multiples, string? name = null) =>
        AddOp(TileSpec.OpType, [input, multiples], name, attrs: [NamedAttr("T", Attr.Type(input.DType)), NamedAttr("Tmultiples", Attr.Type(multiples.DType))])[0];
}
