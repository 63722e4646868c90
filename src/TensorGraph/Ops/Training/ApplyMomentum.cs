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

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => Momentum(refs, g, s, op);

    internal override bool SplitsDense => true;

    internal override void UpdateRange<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op, int start) => Momentum(refs, g, s, op, start);

    /// <summary>The update itself, shared with the Resource and Sparse forms of the op: elements [<paramref name="start"/>, + g.Length).</summary>
    internal static void Momentum<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op, int start = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = refs[0].Span<T>().Slice(start, g.Length);
        var a = refs[1].Span<T>().Slice(start, g.Length);
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

/// <summary>SparseApplyMomentum: ApplyMomentum on the rows <c>indices</c> of the variable and its slots (grad[i] updates row indices[i]).</summary>
internal sealed class SparseApplyMomentumSpec : ApplySpec
{
    public const string OpType = "SparseApplyMomentum";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T", "indices: Tindices", "momentum: T"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 2;

    protected override int GradIndex => 3;

    protected override int IndicesIndex => 4;

    protected override AttrSpec[] ExtraAttrs => [new("use_nesterov", "bool", Attr.Bool(false))];

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => ApplyMomentumSpec.Momentum(refs, g, s, op);
}

/// <summary>ResourceSparseApplyMomentum: ApplyMomentum on the rows <c>indices</c> of resource variables (grad[i] updates row indices[i]); no output.</summary>
internal sealed class ResourceSparseApplyMomentumSpec : ApplySpec
{
    public const string OpType = "ResourceSparseApplyMomentum";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: resource", "accum: resource", "lr: T", "grad: T", "indices: Tindices", "momentum: T"];

    protected override string[] OutputArgs => [];

    protected override int RefCount => 2;

    protected override int GradIndex => 3;

    protected override int IndicesIndex => 4;

    protected override bool ResourceInputs => true;

    protected override AttrSpec[] ExtraAttrs => [new("use_nesterov", "bool", Attr.Bool(false))];

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => ApplyMomentumSpec.Momentum(refs, g, s, op);
}

public sealed partial class Graph
{
    /// <summary>An <c>ApplyMomentum</c> node.</summary>
    public Output ApplyMomentum(Output var, Output accum, Output lr, Output grad, Output momentum, bool useNesterov = false, bool useLocking = false, string? name = null) =>
        AddOp(ApplyMomentumSpec.OpType, [var, accum, lr, grad, momentum], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("use_locking", Attr.Bool(useLocking)), NamedAttr("use_nesterov", Attr.Bool(useNesterov))])[0];

    /// <summary>A <c>SparseApplyMomentum</c> node: ApplyMomentum on rows <paramref name="indices"/> of var and accum.</summary>
    public Output SparseApplyMomentum(Output var, Output accum, Output lr, Output grad, Output indices, Output momentum, bool useNesterov = false, bool useLocking = false, string? name = null) =>
        AddOp(SparseApplyMomentumSpec.OpType, [var, accum, lr, grad, indices, momentum], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking)), NamedAttr("use_nesterov", Attr.Bool(useNesterov))])[0];

    /// <summary>A <c>ResourceSparseApplyMomentum</c> node (resource-variable handles; no output).</summary>
    public Operation ResourceSparseApplyMomentum(Output var, Output accum, Output lr, Output grad, Output indices, Output momentum, bool useNesterov = false, bool useLocking = false, string? name = null) =>
        AddOp(ResourceSparseApplyMomentumSpec.OpType, [var, accum, lr, grad, indices, momentum], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking)), NamedAttr("use_nesterov", Attr.Bool(useNesterov))]);
}
