using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseSegmentMean: the mean of the rows data[indices[i]] with the same segment id
/// (<c>tf.sparse.segment_mean</c>); segment_ids are sorted, rows of absent ids are zero.
/// </summary>
internal sealed class SparseSegmentMeanSpec : SparseSegmentReductionSpec
{
    public const string OpType = "SparseSegmentMean";

    public override string Type => OpType;

    protected override SegmentReduction Reduction => SegmentReduction.Mean;

    protected override DType[] DataTypes => TypeSets.Float;

    /// <summary>TF 1.15's <c>_SparseSegmentMeanGrad</c>: SparseSegmentMeanGrad(grad, indices, segment_ids, shape(data)[0]).</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var dim0 = g.ShapeOf(c.X).Slice(0);
        return [g.SparseSegmentMeanGrad(c.Grad, c.Input(1), c.Input(2), dim0), null, null];
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.sparse.segment_mean(data, indices, segment_ids)</c>: a SparseSegmentMean node (segment_ids int32, sorted).</summary>
    public Output SparseSegmentMean(Output data, Output indices, Output segmentIds, string? name = null) =>
        AddOp(SparseSegmentMeanSpec.OpType, [data, indices, segmentIds], name, attrs:
            [NamedAttr("T", Attr.Type(data.DType)), NamedAttr("Tidx", Attr.Type(indices.DType))])[0];
}
