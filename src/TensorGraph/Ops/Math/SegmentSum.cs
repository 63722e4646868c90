using System.Numerics;
using System.Numerics.Tensors;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SegmentSum: output[j, …] = Σ data[i, …] over the i with segment_ids[i] = j
/// (<c>tf.math.segment_sum</c>); segment_ids is a sorted vector of data's first dimension, the
/// output has (last id + 1) rows and the rows of absent ids are zero.
/// </summary>
internal sealed class SegmentSumSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type", AllowedTypes: TypeSets.Real), new("Tindices", "type", AllowedTypes: TypeSets.Int)];

    public const string OpType = "SegmentSum";

    public override string Type => OpType;

    protected override string[] InputArgs => ["data: T", "segment_ids: Tindices"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>TF 1.15's <c>_SegmentSumGrad</c>: Gather(grad, segment_ids).</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.Gather(c.Grad, c.Input(1)), null];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        c.RequireType(1, TypeSets.Int);
        var data = c.InputShape(0);
        var ids = c.InputShape(1);
        if (ids.IsRankKnown && ids.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {ids.Rank} for 'segment_ids' ({ids})");
        if (!data.IsRankKnown)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        if (data.Rank < 1) throw c.Error($"Shape must be at least rank 1 but is rank 0 for 'data' ({data})");
        if (ids.IsRankKnown && ids[0] >= 0 && data[0] >= 0 && ids[0] != data[0])
            throw c.Error($"Dimensions must be equal, but are {data[0]} and {ids[0]}: segment_ids should be the same size as dimension 0 of input");
        var d = data.ToArray();
        d[0] = -1;
        c.AddOutput(c.InputType(0), Shape.Wrap(d));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make2(typeof(SegmentSumKernel<,>), b.InputType(0), b.InputType(1));

    private sealed class SegmentSumKernel<T, TI> : OpKernel where T : INumber<T> where TI : IBinaryInteger<TI>
    {
        public override void Compute(OpContext ctx)
        {
            var data = ctx.Input(0);
            var ids = ctx.Input(1);
            if (ids.Rank != 1) throw new InvalidArgumentException($"segment_ids should be a vector, got shape {Shape.Format(ids.Dims)}");
            if (data.Rank < 1) throw new InvalidArgumentException("input must be at least rank 1");
            int n = ids.Size;
            if (data.Dims[0] != n)
                throw new InvalidArgumentException($"segment_ids should be the same size as dimension 0 of input, got {n} and {data.Dims[0]}");
            var seg = ids.Span<TI>();
            long last = n > 0 ? long.CreateTruncating(seg[n - 1]) : -1;
            if (n > 0 && last < 0) throw new InvalidArgumentException("segment ids must be >= 0");
            if (last >= int.MaxValue) throw new InvalidArgumentException($"segment id {last} is too large");
            Span<int> od = stackalloc int[data.Rank];
            data.Dims.CopyTo(od);
            od[0] = (int)(last + 1);
            var o = ctx.AllocateOutput(0, data.DType, od);
            var dst = o.Span<T>();
            dst.Clear();
            int inner = ArrayCopy.Product(data.Dims[1..]);
            var src = data.Span<T>();
            long prev = 0;
            for (int i = 0; i < n; i++)
            {
                long j = long.CreateTruncating(seg[i]);
                if (j < 0) throw new InvalidArgumentException("segment ids must be >= 0");
                if (j < prev) throw new InvalidArgumentException("segment ids are not increasing");
                prev = j;
                var row = dst.Slice((int)j * inner, inner);
                TensorPrimitives.Add<T>(row, src.Slice(i * inner, inner), row);
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.math.segment_sum(data, segment_ids)</c>: a SegmentSum node (segment_ids sorted).</summary>
    public Output SegmentSum(Output data, Output segmentIds, string? name = null) =>
        AddOp(SegmentSumSpec.OpType, [data, segmentIds], name, attrs:
            [NamedAttr("T", Attr.Type(data.DType)), NamedAttr("Tindices", Attr.Type(segmentIds.DType))])[0];
}
