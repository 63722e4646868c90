using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>TakeDataset: at most the first <c>count</c> elements of the input; -1 (any negative count) takes all (TF's <c>Dataset.take</c>).</summary>
internal sealed class TakeDatasetSpec : UnaryDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [.. ElementAttrs(), Metadata];

    public const string OpType = "TakeDataset";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input_dataset: variant", "count: int64"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes) =>
        new Dataset(Input(ctx, types), types, shapes, DatasetOps.Int64Scalar(ctx, 1, "count"));

    private sealed class Dataset(DatasetBase input, DType[] types, Shape[] shapes, long count) : DatasetBase(OpType, types, shapes)
    {
        public override DatasetIterator MakeIterator() => new It(input.MakeIterator(), count);
    }

    private sealed class It(DatasetIterator input, long count) : DatasetIterator
    {
        private long _taken;

        public override Tensor[]? GetNext(OpContext ctx)
        {
            if (count >= 0 && _taken >= count) return null;
            var e = input.GetNext(ctx);
            if (e is not null) _taken++;
            return e;
        }

        public override void Dispose()
        {
            input.Dispose();
            base.Dispose();
        }
    }
}

public sealed partial class Graph
{
    /// <summary>A TakeDataset node (int64 scalar <paramref name="count"/>, -1 all).</summary>
    public Output TakeDataset(Output inputDataset, Output count, DType[] outputTypes, Shape[] outputShapes, string? name = null) =>
        AddOp(TakeDatasetSpec.OpType, [inputDataset, count], name, attrs: DatasetElementAttrs(outputTypes, outputShapes))[0];
}
