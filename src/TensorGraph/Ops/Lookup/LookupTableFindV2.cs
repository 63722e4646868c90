using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// LookupTableFindV2: the value of each of <c>keys</c> in the table (output shaped like
/// <c>keys</c>), <c>default_value</c> for keys not in it; FailedPrecondition "Table not
/// initialized." before the table is filled. Not differentiable.
/// </summary>
internal sealed class LookupTableFindV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("Tin", "type"), new("Tout", "type")];

    public const string OpType = "LookupTableFindV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["table_handle: resource", "keys: Tin", "default_value: Tout"];

    protected override string[] OutputArgs => ["values: Tout"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        if (c.InputType(0) != DType.Resource)
            throw c.Error($"Expected a lookup table handle (resource) as input 0, got {c.InputType(0).Name()} ('{c.Inputs[0].Name}')");
        if (c.InputShape(2) is { IsRankKnown: true, Rank: not 0 } d)
            throw c.Error($"Shape must be rank 0 but is rank {d.Rank} for input 'default_value' ('{c.Inputs[2].Name}')");
        c.AddOutput(c.InputType(2), c.InputShape(1));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static ctx =>
        ctx.SetOutput(0, LookupTableResource.Resolve(ctx.Input(0)).Find(ctx.Input(1), ctx.Input(2))));
}

public sealed partial class Graph
{
    /// <summary>A LookupTableFindV2 node: <paramref name="keys"/> looked up in <paramref name="table"/>, <paramref name="defaultValue"/> where absent.</summary>
    public Output LookupTableFindV2(Output table, Output keys, Output defaultValue, string? name = null) =>
        AddOp(LookupTableFindV2Spec.OpType, [table, keys, defaultValue], name ?? "hash_table_Lookup",
            attrs: [new("Tin", Attr.Type(keys.DType)), new("Tout", Attr.Type(defaultValue.DType))])[0];
}
