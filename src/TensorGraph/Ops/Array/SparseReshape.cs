using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseReshape: the indices of a SparseTensor of dense shape <c>input_shape</c> rewritten for
/// <c>new_shape</c> (row-major order kept; one -1 in new_shape is inferred), and the resulting
/// dense shape. Not differentiable, as in TF.
/// </summary>
internal sealed class SparseReshapeSpec : OpSpec
{
    public const string OpType = "SparseReshape";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input_indices: int64", "input_shape: int64", "new_shape: int64"];

    protected override string[] OutputArgs => ["output_indices: int64", "output_shape: int64"];

    public override IReadOnlyList<AttrSpec> Attrs => [];

    public override void Infer(InferContext c)
    {
        var ix = c.InputShape(0);
        var s = c.InputShape(1);
        var ns = c.InputShape(2);
        if (ix.IsRankKnown && ix.Rank != 2) throw c.Error($"Input indices should be a matrix but received shape {ix}");
        if (s.IsRankKnown && s.Rank != 1) throw c.Error($"Input shape should be a vector but received shape {s}");
        if (ns.IsRankKnown && ns.Rank != 1) throw c.Error($"Target shape should be a vector but received shape {ns}");
        int rank = ns.IsRankKnown ? ns[0] : -1;
        c.AddOutput(DType.Int64, new Shape(ix.IsRankKnown ? ix[0] : -1, rank));
        c.AddOutput(DType.Int64, new Shape(rank));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var ix = ctx.Input(0);
        var inShape = ctx.Input(1);
        var target = ctx.Input(2);
        if (ix.Rank != 2) throw new InvalidArgumentException($"Input indices should be a matrix but received shape {ix.Shape}");
        if (inShape.Rank != 1) throw new InvalidArgumentException($"Input shape should be a vector but received shape {inShape.Shape}");
        if (target.Rank != 1) throw new InvalidArgumentException($"Target shape should be a vector but received shape {target.Shape}");
        int n = ix.Dims[0];
        int inRank = inShape.Size;
        int outRank = target.Size;
        if (ix.Dims[1] != inRank)
            throw new InvalidArgumentException($"Input tensor rank must match input shape length: {ix.Dims[1]} vs. {inRank}");
        var oldDims = inShape.AsSpan<long>().ToArray();
        long denseSize = 1;
        foreach (var d in oldDims) denseSize *= d;
        var newDims = target.AsSpan<long>().ToArray();
        long product = 1;
        int missing = -1;
        for (int d = 0; d < outRank; d++)
        {
            long size = newDims[d];
            if (size == -1)
            {
                if (missing >= 0) throw new InvalidArgumentException($"only one output dimension may be -1, not both {missing} and {d}");
                missing = d;
            }
            else if (size < 0) throw new InvalidArgumentException($"size {d} must be non-negative, not {size}");
            else product *= size;
        }
        if (missing >= 0)
        {
            if (product == 0)
                throw new InvalidArgumentException("reshape cannot infer the missing input size for an empty tensor unless all specified input sizes are non-zero");
            if (denseSize % product != 0)
                throw new InvalidArgumentException(
                    $"Input to reshape is a SparseTensor with {denseSize} dense values, but the requested shape requires a multiple of {product}");
            newDims[missing] = denseSize / product;
            product = denseSize;
        }
        if (product != denseSize)
            throw new InvalidArgumentException(
                $"Input to reshape is a tensor with {denseSize} dense values, but the requested shape has {product}. input_shape=[{string.Join(",", oldDims)}] new_shape=[{string.Join(",", newDims)}]");
        var outShape = ctx.AllocateOutput(1, DType.Int64, [outRank]);
        newDims.CopyTo(outShape.AsSpan<long>());
        var outIx = ctx.AllocateOutput(0, DType.Int64, [n, outRank]);
        var src = ix.AsSpan<long>();
        var dst = outIx.AsSpan<long>();
        for (int i = 0; i < n; i++)
        {
            long offset = 0;
            for (int d = 0; d < inRank; d++) offset = offset * oldDims[d] + src[i * inRank + d];
            for (int d = outRank - 1; d >= 0; d--)
            {
                long size = newDims[d];
                dst[i * outRank + d] = size == 0 ? 0 : offset % size;
                offset = size == 0 ? 0 : offset / size;
            }
        }
    });
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.sparse.reshape</c> on a SparseTensor's parts: a SparseReshape node returning the
    /// new int64 indices [N, len(new_shape)] and the new dense shape (a -1 in
    /// <paramref name="newShape"/> is inferred).
    /// </summary>
    public (Output Indices, Output Shape) SparseReshape(Output inputIndices, Output inputShape, Output newShape, string? name = null)
    {
        var op = AddOp(SparseReshapeSpec.OpType, [inputIndices, inputShape, newShape], name, SparseReshapeSpec.OpType, []);
        return (op[0], op[1]);
    }
}
