using System.Text;
using Google.Protobuf;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ParseExample: parses a batch of serialized <c>tf.Example</c> protos into dense tensors
/// (<c>dense_values[i]</c> has shape [batch] + <c>dense_shapes[i]</c>; a missing feature takes its
/// default, and an empty default makes it required). Sparse features are not implemented.
/// </summary>
internal sealed class ParseExampleSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("Nsparse", "int", Minimum: 0), new("Ndense", "int", Minimum: 0), new("sparse_types", "list(type)", Minimum: 0),
        new("Tdense", "list(type)", Minimum: 0), new("dense_shapes", "list(shape)", Minimum: 0),
    ];

    public const string OpType = "ParseExample";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["serialized: string", "names: string", "sparse_keys: Nsparse * string", "dense_keys: Ndense * string", "dense_defaults: Tdense"];

    protected override string[] OutputArgs => ["sparse_indices: Nsparse * int64", "sparse_values: sparse_types", "sparse_shapes: Nsparse * int64", "dense_values: Tdense"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        int nSparse = (int)c.AttrInt("Nsparse"), nDense = (int)c.AttrInt("Ndense");
        var sparseTypes = ExampleParsing.Types(c, "sparse_types");
        var tdense = ExampleParsing.Types(c, "Tdense");
        var shapes = ExampleParsing.Shapes(c.Attr("dense_shapes"));
        if (nSparse < 0 || nDense < 0) throw c.Error($"Nsparse ({nSparse}) and Ndense ({nDense}) must be >= 0");
        if (sparseTypes.Length != nSparse) throw c.Error($"len(sparse_keys) != len(sparse_types): Nsparse = {nSparse}, sparse_types has {sparseTypes.Length} entries");
        if (tdense.Length != nDense) throw c.Error($"len(dense_keys) != len(dense_types): Ndense = {nDense}, Tdense has {tdense.Length} entries");
        ExampleParsing.CheckSparseTypes(c, sparseTypes, "sparse_types");
        ExampleParsing.CheckDense(c, tdense, shapes, 2 + nSparse + nDense);
        for (int i = 0; i < 2 + nSparse + nDense; i++) c.RequireType(i, DType.String);
        var input = c.InputShape(0);
        if (input.IsRankKnown && input.Rank != 1) throw c.Error($"serialized must be a vector, got shape {input}");
        if (c.InputShape(1) is { IsRankKnown: true, Rank: not 1 } names) throw c.Error($"names must be a vector, got shape {names}");
        if (!input.IsRankKnown) input = Shape.Wrap([-1]);
        ExampleParsing.AddSparseOutputs(c, sparseTypes, input);
        ExampleParsing.AddDenseOutputs(c, tdense, shapes, input);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        int nSparse = (int)b.Op.GetAttrInt("Nsparse"), nDense = (int)b.Op.GetAttrInt("Ndense");
        if (nSparse > 0) throw new UnimplementedException($"ParseExample with sparse features (Nsparse = {nSparse}) is not implemented");
        var tdense = ExampleParsing.Types(b.Op.GetAttr("Tdense"));
        var shapes = ExampleParsing.Shapes(b.Op.GetAttr("dense_shapes"));
        return new LambdaKernel(ctx =>
        {
            var serialized = ctx.Input(0);
            if (serialized.Rank != 1) throw new InvalidArgumentException($"Expected serialized to be a vector, got shape: {Shape.Format(serialized.Dims)}");
            var names = ctx.Input(1);
            ExampleParsing.CheckNames(serialized, names);
            var examples = ExampleParsing.ParseAll(serialized.Span<byte[]>());
            for (int i = 0; i < nDense; i++)
            {
                var key = Encoding.UTF8.GetString(ctx.Input(2 + i).ScalarValue<byte[]>($"dense_keys[{i}]"));
                ExampleParsing.WriteDense(ctx, i, examples, names, i, key, ctx.Input(2 + nDense + i), tdense[i], shapes[i], batched: true);
            }
        });
    }
}

/// <summary>
/// ParseExampleV2 (TF 1.15+/2.x): like ParseExample, but the keys come as string vectors, there
/// may be ragged features, and <c>serialized</c> may be a scalar (the outputs then have no batch
/// dimension). Dense features only: sparse and ragged ones are not implemented.
/// </summary>
internal sealed class ParseExampleV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("Tdense", "list(type)", Minimum: 0), new("num_sparse", "int", Minimum: 0), new("sparse_types", "list(type)", Minimum: 0),
        new("ragged_value_types", "list(type)", Minimum: 0), new("ragged_split_types", "list(type)", Minimum: 0), new("dense_shapes", "list(shape)", Minimum: 0),
    ];

    public const string OpType = "ParseExampleV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["serialized: string", "names: string", "sparse_keys: string", "dense_keys: string", "ragged_keys: string", "dense_defaults: Tdense"];

    protected override string[] OutputArgs => ["sparse_indices: num_sparse * int64", "sparse_values: sparse_types", "sparse_shapes: num_sparse * int64", "dense_values: Tdense", "ragged_values: ragged_value_types", "ragged_row_splits: ragged_split_types"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        int nSparse = (int)c.AttrInt("num_sparse");
        var sparseTypes = ExampleParsing.Types(c, "sparse_types");
        var raggedValues = ExampleParsing.Types(c, "ragged_value_types");
        var raggedSplits = ExampleParsing.Types(c, "ragged_split_types");
        var tdense = ExampleParsing.Types(c, "Tdense");
        var shapes = ExampleParsing.Shapes(c.Attr("dense_shapes"));
        if (nSparse < 0) throw c.Error($"num_sparse must be >= 0, got {nSparse}");
        if (sparseTypes.Length != nSparse) throw c.Error($"len(sparse_keys) != len(sparse_types): num_sparse = {nSparse}, sparse_types has {sparseTypes.Length} entries");
        if (raggedValues.Length != raggedSplits.Length)
            throw c.Error($"len(ragged_keys) != len(ragged_split_types): ragged_value_types has {raggedValues.Length} entries, ragged_split_types {raggedSplits.Length}");
        ExampleParsing.CheckSparseTypes(c, sparseTypes, "sparse_types");
        ExampleParsing.CheckSparseTypes(c, raggedValues, "ragged_value_types");
        for (int i = 0; i < raggedSplits.Length; i++)
            if (raggedSplits[i] is not (DType.Int32 or DType.Int64)) throw c.Error($"ragged_split_types[{i}] must be int32 or int64, got {raggedSplits[i].Name()}");
        ExampleParsing.CheckDense(c, tdense, shapes, 5);
        for (int i = 0; i < 5; i++) c.RequireType(i, DType.String);
        var input = c.InputShape(0);
        if (input.Rank > 1) throw c.Error($"serialized must be a scalar or a vector, got shape {input}");
        if (c.InputShape(1).Rank > 1) throw c.Error($"names must be a scalar or a vector, got shape {c.InputShape(1)}");
        ExampleParsing.AddSparseOutputs(c, sparseTypes, input);
        ExampleParsing.AddDenseOutputs(c, tdense, shapes, input);
        int splits = input.Rank == 1 && input[0] >= 0 ? input[0] + 1 : -1;
        foreach (var t in raggedValues) c.AddOutput(t, Shape.Wrap([-1]));
        foreach (var t in raggedSplits) c.AddOutput(t, Shape.Wrap([splits]));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        int nSparse = (int)b.Op.GetAttrInt("num_sparse");
        int nRagged = ExampleParsing.Types(b.Op.GetAttr("ragged_value_types")).Length;
        if (nSparse > 0) throw new UnimplementedException($"ParseExampleV2 with sparse features (num_sparse = {nSparse}) is not implemented");
        if (nRagged > 0) throw new UnimplementedException($"ParseExampleV2 with ragged features ({nRagged} ragged keys) is not implemented");
        var tdense = ExampleParsing.Types(b.Op.GetAttr("Tdense"));
        var shapes = ExampleParsing.Shapes(b.Op.GetAttr("dense_shapes"));
        return new LambdaKernel(ctx =>
        {
            var serialized = ctx.Input(0);
            if (serialized.Rank > 1) throw new InvalidArgumentException($"Expected serialized to be a scalar or vector, got shape: {Shape.Format(serialized.Dims)}");
            var names = ctx.Input(1);
            ExampleParsing.CheckNames(serialized, names);
            var denseKeys = ctx.Input(3);
            if (denseKeys.Size != tdense.Length) throw new InvalidArgumentException($"Expected len(dense_keys) == len(dense_types) but got: {denseKeys.Size} vs. {tdense.Length}");
            if (ctx.Input(2).Size != 0) throw new InvalidArgumentException($"Expected len(sparse_keys) == num_sparse but got: {ctx.Input(2).Size} vs. 0");
            if (ctx.Input(4).Size != 0) throw new InvalidArgumentException($"Expected len(ragged_keys) == len(ragged_value_types) but got: {ctx.Input(4).Size} vs. 0");
            var examples = ExampleParsing.ParseAll(serialized.Span<byte[]>());
            var keys = denseKeys.Span<byte[]>();
            for (int i = 0; i < tdense.Length; i++)
            {
                ExampleParsing.WriteDense(ctx, i, examples, names, i, Encoding.UTF8.GetString(keys[i]), ctx.Input(5 + i), tdense[i], shapes[i],
                    batched: serialized.Rank == 1);
            }
        });
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.parse_example</c> for dense features: one output per key, shaped [batch] +
    /// <paramref name="shapes"/>[i]; <paramref name="defaults"/>[i] (empty = required) fills missing features.
    /// A shape whose first dimension is -1 reads a variable number of rows, padded with the single default value.
    /// </summary>
    public Output[] ParseExample(Output serialized, string[] keys, Output[] defaults, Shape[] shapes, string? name = null)
    {
        CheckParseArgs(keys, defaults, shapes);
        using var scope = NameScope(name ?? "ParseExample");
        var names = Constant(Tensor.Create(Array.Empty<string>(), 0), name: "names");
        var keyConsts = keys.Select((k, i) => Constant(k, name: $"dense_keys_{i}")).ToArray();
        var op = AddOp(ParseExampleSpec.OpType, [serialized, names, .. keyConsts, .. defaults], "ParseExample", attrs:
        [
            NamedAttr("Nsparse", Attr.Int(0)), NamedAttr("Ndense", Attr.Int(keys.Length)), NamedAttr("sparse_types", Attr.Types([])),
            NamedAttr("Tdense", Attr.Types(defaults.Select(d => d.DType))), NamedAttr("dense_shapes", ShapeList(shapes)),
        ]);
        return op.Outputs;
    }

    /// <summary>
    /// TF 2's <c>tf.io.parse_example</c> (op <c>ParseExampleV2</c>) for dense features, as
    /// <see cref="ParseExample"/>; <paramref name="serialized"/> may also be a scalar, which gives
    /// outputs without the batch dimension.
    /// </summary>
    public Output[] ParseExampleV2(Output serialized, string[] keys, Output[] defaults, Shape[] shapes, string? name = null)
    {
        CheckParseArgs(keys, defaults, shapes);
        using var scope = NameScope(name ?? "ParseExample");
        var empty = Tensor.Create(Array.Empty<string>(), 0);
        var op = AddOp(ParseExampleV2Spec.OpType,
            [serialized, Constant(empty, name: "names"), Constant(empty, name: "sparse_keys"), Constant(Tensor.Create(keys, keys.Length), name: "dense_keys"),
                Constant(empty, name: "ragged_keys"), .. defaults], "ParseExampleV2", attrs:
        [
            NamedAttr("Tdense", Attr.Types(defaults.Select(d => d.DType))), NamedAttr("num_sparse", Attr.Int(0)), NamedAttr("sparse_types", Attr.Types([])),
            NamedAttr("ragged_value_types", Attr.Types([])), NamedAttr("ragged_split_types", Attr.Types([])), NamedAttr("dense_shapes", ShapeList(shapes)),
        ]);
        return op.Outputs;
    }

    private static void CheckParseArgs(string[] keys, Output[] defaults, Shape[] shapes)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(shapes);
        if (defaults.Length != keys.Length || shapes.Length != keys.Length)
            throw new InvalidArgumentException("ParseExample needs one default and one shape per key");
    }

    private static AttrValue ShapeList(Shape[] shapes)
    {
        var list = new AttrValue { List = new AttrValue.Types.ListValue() };
        list.List.Shape.AddRange(shapes.Select(s => s.ToProto()));
        return list;
    }
}
