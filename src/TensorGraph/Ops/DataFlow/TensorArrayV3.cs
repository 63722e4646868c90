using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// TensorArrayV3: creates a tensor array of <c>size</c> elements of <c>dtype</c> for this run and
/// outputs its handle and a flow scalar (0, whose value means nothing: it orders the array's ops
/// and carries their gradients). Each execution makes a new array, named <c>tensor_array_name</c>
/// (or the node's name) plus <c>_</c> and a process-wide serial, as TF names it.
/// </summary>
internal sealed class TensorArrayV3Spec : OpSpec, ITensorArraySource
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("dtype", "type"), new("element_shape", "shape", Attr.Shape(Shape.Unknown)),
        new("dynamic_size", "bool", Attr.Bool(false)), new("clear_after_read", "bool", Attr.Bool(true)),
        new("identical_element_shapes", "bool", Attr.Bool(false)), new("tensor_array_name", "string", Attr.String("")),
    ];

    public const string OpType = "TensorArrayV3";

    public override string Type => OpType;

    /// <summary>TF 1.15: <c>ops.NotDifferentiable("TensorArrayV3")</c>.</summary>
    public override bool NotDifferentiable => true;

    public override bool IsStateful => true;

    protected override string[] InputArgs => ["size: int32"];

    protected override string[] OutputArgs => ["handle: resource", "flow: float"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        TensorArrayInference.CheckInputs(c, this, 0);
        c.AddOutput(DType.Resource, Shape.Scalar);
        c.AddOutput(DType.Float32, Shape.Scalar);
    }

    /// <summary>As TF's shape function: the element shape is known to consumers when it is fully defined or all elements share it.</summary>
    public Shape? HandleElementShape(Operation op, int output)
    {
        var s = op.GetAttrShape("element_shape");
        return output == 0 && (s.IsFullyDefined || op.GetAttrBool("identical_element_shapes")) ? s : null;
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var op = b.Op;
        var dtype = op.GetAttrType("dtype");
        var elementShape = op.GetAttrShape("element_shape");
        bool dynamic = op.GetAttrBool("dynamic_size"), clear = op.GetAttrBool("clear_after_read");
        bool identical = op.GetAttrBool("identical_element_shapes");
        var baseName = op.GetAttrString("tensor_array_name") is { Length: > 0 } n ? n : op.Name;
        var flow = Tensor.Scalar(0f);
        return new LambdaKernel(ctx =>
        {
            var sizeT = ctx.Input(0);
            if (sizeT.Rank != 0) throw OpContext.Error($"TensorArray size must be scalar, but had shape: {Shape.Format(sizeT.Dims)}");
            int size = sizeT.Scalar<int>();
            if (size < 0) throw OpContext.Error("Size should be >= 0.");
            var ta = ctx.RunResources.Create(op, serial => new TensorArrayResource($"{baseName}_{serial}", dtype, size, elementShape, identical, dynamic,
                multipleWritesAggregate: false, isGrad: false, markedSize: -1, clearAfterRead: clear));
            ctx.SetOutput(0, RunResources.Handle(ta));
            ctx.SetOutput(1, flow);
        }, OutputKind.External);
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// A raw <c>TensorArrayV3</c> node; returns (handle, flow). <see cref="TensorArray(DType, Output, bool, bool, string?, bool, Shape?, string?)"/>
    /// is the <c>tf.TensorArray</c>-shaped API over it.
    /// </summary>
    public (Output Handle, Output Flow) TensorArrayV3(Output size, DType dtype, Shape? elementShape = null, bool dynamicSize = false,
        bool clearAfterRead = true, bool identicalElementShapes = false, string tensorArrayName = "", string? name = null)
    {
        var op = AddOp(TensorArrayV3Spec.OpType, [size], name, null,
        [
            new("dtype", Attr.Type(dtype)), new("element_shape", Attr.Shape(elementShape ?? Shape.Unknown)),
            new("dynamic_size", Attr.Bool(dynamicSize)), new("clear_after_read", Attr.Bool(clearAfterRead)),
            new("identical_element_shapes", Attr.Bool(identicalElementShapes)), new("tensor_array_name", Attr.String(tensorArrayName)),
        ]);
        return (op[0], op[1]);
    }
}
