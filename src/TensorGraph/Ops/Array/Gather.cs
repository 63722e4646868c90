using System.Numerics;
using System.Numerics.Tensors;
using System.Text;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// GatherV2: slices of <c>params</c> along <c>axis</c> at <c>indices</c>;
/// out.shape = params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis+1:].
/// </summary>
internal sealed class GatherV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("batch_dims", "int", Attr.Int(0)), new("Tparams", "type"), new("Tindices", "type"), new("Taxis", "type")];

    public const string OpType = "GatherV2";

    public override string Type => OpType;

    /// <summary>
    /// TF 1.15's <c>_GatherV2Grad</c>: axis 0 gives IndexedSlices(Reshape(grad, [size(indices)] +
    /// params_shape[1:]), Reshape(indices, [size(indices)]), params_shape); other axes transpose
    /// the gathered axis to the front and sum with UnsortedSegmentSum (a dense gradient).
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var @params = c.X;
        var paramsShape = g.Cast(g.ShapeOf(@params, DType.Int64), DType.Int32);
        var indices = c.Input(1);
        var indicesSize = g.ExpandDims(g.Size(indices), 0);
        var axis = c.Input(2);
        var axisStatic = g.TryConstantValue(axis);
        int batchDims = (int)c.Op.GetAttrInt("batch_dims");
        if (batchDims < 0)
        {
            if (!indices.Shape.IsRankKnown) throw new UnimplementedException("The GatherV2 gradient with negative batch_dims needs indices of known rank");
            batchDims += indices.Shape.Rank;
        }

        if (axisStatic is not null && axisStatic.ScalarInt64("axis") == 0)
        {
            var tail = paramsShape.Slice(SliceItem.Range(1, null));
            var valuesShape = g.Concat([indicesSize, tail], 0);
            var values = g.Reshape(c.Grad, valuesShape);
            var flatIndices = g.Reshape(indices, indicesSize);
            c.SetSparse(0, new IndexedSlices(values, flatIndices, paramsShape));
            return [null, null, null];
        }

        var outerShape = paramsShape.Slice(SliceItem.RangeOf(null, axis));
        var innerShape = paramsShape.Slice(SliceItem.RangeOf(axis, null)).Slice(SliceItem.Range(1, null));
        var valuesShape2 = g.Concat([outerShape, g.Constant(new[] { -1 }), innerShape], 0);
        var valuesDims = g.Size(valuesShape2);
        var axisDims = g.Size(outerShape);
        var outerBatchesIndices = g.Range(0, batchDims);
        var batchAxisIndices = g.Range(g.Constant(batchDims), axisDims, g.Constant(1));
        var innerAxesIndices = g.Range(g.AddV2(axisDims, g.Constant(1)), valuesDims, g.Constant(1));
        var values2 = g.Reshape(c.Grad, valuesShape2);
        var transposeDims = g.Concat([outerBatchesIndices, g.Stack([axisDims]), batchAxisIndices, innerAxesIndices], 0);
        var valuesTranspose = g.Transpose(values2, transposeDims);
        var paramsGrad = BatchGatherGrad(g, paramsShape, valuesTranspose, indices, batchDims, paramsShape.Slice(SliceItem.At(axis)));
        var invertTransposeDims = g.Concat(
            [outerBatchesIndices, g.AddV2(batchAxisIndices, g.Constant(1)), g.Constant(new[] { batchDims }), innerAxesIndices], 0);
        return [g.Transpose(paramsGrad, invertTransposeDims), null, null];
    }

    /// <summary>TF 1.15's <c>_BatchGatherGrad</c>.</summary>
    private static Output BatchGatherGrad(Graph g, Output paramsShape, Output values, Output indices, int batchDims, Output gatherDimSize)
    {
        var indicesSize = g.ExpandDims(g.Size(indices), 0);
        Output outerShape = default, flatValuesShape = default;
        if (batchDims > 0)
        {
            var valuesShape = g.ShapeOf(values);
            outerShape = valuesShape.Slice(SliceItem.Range(null, batchDims));
            var innerShape = valuesShape.Slice(SliceItem.Range(batchDims, null)).Slice(SliceItem.Range(1, null));
            var batchSize = g.Reduce(ProdSpec.OpType, outerShape, g.Constant(new[] { 0 }));
            flatValuesShape = g.Concat([g.Constant(new[] { -1 }), innerShape], 0);
            gatherDimSize = g.Multiply(gatherDimSize, batchSize);
            indices = GetBatchIndices(g, paramsShape, indices, batchDims);
            values = g.Reshape(values, flatValuesShape);
        }
        indices = g.Reshape(indices, indicesSize);
        var paramsGrad = g.UnsortedSegmentSum(values, indices, gatherDimSize);
        if (batchDims > 0) paramsGrad = g.Reshape(paramsGrad, g.Concat([outerShape, flatValuesShape], 0));
        return paramsGrad;
    }

    /// <summary>TF's _GetBatchIndices: adds each batch's offset into the flattened gather dimension.</summary>
    private static Output GetBatchIndices(Graph g, Output paramsShape, Output indices, int batchDims)
    {
        if (!indices.Shape.IsRankKnown) throw new UnimplementedException("The GatherV2 gradient with batch_dims needs indices of known rank");
        int ndims = indices.Shape.Rank;
        var dt = indices.DType;
        var batchIndices = indices;
        var casted = g.Cast(paramsShape, dt);
        Output accum = g.Constant(Graph.ScalarOf(dt, 1));
        for (int dim = batchDims; dim > 0; dim--)
        {
            var dimValue = casted.Slice(dim - 1);
            accum = g.Multiply(accum, casted.Slice(dim));
            var dimIndices = g.Multiply(g.Range(g.Constant(Graph.ScalarOf(dt, 0)), dimValue, g.Constant(Graph.ScalarOf(dt, 1))), accum);
            var parts = new Output[ndims];
            for (int k = 0; k < ndims; k++) parts[k] = k == dim - 1 ? dimValue : g.Constant(Graph.ScalarOf(dt, 1));
            batchIndices = g.AddV2(batchIndices, g.Reshape(dimIndices, g.Stack(parts)));
        }
        return batchIndices;
    }

    protected override string[] InputArgs => ["params: Tparams", "indices: Tindices", "axis: Taxis"];

    protected override string[] OutputArgs => ["output: Tparams"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        c.RequireType(2, TypeSets.Int);
        var axisShape = c.InputShape(2);
        if (axisShape.IsRankKnown && axisShape.Rank != 0) throw c.Error($"axis must be a scalar, got shape {axisShape}");
        var p = c.InputShape(0);
        var ind = c.InputShape(1);
        int batchDims = (int)c.AttrInt("batch_dims");
        if (ind.IsRankKnown)
        {
            if (batchDims < 0) batchDims += ind.Rank;
            if (batchDims < 0 || batchDims > ind.Rank)
                throw c.Error($"batch_dims ({c.AttrInt("batch_dims")}) must be in [{-ind.Rank}, {ind.Rank}] for indices of rank {ind.Rank}");
        }
        var axisT = c.ConstantInput(2);
        if (!p.IsRankKnown || !ind.IsRankKnown || axisT is null)
        {
            c.AddOutput(c.InputType(0), p.IsRankKnown && ind.IsRankKnown ? Shape.UnknownOfRank(p.Rank - 1 + ind.Rank - batchDims) : Shape.Unknown);
            return;
        }
        int axis = Axis(axisT.ScalarInt64("axis"), p.Rank);
        if (batchDims > axis) throw c.Error($"batch_dims ({batchDims}) must be less than or equal to axis ({axis})");
        for (int i = 0; i < batchDims; i++)
        {
            if (p[i] >= 0 && ind[i] >= 0 && p[i] != ind[i])
                throw c.Error($"params.shape[{i}]: {p[i]} should be equal to indices.shape[{i}]: {ind[i]}");
        }
        var d = new List<int>();
        for (int i = 0; i < axis; i++) d.Add(p[i]);
        for (int i = batchDims; i < ind.Rank; i++) d.Add(ind[i]);
        for (int i = axis + 1; i < p.Rank; i++) d.Add(p[i]);
        c.AddOutput(c.InputType(0), Shape.Wrap([.. d]));
    }

    internal static int Axis(long axis, int rank)
    {
        if (axis < -rank || axis >= rank) throw new InvalidArgumentException($"Expected axis in the range [{-rank}, {rank}), but got {axis}");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    /// <summary>Formats a flat position of a tensor of <paramref name="dims"/> as <c>[i,j,…]</c> (error messages only).</summary>
    internal static string Position(ReadOnlySpan<int> dims, int flat)
    {
        var idx = new int[dims.Length];
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            if (dims[d] == 0) continue;
            idx[d] = flat % dims[d];
            flat /= dims[d];
        }
        var sb = new StringBuilder("[");
        for (int d = 0; d < idx.Length; d++) sb.Append(d > 0 ? "," : "").Append(idx[d]);
        return sb.Append(']').ToString();
    }

    public override OpKernel CreateKernel(KernelBuilder b) =>
        ArrayCopy.Make2(typeof(GatherKernel<,>), b.InputType(0), b.InputType(1), (int)b.Op.GetAttrInt("batch_dims"));

    private sealed class GatherKernel<T, TI>(int batchDimsAttr) : OpKernel where TI : IBinaryInteger<TI>
    {
        public override void Compute(OpContext ctx)
        {
            var p = ctx.Input(0);
            var ind = ctx.Input(1);
            int axis = Axis(ctx.Input(2).ScalarInt64("axis"), p.Rank);
            int batchDims = batchDimsAttr < 0 ? batchDimsAttr + ind.Rank : batchDimsAttr;
            if (batchDims < 0 || batchDims > ind.Rank) throw new InvalidArgumentException($"batch_dims ({batchDimsAttr}) out of range for indices of rank {ind.Rank}");
            if (batchDims > axis) throw new InvalidArgumentException($"batch_dims ({batchDims}) must be less than or equal to axis ({axis})");
            for (int i = 0; i < batchDims; i++)
            {
                if (p.Dims[i] != ind.Dims[i])
                    throw new InvalidArgumentException($"params.shape[{i}]: {p.Dims[i]} should be equal to indices.shape[{i}]: {ind.Dims[i]}");
            }
            int outRank = p.Rank - 1 + ind.Rank - batchDims;
            Span<int> od = stackalloc int[outRank];
            int k = 0;
            for (int i = 0; i < axis; i++) od[k++] = p.Dims[i];
            for (int i = batchDims; i < ind.Rank; i++) od[k++] = ind.Dims[i];
            for (int i = axis + 1; i < p.Rank; i++) od[k++] = p.Dims[i];
            var o = ctx.AllocateOutput(0, p.DType, od);
            int batch = ArrayCopy.Product(p.Dims[..batchDims]);
            int outer = ArrayCopy.Product(p.Dims[batchDims..axis]);
            int gather = p.Dims[axis];
            int inner = ArrayCopy.Product(p.Dims[(axis + 1)..]);
            int per = ArrayCopy.Product(ind.Dims[batchDims..]);
            var src = p.Span<T>();
            var dst = o.Span<T>();
            var idx = ind.Span<TI>();
            for (int bi = 0; bi < batch; bi++)
            {
                for (int oi = 0; oi < outer; oi++)
                {
                    int srcBase = (bi * outer + oi) * gather;
                    int dstBase = (bi * outer + oi) * per;
                    for (int i = 0; i < per; i++)
                    {
                        long j = long.CreateTruncating(idx[bi * per + i]);
                        if (j < 0 || j >= gather)
                            throw new InvalidArgumentException($"indices{Position(ind.Dims, bi * per + i)} = {j} is not in [0, {gather})");
                        src.Slice((srcBase + (int)j) * inner, inner).CopyTo(dst.Slice((dstBase + i) * inner, inner));
                    }
                }
            }
        }
    }
}

/// <summary>
/// UnsortedSegmentSum: output[j, …] = Σ data[i, …] over the i with segment_ids[i] = j;
/// negative ids are dropped. out.shape = [num_segments] + data.shape[ids.rank:].
/// </summary>
internal sealed class UnsortedSegmentSumSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("Tindices", "type"), new("Tnumsegments", "type", Attr.Type(DType.Int32))];

    public const string OpType = "UnsortedSegmentSum";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_UnsortedSegmentSumGrad</c>: the gradient gathered by segment id, zero for negative ids.</summary>
    public override Output?[] Gradient(GradContext c) => [GatherDropNegatives(c.Graph, c.Grad, c.Input(1)), null, null];

    /// <summary>TF's _GatherDropNegatives: Gather(params, max(ids, 0)) with the rows of negative ids zeroed.</summary>
    private static Output GatherDropNegatives(Graph g, Output @params, Output ids)
    {
        var zeroClipped = g.Maximum(ids, g.ZerosLike(ids));
        var gathered = g.Gather(@params, zeroClipped);
        var isPositive = g.GreaterEqual(ids, g.Constant(Graph.ScalarOf(ids.DType, 0)));
        var isPositiveShape = g.ShapeOf(isPositive);
        var ones = g.Fill(g.Stack([g.Subtract(g.Rank(gathered), g.Rank(isPositive))]), g.Constant(1));
        var broadcastable = g.Concat([isPositiveShape, ones], 0);
        isPositive = g.Reshape(isPositive, broadcastable);
        isPositive = g.LogicalAnd(isPositive, g.Fill(g.ShapeOf(gathered), g.Constant(true)));
        return g.Select(isPositive, gathered, g.ZerosLike(gathered));
    }

    protected override string[] InputArgs => ["data: T", "segment_ids: Tindices", "num_segments: Tnumsegments"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        c.RequireType(1, TypeSets.Int);
        c.RequireType(2, TypeSets.Int);
        var ns = c.InputShape(2);
        if (ns.IsRankKnown && ns.Rank != 0) throw c.Error($"num_segments should be a scalar, not shape {ns}");
        var data = c.InputShape(0);
        var ids = c.InputShape(1);
        if (!data.IsRankKnown || !ids.IsRankKnown)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        bool prefix = ids.Rank <= data.Rank;
        for (int i = 0; prefix && i < ids.Rank; i++) prefix = ids[i] < 0 || data[i] < 0 || ids[i] == data[i];
        if (!prefix) throw c.Error($"data.shape = {data} does not start with segment_ids.shape = {ids}");
        var d = new int[1 + data.Rank - ids.Rank];
        d[0] = -1;
        if (c.ConstantInput(2) is { } n)
        {
            long num = n.ScalarInt64("num_segments");
            if (num < 0 || num > int.MaxValue) throw c.Error($"num_segments must be non-negative, got {num}");
            d[0] = (int)num;
        }
        for (int i = 1; i < d.Length; i++) d[i] = data[ids.Rank + i - 1];
        c.AddOutput(c.InputType(0), Shape.Wrap(d));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make2(typeof(SegmentSumKernel<,>), b.InputType(0), b.InputType(1));

    private sealed class SegmentSumKernel<T, TI> : OpKernel where T : INumber<T> where TI : IBinaryInteger<TI>
    {
        public override void Compute(OpContext ctx)
        {
            var data = ctx.Input(0);
            var ids = ctx.Input(1);
            long num = ctx.Input(2).ScalarInt64("num_segments");
            if (num < 0 || num > int.MaxValue) throw new InvalidArgumentException($"num_segments must be non-negative, got {num}");
            bool prefix = ids.Rank <= data.Rank && data.Dims[..ids.Rank].SequenceEqual(ids.Dims);
            if (!prefix) throw new InvalidArgumentException($"data.shape = {Shape.Format(data.Dims)} does not start with segment_ids.shape = {Shape.Format(ids.Dims)}");
            Span<int> od = stackalloc int[1 + data.Rank - ids.Rank];
            od[0] = (int)num;
            for (int i = 1; i < od.Length; i++) od[i] = data.Dims[ids.Rank + i - 1];
            var o = ctx.AllocateOutput(0, data.DType, od);
            var dst = o.Span<T>();
            dst.Clear();
            int inner = ArrayCopy.Product(od[1..]);
            var src = data.Span<T>();
            var seg = ids.Span<TI>();
            for (int i = 0; i < seg.Length; i++)
            {
                long j = long.CreateTruncating(seg[i]);
                if (j < 0) continue;
                if (j >= num)
                    throw new InvalidArgumentException($"segment_ids{GatherV2Spec.Position(ids.Dims, i)} = {j} is out of range [0, {num})");
                var row = dst.Slice((int)j * inner, inner);
                TensorPrimitives.Add<T>(row, src.Slice(i * inner, inner), row);
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.gather(params, indices, axis, batch_dims)</c>: a GatherV2 node (axis Const
    /// <c>GatherV2/axis</c>). Out-of-range indices fail at run time.
    /// </summary>
    public Output Gather(Output @params, Output indices, int axis = 0, int batchDims = 0, string? name = null)
    {
        using var scope = NameScope(name ?? "GatherV2");
        var exact = CurrentNameScope + "/";
        return Gather(@params, indices, Constant(axis, name: "axis"), batchDims, exact);
    }

    /// <summary>TF's <c>GatherV2</c> with a run-time axis (an int32/int64 scalar).</summary>
    public Output Gather(Output @params, Output indices, Output axis, int batchDims = 0, string? name = null) =>
        AddOp(GatherV2Spec.OpType, [@params, indices, axis], name, attrs:
        [
            NamedAttr("batch_dims", Attr.Int(batchDims)), NamedAttr("Tparams", Attr.Type(@params.DType)),
            NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("Taxis", Attr.Type(axis.DType)),
        ])[0];

    /// <summary>TF's <c>tf.math.unsorted_segment_sum(data, segment_ids, num_segments)</c>.</summary>
    public Output UnsortedSegmentSum(Output data, Output segmentIds, Output numSegments, string? name = null) =>
        AddOp(UnsortedSegmentSumSpec.OpType, [data, segmentIds, numSegments], name, attrs:
            [NamedAttr("T", Attr.Type(data.DType)), NamedAttr("Tindices", Attr.Type(segmentIds.DType)), NamedAttr("Tnumsegments", Attr.Type(numSegments.DType))])[0];

    /// <summary>UnsortedSegmentSum with a constant number of segments.</summary>
    public Output UnsortedSegmentSum(Output data, Output segmentIds, int numSegments, string? name = null)
    {
        using var scope = NameScope(name ?? "UnsortedSegmentSum");
        var exact = CurrentNameScope + "/";
        return UnsortedSegmentSum(data, segmentIds, Constant(numSegments, name: "num_segments"), exact);
    }
}
