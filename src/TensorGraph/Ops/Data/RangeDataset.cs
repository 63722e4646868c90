using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>RangeDataset: the int64 scalars start, start + step, … before stop (TF's <c>Dataset.range</c>).</summary>
internal sealed class RangeDatasetSpec : DatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [.. ElementAttrs(), Metadata];

    public const string OpType = "RangeDataset";

    public override string Type => OpType;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["start: int64", "stop: int64", "step: int64"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes)
    {
        long start = DatasetOps.Int64Scalar(ctx, 0, "start");
        long stop = DatasetOps.Int64Scalar(ctx, 1, "stop");
        long step = DatasetOps.Int64Scalar(ctx, 2, "step");
        if (step == 0) throw new InvalidArgumentException("step must be a non-zero integer.");
        if (types.Length != 1 || types[0] != DType.Int64)
            throw new InvalidArgumentException($"RangeDataset produces int64 scalars, but output_types is {DatasetOps.TypeList(types)}");
        return new Dataset(types, shapes, start, stop, step);
    }

    private sealed class Dataset(DType[] types, Shape[] shapes, long start, long stop, long step) : DatasetBase(OpType, types, shapes)
    {
        public override DatasetIterator MakeIterator() => new It(start, stop, step);
    }

    private sealed class It(long start, long stop, long step) : DatasetIterator
    {
        private long _next = start;

        public override Tensor[]? GetNext(OpContext ctx)
        {
            if (step > 0 ? _next >= stop : _next <= stop) return null;
            long v = _next;
            _next += step;
            return [Tensor.Scalar(v)];
        }
    }
}

public sealed partial class Graph
{
    /// <summary>A RangeDataset node over int64 scalar inputs (TF's <c>Dataset.range(start, stop, step)</c>).</summary>
    public Output RangeDataset(Output start, Output stop, Output step, string? name = null) =>
        AddOp(RangeDatasetSpec.OpType, [start, stop, step], name, attrs:
        [
            new("output_types", Attr.Types([DType.Int64])), new("output_shapes", Attr.Shapes([Shape.Scalar])),
        ])[0];
}
