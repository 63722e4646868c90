namespace TensorGraph;

/// <summary>
/// TF 1.x's <c>tf.TensorArray</c> (graph mode, <c>_GraphTensorArray</c>): a handle to a
/// per-run tensor array plus the flow tensor that orders the ops on it. Every op that changes the
/// array (<see cref="Write(Output, Output, string?)"/>, <see cref="Scatter"/>, <see cref="Split"/>,
/// <see cref="Unstack"/>) returns a new <c>TensorArray</c> carrying the new flow, which later
/// reads must use, as in TF's Python API. Objects made from one another share the element shape
/// they infer from the values written (with <see cref="InferShape"/>). Inside a while loop, pass
/// <see cref="Flow"/> as a loop variable and rebuild the array from it with <see cref="WithFlow"/>
/// (what <c>tf.while_loop</c> does for TensorArray loop variables).
/// </summary>
public sealed class TensorArray
{
    /// <summary>The element shape, shared by every object made from the same array (Python's <c>_element_shape</c> list).</summary>
    private sealed class ShapeCell(Shape shape)
    {
        public Shape Value = shape;
    }

    private readonly ShapeCell _shape;

    private TensorArray(Output handle, Output flow, DType dtype, bool inferShape, bool dynamicSize, ShapeCell shape)
    {
        Handle = handle;
        Flow = flow;
        DType = dtype;
        InferShape = inferShape;
        DynamicSize = dynamicSize;
        _shape = shape;
    }

    /// <summary>Creates the array with a <c>TensorArrayV3</c> node (see <see cref="Graph.TensorArray(DType, Output, bool, bool, string?, bool, Shape?, string?)"/>).</summary>
    internal static TensorArray Create(Graph g, DType dtype, Output? size, int constantSize, bool dynamicSize, bool clearAfterRead, string? tensorArrayName,
        bool inferShape, Shape? elementShape, string? name)
    {
        using var scope = g.NameScope(name ?? "TensorArray");
        var (handle, flow) = g.TensorArrayV3(size ?? g.Constant(constantSize, name: "size"), dtype, elementShape, dynamicSize, clearAfterRead, identicalElementShapes: inferShape,
            tensorArrayName: tensorArrayName ?? "", name: g.CurrentNameScope + "/");
        return new TensorArray(handle, flow, dtype, inferShape, dynamicSize, new ShapeCell(elementShape ?? Shape.Unknown));
    }

    /// <summary>
    /// An object for an existing array: its <paramref name="handle"/> and current <paramref name="flow"/>
    /// (TF's <c>TensorArray(dtype, handle=…, flow=…)</c>, which the TensorArray gradients use).
    /// </summary>
    public static TensorArray FromHandle(Output handle, Output flow, DType dtype, bool inferShape = true)
    {
        if (handle.DType != DType.Resource) throw new InvalidArgumentException($"A TensorArray handle is a resource tensor, but '{handle.Name}' is {handle.DType.Name()}");
        if (flow.DType != DType.Float32) throw new InvalidArgumentException($"A TensorArray flow is a float32 tensor, but '{flow.Name}' is {flow.DType.Name()}");
        return new TensorArray(handle, flow, dtype, inferShape, dynamicSize: false, new ShapeCell(Shape.Unknown));
    }

    /// <summary>The resource handle (output 0 of TensorArrayV3).</summary>
    public Output Handle { get; }

    /// <summary>The flow tensor: the array's state as far as dataflow ordering and gradients go.</summary>
    public Output Flow { get; }

    /// <summary>The dtype of the elements.</summary>
    public DType DType { get; }

    /// <summary>Whether the element shape is inferred from the values written (TF's <c>infer_shape</c>, the op's <c>identical_element_shapes</c>).</summary>
    public bool InferShape { get; }

    /// <summary>Whether writes past the end grow the array.</summary>
    public bool DynamicSize { get; }

    /// <summary>The element shape as far as build time knows it.</summary>
    public Shape ElementShape => _shape.Value;

    private Graph G => Handle.Graph;

    /// <summary>The same array with <paramref name="flow"/> as its flow (TF's <c>build_ta_with_new_flow</c>).</summary>
    public TensorArray WithFlow(Output flow) => new(Handle, flow, DType, InferShape, DynamicSize, _shape);

    /// <summary>TF's <c>identity()</c>: the same array with an Identity of the flow.</summary>
    public TensorArray Identity() => WithFlow(G.Identity(Flow));

    /// <summary>
    /// The gradient array for gradient computation <paramref name="source"/> (TF's <c>grad</c>):
    /// <c>TensorArrayGrad/TensorArrayGradV3</c> and the flow <c>TensorArrayGrad/gradient_flow</c>,
    /// an Identity of <paramref name="flow"/> (default: this array's) that runs after the gradient array exists.
    /// </summary>
    public TensorArray Grad(string source, Output? flow = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var f = flow ?? Flow;
        var g = G;
        using var scope = g.NameScope(name ?? "TensorArrayGrad");
        var (gradHandle, _) = g.TensorArrayGradV3(Handle, f, source, name);
        Output gradFlow;
        using (g.ControlDependencies(gradHandle.Op)) gradFlow = g.Identity(f, name: "gradient_flow");
        return new TensorArray(gradHandle, gradFlow, DType, InferShape, dynamicSize: false, _shape);
    }

    /// <summary>Reads element <paramref name="index"/> (<c>TensorArrayReadV3</c>); its static shape is the element shape.</summary>
    public Output Read(Output index, string? name = null)
    {
        var value = G.TensorArrayReadV3(Handle, index, Flow, DType, name);
        if (ElementShape.IsRankKnown) G.SetShape(value, ElementShape);
        return value;
    }

    /// <summary>Reads element <paramref name="index"/>.</summary>
    public Output Read(int index, string? name = null) => Read(G.Constant(index), name);

    /// <summary>Writes <paramref name="value"/> at <paramref name="index"/> (<c>TensorArrayWrite/TensorArrayWriteV3</c>); returns the array with the new flow.</summary>
    public TensorArray Write(Output index, Output value, string? name = null)
    {
        var g = G;
        using var scope = g.NameScope(name ?? "TensorArrayWrite");
        CheckDType(value);
        CheckElementShape(value.Shape);
        return WithFlow(g.TensorArrayWriteV3(Handle, index, value, Flow, name));
    }

    /// <summary>Writes <paramref name="value"/> at <paramref name="index"/>.</summary>
    public TensorArray Write(int index, Output value, string? name = null) => Write(G.Constant(index), value, name);

    /// <summary>All elements stacked along a new axis 0 (<c>TensorArrayStack/</c>: TensorArraySizeV3, range, TensorArrayGatherV3).</summary>
    public Output Stack(string? name = null)
    {
        var g = G;
        using var scope = g.NameScope(name ?? "TensorArrayStack");
        var size = Size();
        Output range;
        using (g.NameScope("range"))
        {
            var exact = g.CurrentNameScope + "/";
            range = g.Range(g.Constant(0, name: "start"), size, g.Constant(1, name: "delta"), exact);
        }
        return Gather(range, name);
    }

    /// <summary>The elements at <paramref name="indices"/> stacked along a new axis 0 (<c>TensorArrayGatherV3</c>).</summary>
    public Output Gather(Output indices, string? name = null)
    {
        var value = G.TensorArrayGatherV3(Handle, indices, Flow, DType, ElementShape, name);
        if (ElementShape.IsRankKnown) G.SetShape(value, new Shape([-1, .. ElementShape.ToArray()]));
        return value;
    }

    /// <summary>All elements concatenated along their axis 0 (<c>TensorArrayConcatV3</c>; the lengths output is not returned).</summary>
    public Output Concat(string? name = null)
    {
        var except0 = ElementShape.IsRankKnown && ElementShape.Rank > 0 ? new Shape(ElementShape.ToArray()[1..]) : Shape.Unknown;
        var (value, _) = G.TensorArrayConcatV3(Handle, Flow, DType, except0, name);
        if (ElementShape.IsRankKnown && ElementShape.Rank > 0) G.SetShape(value, new Shape([-1, .. except0.ToArray()]));
        return value;
    }

    /// <summary>Writes the rows of <paramref name="value"/> as elements 0, 1, … (<c>TensorArrayUnstack/</c>: Shape, strided_slice, range, TensorArrayScatter).</summary>
    public TensorArray Unstack(Output value, string? name = null)
    {
        var g = G;
        using var scope = g.NameScope(name ?? "TensorArrayUnstack");
        var num = g.ShapeOf(value)[0];
        Output range;
        using (g.NameScope("range"))
        {
            var exact = g.CurrentNameScope + "/";
            range = g.Range(g.Constant(0, name: "start"), num, g.Constant(1, name: "delta"), exact);
        }
        return Scatter(range, value, name);
    }

    /// <summary>Writes the rows of <paramref name="value"/> at <paramref name="indices"/> (<c>TensorArrayScatter/TensorArrayScatterV3</c>).</summary>
    public TensorArray Scatter(Output indices, Output value, string? name = null)
    {
        var g = G;
        using var scope = g.NameScope(name ?? "TensorArrayScatter");
        CheckDType(value);
        if (value.Shape.IsRankKnown && value.Shape.Rank > 0) CheckElementShape(new Shape(value.Shape.ToArray()[1..]));
        return WithFlow(g.TensorArrayScatterV3(Handle, indices, value, Flow, name));
    }

    /// <summary>
    /// Splits <paramref name="value"/> along axis 0 into pieces of <paramref name="lengths"/> rows,
    /// one element each (<c>TensorArraySplit/</c>: Cast to int64, TensorArraySplitV3).
    /// </summary>
    public TensorArray Split(Output value, Output lengths, string? name = null)
    {
        var g = G;
        using var scope = g.NameScope(name ?? "TensorArraySplit");
        CheckDType(value);
        var lengths64 = g.Cast(lengths, DType.Int64);
        if (value.Shape.IsRankKnown && value.Shape.Rank > 0 && g.TryConstantValue(lengths64) is { Size: > 0 } cl)
        {
            var l = Enumerable.Range(0, cl.Size).Select(cl.GetInt64).ToArray();
            if (l.Min() == l.Max() && l[0] <= int.MaxValue) CheckElementShape(new Shape([(int)l[0], .. value.Shape.ToArray()[1..]]));
        }
        return WithFlow(g.TensorArraySplitV3(Handle, value, lengths64, Flow, name));
    }

    /// <summary>The current number of elements (<c>TensorArraySizeV3</c>).</summary>
    public Output Size(string? name = null) => G.TensorArraySizeV3(Handle, Flow, name);

    /// <summary>Closes the array (<c>TensorArrayCloseV3</c>); later ops on it fail.</summary>
    public Operation Close(string? name = null) => G.TensorArrayCloseV3(Handle, name);

    private void CheckDType(Output value)
    {
        if (value.DType != DType)
            throw new InvalidArgumentException($"TensorArray dtype is {DType.Name()} but Op is trying to write dtype {value.DType.Name()} ('{value.Name}')");
    }

    /// <summary>TF's <c>_check_element_shape</c>: the value's shape must fit, and refines the element shape when it is inferred.</summary>
    private void CheckElementShape(Shape shape)
    {
        lock (_shape)
        {
            if (!shape.IsCompatibleWith(_shape.Value))
                throw new InvalidArgumentException($"Inconsistent shapes: saw {shape} but expected {_shape.Value}");
            if (InferShape) _shape.Value = _shape.Value.MergeWith(shape);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.x's <c>tf.TensorArray(dtype, size, dynamic_size, clear_after_read, tensor_array_name,
    /// infer_shape, element_shape)</c>: a <c>TensorArrayV3</c> node named <c>TensorArray</c> (or
    /// <paramref name="name"/>) whose array lives for one run. Elements are written once and, with
    /// <paramref name="clearAfterRead"/>, read once; <paramref name="inferShape"/> makes every element
    /// share the shape of the first one written.
    /// </summary>
    public TensorArray TensorArray(DType dtype, Output size, bool dynamicSize = false, bool clearAfterRead = true, string? tensorArrayName = null,
        bool inferShape = true, Shape? elementShape = null, string? name = null) =>
        global::TensorGraph.TensorArray.Create(this, dtype, size, 0, dynamicSize, clearAfterRead, tensorArrayName, inferShape, elementShape, name);

    /// <summary>TF's <c>tf.TensorArray</c> with a constant size.</summary>
    public TensorArray TensorArray(DType dtype, int size, bool dynamicSize = false, bool clearAfterRead = true, string? tensorArrayName = null,
        bool inferShape = true, Shape? elementShape = null, string? name = null) =>
        global::TensorGraph.TensorArray.Create(this, dtype, null, size, dynamicSize, clearAfterRead, tensorArrayName, inferShape, elementShape, name);
}
