using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// VarHandleOp: a handle to a resource variable kept in the session, shared by (container,
/// shared_name) — the op name when shared_name is empty.
/// </summary>
internal sealed class VarHandleOpSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("container", "string", Attr.String("")), new("shared_name", "string", Attr.String("")),
        new("dtype", "type"), new("shape", "shape"), new("allowed_devices", "list(string)", Optional: true),
    ];

    public const string OpType = "VarHandleOp";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => [];

    protected override string[] OutputArgs => ["resource: resource"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c) => c.AddOutput(DType.Resource, Shape.Scalar);

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var shared = b.Op.GetAttrString("shared_name");
        var key = b.Op.GetAttrString("container") + "/" + (shared.Length > 0 ? shared : b.Op.Name);
        var handle = new Tensor(DType.Resource, new object[] { b.Session.Variables.GetResource(key, b.Op) }, [], 1);
        return new LambdaKernel(ctx => ctx.SetOutput(0, handle), OutputKind.External);
    }

    /// <summary>The variable slot a resource handle tensor refers to.</summary>
    internal static VariableSlot Slot(Tensor handle) =>
        handle.DType == DType.Resource && handle.Size == 1 && handle.Data.GetValue(0) is VariableSlot s
            ? s
            : throw new InvalidArgumentException("Expected a resource variable handle");
}

/// <summary>ReadVariableOp: a snapshot of a resource variable's value.</summary>
internal sealed class ReadVariableOpSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("dtype", "type")];

    public const string OpType = "ReadVariableOp";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["resource: resource"];

    protected override string[] OutputArgs => ["value: dtype"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Resource);
        var h = c.Inputs[0].Op;
        var shape = h.Type == VarHandleOpSpec.OpType ? h.GetAttrShape("shape") : Shape.Unknown;
        c.AddOutput(c.AttrType("dtype"), shape);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var dtype = b.OutputType(0);
        return new LambdaKernel(ctx =>
        {
            var slot = VarHandleOpSpec.Slot(ctx.Input(0));
            var v = slot.Value ?? throw new FailedPreconditionException(
                $"Error while reading resource variable {slot.Op.Name}: it is uninitialized ({slot.Op.Location?.Describe(slot.Op.Name) ?? "defined at ?"})");
            if (v.DType != dtype) throw new InvalidArgumentException($"Trying to read variable {slot.Op.Name} with dtype {dtype.Name()}, but it holds {v.DType.Name()}");
            var o = ctx.AllocateOutput(0, dtype, v.Dims);
            Array.Copy(v.Data, o.Data, v.Size);
        });
    }
}

/// <summary>AssignVariableOp: stores a value into a resource variable.</summary>
internal sealed class AssignVariableOpSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("dtype", "type")];

    public const string OpType = "AssignVariableOp";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["resource: resource", "value: dtype"];

    protected override string[] OutputArgs => [];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Resource);
        var h = c.Inputs[0].Op;
        var varType = h.Type == VarHandleOpSpec.OpType ? h.GetAttrType("dtype") : c.AttrType("dtype");
        if (c.InputType(1) != c.AttrType("dtype") || c.InputType(1) != varType)
            throw c.Error($"The value has dtype {c.InputType(1).Name()} but the variable's dtype is {varType.Name()}");
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var slot = VarHandleOpSpec.Slot(ctx.Input(0));
        var v = ctx.Input(1);
        lock (slot.Sync)
        {
            var cur = slot.Value;
            if (cur is not null && cur.DType == v.DType && cur.Dims.SequenceEqual(v.Dims)) Array.Copy(v.Data, cur.Data, v.Size);
            else slot.Value = v.Clone();
        }
    });
}

/// <summary>VarIsInitializedOp: whether a resource variable holds a value.</summary>
internal sealed class VarIsInitializedOpSpec : OpSpec
{
    public const string OpType = "VarIsInitializedOp";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["resource: resource"];

    protected override string[] OutputArgs => ["is_initialized: bool"];

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Resource);
        c.AddOutput(DType.Bool, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
        ctx.AllocateOutput(0, DType.Bool, []).Span<bool>()[0] = VarHandleOpSpec.Slot(ctx.Input(0)).Value is not null);
}

public sealed partial class Graph
{
    /// <summary>A <c>VarHandleOp</c>: the handle of a resource variable.</summary>
    public Output VarHandleOp(DType dtype, Shape shape, string sharedName = "", string? name = null) =>
        AddOp(VarHandleOpSpec.OpType, [], name, attrs:
            [NamedAttr("dtype", Attr.Type(dtype)), NamedAttr("shape", Attr.Shape(shape)), NamedAttr("shared_name", Attr.String(sharedName)), NamedAttr("container", Attr.String(""))])[0];

    /// <summary>A <c>ReadVariableOp</c>: reads a resource variable.</summary>
    public Output ReadVariableOp(Output resource, DType dtype, string? name = null) =>
        AddOp(ReadVariableOpSpec.OpType, [resource], name, attrs: [NamedAttr("dtype", Attr.Type(dtype))])[0];

    /// <summary>An <c>AssignVariableOp</c>: assigns a resource variable.</summary>
    public Operation AssignVariableOp(Output resource, Output value, string? name = null) =>
        AddOp(AssignVariableOpSpec.OpType, [resource, value], name, attrs: [NamedAttr("dtype", Attr.Type(value.DType))]);

    /// <summary>A <c>VarIsInitializedOp</c>: whether a resource variable is initialized.</summary>
    public Output VarIsInitializedOp(Output resource, string? name = null) =>
        AddOp(VarIsInitializedOpSpec.OpType, [resource], name)[0];
}
