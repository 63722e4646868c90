using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// BatchDataset: the v1 form of BatchDatasetV2, written by TF before 1.10 — elements stacked
/// <c>batch_size</c> at a time along a new first dim, the last, smaller batch kept (there is no
/// <c>drop_remainder</c> input).
/// </summary>
internal sealed class BatchDatasetSpec : UnaryDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [.. ElementAttrs(), Metadata];

    public const string OpType = "BatchDataset";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input_dataset: variant", "batch_size: int64"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes)
    {
        var input = Input(ctx, types);
        long n = DatasetOps.Int64Scalar(ctx, 1, "batch_size");
        if (n <= 0) throw new InvalidArgumentException("Batch size must be greater than zero.");
        return new Dataset(input, types, shapes, (int)Math.Min(n, int.MaxValue));
    }

    private sealed class Dataset(DatasetBase input, DType[] types, Shape[] shapes, int n) : DatasetBase(OpType, types, shapes)
    {
        public override DatasetIterator MakeIterator() => new It(input.MakeIterator(), n);
    }

    private sealed class It(DatasetIterator input, int n) : GroupingIterator(input, n, drop: false)
    {
        protected override Tensor[] Combine(List<Tensor[]> batch)
        {
            var result = new Tensor[batch[0].Length];
            for (int c = 0; c < result.Length; c++) result[c] = DatasetOps.Stack([.. batch.Select(e => e[c])], c);
            return result;
        }
    }
}

public sealed partial class Graph
{
    /// <summary>A BatchDataset (v1) node over <paramref name="inputDataset"/>, whose elements have <paramref name="outputTypes"/>/<paramref name="outputShapes"/> after batching.</summary>
    public Output BatchDataset(Output inputDataset, Output batchSize, DType[] outputTypes, Shape[] outputShapes, string? name = null) =>
        AddOp(BatchDatasetSpec.OpType, [inputDataset, batchSize], name, attrs: DatasetElementAttrs(outputTypes, outputShapes))[0];
}
