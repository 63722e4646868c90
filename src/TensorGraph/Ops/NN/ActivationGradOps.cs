using System.Numerics;
using System.Runtime.InteropServices;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Shape helpers for the element-wise gradient helper ops, whose two inputs must have equal shapes.</summary>
internal static class NnShapes
{
    /// <summary>The merged static shape of inputs <paramref name="a"/> and <paramref name="b"/> (TF's MergeBothInputsShapeFn).</summary>
    public static Shape MergeSame(InferContext c, int a, int b)
    {
        var sa = c.InputShape(a);
        var sb = c.InputShape(b);
        if (!sa.IsCompatibleWith(sb))
            throw c.Error($"{c.Type} needs inputs of the same shape, got {sa} and {sb}");
        return sa.MergeWith(sb);
    }

    /// <summary>Run-time check that two inputs have identical dimensions.</summary>
    public static void RequireSameDims(Tensor a, Tensor b, string op)
    {
        if (!a.Dims.SequenceEqual(b.Dims))
            throw new InvalidArgumentException($"{op}: inputs must have the same shape, got {Shape.Format(a.Dims)} and {Shape.Format(b.Dims)}");
    }
}

/// <summary>An element-wise op of two same-shaped inputs (no broadcasting), attr T.</summary>
internal abstract class SameShapeBinaryOpSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> TAttr = [new("T", "type")];

    public override IReadOnlyList<AttrSpec> Attrs => TAttr;

    protected abstract DType[] Allowed { get; }

    /// <summary>The open generic functor struct.</summary>
    protected abstract Type Functor { get; }

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        c.RequireType(0, Allowed);
        c.AddOutput(c.InputType(0), NnShapes.MergeSame(c, 0, 1));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var t = b.InputType(0).ClrType();
        Type op;
        try
        {
            op = Functor.MakeGenericType(t);
        }
        catch (ArgumentException)
        {
            throw new UnimplementedException($"{Type} has no kernel for {b.InputType(0).Name()}");
        }
        var k = typeof(SameShapeBinaryKernel<,>).MakeGenericType(t, op);
        return (OpKernel)Activator.CreateInstance(k, Type)!;
    }
}

/// <summary>Kernel of <see cref="SameShapeBinaryOpSpec"/>: checks the shapes, then applies the functor.</summary>
internal sealed class SameShapeBinaryKernel<T, TOp>(string opType) : OpKernel where TOp : struct, IBinaryOp<TOp, T, T>
{
    public override void Compute(OpContext ctx)
    {
        var a = ctx.Input(0);
        var b = ctx.Input(1);
        NnShapes.RequireSameDims(a, b, opType);
        var o = ctx.AllocateOutput(0, a.DType, a.Dims);
        TOp.Span(a.Span<T>(), b.Span<T>(), o.Span<T>());
    }
}

/// <summary>SigmoidGrad(y, dy) = dy·y·(1 − y), where y = sigmoid(x).</summary>
internal sealed class SigmoidGradSpec : SameShapeBinaryOpSpec
{
    public override string Type => "SigmoidGrad";

    protected override string[] InputArgs => ["y: T", "dy: T"];

    protected override string[] OutputArgs => ["z: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SigmoidGradOp<>);
}

/// <summary>TanhGrad(y, dy) = dy·(1 − y²), where y = tanh(x).</summary>
internal sealed class TanhGradSpec : SameShapeBinaryOpSpec
{
    public override string Type => "TanhGrad";

    protected override string[] InputArgs => ["y: T", "dy: T"];

    protected override string[] OutputArgs => ["z: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(TanhGradOp<>);
}

/// <summary>ReluGrad(gradients, features) = gradients·(features &gt; 0).</summary>
internal sealed class ReluGradSpec : SameShapeBinaryOpSpec
{
    public override string Type => "ReluGrad";

    protected override string[] InputArgs => ["gradients: T", "features: T"];

    protected override string[] OutputArgs => ["backprops: T"];

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(ReluGradOp<>);
}

/// <summary>Relu6Grad(gradients, features) = gradients·(0 &lt; features &lt; 6).</summary>
internal sealed class Relu6GradSpec : SameShapeBinaryOpSpec
{
    public override string Type => "Relu6Grad";

    protected override string[] InputArgs => ["gradients: T", "features: T"];

    protected override string[] OutputArgs => ["backprops: T"];

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(Relu6GradOp<>);
}

/// <summary>EluGrad(gradients, outputs) = gradients·(outputs + 1) where outputs &lt; 0, else gradients.</summary>
internal sealed class EluGradSpec : SameShapeBinaryOpSpec
{
    public override string Type => "EluGrad";

    protected override string[] InputArgs => ["gradients: T", "outputs: T"];

    protected override string[] OutputArgs => ["backprops: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(EluGradOp<>);
}

/// <summary>SeluGrad(gradients, outputs) = gradients·(outputs + scale·alpha) where outputs &lt; 0, else gradients·scale.</summary>
internal sealed class SeluGradSpec : SameShapeBinaryOpSpec
{
    public override string Type => "SeluGrad";

    protected override string[] InputArgs => ["gradients: T", "outputs: T"];

    protected override string[] OutputArgs => ["backprops: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SeluGradOp<>);
}

/// <summary>SoftplusGrad(gradients, features) = gradients / (1 + e^-features).</summary>
internal sealed class SoftplusGradSpec : SameShapeBinaryOpSpec
{
    public override string Type => "SoftplusGrad";

    protected override string[] InputArgs => ["gradients: T", "features: T"];

    protected override string[] OutputArgs => ["backprops: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SoftplusGradOp<>);
}

internal readonly struct SigmoidGradOp<T> : IBinaryOp<SigmoidGradOp<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T y, T dy) => dy * y * (T.One - y);
}

internal readonly struct TanhGradOp<T> : IBinaryOp<TanhGradOp<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T y, T dy) => dy * (T.One - y * y);
}

internal readonly struct ReluGradOp<T> : IBinaryOp<ReluGradOp<T>, T, T> where T : struct, INumber<T>
{
    // A product, not a select, as in TF: a NaN or infinite gradient stays NaN where features ≤ 0.
    public static T Apply(T g, T f) => g * (f > T.Zero ? T.One : T.Zero);

    public static void Span(ReadOnlySpan<T> g, ReadOnlySpan<T> f, Span<T> d)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && d.Length >= Vector<T>.Count)
        {
            var gv = MemoryMarshal.Cast<T, Vector<T>>(g);
            var fv = MemoryMarshal.Cast<T, Vector<T>>(f);
            var dv = MemoryMarshal.Cast<T, Vector<T>>(d);
            for (int v = 0; v < dv.Length; v++)
                dv[v] = gv[v] * Vector.ConditionalSelect(Vector.GreaterThan(fv[v], Vector<T>.Zero), Vector<T>.One, Vector<T>.Zero);
            i = dv.Length * Vector<T>.Count;
        }
        for (; i < d.Length; i++) d[i] = Apply(g[i], f[i]);
    }
}

internal readonly struct Relu6GradOp<T> : IBinaryOp<Relu6GradOp<T>, T, T> where T : INumber<T>
{
    private static readonly T Six = T.CreateTruncating(6);

    public static T Apply(T g, T f) => g * (f > T.Zero && f < Six ? T.One : T.Zero);
}

internal readonly struct EluGradOp<T> : IBinaryOp<EluGradOp<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T g, T y) => y < T.Zero ? (y + T.One) * g : g;
}

internal readonly struct SeluGradOp<T> : IBinaryOp<SeluGradOp<T>, T, T> where T : IFloatingPointIeee754<T>
{
    private static readonly T Scale = T.CreateTruncating(SeluConstants.Scale);
    private static readonly T ScaleAlpha = T.CreateTruncating(SeluConstants.ScaleAlpha);

    public static T Apply(T g, T y) => y < T.Zero ? g * (y + ScaleAlpha) : g * Scale;
}

internal readonly struct SoftplusGradOp<T> : IBinaryOp<SoftplusGradOp<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T g, T f) => g / (T.Exp(-f) + T.One);
}

public sealed partial class Graph
{
    /// <summary>A <c>SigmoidGrad</c> node (gradient helper of Sigmoid): dy·y·(1 − y).</summary>
    public Output SigmoidGrad(Output y, Output dy, string? name = null) => Binary("SigmoidGrad", y, dy, name);

    /// <summary>A <c>TanhGrad</c> node (gradient helper of Tanh): dy·(1 − y²).</summary>
    public Output TanhGrad(Output y, Output dy, string? name = null) => Binary("TanhGrad", y, dy, name);

    /// <summary>A <c>ReluGrad</c> node (gradient helper of Relu); TF's input order is (gradients, features).</summary>
    public Output ReluGrad(Output gradients, Output features, string? name = null) => Binary("ReluGrad", gradients, features, name);

    /// <summary>A <c>Relu6Grad</c> node (gradient helper of Relu6).</summary>
    public Output Relu6Grad(Output gradients, Output features, string? name = null) => Binary("Relu6Grad", gradients, features, name);

    /// <summary>An <c>EluGrad</c> node (gradient helper of Elu); takes the Elu's outputs.</summary>
    public Output EluGrad(Output gradients, Output outputs, string? name = null) => Binary("EluGrad", gradients, outputs, name);

    /// <summary>A <c>SeluGrad</c> node (gradient helper of Selu); takes the Selu's outputs.</summary>
    public Output SeluGrad(Output gradients, Output outputs, string? name = null) => Binary("SeluGrad", gradients, outputs, name);

    /// <summary>A <c>SoftplusGrad</c> node (gradient helper of Softplus): gradients / (1 + e^-features).</summary>
    public Output SoftplusGrad(Output gradients, Output features, string? name = null) => Binary("SoftplusGrad", gradients, features, name);
}
