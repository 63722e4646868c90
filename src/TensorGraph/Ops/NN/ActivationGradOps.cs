using System.Numerics;
using System.Runtime.InteropServices;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>SigmoidGrad(y, dy) = dy·y·(1 − y), where y = sigmoid(x).</summary>
internal sealed class SigmoidGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "SigmoidGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["y: T", "dy: T"];

    protected override string[] OutputArgs => ["z: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SigmoidGradFunctor<>);

    /// <summary>TF 1.15's <c>_SigmoidGradGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        // d/da [b·a·(1 − a)] = b·(1 − 2a); d/db = a·(1 − a).
        var g = c.Graph;
        using (g.ControlDependencies(c.Grad.Op))
        {
            var a = c.Input(0);
            var b = c.Input(1);
            var gb = c.Grad * b;
            return [gb - Graph.ScalarOf(gb.DType, 2) * gb * a, g.SigmoidGrad(a, c.Grad)];
        }
    }
}

/// <summary>TanhGrad(y, dy) = dy·(1 − y²), where y = tanh(x).</summary>
internal sealed class TanhGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "TanhGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["y: T", "dy: T"];

    protected override string[] OutputArgs => ["z: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(TanhGradFunctor<>);

    /// <summary>TF 1.15's <c>_TanhGradGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        // d/da [b·(1 − a²)] = −2ab; d/db = 1 − a².
        var g = c.Graph;
        using (g.ControlDependencies(c.Grad.Op))
        {
            var a = c.Input(0);
            var b = c.Input(1);
            return [c.Grad * Graph.ScalarOf(a.DType, -2) * b * a, g.TanhGrad(a, c.Grad)];
        }
    }
}

/// <summary>ReluGrad(gradients, features) = gradients·(features &gt; 0).</summary>
internal sealed class ReluGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "ReluGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["gradients: T", "features: T"];

    protected override string[] OutputArgs => ["backprops: T"];

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(ReluGradFunctor<>);

    /// <summary>TF 1.15's <c>_ReluGradGrad</c>: ReluGrad again for the gradients, zeros for the features.</summary>
    public override Output?[] Gradient(GradContext c) =>
        [c.Graph.ReluGrad(c.Grad, c.Input(1)), NnGradientHelpers.ZerosOfShape(c, c.Input(1))];
}

/// <summary>Relu6Grad(gradients, features) = gradients·(0 &lt; features &lt; 6).</summary>
internal sealed class Relu6GradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "Relu6Grad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["gradients: T", "features: T"];

    protected override string[] OutputArgs => ["backprops: T"];

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(Relu6GradFunctor<>);

    /// <summary>TF 1.15's <c>_Relu6GradGrad</c>: Relu6Grad again for the gradients, zeros for the features.</summary>
    public override Output?[] Gradient(GradContext c) =>
        [c.Graph.Relu6Grad(c.Grad, c.Input(1)), NnGradientHelpers.ZerosOfShape(c, c.Input(1))];
}

/// <summary>EluGrad(gradients, outputs) = gradients·(outputs + 1) where outputs &lt; 0, else gradients.</summary>
internal sealed class EluGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "EluGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["gradients: T", "outputs: T"];

    protected override string[] OutputArgs => ["backprops: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(EluGradFunctor<>);

    /// <summary>TF 1.15's <c>_EluGradGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        // EluGrad(g, y) = g·(y + 1) where y < 0: d/dg is EluGrad itself, d/dy is g where y < 0.
        var g = c.Graph;
        var y = c.Input(1);
        return [g.EluGrad(c.Grad, y), ActivationSecondOrder.NegativeSideGrad(c, y)];
    }
}

/// <summary>SeluGrad(gradients, outputs) = gradients·(outputs + scale·alpha) where outputs &lt; 0, else gradients·scale.</summary>
internal sealed class SeluGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "SeluGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["gradients: T", "outputs: T"];

    protected override string[] OutputArgs => ["backprops: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SeluGradFunctor<>);

    /// <summary>TF 1.15's <c>_SeluGradGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var y = c.Input(1);
        return [g.SeluGrad(c.Grad, y), ActivationSecondOrder.NegativeSideGrad(c, y)];
    }
}

/// <summary>SoftplusGrad(gradients, features) = gradients / (1 + e^-features).</summary>
internal sealed class SoftplusGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "SoftplusGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["gradients: T", "features: T"];

    protected override string[] OutputArgs => ["backprops: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SoftplusGradFunctor<>);

    /// <summary>TF 1.15's <c>_SoftplusGradGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        // SoftplusGrad(dy, x) = dy / (1 + e^-x); d/dx = dy / (e^-x + 2 + e^x).
        var g = c.Graph;
        var dy = c.Input(0);
        var x = c.Input(1);
        using (g.ControlDependencies(c.Grad.Op))
        {
            var ddy = g.SoftplusGrad(c.Grad, x);
            var d2x = c.Grad * dy / (g.Exp(-x) + Graph.ScalarOf(x.DType, 2) + g.Exp(x));
            return [ddy, d2x];
        }
    }
}

/// <summary>SoftsignGrad(gradients, features) = gradients / (1 + |features|)².</summary>
internal sealed class SoftsignGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "SoftsignGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["gradients: T", "features: T"];

    protected override string[] OutputArgs => ["backprops: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SoftsignGradFunctor<>);

    /// <summary>
    /// TF 1.15 registers no gradient for SoftsignGrad (second derivatives of Softsign fail there);
    /// this is the exact one: d/dgradients = SoftsignGrad(grad, x), d/dx = −2·grad·dy·sign(x) / (1 + |x|)³.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var dy = c.Input(0);
        var x = c.Input(1);
        using (g.ControlDependencies(c.Grad.Op))
        {
            var ddy = g.SoftsignGrad(c.Grad, x);
            var onePlusAbs = Graph.ScalarOf(x.DType, 1) + g.Abs(x);
            var d2x = c.Grad * dy * g.Sign(x) * Graph.ScalarOf(x.DType, -2) / (onePlusAbs * onePlusAbs * onePlusAbs);
            return [ddy, d2x];
        }
    }
}

/// <summary>The second-order term shared by the EluGrad and SeluGrad gradients.</summary>
file static class ActivationSecondOrder
{
    /// <summary><c>where(y &lt; 0, grad · op.inputs[0], zeros_like(y))</c>, the second-order term of EluGrad/SeluGrad.</summary>
    public static Output NegativeSideGrad(GradContext c, Output y)
    {
        var g = c.Graph;
        var negative = g.Less(y, g.Constant(Graph.ScalarOf(y.DType, 0)));
        return g.Select(negative, c.Grad * c.Input(0), g.ZerosLike(y));
    }
}

internal readonly struct SigmoidGradFunctor<T> : IBinaryFunctor<SigmoidGradFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T y, T dy) => dy * y * (T.One - y);
}

internal readonly struct TanhGradFunctor<T> : IBinaryFunctor<TanhGradFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T y, T dy) => dy * (T.One - y * y);
}

internal readonly struct ReluGradFunctor<T> : IBinaryFunctor<ReluGradFunctor<T>, T, T> where T : struct, INumber<T>
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

internal readonly struct Relu6GradFunctor<T> : IBinaryFunctor<Relu6GradFunctor<T>, T, T> where T : INumber<T>
{
    private static readonly T Six = T.CreateTruncating(6);

    public static T Apply(T g, T f) => g * (f > T.Zero && f < Six ? T.One : T.Zero);
}

internal readonly struct EluGradFunctor<T> : IBinaryFunctor<EluGradFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T g, T y) => y < T.Zero ? (y + T.One) * g : g;
}

internal readonly struct SeluGradFunctor<T> : IBinaryFunctor<SeluGradFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    private static readonly T Scale = T.CreateTruncating(SeluConstants.Scale);
    private static readonly T ScaleAlpha = T.CreateTruncating(SeluConstants.ScaleAlpha);

    public static T Apply(T g, T y) => y < T.Zero ? g * (y + ScaleAlpha) : g * Scale;
}

internal readonly struct SoftsignGradFunctor<T> : IBinaryFunctor<SoftsignGradFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T g, T f)
    {
        var d = T.One + T.Abs(f);
        return g / (d * d);
    }
}

internal readonly struct SoftplusGradFunctor<T> : IBinaryFunctor<SoftplusGradFunctor<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T g, T f) => g / (T.Exp(-f) + T.One);
}

public sealed partial class Graph
{
    /// <summary>A <c>SoftsignGrad</c> node (gradient helper of Softsign): gradients / (1 + |features|)².</summary>
    public Output SoftsignGrad(Output gradients, Output features, string? name = null) => Binary(SoftsignGradSpec.OpType, gradients, features, name);

    /// <summary>A <c>SigmoidGrad</c> node (gradient helper of Sigmoid): dy·y·(1 − y).</summary>
    public Output SigmoidGrad(Output y, Output dy, string? name = null) => Binary(SigmoidGradSpec.OpType, y, dy, name);

    /// <summary>A <c>TanhGrad</c> node (gradient helper of Tanh): dy·(1 − y²).</summary>
    public Output TanhGrad(Output y, Output dy, string? name = null) => Binary(TanhGradSpec.OpType, y, dy, name);

    /// <summary>A <c>ReluGrad</c> node (gradient helper of Relu); TF's input order is (gradients, features).</summary>
    public Output ReluGrad(Output gradients, Output features, string? name = null) => Binary(ReluGradSpec.OpType, gradients, features, name);

    /// <summary>A <c>Relu6Grad</c> node (gradient helper of Relu6).</summary>
    public Output Relu6Grad(Output gradients, Output features, string? name = null) => Binary(Relu6GradSpec.OpType, gradients, features, name);

    /// <summary>An <c>EluGrad</c> node (gradient helper of Elu); takes the Elu's outputs.</summary>
    public Output EluGrad(Output gradients, Output outputs, string? name = null) => Binary(EluGradSpec.OpType, gradients, outputs, name);

    /// <summary>A <c>SeluGrad</c> node (gradient helper of Selu); takes the Selu's outputs.</summary>
    public Output SeluGrad(Output gradients, Output outputs, string? name = null) => Binary(SeluGradSpec.OpType, gradients, outputs, name);

    /// <summary>A <c>SoftplusGrad</c> node (gradient helper of Softplus): gradients / (1 + e^-features).</summary>
    public Output SoftplusGrad(Output gradients, Output features, string? name = null) => Binary(SoftplusGradSpec.OpType, gradients, features, name);
}
