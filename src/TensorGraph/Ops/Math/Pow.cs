using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Pow: x ** y element-wise (<c>tf.pow</c>).</summary>
internal sealed class PowSpec : BinaryOpSpec
{
    public const string OpType = "Pow";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_PowGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var x = c.X;
        var y = c.Y;
        var z = c.Out();
        var result = c.Unbroadcast(
            () => g.Multiply(g.Multiply(c.Grad, y), g.Pow(x, g.Subtract(y, g.Constant(Graph.ScalarOf(y.DType, 1))))),
            () =>
            {
                // log(x) replaced by 0 where x <= 0 avoids a false singularity at x = 0.
                var mask = g.Greater(x, g.Constant(Graph.ScalarOf(x.DType, 0)));
                var safeX = g.Select(mask, x, g.OnesLike(x));
                var logX = g.Select(mask, g.Log(safeX), g.ZerosLike(x));
                return g.Multiply(g.Multiply(c.Grad, z), logX);
            });
        return result;
    }

    protected override DType[] Allowed => TypeSets.FloatInt;

    protected override Type Functor => typeof(PowFunctor<>);
}

internal readonly struct PowFunctor<T> : IBinaryFunctor<PowFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y)
    {
        if (DivChecks.IsFloat<T>()) return T.CreateTruncating(System.Math.Pow(double.CreateTruncating(x), double.CreateTruncating(y)));
        if (T.IsNegative(y)) throw new InvalidArgumentException("Integers to negative integer powers are not allowed");
        T r = T.One, b = x;
        long e = long.CreateTruncating(y);
        while (e > 0)
        {
            if ((e & 1) != 0) r *= b;
            b *= b;
            e >>= 1;
        }
        return r;
    }
}

public sealed partial class Graph
{
    /// <summary>Pow: x ** y element-wise (<c>tf.pow</c>).</summary>
    public Output Pow(Output x, Output y, string? name = null) => Binary(PowSpec.OpType, x, y, name);

    /// <summary><see cref="Pow(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>Pow/y</c>).</summary>
    public Output Pow(Output x, Tensor y, string? name = null) => BinaryWithLiteral(PowSpec.OpType, x, y, false, name);

    /// <summary><see cref="Pow(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output Pow(Tensor x, Output y, string? name = null) => BinaryWithLiteral(PowSpec.OpType, y, x, true, name);
}
