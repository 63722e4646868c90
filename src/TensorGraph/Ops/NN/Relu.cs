using System.Numerics;
using System.Runtime.InteropServices;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Relu: max(x, 0) (<c>tf.nn.relu</c>); NaN stays NaN as in TF's CPU kernel.</summary>
internal sealed class ReluSpec : UnaryOpSpec
{
    public const string OpType = "Relu";

    public override string Type => OpType;

    public override FusionRole Fusion => FusionRole.Relu;

    protected override string[] InputArgs => ["features: T"];

    protected override string[] OutputArgs => ["activations: T"];

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(ReluFunctor<>);

    /// <summary>TF 1.15's <c>_ReluGrad</c>: ReluGrad(grad, y).</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.ReluGrad(c.Grad, c.Out())];
}

internal readonly struct ReluFunctor<T> : IUnaryFunctor<ReluFunctor<T>, T, T> where T : struct, INumber<T>
{
    public static T Apply(T x) => x < T.Zero ? T.Zero : x;

    /// <summary>x &lt; 0 becomes 0; NaN and -0 stay as they are (a select, not a max).</summary>
    public static void Span(ReadOnlySpan<T> x, Span<T> d)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && d.Length >= Vector<T>.Count)
        {
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var dv = MemoryMarshal.Cast<T, Vector<T>>(d);
            for (int v = 0; v < dv.Length; v++) dv[v] = Vector.ConditionalSelect(Vector.LessThan(xv[v], Vector<T>.Zero), Vector<T>.Zero, xv[v]);
            i = dv.Length * Vector<T>.Count;
        }
        for (; i < d.Length; i++) d[i] = Apply(x[i]);
    }
}

public sealed partial class Graph
{
    /// <summary>Relu: max(features, 0) (<c>tf.nn.relu</c>).</summary>
    public Output Relu(Output features, string? name = null) => Unary(ReluSpec.OpType, features, name);
}
