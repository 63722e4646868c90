using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// IteratorV2: an iterator living in the session under (container, shared_name) — or, with no
/// shared name, under the node — with no dataset until a MakeIterator runs (TF's
/// <c>make_initializable_iterator</c> builds one).
/// </summary>
internal sealed class IteratorV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("shared_name", "string"), new("container", "string"),
        new("output_types", "list(type)", Minimum: 1), new("output_shapes", "list(shape)", Minimum: 1),
    ];

    public const string OpType = "IteratorV2";

    public override string Type => OpType;

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
        var key = "iterator:" + op.GetAttrString("container") + "/" + (shared.Length > 0 ? shared : "\u0001" + op.Name);
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

public sealed partial class Graph
{
    /// <summary>An IteratorV2 node: an iterator of elements <paramref name="outputTypes"/>/<paramref name="outputShapes"/>, positioned by <see cref="MakeIterator"/>.</summary>
    public Output IteratorV2(DType[] outputTypes, Shape[] outputShapes, string sharedName = "", string container = "", string? name = null) =>
        AddOp(IteratorV2Spec.OpType, [], name ?? "Iterator", attrs:
        [
            .. DatasetElementAttrs(outputTypes, outputShapes), new("shared_name", Attr.String(sharedName)), new("container", Attr.String(container)),
        ])[0];
}
