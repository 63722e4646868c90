namespace TensorGraph;

/// <summary>Iterator: the v1 form of IteratorV2, written by TF before 1.8 (see <see cref="IteratorHandleSpec"/>).</summary>
internal sealed class IteratorSpec : IteratorHandleSpec
{
    public const string OpType = "Iterator";

    public override string Type => OpType;
}

public sealed partial class Graph
{
    /// <summary>An Iterator (v1) node: an iterator of elements <paramref name="outputTypes"/>/<paramref name="outputShapes"/>, positioned by <see cref="MakeIterator"/>.</summary>
    public Output Iterator(DType[] outputTypes, Shape[] outputShapes, string sharedName = "", string container = "", string? name = null) =>
        AddOp(IteratorSpec.OpType, [], name ?? "Iterator", attrs:
        [
            .. DatasetElementAttrs(outputTypes, outputShapes), new("shared_name", Attr.String(sharedName)), new("container", Attr.String(container)),
        ])[0];
}
