using System.Text;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// IteratorFromStringHandleV2: the iterator a string handle (from IteratorToStringHandle in the
/// same session) names, checked against the declared element spec when one is given (TF's
/// <c>Iterator.from_string_handle</c>, a feedable iterator).
/// </summary>
internal sealed class IteratorFromStringHandleV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("output_types", "list(type)", Attr.Types([]), Minimum: 0), new("output_shapes", "list(shape)", Attr.Shapes([]), Minimum: 0)];

    public const string OpType = "IteratorFromStringHandleV2";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["string_handle: string"];

    protected override string[] OutputArgs => ["resource_handle: resource"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.String);
        c.AddOutput(DType.Resource, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var types = DatasetOps.Types(b.Op.GetAttr("output_types"));
        var shapes = DatasetOps.Shapes(b.Op.GetAttr("output_shapes"));
        var resources = b.Session.Resources;
        return new LambdaKernel(ctx =>
        {
            var h = ctx.Input(0);
            if (h.Rank != 0) throw new InvalidArgumentException($"string_handle must be a scalar, got shape {Shape.Format(h.Dims)}");
            var key = Encoding.UTF8.GetString(h.Span<byte[]>()[0]);
            var r = key.StartsWith("iterator:", StringComparison.Ordinal)
                ? resources.GetOrCreate(key, () => throw new NotFoundException($"No iterator with string handle '{key}' in this session"))
                : throw new InvalidArgumentException($"'{key}' is not an iterator string handle");
            var it = (IteratorResource)r;
            if (types.Length > 0 && !it.Types.SequenceEqual(types))
                throw new InvalidArgumentException($"Expected output types {DatasetOps.TypeList(types)} but got {DatasetOps.TypeList(it.Types)} from the iterator '{it.Name}'");
            for (int i = 0; i < shapes.Length && i < it.Shapes.Length; i++)
            {
                if (!shapes[i].IsCompatibleWith(it.Shapes[i]))
                    throw new InvalidArgumentException($"Expected output shape {shapes[i]} for component {i} but got {it.Shapes[i]} from the iterator '{it.Name}'");
            }
            ctx.SetOutput(0, it.ToTensor());
        }, OutputKind.External);
    }
}

public sealed partial class Graph
{
    /// <summary>An IteratorFromStringHandleV2 node: the iterator named by the string scalar <paramref name="stringHandle"/>.</summary>
    public Output IteratorFromStringHandleV2(Output stringHandle, DType[]? outputTypes = null, Shape[]? outputShapes = null, string? name = null) =>
        AddOp(IteratorFromStringHandleV2Spec.OpType, [stringHandle], name, attrs:
        [
            new("output_types", Attr.Types(outputTypes ?? [])), new("output_shapes", Attr.Shapes(outputShapes ?? [])),
        ])[0];
}
