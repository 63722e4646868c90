using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// GatherNd: slices of <c>params</c> addressed by the innermost dimension of <c>indices</c>
/// (<c>tf.gather_nd</c>); indices [..., K] with K ≤ rank(params), out.shape =
/// indices.shape[:-1] + params.shape[K:]. Out-of-range indices fail at run time (as on TF's CPU).
/// </summary>
internal sealed class GatherNdSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("Tparams", "type"), new("Tindices", "type", AllowedTypes: TypeSets.Int)];

    public const string OpType = "GatherNd";

    public override string Type => OpType;

    protected override string[] InputArgs => ["params: Tparams", "indices: Tindices"];

    protected override string[] OutputArgs => ["output: Tparams"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>
    /// TF 1.15's <c>_GatherNdGrad</c>: indices [n, 1] give IndexedSlices(grad, squeeze(indices, -1),
    /// shape(params)); otherwise ScatterNd(indices, grad, shape(params)).
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var indices = c.Input(1);
        var refShape = g.ShapeOf(c.X, indices.DType);
        if (indices.Shape.IsRankKnown && indices.Shape.Rank == 2 && indices.Shape[1] == 1)
        {
            c.SetSparse(0, new IndexedSlices(c.Grad, g.Squeeze(indices, [-1]), refShape));
            return [null, null];
        }
        return [g.ScatterNd(indices, c.Grad, refShape), null];
    }

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        var p = c.InputShape(0);
        var ind = c.InputShape(1);
        if (ind.IsRankKnown && ind.Rank < 1) throw c.Error($"Shape must be at least rank 1 but is rank {ind.Rank} for 'indices' ({ind})");
        if (!p.IsRankKnown || !ind.IsRankKnown || ind[ind.Rank - 1] < 0)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        int k = ind[ind.Rank - 1];
        if (k > p.Rank)
            throw c.Error($"indices.shape[-1] must be <= params.rank, but saw indices shape: {ind} and params shape: {p}");
        var d = new int[ind.Rank - 1 + p.Rank - k];
        for (int i = 0; i < ind.Rank - 1; i++) d[i] = ind[i];
        for (int i = k; i < p.Rank; i++) d[ind.Rank - 1 + i - k] = p[i];
        c.AddOutput(c.InputType(0), Shape.Wrap(d));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make2(typeof(GatherNdKernel<,>), b.InputType(0), b.InputType(1));

    private sealed class GatherNdKernel<T, TI> : OpKernel where TI : IBinaryInteger<TI>
    {
        public override void Compute(OpContext ctx)
        {
            var p = ctx.Input(0);
            var ind = ctx.Input(1);
            if (ind.Rank < 1) throw new InvalidArgumentException($"indices must be at least a vector, got shape {Shape.Format(ind.Dims)}");
            int k = ind.Dims[ind.Rank - 1];
            if (k > p.Rank)
                throw new InvalidArgumentException($"index innermost dimension length must be <= params rank; saw: {k} vs. {p.Rank}");
            int n = ArrayCopy.Product(ind.Dims[..^1]);
            Span<int> od = stackalloc int[ind.Rank - 1 + p.Rank - k];
            ind.Dims[..^1].CopyTo(od);
            p.Dims[k..].CopyTo(od[(ind.Rank - 1)..]);
            var o = ctx.AllocateOutput(0, p.DType, od);
            int inner = ArrayCopy.Product(p.Dims[k..]);
            Span<int> strides = stackalloc int[p.Rank];
            ArrayCopy.RowMajorStrides(p.Dims, strides);
            var src = p.Span<T>();
            var dst = o.Span<T>();
            var idx = ind.Span<TI>();
            for (int i = 0; i < n; i++)
            {
                int offset = 0;
                for (int j = 0; j < k; j++)
                {
                    long v = long.CreateTruncating(idx[i * k + j]);
                    if (v < 0 || v >= p.Dims[j])
                        throw new InvalidArgumentException(
                            $"indices{IndexRow(ind.Dims, i)} = [{string.Join(", ", Row(idx, i, k))}] does not index into param shape {Shape.Format(p.Dims)}");
                    offset += (int)v * strides[j];
                }
                src.Slice(offset, inner).CopyTo(dst.Slice(i * inner, inner));
            }
        }

        private static long[] Row(ReadOnlySpan<TI> idx, int i, int k)
        {
            var r = new long[k];
            for (int j = 0; j < k; j++) r[j] = long.CreateTruncating(idx[i * k + j]);
            return r;
        }
    }

    /// <summary>The position of row <paramref name="flat"/> of indices [..., K] as <c>[i,j,…]</c> (error messages only).</summary>
    internal static string IndexRow(ReadOnlySpan<int> dims, int flat)
    {
        var outer = dims[..^1];
        var pos = new int[outer.Length];
        for (int d = outer.Length - 1; d >= 0; d--)
        {
            if (outer[d] == 0) continue;
            pos[d] = flat % outer[d];
            flat /= outer[d];
        }
        return "[" + string.Join(",", pos) + "]";
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.gather_nd(params, indices)</c>: a GatherNd node. The innermost dimension of
    /// <paramref name="indices"/> (int32/int64) indexes the leading axes of <paramref name="params"/>.
    /// </summary>
    public Output GatherNd(Output @params, Output indices, string? name = null) =>
        AddOp(GatherNdSpec.OpType, [@params, indices], name, attrs:
            [NamedAttr("Tparams", Attr.Type(@params.DType)), NamedAttr("Tindices", Attr.Type(indices.DType))])[0];
}
