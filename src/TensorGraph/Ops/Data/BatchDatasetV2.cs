using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// BatchDatasetV2: elements stacked <c>batch_size</c> at a time along a new first dim (TF's
/// <c>Dataset.batch</c>); the last, smaller batch is kept unless <c>drop_remainder</c>.
/// </summary>
internal sealed class BatchDatasetV2Spec : UnaryDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("parallel_copy", "bool", Attr.Bool(false), Optional: true), .. ElementAttrs(), Metadata];

    public const string OpType = "BatchDatasetV2";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input_dataset: variant", "batch_size: int64", "drop_remainder: bool"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes)
    {
        var input = Input(ctx, types);
        long n = DatasetOps.Int64Scalar(ctx, 1, "batch_size");
        if (n <= 0) throw new InvalidArgumentException("Batch size must be greater than zero.");
        bool drop = DatasetOps.BoolScalar(ctx, 2, "drop_remainder");
        return new Dataset(input, types, shapes, (int)Math.Min(n, int.MaxValue), drop);
    }

    private sealed class Dataset(DatasetBase input, DType[] types, Shape[] shapes, int n, bool drop) : DatasetBase(OpType, types, shapes)
    {
        public override DatasetIterator MakeIterator() => new It(input.MakeIterator(), n, drop);
    }

    private sealed class It(DatasetIterator input, int n, bool drop) : GroupingIterator(input, n, drop)
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
    /// <summary>A BatchDatasetV2 node over <paramref name="inputDataset"/>, whose elements have <paramref name="outputTypes"/>/<paramref name="outputShapes"/> after batching.</summary>
    public Output BatchDatasetV2(Output inputDataset, Output batchSize, Output dropRemainder, DType[] outputTypes, Shape[] outputShapes, string? name = null) =>
        AddOp(BatchDatasetV2Spec.OpType, [inputDataset, batchSize, dropRemainder], name, attrs: DatasetElementAttrs(outputTypes, outputShapes))[0];
}
