using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// The iterator-handle ops (IteratorV2 and its v1 form Iterator, which differ only in name): an
/// iterator living in the session under (container, shared_name) — or, with no shared name, under
/// the node — with no dataset until a MakeIterator runs (TF's <c>make_initializable_iterator</c>
/// builds one).
/// </summary>
internal abstract class IteratorHandleSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("shared_name", "string"), new("container", "string"),
        new("output_types", "list(type)", Minimum: 1), new("output_shapes", "list(shape)", Minimum: 1),
    ];

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => ["handle: resource"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        if (DatasetOps.Types(c.Attr("output_types")).Length != DatasetOps.Shapes(c.Attr("output_shapes")).Length)
            throw c.Error("output_types and output_shapes must have the same length");
        c.AddOutput(DType.Resource, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var op = b.Op;
        var types = DatasetOps.Types(op.GetAttr("output_types"));
        var shapes = DatasetOps.Shapes(op.GetAttr("output_shapes"));
        var shared = op.GetAttrString("shared_name");
        var key = DatasetOps.IteratorKey(op, shared);
        var resources = b.Session.Resources;
        return new LambdaKernel(ctx =>
        {
            var r = resources.GetOrCreate(key, () => new IteratorResource(key, shared.Length > 0 ? shared : op.Name, types, shapes));
            if (r is not IteratorResource it)
                throw new InvalidArgumentException($"Shared resource '{shared}' is not an iterator");
            if (!it.Types.SequenceEqual(types))
                throw new InvalidArgumentException($"Shared iterator '{it.Name}' has output types {DatasetOps.TypeList(it.Types)} but the node requested {DatasetOps.TypeList(types)}");
            ctx.SetOutput(0, it.ToTensor());
        }, OutputKind.External);
    }
}
