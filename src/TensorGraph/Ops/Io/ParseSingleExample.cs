using System.Text;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ParseSingleExample (TF 1.15): parses one serialized <c>tf.Example</c> (a string scalar) into
/// dense tensors of <c>dense_shapes[i]</c>; a missing feature takes its default (an empty default
/// makes it required); a shape whose first dimension is -1 reads a variable number of rows.
/// Sparse features are not implemented (their outputs are inferred; the kernel refuses them).
/// </summary>
internal sealed class ParseSingleExampleSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("num_sparse", "int", Minimum: 0), new("sparse_keys", "list(string)", Minimum: 0), new("dense_keys", "list(string)", Minimum: 0),
        new("sparse_types", "list(type)", Minimum: 0, AllowedTypes: [DType.Float32, DType.Int64, DType.String]),
        new("Tdense", "list(type)", Minimum: 0, AllowedTypes: [DType.Float32, DType.Int64, DType.String]),
        new("dense_shapes", "list(shape)", Minimum: 0),
    ];

    public const string OpType = "ParseSingleExample";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["serialized: string", "dense_defaults: Tdense"];

    protected override string[] OutputArgs => ["sparse_indices: num_sparse * int64", "sparse_values: sparse_types", "sparse_shapes: num_sparse * int64", "dense_values: Tdense"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        int nSparse = (int)c.AttrInt("num_sparse");
        var sparseTypes = ExampleParsing.Types(c, "sparse_types");
        var tdense = ExampleParsing.Types(c, "Tdense");
        var shapes = ExampleParsing.Shapes(c.Attr("dense_shapes"));
        int nDenseKeys = c.Attr("dense_keys").List?.S.Count ?? 0, nSparseKeys = c.Attr("sparse_keys").List?.S.Count ?? 0;
        if (sparseTypes.Length != nSparse || nSparseKeys != nSparse)
            throw c.Error($"len(sparse_keys) ({nSparseKeys}) and len(sparse_types) ({sparseTypes.Length}) must both be num_sparse ({nSparse})");
        if (nDenseKeys != tdense.Length) throw c.Error($"len(dense_keys) ({nDenseKeys}) != len(Tdense) ({tdense.Length})");
        c.RequireType(0, DType.String);
        var input = c.InputShape(0);
        if (input.IsRankKnown && input.Rank != 0) throw c.Error($"Shape must be rank 0 but is rank {input.Rank}: serialized is one example");
        ExampleParsing.CheckSparseTypes(c, sparseTypes, "sparse_types");
        ExampleParsing.CheckDense(c, tdense, shapes, 1);
        ExampleParsing.AddSparseOutputs(c, sparseTypes, Shape.Scalar);
        ExampleParsing.AddDenseOutputs(c, tdense, shapes, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        int nSparse = (int)b.Op.GetAttrInt("num_sparse");
        if (nSparse > 0) throw new UnimplementedException($"ParseSingleExample with sparse features (num_sparse = {nSparse}) is not implemented");
        var tdense = ExampleParsing.Types(b.Op.GetAttr("Tdense"));
        var shapes = ExampleParsing.Shapes(b.Op.GetAttr("dense_shapes"));
        var keys = (b.Op.GetAttr("dense_keys").List?.S ?? []).Select(s => s.ToStringUtf8()).ToArray();
        var noNames = Tensor.Create(Array.Empty<string>(), 0);
        return new LambdaKernel(ctx =>
        {
            var serialized = ctx.Input(0);
            if (serialized.Rank != 0) throw new InvalidArgumentException($"Expected serialized to be a scalar, got shape: {Shape.Format(serialized.Dims)}");
            var examples = ExampleParsing.ParseAll(serialized.Span<byte[]>());
            for (int i = 0; i < keys.Length; i++)
                ExampleParsing.WriteDense(ctx, i, examples, noNames, i, keys[i], ctx.Input(1 + i), tdense[i], shapes[i], batched: false);
        });
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.15's <c>tf.io.parse_single_example</c> for dense features (a <c>ParseSingleExample</c>
    /// node under the <c>ParseSingleExample</c> scope): one output per key of
    /// <paramref name="shapes"/>[i]; <paramref name="defaults"/>[i] fills a missing feature (an empty
    /// default makes it required).
    /// </summary>
    public Output[] ParseSingleExample(Output serialized, string[] keys, Output[] defaults, Shape[] shapes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(shapes);
        if (defaults.Length != keys.Length || shapes.Length != keys.Length)
            throw new InvalidArgumentException("ParseSingleExample needs one default and one shape per key");
        using var scope = NameScope(name ?? "ParseSingleExample");
        var op = AddOp(ParseSingleExampleSpec.OpType, [serialized, .. defaults], "ParseSingleExample", attrs:
        [
            NamedAttr("num_sparse", Attr.Int(0)), NamedAttr("sparse_keys", Attr.Strings([])), NamedAttr("dense_keys", Attr.Strings(keys)),
            NamedAttr("sparse_types", Attr.Types([])), NamedAttr("Tdense", Attr.Types(defaults.Select(d => d.DType))),
            NamedAttr("dense_shapes", Attr.Shapes(shapes)),
        ]);
        return op.Outputs;
    }
}
