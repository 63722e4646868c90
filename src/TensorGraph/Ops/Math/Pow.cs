using System.Numerics.Tensors;
using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Pow: x ** y element-wise (<c>tf.pow</c>).</summary>
internal sealed class PowSpec : BinaryOpSpec
{
    public const string OpType = "Pow";

    public override string Type => OpType;

    protected override DType[] Allowed => TypeSets.FloatInt;

    protected override Type Functor => typeof(PowOp<>);
}

internal readonly struct PowOp<T> : IBinaryOp<PowOp<T>, T, T> where T : INumber<T>
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
}
