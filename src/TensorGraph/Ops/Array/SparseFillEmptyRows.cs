using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseFillEmptyRows: a 2-or-more-D SparseTensor with one entry (index [row, 0, …], value
/// <c>default_value</c>) added for every row with no entry (<c>tf.sparse.fill_empty_rows</c>).
/// Outputs the new indices and values (rows in order, a row's entries in input order),
/// <c>empty_row_indicator</c> [dense_shape[0]] and <c>reverse_index_map</c> (input entry i →
/// its position in the output).
/// </summary>
internal sealed class SparseFillEmptyRowsSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "SparseFillEmptyRows";

    public override string Type => OpType;

    protected override string[] InputArgs => ["indices: int64", "values: T", "dense_shape: int64", "default_value: T"];

    protected override string[] OutputArgs => ["output_indices: int64", "output_values: T", "empty_row_indicator: bool", "reverse_index_map: int64"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    /// <summary>
    /// TF 1.15's <c>_SparseFillEmptyRowsGrad</c>: SparseFillEmptyRowsGrad(reverse_index_map,
    /// grad of output_values) gives the values' and the default value's gradients.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var gradValues = c.Grads[1];
        if (gradValues is null) return [null, null, null, null];
        var (dValues, dDefault) = c.Graph.SparseFillEmptyRowsGrad(c.Out(3), gradValues.Value);
        return [null, dValues, null, dDefault];
    }

    public override void Infer(InferContext c)
    {
        var ind = c.InputShape(0);
        var vals = c.InputShape(1);
        var ds = c.InputShape(2);
        var dv = c.InputShape(3);
        if (ind.IsRankKnown && ind.Rank != 2) throw c.Error($"Shape must be rank 2 but is rank {ind.Rank} for 'indices' ({ind})");
        if (vals.IsRankKnown && vals.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {vals.Rank} for 'values' ({vals})");
        if (ds.IsRankKnown && ds.Rank != 1) throw c.Error($"Shape must be rank 1 but is rank {ds.Rank} for 'dense_shape' ({ds})");
        if (dv.IsRankKnown && dv.Rank != 0) throw c.Error($"Shape must be rank 0 but is rank {dv.Rank} for 'default_value' ({dv})");
        if (c.InputType(1) != c.InputType(3))
            throw c.Error($"values and default_value must have the same dtype, got {c.InputType(1).Name()} and {c.InputType(3).Name()}");
        int nnz = ind.IsRankKnown ? ind[0] : -1;
        if (nnz < 0 && vals.IsRankKnown) nnz = vals[0];
        if (ind.IsRankKnown && vals.IsRankKnown && ind[0] >= 0 && vals[0] >= 0 && ind[0] != vals[0])
            throw c.Error($"Dimensions must be equal, but are {ind[0]} and {vals[0]}: indices and values");
        int rank = ind.IsRankKnown ? ind[1] : -1;
        c.AddOutput(DType.Int64, new Shape(-1, rank));
        c.AddOutput(c.InputType(1), new Shape(-1));
        c.AddOutput(DType.Bool, new Shape(-1));
        c.AddOutput(DType.Int64, new Shape(nnz));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(FillEmptyRowsKernel<>), b.InputType(1));

    private sealed class FillEmptyRowsKernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var ind = ctx.Input(0);
            var vals = ctx.Input(1);
            var ds = ctx.Input(2);
            var dv = ctx.Input(3);
            if (ind.Rank != 2) throw new InvalidArgumentException($"indices must be a matrix, saw: {Shape.Format(ind.Dims)}");
            if (vals.Rank != 1) throw new InvalidArgumentException($"values must be a vector, saw: {Shape.Format(vals.Dims)}");
            if (ds.Rank != 1) throw new InvalidArgumentException($"dense_shape must be a vector, saw: {Shape.Format(ds.Dims)}");
            dv.RequireScalar("default_value");
            int n = ind.Dims[0], rank = ind.Dims[1];
            if (vals.Size != n) throw new InvalidArgumentException($"indices and values must have the same number of entries, got {n} and {vals.Size}");
            if (ds.Size != rank) throw new InvalidArgumentException($"dense_shape has {ds.Size} entries but indices have {rank} columns");
            if (rank < 1) throw new InvalidArgumentException("dense_shape must have at least one dimension");
            long denseRowsL = ds.Span<long>()[0];
            if (denseRowsL < 0 || denseRowsL > int.MaxValue) throw new InvalidArgumentException($"dense_shape[0] = {denseRowsL} is out of range");
            int denseRows = (int)denseRowsL;
            if (denseRows == 0 && n != 0)
                throw new InvalidArgumentException($"Received SparseTensor with dense_shape[0] = 0 but indices.shape[0] = {n}");
            var idx = ind.Span<long>();
            var counts = new int[denseRows];
            for (int i = 0; i < n; i++)
            {
                long row = idx[i * rank];
                if (row < 0 || row >= denseRows) throw new InvalidArgumentException($"indices({i}, 0) is invalid: {row} >= {denseRows}");
                counts[row]++;
            }
            var start = new int[denseRows];
            int total = 0;
            for (int r = 0; r < denseRows; r++)
            {
                start[r] = total;
                total += Math.Max(counts[r], 1);
            }
            var outInd = ctx.AllocateOutput(0, DType.Int64, [total, rank]);
            var outVals = ctx.AllocateOutput(1, vals.DType, [total]);
            var empty = ctx.AllocateOutput(2, DType.Bool, [denseRows]);
            var reverse = ctx.AllocateOutput(3, DType.Int64, [n]);
            var oi = outInd.Span<long>();
            var ov = outVals.Span<T>();
            var e = empty.Span<bool>();
            var rev = reverse.Span<long>();
            var src = vals.Span<T>();
            var filled = new int[denseRows];
            for (int i = 0; i < n; i++)
            {
                int row = (int)idx[i * rank];
                int pos = start[row] + filled[row]++;
                idx.Slice(i * rank, rank).CopyTo(oi.Slice(pos * rank, rank));
                ov[pos] = src[i];
                rev[i] = pos;
            }
            var def = dv.Span<T>()[0];
            for (int r = 0; r < denseRows; r++)
            {
                e[r] = counts[r] == 0;
                if (counts[r] != 0) continue;
                int pos = start[r];
                oi.Slice(pos * rank, rank).Clear();
                oi[pos * rank] = r;
                ov[pos] = def;
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>gen_sparse_ops.sparse_fill_empty_rows(indices, values, dense_shape, default_value)</c>:
    /// a SparseFillEmptyRows node; returns (output_indices, output_values, empty_row_indicator, reverse_index_map).
    /// </summary>
    public (Output OutputIndices, Output OutputValues, Output EmptyRowIndicator, Output ReverseIndexMap) SparseFillEmptyRows(
        Output indices, Output values, Output denseShape, Output defaultValue, string? name = null)
    {
        var op = AddOp(SparseFillEmptyRowsSpec.OpType, [indices, values, denseShape, defaultValue], name, attrs: [NamedAttr("T", Attr.Type(values.DType))]);
        return (op[0], op[1], op[2], op[3]);
    }
}
