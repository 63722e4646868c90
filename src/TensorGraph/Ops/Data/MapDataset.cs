using TensorGraph.Functions;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// MapDataset: each element of the input passed through library function <c>f</c> (TF's
/// <c>Dataset.map</c>). The function takes the element's components followed by
/// <c>other_arguments</c> (the captured tensors, evaluated when the dataset is made) and returns
/// the new element, which must have <c>output_types</c>. The body runs as a plan of its own in the
/// session that iterates the dataset.
/// </summary>
internal sealed class MapDatasetSpec : UnaryDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("f", "func"), new("Targuments", "list(type)", Minimum: 0), .. ElementAttrs(),
         new("use_inter_op_parallelism", "bool", Attr.Bool(true)), new("preserve_cardinality", "bool", Attr.Bool(false))];

    public const string OpType = "MapDataset";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input_dataset: variant", "other_arguments: Targuments"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var types = DatasetOps.Types(b.Op.GetAttr("output_types"));
        var shapes = DatasetOps.Shapes(b.Op.GetAttr("output_shapes"));
        var f = FunctionRuntime.Bind(b, b.Op.GetAttr("f").Func);
        var node = b.Op.Name;
        return new LambdaKernel(ctx =>
        {
            var input = DatasetBase.Resolve(ctx.Input(0));
            var captured = DatasetOps.CapturedArguments(ctx, 1);
            var d = new TransformDataset(OpType, input, types, shapes, (element, c) =>
                DatasetOps.CheckElement(DatasetOps.CallElementFunction(f, element, captured, c), types, node, f.Name));
            ctx.SetOutput(0, d.ToTensor());
        }, OutputKind.External);
    }

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes) =>
        throw new InternalException("MapDataset makes its dataset in its own kernel");
}

public sealed partial class Graph
{
    /// <summary>
    /// A MapDataset node: elements of <paramref name="inputDataset"/> through library function
    /// <paramref name="function"/> (arguments: the element's components, then <paramref name="otherArguments"/>).
    /// </summary>
    public Output MapDataset(Output inputDataset, Output[] otherArguments, string function, DType[] outputTypes, Shape[] outputShapes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(otherArguments);
        ArgumentNullException.ThrowIfNull(function);
        return AddOp(MapDatasetSpec.OpType, [inputDataset, .. otherArguments], name, attrs:
            [new("f", new AttrValue { Func = new NameAttrList { Name = function } }), new("Targuments", Attr.Types(otherArguments.Select(a => a.DType))),
             .. DatasetElementAttrs(outputTypes, outputShapes)])[0];
    }
}
