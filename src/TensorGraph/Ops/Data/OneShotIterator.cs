using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// OneShotIterator: an iterator whose dataset is made by running the library function
/// <c>dataset_factory</c> (no arguments, one variant result) the first time the node runs in a
/// session (TF's <c>make_one_shot_iterator</c>). It cannot be restarted: later runs return the same
/// iterator, and a factory that failed fails again with the same error. A new session starts over.
/// <see cref="Dataset.MakeOneShotIterator"/> builds the same behaviour from IteratorV2 and
/// MakeIterator, without a function.
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
        var types = DatasetOps.Types(op.GetAttr("output_types"));
        var shapes = DatasetOps.Shapes(op.GetAttr("output_shapes"));
        var shared = op.GetAttrString("shared_name");
        var key = DatasetOps.IteratorKey(op, shared);
        var factory = Functions.FunctionRuntime.Bind(b, op.GetAttr("dataset_factory")?.Func
            ?? throw new InvalidArgumentException($"OneShotIterator '{op.Name}' has no dataset_factory function") { NodeName = op.Name });
        if (factory.ArgTypes.Length != 0 || factory.RetTypes is not [DType.Variant])
            throw new InvalidArgumentException(
                $"The dataset_factory function '{factory.Name}' of OneShotIterator '{op.Name}' must take no arguments and return one variant (a dataset); " +
                $"it takes {DatasetOps.TypeList(factory.ArgTypes)} and returns {DatasetOps.TypeList(factory.RetTypes)}") { NodeName = op.Name };
        var resources = b.Session.Resources;
        return new LambdaKernel(ctx =>
        {
            var r = resources.GetOrCreate(key, () => new IteratorResource(key, shared.Length > 0 ? shared : op.Name, types, shapes));
            if (r is not IteratorResource it)
                throw new InvalidArgumentException($"Shared resource '{shared}' is not an iterator");
            it.StartOnce(() => DatasetBase.Resolve(factory.Call([], ctx)[0], $"the result of {factory.Name}"), ctx);
            ctx.SetOutput(0, it.ToTensor());
        }, OutputKind.External);
    }
}
