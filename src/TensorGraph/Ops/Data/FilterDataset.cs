using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>
/// FilterDataset: the elements of the input for which library function <c>predicate</c> (the
/// element's components, then <c>other_arguments</c>) returns a true bool scalar (TF's
/// <c>Dataset.filter</c>); the elements are unchanged.
/// </summary>
internal sealed class FilterDatasetSpec : FunctionDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = FunctionAttrs("predicate");

    public const string OpType = "FilterDataset";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string FunctionAttr => "predicate";

    protected override bool KeepsElementTypes => true;

    protected override Tensor[]? Transform(Tensor[] element, Tensor[] results, DType[] types, string node, string function)
    {
        if (results.Length != 1 || results[0].DType != DType.Bool || results[0].Rank != 0)
            throw new InvalidArgumentException(
                $"The predicate of '{node}' ({function}) must return a scalar boolean tensor, got {results.Length} result(s){(results.Length > 0 ? $" of dtype {results[0].DType.Name()} and shape {Shape.Format(results[0].Dims)}" : "")}")
            { NodeName = node };
        return results[0].Scalar<bool>() ? element : null;
    }
}

public sealed partial class Graph
{
    /// <summary>A FilterDataset node: the elements of <paramref name="inputDataset"/> for which <paramref name="predicate"/> returns true.</summary>
    public Output FilterDataset(Output inputDataset, Output[] otherArguments, string predicate, DType[] outputTypes, Shape[] outputShapes, string? name = null) =>
        AddOp(FilterDatasetSpec.OpType, [inputDataset, .. otherArguments ?? throw new ArgumentNullException(nameof(otherArguments))], name,
            attrs: DatasetOps.FunctionNodeAttrs("predicate", predicate, otherArguments, outputTypes, outputShapes))[0];
}
