using System.Numerics;
using System.Runtime.InteropServices;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>
/// ApplyAdam: α = lr·√(1−β2^t)/(1−β1^t); m += (g−m)(1−β1); v += (g²−v)(1−β2); var −= α·m/(√v + ε)
/// (Nesterov: var −= α·(g(1−β1) + β1·m)/(√v + ε)).
/// </summary>
internal sealed class ApplyAdamSpec : ApplySpec
{
    public const string OpType = "ApplyAdam";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "m: Ref(T)", "v: Ref(T)", "beta1_power: T", "beta2_power: T", "lr: T", "beta1: T", "beta2: T", "epsilon: T", "grad: T"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 3;

    protected override int GradIndex => 9;

    protected override AttrSpec[] ExtraAttrs => [new("use_nesterov", "bool", Attr.Bool(false))];

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => Adam(refs, g, s, op);

    internal override bool SplitsDense => true;

    internal override void UpdateRange<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op, int start) => Adam(refs, g, s, op, start);

    /// <summary>The update itself, shared with ResourceApplyAdam: elements [<paramref name="start"/>, + g.Length) of var, m and v.</summary>
    internal static void Adam<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op, int start = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = refs[0].Span<T>().Slice(start, g.Length);
        var m = refs[1].Span<T>().Slice(start, g.Length);
        var v = refs[2].Span<T>().Slice(start, g.Length);
        T b1p = s[0], b2p = s[1], lr = s[2], b1 = s[3], b2 = s[4], eps = s[5];
        T alpha = lr * T.Sqrt(T.One - b2p) / (T.One - b1p);
        bool nesterov = op.GetAttrBool("use_nesterov");
        int i = 0;
        if (Vector.IsHardwareAccelerated && w.Length >= Vector<T>.Count && !g.Overlaps(w) && !g.Overlaps(m) && !g.Overlaps(v))
        {
            // The same operations in the same order as the scalar loop, so results are identical
            // (a gradient that aliases a slot takes the scalar loop, which re-reads it after each update).
            var wv = MemoryMarshal.Cast<T, Vector<T>>(w);
            var mv = MemoryMarshal.Cast<T, Vector<T>>(m);
            var vv = MemoryMarshal.Cast<T, Vector<T>>(v);
            var gv = MemoryMarshal.Cast<T, Vector<T>>(g);
            Vector<T> omb1 = new(T.One - b1), omb2 = new(T.One - b2), vb1 = new(b1), valpha = new(alpha), veps = new(eps);
            for (int k = 0; k < wv.Length; k++)
            {
                var gi = gv[k];
                var mi = mv[k] + (gi - mv[k]) * omb1;
                var vi = vv[k] + (gi * gi - vv[k]) * omb2;
                mv[k] = mi;
                vv[k] = vi;
                var num = nesterov ? gi * omb1 + vb1 * mi : mi;
                wv[k] -= valpha * num / (Vector.SquareRoot(vi) + veps);
            }
            i = wv.Length * Vector<T>.Count;
        }
        for (; i < w.Length; i++)
        {
            m[i] += (g[i] - m[i]) * (T.One - b1);
            v[i] += (g[i] * g[i] - v[i]) * (T.One - b2);
            var num = nesterov ? g[i] * (T.One - b1) + b1 * m[i] : m[i];
            w[i] -= alpha * num / (T.Sqrt(v[i]) + eps);
        }
    }
}

/// <summary>ResourceApplyAdam: ApplyAdam on resource variables (var, m and v are handles); no output.</summary>
internal sealed class ResourceApplyAdamSpec : ApplySpec
{
    public const string OpType = "ResourceApplyAdam";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: resource", "m: resource", "v: resource", "beta1_power: T", "beta2_power: T", "lr: T", "beta1: T", "beta2: T", "epsilon: T", "grad: T"];

    protected override string[] OutputArgs => [];

    protected override int RefCount => 3;

    protected override int GradIndex => 9;

    protected override bool ResourceInputs => true;

    protected override AttrSpec[] ExtraAttrs => [new("use_nesterov", "bool", Attr.Bool(false))];

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => ApplyAdamSpec.Adam(refs, g, s, op);

    internal override bool SplitsDense => true;

    internal override void UpdateRange<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op, int start) => ApplyAdamSpec.Adam(refs, g, s, op, start);
}

public sealed partial class Graph
{
    /// <summary>A <c>ResourceApplyAdam</c> node: the Adam update of the resource variables <paramref name="var"/>, <paramref name="m"/>, <paramref name="v"/>.</summary>
    public Operation ResourceApplyAdam(Output var, Output m, Output v, Output beta1Power, Output beta2Power, Output lr, Output beta1, Output beta2, Output epsilon, Output grad,
        bool useNesterov = false, bool useLocking = false, string? name = null) =>
        AddOp(ResourceApplyAdamSpec.OpType, [var, m, v, beta1Power, beta2Power, lr, beta1, beta2, epsilon, grad], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("use_locking", Attr.Bool(useLocking)), NamedAttr("use_nesterov", Attr.Bool(useNesterov))]);

    /// <summary>An <c>ApplyAdam</c> node.</summary>
    public Output ApplyAdam(Output var, Output m, Output v, Output beta1Power, Output beta2Power, Output lr, Output beta1, Output beta2, Output epsilon, Output grad,
        bool useNesterov = false, bool useLocking = false, string? name = null) =>
        AddOp(ApplyAdamSpec.OpType, [var, m, v, beta1Power, beta2Power, lr, beta1, beta2, epsilon, grad], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("use_locking", Attr.Bool(useLocking)), NamedAttr("use_nesterov", Attr.Bool(useNesterov))])[0];
}
