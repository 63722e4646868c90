using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// LookupTableImportV2: fills a table with <c>keys</c> → <c>values</c> (what TF 1.15's
/// <c>KeyValueTensorInitializer</c> runs as the table's initializer). A filled table accepts only
/// the same entries again.
/// </summary>
internal sealed class LookupTableImportV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("Tin", "type"), new("Tout", "type")];

    public const string OpType = "LookupTableImportV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["table_handle: resource", "keys: Tin", "values: Tout"];

    protected override string[] OutputArgs => [];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        if (c.InputType(0) != DType.Resource)
            throw c.Error($"Expected a lookup table handle (resource) as input 0, got {c.InputType(0).Name()} ('{c.Inputs[0].Name}')");
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(static ctx =>
        LookupTableResource.Resolve(ctx.Input(0)).Import(ctx.Input(1), ctx.Input(2)));
}

public sealed partial class Graph
{
    /// <summary>A LookupTableImportV2 node filling <paramref name="table"/> with <paramref name="keys"/> → <paramref name="values"/>.</summary>
    public Operation LookupTableImportV2(Output table, Output keys, Output values, string? name = null) =>
        AddOp(LookupTableImportV2Spec.OpType, [table, keys, values], name ?? "table_init",
            attrs: [new("Tin", Attr.Type(keys.DType)), new("Tout", Attr.Type(values.DType))]);
}
