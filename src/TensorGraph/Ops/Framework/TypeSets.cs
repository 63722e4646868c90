namespace TensorGraph.Ops;

/// <summary>TF's dtype sets for attr constraints (restricted to the dtypes TensorGraph stores).</summary>
internal static class TypeSets
{
    public static readonly DType[] Float = [DType.Float32, DType.Float64];
    public static readonly DType[] Int = [DType.Int32, DType.Int64];
    public static readonly DType[] Real = [DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.UInt8, DType.Int8, DType.Int16, DType.UInt16];
    public static readonly DType[] Signed = [DType.Float32, DType.Float64, DType.Int32, DType.Int64, DType.Int8, DType.Int16];
    public static readonly DType[] FloatInt = [DType.Float32, DType.Float64, DType.Int32, DType.Int64];
    public static readonly DType[] All = [.. Real, DType.Bool, DType.String];
}

/// <summary>An element-wise binary op with broadcasting: attr T, output dtype T (or bool for comparisons).</summary>
internal abstract class BinaryOpSpec : OpSpec
{
    private IReadOnlyList<AttrSpec>? _attrs;

    /// <summary>The attr <c>T</c>, constrained to <see cref="Allowed"/>.</summary>
    public override IReadOnlyList<AttrSpec> Attrs => _attrs ??= [new("T", "type", AllowedTypes: Allowed)];

    protected override string[] InputArgs => ["x: T", "y: T"];

    protected override string[] OutputArgs => ["z: T"];

    protected abstract DType[] Allowed { get; }

    protected internal override IReadOnlyList<DType>? ImpliedAllowedTypes(string attr) => attr == "T" ? Allowed : null;

    /// <summary>The open generic functor struct, e.g. <c>typeof(AddFunctor&lt;&gt;)</c>.</summary>
    protected abstract Type Functor { get; }

    protected virtual DType OutputType(DType input) => input;

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        c.RequireType(0, Allowed);
        c.AddOutput(OutputType(c.InputType(0)), Kernels.Broadcast.StaticShape(c.InputShape(0), c.InputShape(1), Type));
    }

    public override Runtime.OpKernel CreateKernel(Runtime.KernelBuilder b) =>
        Kernels.BinaryKernels.Make(Functor, b.InputType(0), OutputType(b.InputType(0)));
}

/// <summary>An element-wise unary op: attr T, same shape.</summary>
internal abstract class UnaryOpSpec : OpSpec
{
    private IReadOnlyList<AttrSpec>? _attrs;

    /// <summary>The attr <c>T</c>, constrained to <see cref="Allowed"/>.</summary>
    public override IReadOnlyList<AttrSpec> Attrs => _attrs ??= [new("T", "type", AllowedTypes: Allowed)];

    protected override string[] InputArgs => ["x: T"];

    protected override string[] OutputArgs => ["y: T"];

    protected abstract DType[] Allowed { get; }

    protected internal override IReadOnlyList<DType>? ImpliedAllowedTypes(string attr) => attr == "T" ? Allowed : null;

    protected abstract Type Functor { get; }

    protected virtual DType OutputType(DType input) => input;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, Allowed);
        c.AddOutput(OutputType(c.InputType(0)), c.InputShape(0));
    }

    public override Runtime.OpKernel CreateKernel(Runtime.KernelBuilder b) =>
        Kernels.UnaryKernels.Make(Functor, b.InputType(0), OutputType(b.InputType(0)));
}
