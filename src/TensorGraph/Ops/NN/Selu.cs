using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>Selu: scale·x if x ≥ 0 else scale·alpha·(e^x − 1) (<c>tf.nn.selu</c>).</summary>
internal sealed class SeluSpec : UnaryOpSpec
{
    public override string Type => "Selu";

    protected override string[] InputArgs => ["features: T"];

    protected override string[] OutputArgs => ["activations: T"];

    protected override DType[] Allowed => TypeSets.Float;

    protected override Type Functor => typeof(SeluOp<>);
}

/// <summary>The constants of TF's Selu kernels (Klambauer et al.).</summary>
internal static class SeluConstants
{
    public const double Scale = 1.0507009873554804934193349852946;
    public const double Alpha = 1.6732632423543772848170429916717;
    public const double ScaleAlpha = 1.7580993408473768599402175208123;
}

internal readonly struct SeluOp<T> : IUnaryOp<SeluOp<T>, T, T> where T : IFloatingPointIeee754<T>
{
    private static readonly T Scale = T.CreateTruncating(SeluConstants.Scale);
    private static readonly T ScaleAlpha = T.CreateTruncating(SeluConstants.ScaleAlpha);

    public static T Apply(T x) => x < T.Zero ? ScaleAlpha * (T.Exp(x) - T.One) : Scale * x;
}

public sealed partial class Graph
{
    /// <summary>Selu: scale·features if ≥ 0 else scale·alpha·(e^features − 1) (<c>tf.nn.selu</c>).</summary>
    public Output Selu(Output features, string? name = null) => Unary("Selu", features, name);
}
