using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Add: x + y with broadcasting; on strings, concatenation (TF's <c>tf.add</c>).</summary>
internal sealed class AddSpec : BinaryOpSpec
{
    public const string OpType = "Add";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_AddGrad</c>: the gradient to both inputs, summed back to each input's shape.</summary>
    public override Output?[] Gradient(GradContext c) => AddGrad(c);

    /// <summary>The gradient of Add and AddV2.</summary>
    internal static Output?[] AddGrad(GradContext c) =>
        c.ShapesFullySpecifiedAndEqual() ? [c.Grad, c.Grad] : c.Unbroadcast(() => c.Grad, () => c.Grad);

    protected override DType[] Allowed => [.. TypeSets.Real, DType.String];

    protected override Type Functor => typeof(AddFunctor<>);

    public override Runtime.OpKernel CreateKernel(Runtime.KernelBuilder b) =>
        b.InputType(0) == DType.String
            ? BinaryKernels.Make(typeof(StringConcatFunctor), DType.String, DType.String)
            : base.CreateKernel(b);
}

/// <summary>AddV2: x + y with broadcasting (what the <c>+</c> operator emits).</summary>
internal sealed class AddV2Spec : BinaryOpSpec
{
    public const string OpType = "AddV2";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_AddGrad</c>, as for Add.</summary>
    public override Output?[] Gradient(GradContext c) => AddSpec.AddGrad(c);

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(AddFunctor<>);
}

internal readonly struct AddFunctor<T> : IBinaryFunctor<AddFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y) => x + y;

    public static void Span(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Add(x, y, d);

    public static void SpanScalar(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Add(x, y, d);

    public static void ScalarSpan(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Add(y, x, d);
}

internal readonly struct StringConcatFunctor : IBinaryFunctor<StringConcatFunctor, byte[], byte[]>
{
    public static byte[] Apply(byte[] x, byte[] y) => [.. x, .. y];
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.add</c>: an <c>Add</c> node (x + y, broadcasting; string concatenation).</summary>
    public Output Add(Output x, Output y, string? name = null) => Binary(AddSpec.OpType, x, y, name);

    /// <summary><see cref="Add(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>Add/y</c>).</summary>
    public Output Add(Output x, Tensor y, string? name = null) => BinaryWithLiteral(AddSpec.OpType, x, y, false, name);

    /// <summary><see cref="Add(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output Add(Tensor x, Output y, string? name = null) => BinaryWithLiteral(AddSpec.OpType, y, x, true, name);

    /// <summary>An <c>AddV2</c> node (x + y, broadcasting), what <c>x + y</c> emits.</summary>
    public Output AddV2(Output x, Output y, string? name = null) => Binary(AddV2Spec.OpType, x, y, name);

    internal Output AddOperator(Output x, Output y, string? name = null) =>
        Binary(x.DType == DType.String ? AddSpec.OpType : AddV2Spec.OpType, x, y, name ?? "add");
}
