using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>
/// MapDataset: each element of the input passed through library function <c>f</c> (TF's
/// <c>Dataset.map</c>). The function takes the element's components followed by
/// <c>other_arguments</c> (the captured tensors, evaluated when the dataset is made) and returns
/// the new element, which must have <c>output_types</c>. The body runs as a plan of its own in the
/// session that iterates the dataset.
/// </summary>
internal sealed class MapDatasetSpec : FunctionDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = FunctionAttrs("f",
        new("use_inter_op_parallelism", "bool", Attr.Bool(true)), new("preserve_cardinality", "bool", Attr.Bool(false)));

    public const string OpType = "MapDataset";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string FunctionAttr => "f";

    protected override bool KeepsElementTypes => false;

    protected override Tensor[]? Transform(Tensor[] element, Tensor[] results, DType[] types, string node, string function) =>
        DatasetOps.CheckElement(results, types, node, function);
}

public sealed partial class Graph
{
    /// <summary>
    /// A MapDataset node: elements of <paramref name="inputDataset"/> through library function
    /// <paramref name="function"/> (arguments: the element's components, then <paramref name="otherArguments"/>).
    /// </summary>
    public Output MapDataset(Output inputDataset, Output[] otherArguments, string function, DType[] outputTypes, Shape[] outputShapes, string? name = null) =>
        AddOp(MapDatasetSpec.OpType, [inputDataset, .. otherArguments ?? throw new ArgumentNullException(nameof(otherArguments))], name,
            attrs: DatasetOps.FunctionNodeAttrs("f", function, otherArguments, outputTypes, outputShapes))[0];
}
