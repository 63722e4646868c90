using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseSegmentSum: output[segment_ids[i]] += data[indices[i]] (<c>tf.sparse.segment_sum</c>);
/// segment_ids are sorted, the output has (last segment id + 1) rows, rows of absent ids are zero.
/// </summary>
internal sealed class SparseSegmentSumSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type", AllowedTypes: TypeSets.Real), new("Tidx", "type", Attr.Type(DType.Int32), AllowedTypes: TypeSets.Int)];

    public const string OpType = "SparseSegmentSum";

    public override string Type => OpType;

    protected override string[] InputArgs => ["data: T", "indices: Tidx", "segment_ids: int32"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>
    /// TF 1.15's <c>_SparseSegmentSumGrad</c>: UnsortedSegmentSum(Gather(grad, segment_ids),
    /// indices, shape(data)[0]).
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var inputRows = g.ShapeOf(c.X).Slice(0);
        return [g.UnsortedSegmentSum(g.Gather(c.Grad, c.Input(2)), c.Input(1), inputRows), null, null];
    }

    public override void Infer(InferContext c) => SparseSegmentCommon.InferReduction(c, TypeSets.Real);

    public override OpKernel CreateKernel(KernelBuilder b) =>
        ArrayCopy.Make2(typeof(SparseSegmentCommon.ReductionKernel<,>), b.InputType(0), b.InputType(1), SegmentReduction.Sum);
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.sparse.segment_sum(data, indices, segment_ids)</c>: a SparseSegmentSum node (segment_ids int32, sorted).</summary>
    public Output SparseSegmentSum(Output data, Output indices, Output segmentIds, string? name = null) =>
        AddOp(SparseSegmentSumSpec.OpType, [data, indices, segmentIds], name, attrs:
            [NamedAttr("T", Attr.Type(data.DType)), NamedAttr("Tidx", Attr.Type(indices.DType))])[0];
}
