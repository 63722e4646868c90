using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// RepeatDataset: the input's sequence <c>count</c> times, each repetition from a fresh input
/// iterator (TF's <c>Dataset.repeat</c>); -1 (any negative count) repeats forever, stopping, as TF
/// does, when a fresh repetition is empty.
/// </summary>
internal sealed class RepeatDatasetSpec : UnaryDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [.. ElementAttrs(), Metadata];

    public const string OpType = "RepeatDataset";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input_dataset: variant", "count: int64"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes) =>
        new Dataset(Input(ctx, types), types, shapes, DatasetOps.Int64Scalar(ctx, 1, "count"));

    private sealed class Dataset(DatasetBase input, DType[] types, Shape[] shapes, long count) : DatasetBase(OpType, types, shapes)
    {
        public override DatasetIterator MakeIterator() => new It(input, count);
    }

    private sealed class It(DatasetBase input, long count) : DatasetIterator
    {
        private DatasetIterator? _current;
        private long _done;

        public override Tensor[]? GetNext(OpContext ctx)
        {
            while (count < 0 || _done < count)
            {
                bool fresh = _current is null;
                _current ??= input.MakeIterator();
                if (_current.GetNext(ctx) is { } e) return e;
                _current.Dispose();
                _current = null;
                _done++;
                if (fresh && count < 0)
                {
                    // An empty repetition: repeating forever would never produce an element.
                    count = 0;
                    break;
                }
            }
            return null;
        }

        public override void Dispose()
        {
            _current?.Dispose();
            _current = null;
            base.Dispose();
        }
    }
}

public sealed partial class Graph
{
    /// <summary>A RepeatDataset node (int64 scalar <paramref name="count"/>, -1 forever).</summary>
    public Output RepeatDataset(Output inputDataset, Output count, DType[] outputTypes, Shape[] outputShapes, string? name = null) =>
        AddOp(RepeatDatasetSpec.OpType, [inputDataset, count], name, attrs: DatasetElementAttrs(outputTypes, outputShapes))[0];
}
