using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>ZipDataset: elements of the input datasets side by side, their components concatenated; ends with the shortest (TF's <c>Dataset.zip</c>).</summary>
internal sealed class ZipDatasetSpec : DatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [.. ElementAttrs(), new("N", "int", Minimum: 1), Metadata];

    public const string OpType = "ZipDataset";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input_datasets: N * variant"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes)
    {
        var inputs = new DatasetBase[ctx.NumInputs];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = DatasetBase.Resolve(ctx.Input(i), "input_datasets");
        var all = inputs.SelectMany(d => d.Types).ToArray();
        if (!all.SequenceEqual(types))
            throw new InvalidArgumentException($"The zipped datasets produce {DatasetOps.TypeList(all)}, but the op declares output_types {DatasetOps.TypeList(types)}");
        return new Dataset(inputs, types, shapes);
    }

    private sealed class Dataset(DatasetBase[] inputs, DType[] types, Shape[] shapes) : DatasetBase(OpType, types, shapes)
    {
        public override DatasetIterator MakeIterator() => new It([.. inputs.Select(d => d.MakeIterator())]);
    }

    private sealed class It(DatasetIterator[] inputs) : DatasetIterator
    {
        private bool _end;

        public override Tensor[]? GetNext(OpContext ctx)
        {
            if (_end) return null;
            var parts = new List<Tensor>();
            foreach (var it in inputs)
            {
                if (it.GetNext(ctx) is not { } e)
                {
                    _end = true;
                    return null;
                }
                parts.AddRange(e);
            }
            return [.. parts];
        }

        public override void Dispose()
        {
            foreach (var it in inputs) it.Dispose();
            base.Dispose();
        }
    }
}

public sealed partial class Graph
{
    /// <summary>A ZipDataset node over <paramref name="inputDatasets"/>; the element spec is the inputs' specs concatenated.</summary>
    public Output ZipDataset(Output[] inputDatasets, DType[] outputTypes, Shape[] outputShapes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(inputDatasets);
        return AddOp(ZipDatasetSpec.OpType, inputDatasets, name,
            attrs: [.. DatasetElementAttrs(outputTypes, outputShapes), new("N", Attr.Int(inputDatasets.Length))])[0];
    }
}
