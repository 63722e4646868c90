using System.Runtime.InteropServices;
using System.Numerics;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>ApplyMomentum: accum = accum * momentum + g; var -= lr * accum (Nesterov: var -= g * lr + accum * momentum * lr).</summary>
internal sealed class ApplyMomentumSpec : ApplySpec
{
    public const string OpType = "ApplyMomentum";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T", "momentum: T"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 2;

    protected override int GradIndex => 3;

    protected override AttrSpec[] ExtraAttrs => [new("use_nesterov", "bool", Attr.Bool(false))];

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op)
    {
        var w = refs[0].Span<T>();
        var a = refs[1].Span<T>();
        T lr = s[0], mu = s[1];
        bool nesterov = op.GetAttrBool("use_nesterov");
        int i = 0;
        if (Vector.IsHardwareAccelerated && w.Length >= Vector<T>.Count && !g.Overlaps(w) && !g.Overlaps(a))
        {
            // The same operations in the same order as the scalar loop, so results are identical
            // (a gradient that aliases a slot takes the scalar loop, which re-reads it after each update).
            var wv = MemoryMarshal.Cast<T, Vector<T>>(w);
            var av = MemoryMarshal.Cast<T, Vector<T>>(a);
            var gv = MemoryMarshal.Cast<T, Vector<T>>(g);
            Vector<T> vlr = new(lr), vmu = new(mu);
            for (int k = 0; k < wv.Length; k++)
            {
                var ak = av[k] * vmu + gv[k];
                av[k] = ak;
                wv[k] -= nesterov ? gv[k] * vlr + ak * vmu * vlr : ak * vlr;
            }
            i = wv.Length * Vector<T>.Count;
        }
        for (; i < w.Length; i++)
        {
            a[i] = a[i] * mu + g[i];
            w[i] -= nesterov ? g[i] * lr + a[i] * mu * lr : a[i] * lr;
        }
    }
}

public sealed partial class Graph
{
    /// <summary>An <c>ApplyMomentum</c> node.</summary>
    public Output ApplyMomentum(Output var, Output accum, Output lr, Output grad, Output momentum, bool useNesterov = false, bool useLocking = false, string? name = null) =>
        AddOp(ApplyMomentumSpec.OpType, [var, accum, lr, grad, momentum], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("use_locking", Attr.Bool(useLocking)), NamedAttr("use_nesterov", Attr.Bool(useNesterov))])[0];
}
