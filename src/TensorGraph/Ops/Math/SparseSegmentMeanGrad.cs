using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseSegmentMeanGrad: the gradient of SparseSegmentMean, output[indices[i]] += grad[segment_ids[i]] / (the number of rows in that segment)
/// (output [output_dim0, …]).
/// </summary>
internal sealed class SparseSegmentMeanGradSpec : SparseSegmentGradSpec
{
    public const string OpType = "SparseSegmentMeanGrad";

    public override string Type => OpType;

    protected override SegmentReduction Reduction => SegmentReduction.Mean;
}

public sealed partial class Graph
{
    /// <summary>TF's <c>gen_math_ops.sparse_segment_mean_grad</c>: a SparseSegmentMeanGrad node.</summary>
    public Output SparseSegmentMeanGrad(Output grad, Output indices, Output segmentIds, Output outputDim0, string? name = null) =>
        AddOp(SparseSegmentMeanGradSpec.OpType, [grad, indices, segmentIds, outputDim0], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("Tidx", Attr.Type(indices.DType))])[0];
}
