using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// PrefetchDataset: the input's elements unchanged (TF's <c>Dataset.prefetch</c>). TF fills a
/// bounded buffer on a background thread; here elements are produced when asked for, so the
/// sequence is the same and no thread outlives a run. <c>buffer_size</c> must be ≥ 0 or -1
/// (autotune).
/// </summary>
internal sealed class PrefetchDatasetSpec : UnaryDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        .. ElementAttrs(), new("slack_period", "int", Attr.Int(0), Optional: true), new("legacy_autotune", "bool", Attr.Bool(true), Optional: true),
        new("buffer_size_min", "int", Attr.Int(0), Optional: true), Metadata,
    ];

    public const string OpType = "PrefetchDataset";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input_dataset: variant", "buffer_size: int64"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes)
    {
        var input = Input(ctx, types);
        long buffer = DatasetOps.Int64Scalar(ctx, 1, "buffer_size");
        if (buffer < -1) throw new InvalidArgumentException("buffer_size must be >= 0 or set buffer_size to be -1 for autotune");
        return new TransformDataset(OpType, input, types, shapes, (e, _, _) => e);
    }
}

public sealed partial class Graph
{
    /// <summary>A PrefetchDataset node (int64 scalar <paramref name="bufferSize"/>, -1 autotune).</summary>
    public Output PrefetchDataset(Output inputDataset, Output bufferSize, DType[] outputTypes, Shape[] outputShapes, string? name = null) =>
        AddOp(PrefetchDatasetSpec.OpType, [inputDataset, bufferSize], name, attrs: DatasetElementAttrs(outputTypes, outputShapes))[0];
}
