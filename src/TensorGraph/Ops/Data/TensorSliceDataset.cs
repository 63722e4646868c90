using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>TensorSliceDataset: a dataset of the rows (dim-0 slices) of <c>components</c> (TF's <c>Dataset.from_tensor_slices</c>).</summary>
internal sealed class TensorSliceDatasetSpec : DatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [.. ElementAttrs("Toutput_types"), Metadata];

    public const string OpType = "TensorSliceDataset";

    public override string Type => OpType;

    public override bool IsStateful => true;

    protected override string TypesAttr => "Toutput_types";

    protected override string[] InputArgs => ["components: Toutput_types"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override void InferElement(InferContext c, DType[] types, Shape[] shapes)
    {
        int rows = -1;
        for (int i = 0; i < c.NumInputs; i++)
        {
            var s = c.InputShape(i);
            if (!s.IsRankKnown) continue;
            if (s.Rank == 0) throw c.Error($"Component {i} ('{c.Inputs[i].Name}') is a scalar; slicing needs at least rank 1");
            if (s[0] >= 0)
            {
                if (rows >= 0 && s[0] != rows)
                    throw c.Error($"Dimensions {rows} and {s[0]} are not compatible: all components must have the same size in the 0th dimension");
                rows = s[0];
            }
            var row = new Shape(s.ToArray()[1..]);
            if (i < shapes.Length && !row.IsCompatibleWith(shapes[i]))
                throw c.Error($"The slices of component {i} ('{c.Inputs[i].Name}') have shape {row}, which is not compatible with output_shapes[{i}] = {shapes[i]}");
        }
    }

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes)
    {
        var parts = new Tensor[ctx.NumInputs];
        long rows = -1;
        for (int i = 0; i < parts.Length; i++)
        {
            var t = ctx.Input(i);
            if (t.Rank == 0) throw new InvalidArgumentException($"All components must be at least 1-dimensional, but component {i} is a scalar");
            if (rows >= 0 && t.Dims[0] != rows)
                throw new InvalidArgumentException("All components must have the same size in the 0th dimension");
            rows = t.Dims[0];
            parts[i] = DatasetOps.Keep(t);
        }
        return new Dataset(types, shapes, parts, (int)rows);
    }

    private sealed class Dataset(DType[] types, Shape[] shapes, Tensor[] parts, int rows) : DatasetBase(OpType, types, shapes)
    {
        public override DatasetIterator MakeIterator() => new It(parts, rows);
    }

    private sealed class It(Tensor[] parts, int rows) : DatasetIterator
    {
        private int _next;

        public override Tensor[]? GetNext(OpContext ctx)
        {
            if (_next >= rows) return null;
            int i = _next++;
            return [.. parts.Select(p => DatasetOps.Slice(p, i))];
        }
    }
}

public sealed partial class Graph
{
    /// <summary>A TensorSliceDataset node: the dataset of the rows of <paramref name="components"/> (all of one length), element shapes <paramref name="outputShapes"/> (default: the components' static shapes without their first dim).</summary>
    public Output TensorSliceDataset(Output[] components, Shape[]? outputShapes = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(components);
        var shapes = outputShapes ?? [.. components.Select(c => c.Shape.IsRankKnown && c.Shape.Rank > 0 ? new Shape(c.Shape.ToArray()[1..]) : Shape.Unknown)];
        return AddOp(TensorSliceDatasetSpec.OpType, components, name, attrs:
        [
            new("Toutput_types", Attr.Types(components.Select(c => c.DType))), new("output_shapes", Attr.Shapes(shapes)),
        ])[0];
    }
}
