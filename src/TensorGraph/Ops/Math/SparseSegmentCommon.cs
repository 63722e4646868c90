using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>How a sparse segment reduction combines a segment's rows (TF's SparseSegmentReductionOperation).</summary>
internal enum SegmentReduction
{
    /// <summary>The sum of the rows.</summary>
    Sum,

    /// <summary>The sum divided by the number of rows.</summary>
    Mean,

    /// <summary>The sum divided by the square root of the number of rows.</summary>
    SqrtN,
}

/// <summary>
/// The schema, shape rule and kernel of SparseSegmentSum/Mean/SqrtN (TF's
/// <c>SparseSegmentReductionOpBase</c>): data [N, …] of <see cref="DataTypes"/>, indices (Tidx),
/// segment_ids int32 → output; each op file adds its type, gradient and builder. Defines no op.
/// </summary>
internal abstract class SparseSegmentReductionSpec : OpSpec
{
    /// <summary>How the op combines a segment's rows.</summary>
    protected abstract SegmentReduction Reduction { get; }

    /// <summary>The dtypes data may have (TF: real for Sum, float for Mean and SqrtN).</summary>
    protected abstract DType[] DataTypes { get; }

    protected override string[] InputArgs => ["data: T", "indices: Tidx", "segment_ids: int32"];

    protected override string[] OutputArgs => ["output: T"];

    private IReadOnlyList<AttrSpec>? _attrs;

    public override IReadOnlyList<AttrSpec> Attrs =>
        _attrs ??= [new("T", "type", AllowedTypes: DataTypes), new("Tidx", "type", Attr.Type(DType.Int32), AllowedTypes: TypeSets.Int)];

    public override void Infer(InferContext c) => SparseSegmentCommon.InferReduction(c, DataTypes);

    public override OpKernel CreateKernel(KernelBuilder b) =>
        ArrayCopy.Make2(typeof(SparseSegmentCommon.ReductionKernel<,>), b.InputType(0), b.InputType(1), Reduction);
}

/// <summary>
/// The schema, shape rule and kernel of SparseSegmentMeanGrad/SqrtNGrad (TF's
/// <c>SparseSegmentGradOpBase</c>): grad, indices, segment_ids, output_dim0 → output
/// [output_dim0, …]; TF registers no gradient for them. Defines no op.
/// </summary>
internal abstract class SparseSegmentGradSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type", AllowedTypes: TypeSets.Float), new("Tidx", "type", Attr.Type(DType.Int32), AllowedTypes: TypeSets.Int)];

    /// <summary>The reduction whose gradient the op computes.</summary>
    protected abstract SegmentReduction Reduction { get; }

    protected override string[] InputArgs => ["grad: T", "indices: Tidx", "segment_ids: int32", "output_dim0: int32"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>TF registers no gradient for it (a second derivative of the reduction is not built).</summary>
    public override bool NotDifferentiable => true;

    public override void Infer(InferContext c) => SparseSegmentCommon.InferGrad(c);

    public override OpKernel CreateKernel(KernelBuilder b) =>
        ArrayCopy.Make2(typeof(SparseSegmentCommon.GradKernel<,>), b.InputType(0), b.InputType(1), Reduction);
}

/// <summary>
/// What SparseSegmentSum/Mean/SqrtN and their gradient ops share (this file defines no op): the
/// shape rules and the kernels of TF's <c>SparseSegmentReductionOpBase</c> and
/// <c>SparseSegmentGradOpBase</c> (segment_reduction_ops.cc).
/// </summary>
internal static class SparseSegmentCommon
{
    /// <summary>data [N, …], indices [k], segment_ids [k] → [?, …] (the row count is the last segment id + 1).</summary>
    public static void InferReduction(InferContext c, DType[] dataTypes)
    {
        c.RequireType(0, dataTypes);
        c.RequireType(1, TypeSets.Int);
        var data = c.InputShape(0);
        RequireVector(c, 1, "indices");
        RequireVector(c, 2, "segment_ids");
        MergeLengths(c, c.InputShape(1), c.InputShape(2));
        if (!data.IsRankKnown)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        if (data.Rank < 1) throw c.Error($"Shape must be at least rank 1 but is rank 0 for 'data' ({data})");
        var d = data.ToArray();
        d[0] = -1;
        c.AddOutput(c.InputType(0), Shape.Wrap(d));
    }

    /// <summary>grad [M, …], indices [k], segment_ids [k], output_dim0 scalar → [output_dim0, …].</summary>
    public static void InferGrad(InferContext c)
    {
        c.RequireType(0, TypeSets.Float);
        c.RequireType(1, TypeSets.Int);
        var grad = c.InputShape(0);
        RequireVector(c, 1, "indices");
        RequireVector(c, 2, "segment_ids");
        MergeLengths(c, c.InputShape(1), c.InputShape(2));
        var dim0Shape = c.InputShape(3);
        if (dim0Shape.IsRankKnown && dim0Shape.Rank != 0) throw c.Error($"Shape must be rank 0 but is rank {dim0Shape.Rank} for 'output_dim0' ({dim0Shape})");
        if (!grad.IsRankKnown)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        if (grad.Rank < 1) throw c.Error($"Shape must be at least rank 1 but is rank 0 for 'grad' ({grad})");
        var d = grad.ToArray();
        d[0] = -1;
        if (c.ConstantInput(3) is { } n)
        {
            long v = n.ScalarInt64("output_dim0");
            if (v < 0 || v > int.MaxValue) throw c.Error($"output_dim0 must be non-negative, got {v}");
            d[0] = (int)v;
        }
        c.AddOutput(c.InputType(0), Shape.Wrap(d));
    }

    private static void RequireVector(InferContext c, int i, string what)
    {
        var s = c.InputShape(i);
        if (s.IsRankKnown && s.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {s.Rank} for '{what}' ({s})");
    }

    private static void MergeLengths(InferContext c, Shape indices, Shape segmentIds)
    {
        if (indices.IsRankKnown && segmentIds.IsRankKnown && indices[0] >= 0 && segmentIds[0] >= 0 && indices[0] != segmentIds[0])
            throw c.Error($"Dimensions must be equal, but are {indices[0]} and {segmentIds[0]}: indices and segment_ids");
    }

    /// <summary>The forward kernel for data of storage type <typeparamref name="T"/> and indices <typeparamref name="TI"/>.</summary>
    internal sealed class ReductionKernel<T, TI>(SegmentReduction mode) : OpKernel where T : INumber<T> where TI : IBinaryInteger<TI>
    {
        public override void Compute(OpContext ctx)
        {
            var data = ctx.Input(0);
            var indices = ctx.Input(1);
            var segT = ctx.Input(2);
            if (indices.Rank != 1) throw new InvalidArgumentException($"indices should be a vector, got shape {Shape.Format(indices.Dims)}");
            if (segT.Rank != 1) throw new InvalidArgumentException($"segment_ids should be a vector, got shape {Shape.Format(segT.Dims)}");
            if (data.Rank < 1) throw new InvalidArgumentException("data must be at least rank 1");
            int k = indices.Size;
            if (segT.Size != k) throw new InvalidArgumentException($"segment_ids and indices should have same size, got {segT.Size} and {k}");
            var seg = segT.Span<int>();
            int rows = k > 0 ? seg[k - 1] + 1 : 0;
            if (rows < 0) throw new InvalidArgumentException("segment ids must be >= 0");
            Span<int> od = stackalloc int[data.Rank];
            data.Dims.CopyTo(od);
            od[0] = rows;
            var o = ctx.AllocateOutput(0, data.DType, od);
            var dst = o.Span<T>();
            dst.Clear();
            int inner = ArrayCopy.Product(data.Dims[1..]);
            int n = data.Dims[0];
            var src = data.Span<T>();
            var idx = indices.Span<TI>();
            int start = 0;
            while (start < k)
            {
                int id = seg[start];
                if (id < 0) throw new InvalidArgumentException("segment ids must be >= 0");
                int end = start + 1;
                while (end < k && seg[end] == id) end++;
                if (end < k && seg[end] < id) throw new InvalidArgumentException("segment ids are not increasing");
                var row = dst.Slice(id * inner, inner);
                for (int i = start; i < end; i++)
                {
                    long j = long.CreateTruncating(idx[i]);
                    if (j < 0 || j >= n) throw new InvalidArgumentException($"Bad: indices[{i}] == {j} out of range [0, {n})");
                    TensorPrimitives.Add<T>(row, src.Slice((int)j * inner, inner), row);
                }
                int count = end - start;
                if (mode == SegmentReduction.Mean) Scale(row, T.CreateChecked(count), divide: true);
                else if (mode == SegmentReduction.SqrtN) Scale(row, T.CreateChecked(Math.Sqrt(count)), divide: true);
                start = end;
            }
        }
    }

    /// <summary>The gradient kernel: output[indices[i]] += grad[segment_ids[i]] · scale(segment_ids[i]).</summary>
    internal sealed class GradKernel<T, TI>(SegmentReduction mode) : OpKernel where T : INumber<T> where TI : IBinaryInteger<TI>
    {
        public override void Compute(OpContext ctx)
        {
            var grad = ctx.Input(0);
            var indices = ctx.Input(1);
            var segT = ctx.Input(2);
            long dim0 = ctx.Input(3).ScalarInt64("output_dim0");
            if (indices.Rank != 1) throw new InvalidArgumentException($"indices should be a vector, got shape {Shape.Format(indices.Dims)}");
            if (segT.Rank != 1) throw new InvalidArgumentException($"segment_ids should be a vector, got shape {Shape.Format(segT.Dims)}");
            if (grad.Rank < 1) throw new InvalidArgumentException("grad must be at least rank 1");
            if (dim0 < 0 || dim0 > int.MaxValue) throw new InvalidArgumentException($"output_dim0 must be non-negative, got {dim0}");
            int k = indices.Size;
            if (segT.Size != k) throw new InvalidArgumentException($"segment_ids and indices should have same size, got {segT.Size} and {k}");
            int m = grad.Dims[0];
            var seg = segT.Span<int>();
            var scaling = new double[m];
            for (int i = 0; i < k; i++)
            {
                int id = seg[i];
                if (id < 0 || id >= m) throw new InvalidArgumentException($"Segment id {id} out of range [0, {m}).");
                scaling[id] += 1;
            }
            for (int i = 0; i < m; i++)
            {
                scaling[i] = mode switch
                {
                    SegmentReduction.Mean => 1.0 / Math.Max(scaling[i], 1.0),
                    SegmentReduction.SqrtN => 1.0 / Math.Sqrt(Math.Max(scaling[i], 1.0)),
                    _ => 1.0,
                };
            }
            Span<int> od = stackalloc int[grad.Rank];
            grad.Dims.CopyTo(od);
            od[0] = (int)dim0;
            var o = ctx.AllocateOutput(0, grad.DType, od);
            var dst = o.Span<T>();
            dst.Clear();
            int inner = ArrayCopy.Product(grad.Dims[1..]);
            var src = grad.Span<T>();
            var idx = indices.Span<TI>();
            for (int i = 0; i < k; i++)
            {
                long j = long.CreateTruncating(idx[i]);
                if (j < 0 || j >= dim0) throw new InvalidArgumentException($"Index {j} out of range [0, {dim0}).");
                var scale = T.CreateChecked(scaling[seg[i]]);
                var row = dst.Slice((int)j * inner, inner);
                var from = src.Slice(seg[i] * inner, inner);
                for (int e = 0; e < inner; e++) row[e] += from[e] * scale;
            }
        }
    }

    private static void Scale<T>(Span<T> row, T by, bool divide) where T : INumber<T>
    {
        for (int e = 0; e < row.Length; e++) row[e] = divide ? row[e] / by : row[e] * by;
    }
}
