using TensorGraph.Functions;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// FilterDataset: the elements of the input for which library function <c>predicate</c> (the
/// element's components, then <c>other_arguments</c>) returns a true bool scalar (TF's
/// <c>Dataset.filter</c>); the elements are unchanged.
/// </summary>
internal sealed class FilterDatasetSpec : UnaryDatasetOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("predicate", "func"), new("Targuments", "list(type)", Minimum: 0), .. ElementAttrs()];

    public const string OpType = "FilterDataset";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input_dataset: variant", "other_arguments: Targuments"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var types = DatasetOps.Types(b.Op.GetAttr("output_types"));
        var shapes = DatasetOps.Shapes(b.Op.GetAttr("output_shapes"));
        var predicate = FunctionRuntime.Bind(b, b.Op.GetAttr("predicate").Func);
        var node = b.Op.Name;
        return new LambdaKernel(ctx =>
        {
            var input = Input(ctx, types);
            var captured = DatasetOps.CapturedArguments(ctx, 1);
            var d = new TransformDataset(OpType, input, types, shapes, (element, c) =>
            {
                var r = DatasetOps.CallElementFunction(predicate, element, captured, c);
                if (r.Length != 1 || r[0].DType != DType.Bool || r[0].Size != 1 || r[0].Rank != 0)
                    throw new InvalidArgumentException(
                        $"The predicate of '{node}' ({predicate.Name}) must return a scalar boolean tensor, got {r.Length} result(s){(r.Length > 0 ? $" of dtype {r[0].DType.Name()} and shape {Shape.Format(r[0].Dims)}" : "")}")
                    { NodeName = node };
                return r[0].Scalar<bool>() ? element : null;
            });
            ctx.SetOutput(0, d.ToTensor());
        }, OutputKind.External);
    }

    protected override DatasetBase Create(OpContext ctx, DType[] types, Shape[] shapes) =>
        throw new InternalException("FilterDataset makes its dataset in its own kernel");
}

public sealed partial class Graph
{
    /// <summary>A FilterDataset node: the elements of <paramref name="inputDataset"/> for which <paramref name="predicate"/> returns true.</summary>
    public Output FilterDataset(Output inputDataset, Output[] otherArguments, string predicate, DType[] outputTypes, Shape[] outputShapes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(otherArguments);
        ArgumentNullException.ThrowIfNull(predicate);
        return AddOp(FilterDatasetSpec.OpType, [inputDataset, .. otherArguments], name, attrs:
            [new("predicate", new AttrValue { Func = new NameAttrList { Name = predicate } }), new("Targuments", Attr.Types(otherArguments.Select(a => a.DType))),
             .. DatasetElementAttrs(outputTypes, outputShapes)])[0];
    }
}
