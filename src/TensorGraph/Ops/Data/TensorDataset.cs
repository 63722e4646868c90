using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>TensorDataset: a dataset of one element, the tuple <c>components</c> (TF's <c>Dataset.from_tensors</c>).</summary>
internal sealed class TensorDatasetSpec : DatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [.. ElementAttrs("Toutput_types"), Metadata];

    public const string OpType = "TensorDataset";

    public override string Type => OpType;

    // TF marks source datasets stateful so that constant folding leaves them alone.
    public override bool IsStateful => true;

    protected override string TypesAttr => "Toutput_types";

    protected override string[] InputArgs => ["components: Toutput_types"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override void InferElement(InferContext c, DType[] types, Shape[] shapes)
    {
        for (int i = 0; i < c.NumInputs && i < shapes.Length; i++)
        {
            if (!c.InputShape(i).IsCompatibleWith(shapes[i]))
                throw c.Error($"Component {i} ('{c.Inputs[i].Name}') has shape {c.InputShape(i)}, which is not compatible with output_shapes[{i}] = {shapes[i]}");
        }
    }

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes)
    {
        var parts = new Tensor[ctx.NumInputs];
        for (int i = 0; i < parts.Length; i++) parts[i] = DatasetOps.Keep(ctx.Input(i));
        return new Dataset(types, shapes, parts);
    }

    private sealed class Dataset(DType[] types, Shape[] shapes, Tensor[] parts) : DatasetBase(OpType, types, shapes)
    {
        public override DatasetIterator MakeIterator() => new It(parts);
    }

    private sealed class It(Tensor[] parts) : DatasetIterator
    {
        private bool _done;

        public override Tensor[]? GetNext(OpContext ctx)
        {
            if (_done) return null;
            _done = true;
            return [.. parts.Select(p => p.Clone())];
        }
    }
}

public sealed partial class Graph
{
    /// <summary>A TensorDataset node: the one-element dataset of <paramref name="components"/> with element shapes <paramref name="outputShapes"/> (default: the components' static shapes).</summary>
    public Output TensorDataset(Output[] components, Shape[]? outputShapes = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(components);
        return AddOp(TensorDatasetSpec.OpType, components, name, attrs:
        [
            new("Toutput_types", Attr.Types(components.Select(c => c.DType))),
            new("output_shapes", Attr.Shapes(outputShapes ?? [.. components.Select(c => c.Shape)])),
        ])[0];
    }
}
