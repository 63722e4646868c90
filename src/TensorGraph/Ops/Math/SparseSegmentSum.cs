using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseSegmentSum: output[segment_ids[i]] += data[indices[i]] (<c>tf.sparse.segment_sum</c>);
/// segment_ids are sorted, the output has (last segment id + 1) rows, rows of absent ids are zero.
/// </summary>
internal sealed class SparseSegmentSumSpec : SparseSegmentReductionSpec
{
    public const string OpType = "SparseSegmentSum";

    public override string Type => OpType;

    protected override SegmentReduction Reduction => SegmentReduction.Sum;

    protected override DType[] DataTypes => TypeSets.Real;

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
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.sparse.segment_sum(data, indices, segment_ids)</c>: a SparseSegmentSum node (segment_ids int32, sorted).</summary>
    public Output SparseSegmentSum(Output data, Output indices, Output segmentIds, string? name = null) =>
        AddOp(SparseSegmentSumSpec.OpType, [data, indices, segmentIds], name, attrs:
            [NamedAttr("T", Attr.Type(data.DType)), NamedAttr("Tidx", Attr.Type(indices.DType))])[0];
}
