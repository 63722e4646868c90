using System.Numerics;
using System.Numerics.Tensors;

namespace TensorGraph;

/// <summary>ApplyGradientDescent: var -= alpha * delta.</summary>
internal sealed class ApplyGradientDescentSpec : ApplySpec
{
    public const string OpType = "ApplyGradientDescent";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "alpha: T", "delta: T"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 1;

    protected override int GradIndex => 2;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => UpdateRange(refs, g, s, op, 0);

    internal override bool SplitsDense => true;

    internal override void UpdateRange<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op, int start)
    {
        var w = refs[0].Span<T>().Slice(start, g.Length);
        TensorPrimitives.MultiplyAdd(g, -s[0], w, w);
    }
}

public sealed partial class Graph
{
    /// <summary>An <c>ApplyGradientDescent</c> node: var -= alpha * delta; returns the updated variable.</summary>
    public Output ApplyGradientDescent(Output var, Output alpha, Output delta, bool useLocking = false, string? name = null) =>
        AddOp(ApplyGradientDescentSpec.OpType, [var, alpha, delta], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];
}
