using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>FloorMod: x - floor(x / y) * y, the result has the sign of y (<c>tf.floormod</c>, <c>%</c>).</summary>
internal sealed class FloorModSpec : BinaryOpSpec
{
    public const string OpType = "FloorMod";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_FloorModGrad</c>.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var floorXy = g.FloorDiv(c.X, c.Y);
        return c.Unbroadcast(() => c.Grad, () => g.Multiply(c.Grad, g.Negative(floorXy)));
    }

    protected override DType[] Allowed => TypeSets.Real;

    protected override Type Functor => typeof(FloorModFunctor<>);
}

internal readonly struct FloorModFunctor<T> : IBinaryFunctor<FloorModFunctor<T>, T, T> where T : INumber<T>
{
    public static T Apply(T x, T y)
    {
        if (DivChecks.IsFloat<T>())
        {
            double a = double.CreateTruncating(x), b = double.CreateTruncating(y);
            double m = a % b;
            if (m != 0 && (m < 0) != (b < 0)) m += b;
            return T.CreateTruncating(m);
        }
        if (T.IsZero(y)) throw new InvalidArgumentException("Integer division by zero");
        // x mod -1 is 0 for every x (the minimum included, whose C# remainder would trap).
        if (DivChecks.IsMinusOne(y)) return T.Zero;
        var r = x % y;
        if (!T.IsZero(r) && (T.IsNegative(r) != T.IsNegative(y))) r += y;
        return r;
    }
}

public sealed partial class Graph
{
    /// <summary>FloorMod: x - floor(x / y) * y, the result has the sign of y (<c>tf.floormod</c>, <c>%</c>).</summary>
    public Output FloorMod(Output x, Output y, string? name = null) => Binary(FloorModSpec.OpType, x, y, name);

    /// <summary><see cref="FloorMod(Output, Output, string?)"/> with a literal <paramref name="y"/> converted to x's dtype (TF's <c>Const</c> <c>FloorMod/y</c>).</summary>
    public Output FloorMod(Output x, Tensor y, string? name = null) => BinaryWithLiteral(FloorModSpec.OpType, x, y, false, name);

    /// <summary><see cref="FloorMod(Output, Output, string?)"/> with a literal <paramref name="x"/> converted to y's dtype.</summary>
    public Output FloorMod(Tensor x, Output y, string? name = null) => BinaryWithLiteral(FloorModSpec.OpType, y, x, true, name);
}
