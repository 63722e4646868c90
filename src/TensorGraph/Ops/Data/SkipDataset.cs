using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>SkipDataset: the input without its first <c>count</c> elements; -1 (any negative count) skips all (TF's <c>Dataset.skip</c>).</summary>
internal sealed class SkipDatasetSpec : UnaryDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [.. ElementAttrs(), Metadata];

    public const string OpType = "SkipDataset";

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
        private bool _skipped;

        public override Tensor[]? GetNext(OpContext ctx)
        {
            if (!_skipped)
            {
                _skipped = true;
                if (count < 0)
                {
                    while (input.GetNext(ctx) is not null) { }
                    return null;
                }
                for (long i = 0; i < count; i++)
                {
                    if (input.GetNext(ctx) is null) return null;
                }
            }
            return input.GetNext(ctx);
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
    /// <summary>A SkipDataset node (int64 scalar <paramref name="count"/>, -1 all).</summary>
    public Output SkipDataset(Output inputDataset, Output count, DType[] outputTypes, Shape[] outputShapes, string? name = null) =>
        AddOp(SkipDatasetSpec.OpType, [inputDataset, count], name, attrs: DatasetElementAttrs(outputTypes, outputShapes))[0];
}
