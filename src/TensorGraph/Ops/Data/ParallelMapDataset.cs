using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ParallelMapDataset: MapDataset with up to <c>num_parallel_calls</c> elements mapped at once
/// (TF 1.15's <c>Dataset.map(f, num_parallel_calls=n)</c>; -1 is AUTOTUNE, here one call per
/// processor). Elements come out in input order — also with <c>sloppy</c>, which allows but does
/// not require another order — and an element's error is raised when that element is asked for.
/// </summary>
internal sealed class ParallelMapDatasetSpec : ParallelMapDatasetSpecBase
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = FunctionAttrs("f",
        new("use_inter_op_parallelism", "bool", Attr.Bool(true)), new("sloppy", "bool", Attr.Bool(false)),
        new("preserve_cardinality", "bool", Attr.Bool(false)));

    public const string OpType = "ParallelMapDataset";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["input_dataset: variant", "other_arguments: Targuments", "num_parallel_calls: int32"];

    protected override long Calls(Tensor t) => t.Scalar<int>();
}

/// <summary>ParallelMapDatasetV2 (TF 2.2 and later): ParallelMapDataset with an int64 <c>num_parallel_calls</c> and the <c>deterministic</c> attr in place of <c>sloppy</c>.</summary>
internal sealed class ParallelMapDatasetV2Spec : ParallelMapDatasetSpecBase
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = FunctionAttrs("f",
        new("use_inter_op_parallelism", "bool", Attr.Bool(true)), new("deterministic", "string", Attr.String("default")),
        new("preserve_cardinality", "bool", Attr.Bool(false)), Metadata);

    public const string OpType = "ParallelMapDatasetV2";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["input_dataset: variant", "other_arguments: Targuments", "num_parallel_calls: int64"];

    protected override long Calls(Tensor t) => t.Scalar<long>();
}

/// <summary>What the two ParallelMapDataset versions share: the map itself and the <c>num_parallel_calls</c> check.</summary>
internal abstract class ParallelMapDatasetSpecBase : FunctionDatasetOpSpec
{
    /// <summary>TF's <c>tf.data.experimental.AUTOTUNE</c>.</summary>
    private const long Autotune = -1;

    protected override string FunctionAttr => "f";

    protected override bool KeepsElementTypes => false;

    protected override int TrailingInputs => 1;

    /// <summary>The value of the scalar <c>num_parallel_calls</c> input.</summary>
    protected abstract long Calls(Tensor t);

    protected override int Parallelism(OpContext ctx)
    {
        var t = ctx.Input(ctx.NumInputs - 1);
        if (t.Rank != 0) throw new InvalidArgumentException("num_parallel_calls must be a scalar");
        long n = Calls(t);
        if (n <= 0 && n != Autotune) throw new InvalidArgumentException("num_parallel_calls must be greater than zero.");
        return n == Autotune ? Environment.ProcessorCount : (int)Math.Min(n, 1024);
    }

    protected override Tensor[]? Transform(Tensor[] element, Tensor[] results, DType[] types, string node, string function) =>
        DatasetOps.CheckElement(results, types, node, function);
}

public sealed partial class Graph
{
    /// <summary>
    /// A ParallelMapDataset node: <see cref="MapDataset"/> with up to <paramref name="numParallelCalls"/>
    /// (an int32 scalar; -1 AUTOTUNE) elements mapped at once, delivered in order.
    /// </summary>
    public Output ParallelMapDataset(Output inputDataset, Output[] otherArguments, Output numParallelCalls, string function, DType[] outputTypes, Shape[] outputShapes,
        bool sloppy = false, string? name = null) =>
        AddOp(ParallelMapDatasetSpec.OpType, [inputDataset, .. otherArguments ?? throw new ArgumentNullException(nameof(otherArguments)), numParallelCalls], name,
            attrs: [.. DatasetOps.FunctionNodeAttrs("f", function, otherArguments, outputTypes, outputShapes), new("sloppy", Attr.Bool(sloppy))])[0];
}
