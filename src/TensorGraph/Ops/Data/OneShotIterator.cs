using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// OneShotIterator: an iterator whose dataset is made by running the graph function
/// <c>dataset_factory</c> once (TF's <c>make_one_shot_iterator</c>). Graph functions do not run
/// yet, so the node imports and exports but fails when it runs, with UnimplementedException naming
/// the node; <see cref="Dataset.MakeOneShotIterator"/> builds the same behaviour from IteratorV2 and
/// MakeIterator.
/// </summary>
internal sealed class OneShotIteratorSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("dataset_factory", "func"), new("output_types", "list(type)", Minimum: 1), new("output_shapes", "list(shape)", Minimum: 1),
        new("container", "string", Attr.String("")), new("shared_name", "string", Attr.String("")),
    ];

    public const string OpType = "OneShotIterator";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => ["handle: resource"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c) => c.AddOutput(DType.Resource, Shape.Scalar);

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var op = b.Op;
        var factory = op.GetAttr("dataset_factory")?.Func?.Name ?? "";
        return new LambdaKernel(_ => throw new UnimplementedException(
            $"OneShotIterator '{op.Name}' builds its dataset by running the graph function '{factory}', and graph functions cannot run yet; " +
            "make the iterator with IteratorV2 and MakeIterator (make_initializable_iterator) instead"), OutputKind.External);
    }
}
