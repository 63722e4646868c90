using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>SqrtGrad(y, dy) = dy * 0.5 / y, where y = sqrt(x).</summary>
internal sealed class SqrtGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "SqrtGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["y: T", "dy: T"];

    protected override string[] OutputArgs => ["z: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SqrtGradOp<>);
}

/// <summary>RsqrtGrad(y, dy) = dy * -0.5 * y³, where y = 1/sqrt(x).</summary>
internal sealed class RsqrtGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "RsqrtGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["y: T", "dy: T"];

    protected override string[] OutputArgs => ["z: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(RsqrtGradOp<>);
}

/// <summary>ReciprocalGrad(y, dy) = -dy * y², where y = 1/x.</summary>
internal sealed class ReciprocalGradSpec : SameShapeBinaryOpSpec
{
    public const string OpType = "ReciprocalGrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["y: T", "dy: T"];

    protected override string[] OutputArgs => ["z: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(ReciprocalGradOp<>);
}

internal readonly struct SqrtGradOp<T> : IBinaryOp<SqrtGradOp<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T y, T dy) => dy * T.CreateTruncating(0.5) / y;
}

internal readonly struct RsqrtGradOp<T> : IBinaryOp<RsqrtGradOp<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T y, T dy) => dy * T.CreateTruncating(-0.5) * y * y * y;
}

internal readonly struct ReciprocalGradOp<T> : IBinaryOp<ReciprocalGradOp<T>, T, T> where T : IFloatingPointIeee754<T>
{
    public static T Apply(T y, T dy) => -dy * y * y;
}

public sealed partial class Graph
{
    /// <summary>A <c>SqrtGrad</c> node (gradient helper of Sqrt).</summary>
    public Output SqrtGrad(Output y, Output dy, string? name = null) => Binary(SqrtGradSpec.OpType, y, dy, name);

    /// <summary>A <c>RsqrtGrad</c> node (gradient helper of Rsqrt).</summary>
    public Output RsqrtGrad(Output y, Output dy, string? name = null) => Binary(RsqrtGradSpec.OpType, y, dy, name);

    /// <summary>A <c>ReciprocalGrad</c> node (gradient helper of Reciprocal).</summary>
    public Output ReciprocalGrad(Output y, Output dy, string? name = null) => Binary(ReciprocalGradSpec.OpType, y, dy, name);
}
