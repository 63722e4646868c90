using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// IteratorGetNext: the iterator's next element; OutOfRange "End of sequence" once it is
/// exhausted, FailedPrecondition before a MakeIterator has run.
/// </summary>
internal sealed class IteratorGetNextSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("output_types", "list(type)", Minimum: 1), new("output_shapes", "list(shape)", Minimum: 1)];

    public const string OpType = "IteratorGetNext";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["iterator: resource"];

    protected override string[] OutputArgs => ["components: output_types"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Resource);
        var types = DatasetOps.Types(c.Attr("output_types"));
        var shapes = DatasetOps.Shapes(c.Attr("output_shapes"));
        if (types.Length != shapes.Length) throw c.Error("output_types and output_shapes must have the same length");
        for (int i = 0; i < types.Length; i++) c.AddOutput(types[i], shapes[i]);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var e = IteratorResource.Resolve(ctx.Input(0)).GetNext(ctx);
        for (int i = 0; i < e.Length; i++) ctx.SetOutput(i, e[i]);
    }, OutputKind.External);
}

public sealed partial class Graph
{
    /// <summary>An IteratorGetNext node: the next element of <paramref name="iterator"/> (elements <paramref name="outputTypes"/>/<paramref name="outputShapes"/>).</summary>
    public Output[] IteratorGetNext(Output iterator, DType[] outputTypes, Shape[] outputShapes, string? name = null) =>
        AddOp(IteratorGetNextSpec.OpType, [iterator], name, attrs: DatasetElementAttrs(outputTypes, outputShapes)).Outputs;
}
