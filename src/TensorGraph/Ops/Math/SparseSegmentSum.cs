using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseSegmentSum: output[s, …] = Σ data[indices[i], …] over the i with segment_ids[i] = s.
/// segment_ids must be sorted (non-decreasing); the output has segment_ids[-1] + 1 rows, rows of
/// ids that do not occur are zero (TF 1.15: int32 segment ids).
/// </summary>
internal sealed class SparseSegmentSumSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("Tidx", "type", Attr.Type(DType.Int32), AllowedTypes: [DType.Int32, DType.Int64])];

    public const string OpType = "SparseSegmentSum";

    public override string Type => OpType;

    protected override string[] InputArgs => ["data: T", "indices: Tidx", "segment_ids: int32"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        var data = c.InputShape(0);
        var ix = c.InputShape(1);
        var ids = c.InputShape(2);
        if (ix.IsRankKnown && ix.Rank != 1) throw c.Error($"indices should be a vector, got shape {ix}");
        if (ids.IsRankKnown && ids.Rank != 1) throw c.Error($"segment_ids should be a vector, got shape {ids}");
        if (data.IsRankKnown && data.Rank < 1) throw c.Error($"data must be at least a vector, got shape {data}");
        if (ix.IsRankKnown && ids.IsRankKnown && ix[0] >= 0 && ids[0] >= 0 && ix[0] != ids[0])
            throw c.Error($"segment_ids and indices should have same size, got {ids[0]} and {ix[0]}");
        if (!data.IsRankKnown)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        var d = new int[data.Rank];
        d[0] = -1;
        for (int i = 1; i < d.Length; i++) d[i] = data[i];
        c.AddOutput(c.InputType(0), Shape.Wrap(d));
    }

    /// <summary>
    /// TF 1.15's <c>_SparseSegmentSumGrad</c>:
    /// <c>unsorted_segment_sum(gather(grad, segment_ids), indices, shape(data)[0])</c>.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var rows = g.StridedSlice(g.ShapeOf(c.Input(0)), [0], [1], shrinkAxisMask: 1);
        return [g.UnsortedSegmentSum(g.Gather(c.Grad, c.Input(2)), c.Input(1), rows), null, null];
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var data = ctx.Input(0);
        var ix = ctx.Input(1);
        var ids = ctx.Input(2);
        if (ix.Rank != 1) throw new InvalidArgumentException($"indices should be a vector, got shape {ix.Shape}");
        if (ids.Rank != 1) throw new InvalidArgumentException($"segment_ids should be a vector, got shape {ids.Shape}");
        if (data.Rank < 1) throw new InvalidArgumentException($"data must be at least a vector, got shape {data.Shape}");
        int n = ix.Size;
        if (ids.Size != n) throw new InvalidArgumentException($"segment_ids and indices should have same size, got {ids.Size} and {n}");
        var seg = ids.AsSpan<int>();
        int outRows = n > 0 ? seg[n - 1] + 1 : 0;
        if (outRows < 0) throw new InvalidArgumentException("segment ids must be >= 0");
        var dims = data.DimsArray;
        dims[0] = outRows;
        int inner = 1;
        for (int i = 1; i < dims.Length; i++) inner *= dims[i];
        int dataRows = data.Dims[0];
        for (int i = 0; i < n; i++)
        {
            if (i > 0 && seg[i] < seg[i - 1]) throw new InvalidArgumentException("segment ids are not increasing");
            if (seg[i] < 0) throw new InvalidArgumentException("segment ids must be >= 0");
            long row = ix.GetInt64(i);
            if (row < 0 || row >= dataRows) throw new InvalidArgumentException($"Bad: indices[{i}] == {row} out of range [0, {dataRows})");
        }
        var o = ctx.AllocateOutput(0, data.DType, dims);
        switch (data.DType)
        {
            case DType.Float32: Sum(data.AsSpan<float>(), ix, seg, inner, o.AsSpan<float>()); break;
            case DType.Float64: Sum(data.AsSpan<double>(), ix, seg, inner, o.AsSpan<double>()); break;
            case DType.Int32: Sum(data.AsSpan<int>(), ix, seg, inner, o.AsSpan<int>()); break;
            case DType.Int64: Sum(data.AsSpan<long>(), ix, seg, inner, o.AsSpan<long>()); break;
            default: throw new UnimplementedException($"SparseSegmentSum has no kernel for {data.DType.Name()}");
        }
    });

    private static void Sum<T>(ReadOnlySpan<T> data, Tensor ix, ReadOnlySpan<int> seg, int inner, Span<T> o) where T : INumber<T>
    {
        o.Clear();
        for (int i = 0; i < seg.Length; i++)
        {
            var from = data.Slice((int)ix.GetInt64(i) * inner, inner);
            var to = o.Slice(seg[i] * inner, inner);
            for (int k = 0; k < inner; k++) to[k] += from[k];
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.sparse.segment_sum(data, indices, segment_ids)</c>: a SparseSegmentSum node
    /// summing the rows <paramref name="indices"/> of <paramref name="data"/> into the sorted int32
    /// <paramref name="segmentIds"/>.
    /// </summary>
    public Output SparseSegmentSum(Output data, Output indices, Output segmentIds, string? name = null) =>
        AddOp(SparseSegmentSumSpec.OpType, [data, indices, segmentIds], name, SparseSegmentSumSpec.OpType,
            [NamedAttr("T", Attr.Type(data.DType)), NamedAttr("Tidx", Attr.Type(indices.DType))])[0];
}
