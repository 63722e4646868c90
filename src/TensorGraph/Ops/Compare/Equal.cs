using System.Runtime.CompilerServices;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Equal: element-wise x == y for every dtype incl. strings and bools, bool result.</summary>
internal sealed class EqualSpec : BinaryOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("incompatible_shape_error", "bool", Attr.Bool(true))];

    public const string OpType = "Equal";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] OutputArgs => ["z: bool"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override DType[] Allowed => TypeSets.All;

    protected override Type Functor => typeof(EqualFunctor<>);

    protected override DType OutputType(DType input) => DType.Bool;

    public override Runtime.OpKernel CreateKernel(Runtime.KernelBuilder b) =>
        b.InputType(0) == DType.String
            ? BinaryKernels.Make(typeof(EqualStringFunctor), DType.String, DType.Bool)
            : base.CreateKernel(b);
}

internal readonly struct EqualFunctor<T> : IBinaryFunctor<EqualFunctor<T>, T, bool> where T : IEquatable<T>
{
    // IEquatable.Equals treats NaN as equal to NaN; TF compares floats with IEEE ==.
    public static bool Apply(T x, T y) =>
        typeof(T) == typeof(float) ? Unsafe.As<T, float>(ref x) == Unsafe.As<T, float>(ref y)
        : typeof(T) == typeof(double) ? Unsafe.As<T, double>(ref x) == Unsafe.As<T, double>(ref y)
        : x.Equals(y);
}

internal readonly struct EqualStringFunctor : IBinaryFunctor<EqualStringFunctor, byte[], bool>
{
    public static bool Apply(byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y);
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.equal</c>: element-wise equal, bool result (not the C# == operator).</summary>
    public Output Equal(Output x, Output y, string? name = null) => Binary(EqualSpec.OpType, x, y, name);

    /// <summary><see cref="Equal(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>Equal/y</c>).</summary>
    public Output Equal(Output x, Tensor y, string? name = null) => BinaryWithLiteral(EqualSpec.OpType, x, y, false, name);

    /// <summary><see cref="Equal(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output Equal(Tensor x, Output y, string? name = null) => BinaryWithLiteral(EqualSpec.OpType, y, x, true, name);
}
