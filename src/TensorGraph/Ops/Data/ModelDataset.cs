using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>ModelDataset: TF's autotuning wrapper (TF 1.15's Python adds one when an iterator is made); the elements pass through unchanged.</summary>
internal sealed class ModelDatasetSpec : UnaryDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("algorithm", "int", Attr.Int(0), Optional: true), new("cpu_budget", "int", Attr.Int(0)),
        new("ram_budget", "int", Attr.Int(0), Optional: true), .. ElementAttrs(),
    ];

    public const string OpType = "ModelDataset";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input_dataset: variant"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes) =>
        new TransformDataset(OpType, Input(ctx, types), types, shapes, (e, _, _) => e);
}

public sealed partial class Graph
{
    /// <summary>A ModelDataset node over <paramref name="inputDataset"/>.</summary>
    public Output ModelDataset(Output inputDataset, DType[] outputTypes, Shape[] outputShapes, string? name = null) =>
        AddOp(ModelDatasetSpec.OpType, [inputDataset], name, attrs: DatasetElementAttrs(outputTypes, outputShapes))[0];
}
