using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseSegmentSqrtN: the sum of the rows data[indices[i]] with the same segment id divided
/// by the square root of their number (<c>tf.sparse.segment_sqrt_n</c>); segment_ids are sorted.
/// </summary>
internal sealed class SparseSegmentSqrtNSpec : SparseSegmentReductionSpec
{
    public const string OpType = "SparseSegmentSqrtN";

    public override string Type => OpType;

    protected override SegmentReduction Reduction => SegmentReduction.SqrtN;

    protected override DType[] DataTypes => TypeSets.Float;

    /// <summary>TF 1.15's <c>_SparseSegmentSqrtNGrad</c>: SparseSegmentSqrtNGrad(grad, indices, segment_ids, shape(data)[0]).</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var dim0 = g.ShapeOf(c.X).Slice(0);
        return [g.SparseSegmentSqrtNGrad(c.Grad, c.Input(1), c.Input(2), dim0), null, null];
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.sparse.segment_sqrt_n(data, indices, segment_ids)</c>: a SparseSegmentSqrtN node (segment_ids int32, sorted).</summary>
    public Output SparseSegmentSqrtN(Output data, Output indices, Output segmentIds, string? name = null) =>
        AddOp(SparseSegmentSqrtNSpec.OpType, [data, indices, segmentIds], name, attrs:
            [NamedAttr("T", Attr.Type(data.DType)), NamedAttr("Tidx", Attr.Type(indices.DType))])[0];
}
