using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// SparseToDense: a dense tensor of shape output_shape holding default_value, with
/// sparse_values (a vector, or one scalar for all) at sparse_indices (a scalar, a vector of
/// indices into a vector, or an [N, rank] matrix). With validate_indices the indices must be in
/// lexicographic order without repeats; indices out of bounds are always an error.
/// </summary>
internal sealed class SparseToDenseSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("validate_indices", "bool", Attr.Bool(true)), new("T", "type"), new("Tindices", "type", AllowedTypes: [DType.Int32, DType.Int64])];

    public const string OpType = "SparseToDense";

    public override string Type => OpType;

    protected override string[] InputArgs => ["sparse_indices: Tindices", "output_shape: Tindices", "sparse_values: T", "default_value: T"];

    protected override string[] OutputArgs => ["dense: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        c.RequireSameType(2, 3);
        var s = c.InputShape(1);
        if (s.IsRankKnown && s.Rank != 1) throw c.Error($"output_shape must be a vector, got shape {s}");
        var d = c.InputShape(3);
        if (d.IsRankKnown && d.Rank != 0) throw c.Error($"default_value must be a scalar, got shape {d}");
        Shape shape;
        if (c.ConstantDims(1, "output_shape") is { } dims) shape = Shape.Wrap(dims);
        else if (c.PartialShapeInput(1) is { IsRankKnown: true } partial) shape = partial;
        else shape = s.IsRankKnown && s[0] >= 0 ? Shape.UnknownOfRank(s[0]) : Shape.Unknown;
        c.AddOutput(c.InputType(2), shape);
    }

    /// <summary>
    /// TF 1.15's <c>_SparseToDenseGrad</c>: sparse_values get the gradient at their indices (TF's
    /// gather_nd, here a Gather of the flattened gradient at the row-major offsets; summed for a
    /// scalar sparse_values), default_value the rest of the gradient's sum.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var indices = c.Input(0);
        var grad = c.Grad;
        var it = indices.DType;
        Output offsets;
        if (indices.Shape.IsRankKnown && indices.Shape.Rank < 2) offsets = g.Reshape(indices, [-1]);
        else
        {
            // offset = Σ_k index[:, k] · Π_{m > k} shape[m]: the strides are a reverse exclusive cumulative product.
            var strides = g.Cumprod(g.Cast(g.ShapeOf(grad), it), 0, exclusive: true, reverse: true);
            offsets = g.ReduceSum(g.Multiply(indices, strides), [1]);
        }
        var valuesGrad = g.Gather(g.Reshape(grad, [-1]), offsets);
        if (c.Input(2).Shape.IsRankKnown && c.Input(2).Shape.Rank == 0) valuesGrad = g.ReduceSum(valuesGrad);
        var defaultGrad = g.Subtract(g.ReduceSum(grad), g.ReduceSum(valuesGrad));
        return [null, null, valuesGrad, defaultGrad];
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        bool validate = b.Op.GetAttrBool("validate_indices");
        return new LambdaKernel(ctx =>
        {
            var indices = ctx.Input(0);
            var shapeT = ctx.Input(1);
            var values = ctx.Input(2);
            var def = ctx.Input(3);
            if (indices.Rank > 2) throw new InvalidArgumentException($"sparse_indices should be a scalar, vector, or matrix, got shape {indices.Shape}");
            if (shapeT.Rank != 1) throw new InvalidArgumentException($"output_shape should be a vector, got shape {shapeT.Shape}");
            int n = indices.Rank > 0 ? indices.Dims[0] : 1;
            int nDims = indices.Rank > 1 ? indices.Dims[1] : 1;
            if (values.Rank > 1 || (values.Rank == 1 && values.Dims[0] != n))
                throw new InvalidArgumentException($"sparse_values has incorrect shape {values.Shape}, should be [] or [{n}]");
            def.RequireScalar("default_value");
            if (shapeT.Size != nDims)
                throw new InvalidArgumentException($"output_shape has incorrect number of elements: {shapeT.Size} should be: {nDims}");
            Span<int> dims = stackalloc int[shapeT.ShapeVectorLength("output_shape")];
            shapeT.ReadDimensions(dims, "output_shape");
            var o = ctx.AllocateOutput(0, values.DType, dims);
            TensorFill.FillWith(o, def);
            bool scalarValue = values.Rank == 0;
            long previous = -1;
            for (int i = 0; i < n; i++)
            {
                long offset = 0;
                for (int k = 0; k < nDims; k++)
                {
                    long ix = indices.GetInt64(i * nDims + k);
                    if (ix < 0 || ix >= dims[k]) throw new InvalidArgumentException($"indices[{i}] is out of bounds: index {ix} in dimension {k} of size {dims[k]}");
                    offset = offset * dims[k] + ix;
                }
                if (validate)
                {
                    if (offset == previous) throw new InvalidArgumentException($"indices[{i}] is repeated");
                    if (offset < previous) throw new InvalidArgumentException($"indices[{i}] is out of order");
                    previous = offset;
                }
                Array.Copy(values.Data, scalarValue ? 0 : i, o.Data, offset, 1);
            }
        });
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value,
    /// validate_indices)</c>: a SparseToDense node. <paramref name="sparseIndices"/> and
    /// <paramref name="outputShape"/> are int32 or int64 alike.
    /// </summary>
    public Output SparseToDense(Output sparseIndices, Output outputShape, Output sparseValues, Output defaultValue, bool validateIndices = true,
        string? name = null) =>
        AddOp(SparseToDenseSpec.OpType, [sparseIndices, outputShape, sparseValues, defaultValue], name, SparseToDenseSpec.OpType,
            [NamedAttr("validate_indices", Attr.Bool(validateIndices)), NamedAttr("T", Attr.Type(sparseValues.DType)),
             NamedAttr("Tindices", Attr.Type(sparseIndices.DType))])[0];
}
