using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// GatherNd: slices of <c>params</c> picked by the index vectors in the last dimension of
/// <c>indices</c>. With K = indices.shape[-1], the output has shape
/// indices.shape[:-1] + params.shape[K:]; an index vector out of bounds is an error (TF's CPU kernel).
/// </summary>
internal sealed class GatherNdSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("Tparams", "type"), new("Tindices", "type", AllowedTypes: [DType.Int32, DType.Int64])];

    public const string OpType = "GatherNd";

    public override string Type => OpType;

    protected override string[] InputArgs => ["params: Tparams", "indices: Tindices"];

    protected override string[] OutputArgs => ["output: Tparams"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var p = c.InputShape(0);
        var ix = c.InputShape(1);
        if (ix.IsRankKnown && ix.Rank < 1) throw c.Error($"indices must be at least a vector, got shape {ix}");
        if (p.IsRankKnown && p.Rank < 1) throw c.Error($"params must be at least a vector, got shape {p}");
        if (!ix.IsRankKnown || ix[ix.Rank - 1] < 0 || !p.IsRankKnown)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        int k = ix[ix.Rank - 1];
        if (k > p.Rank) throw c.Error($"index innermost dimension length must be <= params rank; saw: {k} vs. {p.Rank}");
        var dims = new int[ix.Rank - 1 + p.Rank - k];
        for (int i = 0; i < ix.Rank - 1; i++) dims[i] = ix[i];
        for (int i = k; i < p.Rank; i++) dims[ix.Rank - 1 + i - k] = p[i];
        c.AddOutput(c.InputType(0), Shape.Wrap(dims));
    }

    /// <summary>
    /// TF 1.15's <c>_GatherNdGrad</c> is <c>scatter_nd(indices, grad, shape(params))</c>: each
    /// gradient slice is added at the slice it was gathered from. Written here as an
    /// UnsortedSegmentSum of the gradient's slices over their row-major offsets into
    /// params.shape[:K], reshaped to params' shape.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var @params = c.Input(0);
        var indices = c.Input(1);
        var it = indices.DType;
        var shape = g.ShapeOf(@params, it);
        var k = g.Slice(g.ShapeOf(indices, DType.Int32), g.Reshape(g.Subtract(g.Rank(indices), g.Constant(Tensor.Scalar(1))), [1]), g.Constant(new[] { 1 }));
        var outer = g.Slice(shape, g.Constant(new[] { 0 }), k);
        var inner = g.Slice(shape, k, g.Constant(new[] { -1 }));
        // offset = Σ_j index[..., j] · Π_{m > j} outer[m]: the strides are a reverse exclusive cumulative product.
        var strides = g.Cumprod(outer, 0, exclusive: true, reverse: true);
        var offsets = g.Reshape(g.ReduceSum(g.Multiply(indices, strides), [-1]), [-1]);
        var slices = g.Reshape(c.Grad, g.Concat([g.Constant(Tensor.FromArray(new long[] { -1 }), dtype: it), inner], 0));
        var summed = g.UnsortedSegmentSum(slices, offsets, g.ReduceProd(outer));
        return [g.Reshape(summed, shape), null];
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var p = ctx.Input(0);
        var ix = ctx.Input(1);
        if (ix.Rank < 1) throw new InvalidArgumentException($"indices must be at least a vector, got shape {ix.Shape}");
        if (p.Rank < 1) throw new InvalidArgumentException($"params must be at least a vector, got shape {p.Shape}");
        int k = ix.Dims[ix.Rank - 1];
        if (k > p.Rank) throw new InvalidArgumentException($"index innermost dimension length must be <= params rank; saw: {k} vs. {p.Rank}");
        var dims = new int[ix.Rank - 1 + p.Rank - k];
        int n = 1;
        for (int i = 0; i < ix.Rank - 1; i++) n *= dims[i] = ix.Dims[i];
        int slice = 1;
        for (int i = k; i < p.Rank; i++) slice *= dims[ix.Rank - 1 + i - k] = p.Dims[i];
        var o = ctx.AllocateOutput(0, p.DType, dims);
        for (int i = 0; i < n; i++)
        {
            long offset = 0;
            for (int j = 0; j < k; j++)
            {
                long v = ix.GetInt64(i * k + j);
                if (v < 0 || v >= p.Dims[j])
                {
                    var vec = string.Join(", ", Enumerable.Range(0, k).Select(m => ix.GetInt64(i * k + m)));
                    throw new InvalidArgumentException($"indices[{i}] = [{vec}] does not index into param shape {p.Shape}");
                }
                offset = offset * p.Dims[j] + v;
            }
            if (slice > 0) Array.Copy(p.Data, offset * slice, o.Data, (long)i * slice, slice);
        }
    });
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.gather_nd(params, indices)</c>: a GatherNd node, the slices of
    /// <paramref name="params"/> named by the last dimension of <paramref name="indices"/>
    /// (int32 or int64).
    /// </summary>
    public Output GatherNd(Output @params, Output indices, string? name = null) =>
        AddOp(GatherNdSpec.OpType, [@params, indices], name, GatherNdSpec.OpType,
            [NamedAttr("Tparams", Attr.Type(@params.DType)), NamedAttr("Tindices", Attr.Type(indices.DType))])[0];
}
