using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ScatterNd: a zero tensor of shape <c>shape</c> into which the slices of <c>updates</c> are
/// added at the positions the innermost dimension of <c>indices</c> names (<c>tf.scatter_nd</c>;
/// duplicates add up). indices [..., K], updates indices.shape[:-1] + shape[K:].
/// </summary>
internal sealed class ScatterNdSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("Tindices", "type", AllowedTypes: TypeSets.Int)];

    public const string OpType = "ScatterNd";

    public override string Type => OpType;

    protected override string[] InputArgs => ["indices: Tindices", "updates: T", "shape: Tindices"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>TF 1.15's <c>_ScatterNdGrad</c>: the updates get GatherNd(grad, indices).</summary>
    public override Output?[] Gradient(GradContext c) => [null, c.Graph.GatherNd(c.Grad, c.Input(0)), null];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Int);
        c.RequireType(1, TypeSets.Real);
        var ind = c.InputShape(0);
        var upd = c.InputShape(1);
        var ss = c.InputShape(2);
        if (ind.IsRankKnown && ind.Rank < 1) throw c.Error($"Shape must be at least rank 1 but is rank {ind.Rank} for 'indices' ({ind})");
        if (ss.IsRankKnown && ss.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {ss.Rank} for 'shape' ({ss})");
        var outShape = c.PartialShapeInput(2);
        if (outShape.IsRankKnown && ind.IsRankKnown && upd.IsRankKnown && ind[ind.Rank - 1] >= 0)
        {
            int k = ind[ind.Rank - 1];
            if (k > outShape.Rank) throw c.Error($"indices.shape[-1] must be <= shape.rank, but saw indices shape: {ind} and shape: {outShape}");
            int outer = ind.Rank - 1;
            if (upd.Rank != outer + outShape.Rank - k)
                throw c.Error($"updates must have rank {outer + outShape.Rank - k} (indices.shape[:-1] + shape[{k}:]), got shape {upd}");
            for (int i = 0; i < outer; i++)
                if (ind[i] >= 0 && upd[i] >= 0 && ind[i] != upd[i])
                    throw c.Error($"The outer {outer} dimensions of indices.shape={ind} must match the outer {outer} dimensions of updates.shape={upd}");
            for (int i = k; i < outShape.Rank; i++)
                if (outShape[i] >= 0 && upd[outer + i - k] >= 0 && outShape[i] != upd[outer + i - k])
                    throw c.Error($"The inner {outShape.Rank - k} dimensions of output.shape={outShape} must match the inner dimensions of updates.shape={upd}");
        }
        c.AddOutput(c.InputType(1), outShape);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make2(typeof(ScatterNdKernel<,>), b.InputType(1), b.InputType(0));

    private sealed class ScatterNdKernel<T, TI> : OpKernel where T : INumber<T> where TI : IBinaryInteger<TI>
    {
        public override void Compute(OpContext ctx)
        {
            var ind = ctx.Input(0);
            var upd = ctx.Input(1);
            var shapeT = ctx.Input(2);
            Span<int> od = stackalloc int[shapeT.ShapeVectorLength("shape")];
            shapeT.ReadDimensions(od, "shape");
            if (ind.Rank < 1) throw new InvalidArgumentException($"indices must be at least a vector, got shape {Shape.Format(ind.Dims)}");
            int k = ind.Dims[ind.Rank - 1];
            if (k > od.Length) throw new InvalidArgumentException($"indices.shape[-1] = {k} must be <= rank(shape) = {od.Length}");
            int outer = ind.Rank - 1;
            bool ok = upd.Rank == outer + od.Length - k && upd.Dims[..outer].SequenceEqual(ind.Dims[..outer])
                && upd.Dims[outer..].SequenceEqual(od[k..]);
            if (!ok)
                throw new InvalidArgumentException(
                    $"updates.shape {Shape.Format(upd.Dims)} must be indices.shape[:-1] + shape[{k}:] for indices.shape {Shape.Format(ind.Dims)} and shape {Shape.Format(od)}");
            var o = ctx.AllocateOutput(0, upd.DType, od);
            var dst = o.Span<T>();
            dst.Clear();
            int n = ArrayCopy.Product(ind.Dims[..outer]);
            int inner = ArrayCopy.Product(od[k..]);
            Span<int> strides = stackalloc int[od.Length];
            ArrayCopy.RowMajorStrides(od, strides);
            var src = upd.Span<T>();
            var idx = ind.Span<TI>();
            for (int i = 0; i < n; i++)
            {
                int offset = 0;
                for (int j = 0; j < k; j++)
                {
                    long v = long.CreateTruncating(idx[i * k + j]);
                    if (v < 0 || v >= od[j])
                        throw new InvalidArgumentException(
                            $"indices{IndexRow(ind.Dims, i)} = {v} at position {j} does not index into shape {Shape.Format(od)}");
                    offset += (int)v * strides[j];
                }
                var row = dst.Slice(offset, inner);
                TensorPrimitives.Add<T>(row, src.Slice(i * inner, inner), row);
            }
        }

        private static string IndexRow(ReadOnlySpan<int> dims, int flat)
        {
            var outerDims = dims[..^1];
            var pos = new int[outerDims.Length];
            for (int d = outerDims.Length - 1; d >= 0; d--)
            {
                if (outerDims[d] == 0) continue;
                pos[d] = flat % outerDims[d];
                flat /= outerDims[d];
            }
            return "[" + string.Join(",", pos) + "]";
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.scatter_nd(indices, updates, shape)</c>: a ScatterNd node; <paramref name="shape"/>
    /// has the dtype of <paramref name="indices"/>.
    /// </summary>
    public Output ScatterNd(Output indices, Output updates, Output shape, string? name = null) =>
        AddOp(ScatterNdSpec.OpType, [indices, updates, shape], name, attrs:
            [NamedAttr("T", Attr.Type(updates.DType)), NamedAttr("Tindices", Attr.Type(indices.DType))])[0];
}
