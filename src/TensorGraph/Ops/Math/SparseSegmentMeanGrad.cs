using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseSegmentMeanGrad: the gradient of SparseSegmentMean, output[indices[i]] += grad[segment_ids[i]] / (the number of rows in that segment)
/// (output [output_dim0, …]).
/// </summary>
internal sealed class SparseSegmentMeanGradSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type", AllowedTypes: TypeSets.Float), new("Tidx", "type", Attr.Type(DType.Int32), AllowedTypes: TypeSets.Int)];

    public const string OpType = "SparseSegmentMeanGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["grad: T", "indices: Tidx", "segment_ids: int32", "output_dim0: int32"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>TF registers no gradient for it (a second derivative of the reduction is not built).</summary>
    public override bool NotDifferentiable => true;

    public override void Infer(InferContext c) => SparseSegmentCommon.InferGrad(c);

    public override OpKernel CreateKernel(KernelBuilder b) =>
        ArrayCopy.Make2(typeof(SparseSegmentCommon.GradKernel<,>), b.InputType(0), b.InputType(1), SegmentReduction.Mean);
}

public sealed partial class Graph
{
    /// <summary>TF's <c>gen_math_ops.sparse_segment_mean_grad</c>: a SparseSegmentMeanGrad node.</summary>
    public Output SparseSegmentMeanGrad(Output grad, Output indices, Output segmentIds, Output outputDim0, string? name = null) =>
        AddOp(SparseSegmentMeanGradSpec.OpType, [grad, indices, segmentIds, outputDim0], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("Tidx", Attr.Type(indices.DType))])[0];
}
