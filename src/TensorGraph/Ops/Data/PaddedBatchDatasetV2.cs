using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// PaddedBatchDatasetV2: elements batched like BatchDatasetV2, each component first padded with its
/// scalar <c>padding_values</c> entry to <c>padded_shapes</c> (a -1 dim pads to the batch's longest)
/// (TF's <c>Dataset.padded_batch</c>).
/// </summary>
internal sealed class PaddedBatchDatasetV2Spec : UnaryDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("parallel_copy", "bool", Attr.Bool(false), Optional: true), .. ElementAttrs("Toutput_types"),
        new("N", "int", Minimum: 1), Metadata,
    ];

    public const string OpType = "PaddedBatchDatasetV2";

    public override string Type => OpType;

    protected override string TypesAttr => "Toutput_types";

    protected override string[] InputArgs =>
        ["input_dataset: variant", "batch_size: int64", "padded_shapes: N * int64", "padding_values: Toutput_types", "drop_remainder: bool"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override void InferElement(InferContext c, DType[] types, Shape[] shapes)
    {
        int n = (int)c.AttrInt("N");
        if (n != types.Length) throw c.Error($"Number of padded_shapes ({n}) must match the number of components in the input dataset's elements ({types.Length})");
        for (int i = 0; i < n; i++)
        {
            var ps = c.InputShape(2 + i);
            if (ps.IsRankKnown && ps.Rank != 1) throw c.Error($"All padded shapes must be vectors, but padded_shapes[{i}] has shape {ps}");
            var pv = c.InputShape(2 + n + i);
            if (pv.IsRankKnown && pv.Rank != 0) throw c.Error($"All padding values must be scalars, but padding_values[{i}] has shape {pv}");
        }
    }

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes)
    {
        var input = Input(ctx, types);
        long batch = DatasetOps.Int64Scalar(ctx, 1, "batch_size");
        if (batch <= 0) throw new InvalidArgumentException("Batch size must be greater than zero.");
        int n = types.Length;
        var padded = new long[n][];
        var values = new Tensor[n];
        for (int i = 0; i < n; i++)
        {
            var ps = ctx.Input(2 + i);
            if (ps.Rank != 1) throw new InvalidArgumentException($"All padded shapes must be vectors, but component {i} has shape {Shape.Format(ps.Dims)}");
            padded[i] = ps.Span<long>().ToArray();
            var pv = ctx.Input(2 + n + i);
            if (pv.Rank != 0) throw new InvalidArgumentException($"All padding values must be scalars, but component {i} has shape {Shape.Format(pv.Dims)}");
            values[i] = DatasetOps.Keep(pv);
        }
        bool drop = DatasetOps.BoolScalar(ctx, 2 + 2 * n, "drop_remainder");
        return new Dataset(input, types, shapes, (int)Math.Min(batch, int.MaxValue), padded, values, drop);
    }

    private sealed class Dataset(DatasetBase input, DType[] types, Shape[] shapes, int n, long[][] padded, Tensor[] values, bool drop)
        : DatasetBase(OpType, types, shapes)
    {
        public override DatasetIterator MakeIterator() => new It(input.MakeIterator(), n, padded, values, drop);
    }

    private sealed class It(DatasetIterator input, int n, long[][] padded, Tensor[] values, bool drop) : GroupingIterator(input, n, drop)
    {
        protected override Tensor[] Combine(List<Tensor[]> batch)
        {
            var result = new Tensor[padded.Length];
            for (int c = 0; c < result.Length; c++) result[c] = Pad(batch, c);
            return result;
        }

        private Tensor Pad(List<Tensor[]> batch, int c)
        {
            var shape = padded[c];
            var dims = new int[shape.Length];
            foreach (var e in batch)
            {
                var t = e[c];
                if (t.Rank != shape.Length)
                    throw new InvalidArgumentException($"All elements in a batch must have the same rank as the padded shape for component{c}: expected rank {shape.Length} but got element with rank {t.Rank}");
                for (int d = 0; d < dims.Length; d++)
                {
                    if (shape[d] >= 0 && t.Dims[d] > shape[d])
                        throw new InvalidArgumentException($"Attempted to pad to a smaller size than the input element: component {c} has shape {DatasetOps.ShapeString(t.Dims)}, padded shape {DatasetOps.ShapeString([.. shape.Select(x => (int)x)])}");
                    dims[d] = Math.Max(dims[d], t.Dims[d]);
                }
            }
            for (int d = 0; d < dims.Length; d++)
            {
                if (shape[d] >= 0) dims[d] = checked((int)shape[d]);
            }
            var fill = values[c];
            if (fill.DType != batch[0][c].DType)
                throw new InvalidArgumentException($"Mismatched type between padding value {c} ({fill.DType.Name()}) and input dataset's component {c} ({batch[0][c].DType.Name()})");
            var outDims = new int[dims.Length + 1];
            outDims[0] = batch.Count;
            dims.CopyTo(outDims, 1);
            var result = Tensor.Zeros(fill.DType, outDims);
            var data = result.Data;
            var f = fill.Data.GetValue(0);
            for (int i = 0; i < result.Size; i++) data.SetValue(f, i);
            int row = result.Size / Math.Max(1, batch.Count);
            for (int k = 0; k < batch.Count; k++) CopyInto(batch[k][c], data, (long)k * row, dims);
            return result;
        }

        /// <summary>Copies <paramref name="src"/> into the top-left corner of a row of dims <paramref name="dims"/> starting at <paramref name="offset"/>.</summary>
        private static void CopyInto(Tensor src, Array dst, long offset, int[] dims)
        {
            int rank = dims.Length;
            if (src.Size == 0) return;
            if (rank == 0)
            {
                Array.Copy(src.Data, 0, dst, offset, 1);
                return;
            }
            var sd = src.Dims.ToArray();
            int inner = sd[rank - 1];
            // Walk the source's rows (all dims but the last), copying each into its padded place.
            int rows = src.Size / inner;
            var idx = new int[rank - 1];
            for (int r = 0; r < rows; r++)
            {
                long o = 0;
                for (int d = 0; d < rank - 1; d++) o = o * dims[d] + idx[d];
                Array.Copy(src.Data, (long)r * inner, dst, offset + o * dims[rank - 1], inner);
                for (int d = rank - 2; d >= 0; d--)
                {
                    if (++idx[d] < sd[d]) break;
                    idx[d] = 0;
                }
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>A PaddedBatchDatasetV2 node: <paramref name="paddedShapes"/> (int64 vectors) and <paramref name="paddingValues"/> (scalars), one per component.</summary>
    public Output PaddedBatchDatasetV2(Output inputDataset, Output batchSize, Output[] paddedShapes, Output[] paddingValues, Output dropRemainder,
        Shape[] outputShapes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(paddedShapes);
        ArgumentNullException.ThrowIfNull(paddingValues);
        return AddOp(PaddedBatchDatasetV2Spec.OpType, [inputDataset, batchSize, .. paddedShapes, .. paddingValues, dropRemainder], name,
            attrs: [.. DatasetElementAttrs([.. paddingValues.Select(v => v.DType)], outputShapes, "Toutput_types"), new("N", Attr.Int(paddedShapes.Length))])[0];
    }
}
