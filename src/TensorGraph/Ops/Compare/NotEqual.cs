using System.Runtime.CompilerServices;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>NotEqual: element-wise x != y for every dtype incl. strings and bools, bool result.</summary>
internal sealed class NotEqualSpec : BinaryOpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("incompatible_shape_error", "bool", Attr.Bool(true))];

    public const string OpType = "NotEqual";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] OutputArgs => ["z: bool"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override DType[] Allowed => TypeSets.All;

    protected override Type Functor => typeof(NotEqualFunctor<>);

    protected override DType OutputType(DType input) => DType.Bool;

    public override Runtime.OpKernel CreateKernel(Runtime.KernelBuilder b) =>
        b.InputType(0) == DType.String
            ? BinaryKernels.Make(typeof(NotEqualStringFunctor), DType.String, DType.Bool)
            : base.CreateKernel(b);
}

internal readonly struct NotEqualFunctor<T> : IBinaryFunctor<NotEqualFunctor<T>, T, bool> where T : IEquatable<T>
{
    // IEquatable.Equals treats NaN as equal to NaN; TF compares floats with IEEE != (NaN != NaN).
    public static bool Apply(T x, T y) =>
        typeof(T) == typeof(float) ? Unsafe.As<T, float>(ref x) != Unsafe.As<T, float>(ref y)
        : typeof(T) == typeof(double) ? Unsafe.As<T, double>(ref x) != Unsafe.As<T, double>(ref y)
        : !x.Equals(y);
}

internal readonly struct NotEqualStringFunctor : IBinaryFunctor<NotEqualStringFunctor, byte[], bool>
{
    public static bool Apply(byte[] x, byte[] y) => !x.AsSpan().SequenceEqual(y);
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.not_equal</c>: element-wise not equal, bool result (not the C# == operator).</summary>
    public Output NotEqual(Output x, Output y, string? name = null) => Binary(NotEqualSpec.OpType, x, y, name);

    /// <summary><see cref="NotEqual(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>NotEqual/y</c>).</summary>
    public Output NotEqual(Output x, Tensor y, string? name = null) => BinaryWithLiteral(NotEqualSpec.OpType, x, y, false, name);

    /// <summary><see cref="NotEqual(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output NotEqual(Tensor x, Output y, string? name = null) => BinaryWithLiteral(NotEqualSpec.OpType, y, x, true, name);
}
