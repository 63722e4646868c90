using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// TopKV2 (TF's <c>tf.nn.top_k</c>): the <c>k</c> largest entries of each row (the last
/// dimension) of <c>input</c> and their indices, largest first; equal values keep their order
/// (the lower index first), as TF's kernel. <c>sorted=false</c> is allowed to return any order;
/// this kernel always sorts.
/// </summary>
internal sealed class TopKV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("sorted", "bool", Attr.Bool(true)), new("T", "type", AllowedTypes: TypeSets.Real)];

    public const string OpType = "TopKV2";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input: T", "k: int32"];

    protected override string[] OutputArgs => ["values: T", "indices: int32"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var s = c.InputShape(0);
        var ks = c.InputShape(1);
        if (ks.IsRankKnown && ks.Rank != 0) throw c.Error($"Shape must be rank 0 but is rank {ks.Rank} for input 'k'");
        if (s.IsRankKnown && s.Rank < 1) throw c.Error($"Shape must be at least rank 1 but is rank {s.Rank} for input '{c.Inputs[0].Name}'");
        int k = -1;
        if (c.ConstantInput(1) is { } kv)
        {
            k = kv.Scalar<int>();
            if (k < 0) throw c.Error($"Need k >= 0, got {k}");
            if (s.IsRankKnown && s[s.Rank - 1] >= 0 && s[s.Rank - 1] < k)
                throw c.Error($"input must have last dimension >= k = {k} but is {s[s.Rank - 1]}");
        }
        var o = s.IsRankKnown ? new Shape([.. s.ToArray()[..^1], k]) : Shape.Unknown;
        c.AddOutput(c.InputType(0), o);
        c.AddOutput(DType.Int32, o);
    }

    /// <summary>
    /// TF 1.15's <c>_TopKGrad</c>: each values gradient goes back to the position its index names
    /// (the rows flattened, offsets added, summed into a zero input), none into k.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var input = c.Op.Inputs[0];
        var indices = c.Op[1];
        var inShape = g.ShapeOf(input);
        var indShape = g.ShapeOf(indices);
        var inLast = inShape[^1];
        var ind2d = g.Reshape(indices, g.Stack([g.Constant(-1), indShape[^1]]));
        var outer = g.ShapeOf(ind2d)[0];
        var offsets = g.ExpandDims(g.Range(g.Constant(0), outer * inLast, inLast), -1);
        var flat = g.Reshape(ind2d + offsets, g.Constant(new[] { -1 }));
        var total = g.ReduceProd(inShape);
        var dx = g.UnsortedSegmentSum(g.Reshape(c.Grad, g.Constant(new[] { -1 })), flat, total);
        return [g.Reshape(dx, inShape), null];
    }

    public override OpKernel CreateKernel(KernelBuilder b) => b.InputType(0) switch
    {
        DType.Float32 => new Kernel<float>(),
        DType.Float64 => new Kernel<double>(),
        DType.Int32 => new Kernel<int>(),
        DType.Int64 => new Kernel<long>(),
        DType.UInt8 => new Kernel<byte>(),
        DType.Int8 => new Kernel<sbyte>(),
        DType.Int16 => new Kernel<short>(),
        DType.UInt16 => new Kernel<ushort>(),
        var t => throw new UnimplementedException($"TopKV2 has no kernel for {t.Name()}"),
    };

    private sealed class Kernel<T> : OpKernel, IComparer<int> where T : unmanaged, INumber<T>
    {
        private int[] _order = [];
        private T[] _row = [];

        // Largest first, lower index first among equals (TF's order); a NaN, whose place TF
        // leaves unspecified, counts as the largest.
        public int Compare(int a, int b)
        {
            T va = _row[a], vb = _row[b];
            bool na = T.IsNaN(va), nb = T.IsNaN(vb);
            int cmp = na || nb ? nb.CompareTo(na) : vb.CompareTo(va);
            return cmp != 0 ? cmp : a.CompareTo(b);
        }

        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var kt = ctx.Input(1);
            if (kt.Rank != 0) throw new InvalidArgumentException($"k must be 0-D, got shape {Shape.Format(kt.Dims)}");
            int k = kt.Scalar<int>();
            if (k < 0) throw new InvalidArgumentException($"Need k >= 0, got {k}");
            if (x.Rank < 1) throw new InvalidArgumentException($"input must be >= 1-D, got shape {Shape.Format(x.Dims)}");
            int n = x.Dims[^1];
            if (n < k) throw new InvalidArgumentException($"input must have at least k columns. Had {n}, needed {k}");
            Span<int> od = stackalloc int[x.Rank];
            x.Dims.CopyTo(od);
            od[^1] = k;
            var values = ctx.AllocateOutput(0, x.DType, od);
            var indices = ctx.AllocateOutput(1, DType.Int32, od);
            if (k == 0 || x.Size == 0) return;
            int rows = x.Size / n;
            if (_order.Length < n)
            {
                _order = new int[n];
                _row = new T[n];
            }
            var src = x.Span<T>();
            var vs = values.Span<T>();
            var ids = indices.Span<int>();
            for (int r = 0; r < rows; r++)
            {
                src.Slice(r * n, n).CopyTo(_row);
                var order = _order.AsSpan(0, n);
                for (int i = 0; i < n; i++) order[i] = i;
                order.Sort(this);
                for (int j = 0; j < k; j++)
                {
                    vs[r * k + j] = _row[order[j]];
                    ids[r * k + j] = order[j];
                }
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.nn.top_k(input, k, sorted)</c>: the <paramref name="k"/> largest entries of each
    /// row of <paramref name="input"/> (its last dimension) and their indices, largest first.
    /// </summary>
    public (Output Values, Output Indices) TopK(Output input, int k = 1, bool sorted = true, string? name = null)
    {
        var op = AddOp(TopKV2Spec.OpType, [input, Constant(Tensor.Scalar(k), name: "k")], name, TopKV2Spec.OpType,
            [new("sorted", Attr.Bool(sorted)), new("T", Attr.Type(input.DType))]);
        return (op[0], op[1]);
    }
}
