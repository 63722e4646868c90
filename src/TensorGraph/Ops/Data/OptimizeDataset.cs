using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// OptimizeDataset: TF rewrites the input pipeline with the named graph optimizations (TF 1.15's
/// Python adds one when an iterator is made); the rewrites never change the elements, so here
/// the input passes through unchanged.
/// </summary>
internal sealed class OptimizeDatasetSpec : UnaryDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [.. ElementAttrs(), new("optimization_configs", "list(string)", Attr.Strings([])), Metadata];

    public const string OpType = "OptimizeDataset";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input_dataset: variant", "optimizations: string"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes) =>
        new TransformDataset(OpType, Input(ctx, types), types, shapes, (e, _, _) => e);
}

public sealed partial class Graph
{
    /// <summary>An OptimizeDataset node (<paramref name="optimizations"/>: a string vector of optimization names).</summary>
    public Output OptimizeDataset(Output inputDataset, Output optimizations, DType[] outputTypes, Shape[] outputShapes, string? name = null) =>
        AddOp(OptimizeDatasetSpec.OpType, [inputDataset, optimizations], name, attrs: DatasetElementAttrs(outputTypes, outputShapes))[0];
}
