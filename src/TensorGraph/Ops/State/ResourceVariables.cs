using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// VarHandleOp: a handle to a resource variable kept in the session, shared by (container,
/// shared_name) — the op name when shared_name is empty.
/// </summary>
internal sealed class VarHandleOpSpec : OpSpec, IVariableHandleSource
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
        var handle = new Tensor(DType.Resource, new object[] { b.Session.Variables.GetResource(ResourceKey(b.Op), b.Op) }, [], 1);
        return new LambdaKernel(ctx => ctx.SetOutput(0, handle), OutputKind.External);
    }

    /// <summary>The session resource a VarHandleOp names: its container and shared_name (its node name when empty).</summary>
    internal static string ResourceKey(Operation op)
    {
        var shared = op.GetAttrString("shared_name");
        return op.GetAttrString("container") + "/" + (shared.Length > 0 ? shared : op.Name);
    }

    /// <summary>The variable slot a resource handle tensor refers to.</summary>
    internal static VariableSlot Slot(Tensor handle) => VariableSlot.FromHandle(handle);

    public Shape DeclaredShape(Operation op) => op.GetAttrShape("shape");
}

/// <summary>ReadVariableOp: a snapshot of a resource variable's value.</summary>
internal sealed class ReadVariableOpSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("dtype", "type")];

    public const string OpType = "ReadVariableOp";

    public override string Type => OpType;

    /// <summary>TF's <c>_ReadGrad</c>: the value's gradient is the handle's.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Grad];

    protected override string[] InputArgs => ["resource: resource"];

    protected override string[] OutputArgs => ["value: dtype"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Resource);
        var shape = VariableHandles.DeclaredShape(c.Inputs[0]);
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

/// <summary>
/// ResourceGather: rows <c>indices</c> of a resource variable (TF's <c>tf.gather</c> on a
/// ResourceVariable, what <c>embedding_lookup</c> builds for one); output shape indices.shape +
/// value.shape[1:]. Only batch_dims = 0, as TF 1.15's CPU kernel.
/// </summary>
internal sealed class ResourceGatherSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("batch_dims", "int", Attr.Int(0)), new("validate_indices", "bool", Attr.Bool(true)), new("dtype", "type"), new("Tindices", "type")];

    public const string OpType = "ResourceGather";

    public override string Type => OpType;

    protected override string[] InputArgs => ["resource: resource", "indices: Tindices"];

    protected override string[] OutputArgs => ["output: dtype"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Resource);
        c.RequireType(1, DType.Int32, DType.Int64);
        if (c.AttrInt("batch_dims") != 0) throw c.Error($"ResourceGather supports batch_dims = 0 only, got {c.AttrInt("batch_dims")}");
        var var = VariableHandles.DeclaredShape(c.Inputs[0]);
        if (var.IsRankKnown && var.Rank == 0) throw c.Error($"params must be at least 1 dimensional, the variable '{c.Inputs[0].Op.Name}' is a scalar");
        var idx = c.InputShape(1);
        c.AddOutput(c.AttrType("dtype"), var.IsRankKnown && idx.IsRankKnown ? new Shape([.. idx.ToArray(), .. var.ToArray()[1..]]) : Shape.Unknown);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var dtype = b.OutputType(0);
        return new LambdaKernel(ctx =>
        {
            var slot = VariableSlot.FromHandle(ctx.Input(0), "input 0 ('resource')");
            var indices = ctx.Input(1);
            lock (slot.Sync)
            {
                var v = slot.ValueOrThrow();
                if (v.DType != dtype) throw new InvalidArgumentException($"Trying to read variable {slot.Op.Name} with dtype {dtype.Name()}, but it holds {v.DType.Name()}");
                if (v.Rank == 0) throw new InvalidArgumentException($"params must be at least 1 dimensional, {slot.Op.Name} is a scalar");
                int rows = v.Dims[0], width = rows == 0 ? 0 : v.Size / rows;
                for (int i = 0; i < indices.Size; i++)
                {
                    long k = indices.GetInt64(i);
                    if (k < 0 || k >= rows) throw new InvalidArgumentException($"indices[{i}] = {k} is not in [0, {rows})");
                }
                int[] dims = [.. indices.Dims, .. v.Dims[1..]];
                var o = ctx.AllocateOutput(0, dtype, dims);
                for (int i = 0; i < indices.Size; i++) Array.Copy(v.Data, indices.GetInt64(i) * width, o.Data, (long)i * width, width);
            }
        });
    }

    /// <summary>
    /// TF 1.15's <c>_GatherGrad</c> for ResourceGather: IndexedSlices(Reshape(grad, [size(indices)]
    /// + shape[1:]), Reshape(indices, [size(indices)]), VariableShape(handle)) for the handle.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var paramsShape = g.VariableShape(c.Input(0));
        var size = g.ExpandDims(g.Size(c.Input(1)), 0);
        var values = g.Reshape(c.Grad, g.Concat([size, paramsShape.Slice(SliceItem.Range(1, null))], 0));
        c.SetSparse(0, new IndexedSlices(values, g.Reshape(c.Input(1), size), paramsShape));
        return [null, null];
    }
}

/// <summary>VariableShape: the shape of a resource variable's current value (out_type int32 or int64).</summary>
internal sealed class VariableShapeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("out_type", "type", Attr.Type(DType.Int32))];

    public const string OpType = "VariableShape";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input: resource"];

    protected override string[] OutputArgs => ["output: out_type"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override bool IsStateful => true;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Resource);
        var type = c.AttrType("out_type");
        if (type != DType.Int32 && type != DType.Int64) throw c.Error($"out_type must be int32 or int64, got {type.Name()}");
        var var = VariableHandles.DeclaredShape(c.Inputs[0]);
        c.AddOutput(type, var.IsRankKnown ? new Shape(var.Rank) : Shape.UnknownOfRank(1));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var type = b.OutputType(0);
        return new LambdaKernel(ctx =>
        {
            var v = VariableSlot.FromHandle(ctx.Input(0), "input 0 ('input')").ValueOrThrow();
            var o = ctx.AllocateOutput(0, type, [v.Rank]);
            for (int d = 0; d < v.Rank; d++)
            {
                if (type == DType.Int32) o.Span<int>()[d] = v.Dims[d];
                else o.Span<long>()[d] = v.Dims[d];
            }
        });
    }
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

    /// <summary>A <c>ResourceGather</c>: rows <paramref name="indices"/> of a resource variable (its gradient is IndexedSlices).</summary>
    public Output ResourceGather(Output resource, Output indices, DType dtype, string? name = null) =>
        AddOp(ResourceGatherSpec.OpType, [resource, indices], name, attrs:
            [NamedAttr("dtype", Attr.Type(dtype)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("batch_dims", Attr.Int(0)), NamedAttr("validate_indices", Attr.Bool(true))])[0];

    /// <summary>A <c>VariableShape</c>: the shape of a resource variable's value.</summary>
    public Output VariableShape(Output resource, DType outType = DType.Int32, string? name = null) =>
        AddOp(VariableShapeSpec.OpType, [resource], name, attrs: [NamedAttr("out_type", Attr.Type(outType))])[0];
}
