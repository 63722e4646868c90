namespace TensorGraph;

/// <summary>IteratorV2: an iterator handle (see <see cref="IteratorHandleSpec"/>).</summary>
internal sealed class IteratorV2Spec : IteratorHandleSpec
{
    public const string OpType = "IteratorV2";

    public override string Type => OpType;
}

public sealed partial class Graph
{
    /// <summary>An IteratorV2 node: an iterator of elements <paramref name="outputTypes"/>/<paramref name="outputShapes"/>, positioned by <see cref="MakeIterator"/>.</summary>
    public Output IteratorV2(DType[] outputTypes, Shape[] outputShapes, string sharedName = "", string container = "", string? name = null) =>
        AddOp(IteratorV2Spec.OpType, [], name ?? "Iterator", attrs:
        [
            .. DatasetElementAttrs(outputTypes, outputShapes), new("shared_name", Attr.String(sharedName)), new("container", Attr.String(container)),
        ])[0];
}
