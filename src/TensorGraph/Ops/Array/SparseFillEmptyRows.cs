using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseFillEmptyRows: a SparseTensor (indices [N, rank], values [N], dense_shape) with one entry
/// <c>[row, 0, ...] = default_value</c> added for every row that has none. As TF's kernel: the
/// output is grouped by row in row order, each row's entries in their input order, an empty row's
/// entry at its place; <c>empty_row_indicator[r]</c> tells the filled rows and
/// <c>reverse_index_map[i]</c> where input entry i went.
/// </summary>
internal sealed class SparseFillEmptyRowsSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "SparseFillEmptyRows";

    public override string Type => OpType;

    protected override string[] InputArgs => ["indices: int64", "values: T", "dense_shape: int64", "default_value: T"];

    protected override string[] OutputArgs => ["output_indices: int64", "output_values: T", "empty_row_indicator: bool", "reverse_index_map: int64"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        var ix = c.InputShape(0);
        var v = c.InputShape(1);
        var s = c.InputShape(2);
        var d = c.InputShape(3);
        if (ix.IsRankKnown && ix.Rank != 2) throw c.Error($"indices must be a matrix, got shape {ix}");
        if (v.IsRankKnown && v.Rank != 1) throw c.Error($"values must be a vector, got shape {v}");
        if (s.IsRankKnown && s.Rank != 1) throw c.Error($"dense_shape must be a vector, got shape {s}");
        if (d.IsRankKnown && d.Rank != 0) throw c.Error($"default_value must be a scalar, got shape {d}");
        c.RequireSameType(1, 3);
        int rank = ix.IsRankKnown ? ix[1] : -1;
        c.AddOutput(DType.Int64, new Shape(-1, rank));
        c.AddOutput(c.InputType(1), new Shape(-1));
        c.AddOutput(DType.Bool, new Shape(-1));
        c.AddOutput(DType.Int64, new Shape(ix.IsRankKnown ? ix[0] : v.IsRankKnown ? v[0] : -1));
    }

    /// <summary>
    /// TF 1.15's <c>_SparseFillEmptyRowsGrad</c> (the SparseFillEmptyRowsGrad kernel): values get
    /// the output_values gradient at <c>reverse_index_map</c>, default_value the sum of the rest
    /// (the entries added for empty rows).
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        if (c.Grads[1] is not { } gradValues) return [null, null, null, null];
        var dValues = g.Gather(gradValues, c.Out(3));
        var dDefault = g.Subtract(g.ReduceSum(gradValues), g.ReduceSum(dValues));
        return [null, dValues, null, dDefault];
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var ix = ctx.Input(0);
        var values = ctx.Input(1);
        var shape = ctx.Input(2);
        var def = ctx.Input(3);
        if (ix.Rank != 2) throw new InvalidArgumentException($"indices must be a matrix, got shape {ix.Shape}");
        if (values.Rank != 1) throw new InvalidArgumentException($"values must be a vector, got shape {values.Shape}");
        if (shape.Rank != 1) throw new InvalidArgumentException($"dense_shape must be a vector, got shape {shape.Shape}");
        def.RequireScalar("default_value");
        int n = ix.Dims[0];
        int rank = ix.Dims[1];
        if (values.Dims[0] != n) throw new InvalidArgumentException($"values must have {n} elements (indices.shape[0]), got {values.Dims[0]}");
        if (shape.Size == 0) throw new InvalidArgumentException("Dense shape cannot be empty.");
        if (shape.Size != rank) throw new InvalidArgumentException($"dense_shape has {shape.Size} elements but indices have rank {rank}");
        long denseRows = shape.GetInt64(0);
        if (denseRows < 0 || denseRows > int.MaxValue) throw new InvalidArgumentException($"dense_shape[0] = {denseRows} is out of range");
        int rows = (int)denseRows;
        if (rows == 0 && n != 0)
            throw new InvalidArgumentException($"Received SparseTensor with dense_shape[0] = 0 but indices.shape[0] = {n}");
        var src = ix.AsSpan<long>();
        var counts = new int[rows];
        for (int i = 0; i < n; i++)
        {
            long r = src[i * rank];
            if (r < 0 || r >= rows) throw new InvalidArgumentException($"indices({i}, 0) is invalid: {r} >= {rows}");
            counts[r]++;
        }
        // starts[r]: where row r begins in the output, an empty row counting as one entry.
        var starts = new int[rows + 1];
        for (int r = 0; r < rows; r++) starts[r + 1] = starts[r] + Math.Max(counts[r], 1);
        int total = starts[rows];
        var outIx = ctx.AllocateOutput(0, DType.Int64, [total, rank]);
        var outValues = ctx.AllocateOutput(1, values.DType, [total]);
        var empty = ctx.AllocateOutput(2, DType.Bool, [rows]);
        var reverse = ctx.AllocateOutput(3, DType.Int64, [n]);
        var dst = outIx.AsSpan<long>();
        var emptySpan = empty.AsSpan<bool>();
        var reverseSpan = reverse.AsSpan<long>();
        var filled = new int[rows];
        for (int i = 0; i < n; i++)
        {
            int r = (int)src[i * rank];
            int at = starts[r] + filled[r]++;
            src.Slice(i * rank, rank).CopyTo(dst.Slice(at * rank, rank));
            Array.Copy(values.Data, i, outValues.Data, at, 1);
            reverseSpan[i] = at;
        }
        for (int r = 0; r < rows; r++)
        {
            emptySpan[r] = counts[r] == 0;
            if (counts[r] != 0) continue;
            int at = starts[r];
            dst[at * rank] = r;
            for (int d = 1; d < rank; d++) dst[at * rank + d] = 0;
            Array.Copy(def.Data, 0, outValues.Data, at, 1);
        }
    });
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.sparse.fill_empty_rows</c> on a SparseTensor's parts: a SparseFillEmptyRows node
    /// returning (output_indices, output_values, empty_row_indicator, reverse_index_map).
    /// </summary>
    public (Output Indices, Output Values, Output EmptyRowIndicator, Output ReverseIndexMap) SparseFillEmptyRows(
        Output indices, Output values, Output denseShape, Output defaultValue, string? name = null)
    {
        var op = AddOp(SparseFillEmptyRowsSpec.OpType, [indices, values, denseShape, defaultValue], name, SparseFillEmptyRowsSpec.OpType,
            [NamedAttr("T", Attr.Type(values.DType))]);
        return (op[0], op[1], op[2], op[3]);
    }
}
