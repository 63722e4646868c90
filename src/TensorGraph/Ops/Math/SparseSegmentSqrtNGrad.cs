using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseSegmentSqrtNGrad: the gradient of SparseSegmentSqrtN, output[indices[i]] += grad[segment_ids[i]] / √(the number of rows in that segment)
/// (output [output_dim0, …]).
/// </summary>
internal sealed class SparseSegmentSqrtNGradSpec : SparseSegmentGradSpec
{
    public const string OpType = "SparseSegmentSqrtNGrad";

    public override string Type => OpType;

    protected override SegmentReduction Reduction => SegmentReduction.SqrtN;
}

public sealed partial class Graph
{
    /// <summary>TF's <c>gen_math_ops.sparse_segment_sqrt_n_grad</c>: a SparseSegmentSqrtNGrad node.</summary>
    public Output SparseSegmentSqrtNGrad(Output grad, Output indices, Output segmentIds, Output outputDim0, string? name = null) =>
        AddOp(SparseSegmentSqrtNGradSpec.OpType, [grad, indices, segmentIds, outputDim0], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("Tidx", Attr.Type(indices.DType))])[0];
}
