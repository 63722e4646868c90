using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseReshape: the indices of a SparseTensor of shape <c>input_shape</c> re-expressed for
/// <c>new_shape</c> (<c>tf.sparse.reshape</c>; at most one −1, inferred from the element count).
/// Outputs the new indices [nnz, rank(new_shape)] and the new shape; the values are unchanged.
/// </summary>
internal sealed class SparseReshapeSpec : OpSpec
{
    public const string OpType = "SparseReshape";

    public override string Type => OpType;

    /// <summary>Only int64 index and shape tensors: no gradient (the values pass through unchanged).</summary>
    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input_indices: int64", "input_shape: int64", "new_shape: int64"];

    protected override string[] OutputArgs => ["output_indices: int64", "output_shape: int64"];

    public override void Infer(InferContext c)
    {
        var ind = c.InputShape(0);
        var inShape = c.InputShape(1);
        var newShape = c.InputShape(2);
        if (ind.IsRankKnown && ind.Rank != 2) throw c.Error($"Shape must be rank 2 but is rank {ind.Rank} for 'input_indices' ({ind})");
        if (inShape.IsRankKnown && inShape.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {inShape.Rank} for 'input_shape' ({inShape})");
        if (newShape.IsRankKnown && newShape.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {newShape.Rank} for 'new_shape' ({newShape})");
        int nnz = ind.IsRankKnown ? ind[0] : -1;
        int rank = newShape.IsRankKnown ? newShape[0] : -1;
        c.AddOutput(DType.Int64, new Shape(nnz, rank));
        c.AddOutput(DType.Int64, new Shape(rank));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new SparseReshapeKernel();

    private sealed class SparseReshapeKernel : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var ind = ctx.Input(0);
            var inShapeT = ctx.Input(1);
            var newShapeT = ctx.Input(2);
            if (ind.Rank != 2) throw new InvalidArgumentException($"Input indices should be a matrix but received shape {Shape.Format(ind.Dims)}");
            if (inShapeT.Rank != 1) throw new InvalidArgumentException($"Input shape should be a vector but received shape {Shape.Format(inShapeT.Dims)}");
            if (newShapeT.Rank != 1) throw new InvalidArgumentException($"Target shape should be a vector but received shape {Shape.Format(newShapeT.Dims)}");
            int nnz = ind.Dims[0], inRank = inShapeT.Size, outRank = newShapeT.Size;
            if (ind.Dims[1] != inRank)
                throw new InvalidArgumentException($"Input indices have {ind.Dims[1]} columns but the input shape has rank {inRank}");
            var inShape = inShapeT.Span<long>();
            var target = newShapeT.Span<long>();
            long denseSize = 1;
            foreach (var d in inShape) denseSize *= d;
            var outShape = new long[outRank];
            long product = 1;
            int unknown = -1;
            for (int d = 0; d < outRank; d++)
            {
                long size = target[d];
                if (size == -1)
                {
                    if (unknown != -1) throw new InvalidArgumentException($"only one output dimension may be -1, not both {unknown} and {d}");
                    unknown = d;
                }
                else
                {
                    if (size < 0) throw new InvalidArgumentException($"size {d} must be non-negative, not {size}");
                    product *= size;
                    outShape[d] = size;
                }
            }
            if (unknown != -1)
            {
                if (product <= 0) throw new InvalidArgumentException("reshape cannot infer the missing input size for an empty tensor unless all specified input sizes are non-zero");
                long missing = denseSize / product;
                if (product * missing != denseSize)
                    throw new InvalidArgumentException($"Input to reshape is a SparseTensor with {denseSize} dense values, but the requested shape requires a multiple of {product}");
                outShape[unknown] = missing;
                product *= missing;
            }
            if (product != denseSize)
                throw new InvalidArgumentException($"Input to reshape is a tensor with {denseSize} dense values, but the requested shape has {product}");
            var outIndices = ctx.AllocateOutput(0, DType.Int64, [nnz, outRank]);
            var shapeOut = ctx.AllocateOutput(1, DType.Int64, [outRank]);
            outShape.CopyTo(shapeOut.Span<long>());
            var inStrides = new long[inRank];
            for (int d = inRank - 1; d >= 0; d--) inStrides[d] = d == inRank - 1 ? 1 : inStrides[d + 1] * inShape[d + 1];
            var outStrides = new long[outRank];
            for (int d = outRank - 1; d >= 0; d--) outStrides[d] = d == outRank - 1 ? 1 : outStrides[d + 1] * outShape[d + 1];
            var src = ind.Span<long>();
            var dst = outIndices.Span<long>();
            for (int i = 0; i < nnz; i++)
            {
                long id = 0;
                for (int d = 0; d < inRank; d++) id += src[i * inRank + d] * inStrides[d];
                for (int d = 0; d < outRank; d++)
                {
                    dst[i * outRank + d] = id / outStrides[d];
                    id %= outStrides[d];
                }
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>gen_sparse_ops.sparse_reshape(input_indices, input_shape, new_shape)</c>: a
    /// SparseReshape node; returns the new indices and the new dense shape (int64).
    /// </summary>
    public (Output OutputIndices, Output OutputShape) SparseReshape(Output inputIndices, Output inputShape, Output newShape, string? name = null)
    {
        var op = AddOp(SparseReshapeSpec.OpType, [inputIndices, inputShape, newShape], name);
        return (op[0], op[1]);
    }
}
