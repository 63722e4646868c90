using System.Numerics;
using System.Runtime.InteropServices;

namespace TensorGraph;

/// <summary>ApplyRMSProp: ms += (g² − ms)(1−rho); mom = mom·momentum + lr·g/√(ms + ε); var −= mom.</summary>
internal sealed class ApplyRMSPropSpec : ApplySpec
{
    public const string OpType = "ApplyRMSProp";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", "lr: T", "rho: T", "momentum: T", "epsilon: T", "grad: T"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 3;

    protected override int GradIndex => 7;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => RmsProp(refs, g, s, op);

    internal override bool SplitsDense => true;

    internal override void UpdateRange<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op, int start) => RmsProp(refs, g, s, op, start);

    /// <summary>The update itself, shared with the Sparse forms of the op.</summary>
    internal static void RmsProp<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op, int start = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = refs[0].Span<T>().Slice(start, g.Length);
        var ms = refs[1].Span<T>().Slice(start, g.Length);
        var mom = refs[2].Span<T>().Slice(start, g.Length);
        T lr = s[0], rho = s[1], mu = s[2], eps = s[3], oneMinusRho = T.One - rho;
        int i = 0;
        if (Vector.IsHardwareAccelerated && w.Length >= Vector<T>.Count && !g.Overlaps(w) && !g.Overlaps(ms) && !g.Overlaps(mom))
        {
            // The same operations in the same order as the scalar loop, so results are identical
            // (a gradient that aliases a slot takes the scalar loop, which re-reads it after each update).
            var wv = MemoryMarshal.Cast<T, Vector<T>>(w);
            var msv = MemoryMarshal.Cast<T, Vector<T>>(ms);
            var momv = MemoryMarshal.Cast<T, Vector<T>>(mom);
            var gv = MemoryMarshal.Cast<T, Vector<T>>(g);
            Vector<T> vlr = new(lr), vmu = new(mu), veps = new(eps), vomr = new(oneMinusRho);
            for (int v = 0; v < wv.Length; v++)
            {
                var gi = gv[v];
                var msi = msv[v] + (gi * gi - msv[v]) * vomr;
                var momi = momv[v] * vmu + vlr * gi / Vector.SquareRoot(msi + veps);
                msv[v] = msi;
                momv[v] = momi;
                wv[v] -= momi;
            }
            i = wv.Length * Vector<T>.Count;
        }
        for (; i < w.Length; i++)
        {
            ms[i] += (g[i] * g[i] - ms[i]) * oneMinusRho;
            mom[i] = mom[i] * mu + lr * g[i] / T.Sqrt(ms[i] + eps);
            w[i] -= mom[i];
        }
    }
}

/// <summary>ApplyCenteredRMSProp: like RMSProp with the mean gradient mg subtracted: √(ms − mg² + ε).</summary>
internal sealed class ApplyCenteredRMSPropSpec : ApplySpec
{
    public const string OpType = "ApplyCenteredRMSProp";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "mg: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", "lr: T", "rho: T", "momentum: T", "epsilon: T", "grad: T"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 4;

    protected override int GradIndex => 8;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => CenteredRmsProp(refs, g, s, op);

    /// <summary>The update itself, shared with the Sparse forms of the op.</summary>
    internal static void CenteredRmsProp<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = refs[0].Span<T>();
        var mg = refs[1].Span<T>();
        var ms = refs[2].Span<T>();
        var mom = refs[3].Span<T>();
        T lr = s[0], rho = s[1], mu = s[2], eps = s[3], oneMinusRho = T.One - rho;
        for (int i = 0; i < w.Length; i++)
        {
            ms[i] += (g[i] * g[i] - ms[i]) * oneMinusRho;
            mg[i] += (g[i] - mg[i]) * oneMinusRho;
            mom[i] = mom[i] * mu + lr * g[i] / T.Sqrt(ms[i] - mg[i] * mg[i] + eps);
            w[i] -= mom[i];
        }
    }
}

/// <summary>SparseApplyRMSProp: ApplyRMSProp on the rows <c>indices</c> of the variable and its slots (grad[i] updates row indices[i]).</summary>
internal sealed class SparseApplyRMSPropSpec : ApplySpec
{
    public const string OpType = "SparseApplyRMSProp";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", "lr: T", "rho: T", "momentum: T", "epsilon: T", "grad: T", "indices: Tindices"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 3;

    protected override int GradIndex => 7;

    protected override int IndicesIndex => 8;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => ApplyRMSPropSpec.RmsProp(refs, g, s, op);
}

/// <summary>ResourceSparseApplyRMSProp: ApplyRMSProp on the rows <c>indices</c> of resource variables (grad[i] updates row indices[i]); no output.</summary>
internal sealed class ResourceSparseApplyRMSPropSpec : ApplySpec
{
    public const string OpType = "ResourceSparseApplyRMSProp";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: resource", "ms: resource", "mom: resource", "lr: T", "rho: T", "momentum: T", "epsilon: T", "grad: T", "indices: Tindices"];

    protected override string[] OutputArgs => [];

    protected override int RefCount => 3;

    protected override int GradIndex => 7;

    protected override int IndicesIndex => 8;

    protected override bool ResourceInputs => true;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => ApplyRMSPropSpec.RmsProp(refs, g, s, op);
}

/// <summary>SparseApplyCenteredRMSProp: ApplyCenteredRMSProp on the rows <c>indices</c> of the variable and its slots (grad[i] updates row indices[i]).</summary>
internal sealed class SparseApplyCenteredRMSPropSpec : ApplySpec
{
    public const string OpType = "SparseApplyCenteredRMSProp";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "mg: Ref(T)", "ms: Ref(T)", "mom: Ref(T)", "lr: T", "rho: T", "momentum: T", "epsilon: T", "grad: T", "indices: Tindices"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 4;

    protected override int GradIndex => 8;

    protected override int IndicesIndex => 9;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => ApplyCenteredRMSPropSpec.CenteredRmsProp(refs, g, s, op);
}

/// <summary>ResourceSparseApplyCenteredRMSProp: ApplyCenteredRMSProp on the rows <c>indices</c> of resource variables (grad[i] updates row indices[i]); no output.</summary>
internal sealed class ResourceSparseApplyCenteredRMSPropSpec : ApplySpec
{
    public const string OpType = "ResourceSparseApplyCenteredRMSProp";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: resource", "mg: resource", "ms: resource", "mom: resource", "lr: T", "rho: T", "momentum: T", "epsilon: T", "grad: T", "indices: Tindices"];

    protected override string[] OutputArgs => [];

    protected override int RefCount => 4;

    protected override int GradIndex => 8;

    protected override int IndicesIndex => 9;

    protected override bool ResourceInputs => true;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => ApplyCenteredRMSPropSpec.CenteredRmsProp(refs, g, s, op);
}

public sealed partial class Graph
{
    /// <summary>An <c>ApplyRMSProp</c> node.</summary>
    public Output ApplyRMSProp(Output var, Output ms, Output mom, Output lr, Output rho, Output momentum, Output epsilon, Output grad, bool useLocking = false, string? name = null) =>
        AddOp(ApplyRMSPropSpec.OpType, [var, ms, mom, lr, rho, momentum, epsilon, grad], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];

    /// <summary>An <c>ApplyCenteredRMSProp</c> node.</summary>
    public Output ApplyCenteredRMSProp(Output var, Output mg, Output ms, Output mom, Output lr, Output rho, Output momentum, Output epsilon, Output grad, bool useLocking = false, string? name = null) =>
        AddOp(ApplyCenteredRMSPropSpec.OpType, [var, mg, ms, mom, lr, rho, momentum, epsilon, grad], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];

    /// <summary>A <c>SparseApplyRMSProp</c> node: ApplyRMSProp on rows <paramref name="indices"/> of var, ms and mom.</summary>
    public Output SparseApplyRMSProp(Output var, Output ms, Output mom, Output lr, Output rho, Output momentum, Output epsilon, Output grad, Output indices, bool useLocking = false, string? name = null) =>
        AddOp(SparseApplyRMSPropSpec.OpType, [var, ms, mom, lr, rho, momentum, epsilon, grad, indices], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];

    /// <summary>A <c>ResourceSparseApplyRMSProp</c> node (resource-variable handles; no output).</summary>
    public Operation ResourceSparseApplyRMSProp(Output var, Output ms, Output mom, Output lr, Output rho, Output momentum, Output epsilon, Output grad, Output indices, bool useLocking = false, string? name = null) =>
        AddOp(ResourceSparseApplyRMSPropSpec.OpType, [var, ms, mom, lr, rho, momentum, epsilon, grad, indices], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))]);

    /// <summary>A <c>SparseApplyCenteredRMSProp</c> node: ApplyCenteredRMSProp on rows <paramref name="indices"/>.</summary>
    public Output SparseApplyCenteredRMSProp(Output var, Output mg, Output ms, Output mom, Output lr, Output rho, Output momentum, Output epsilon, Output grad, Output indices, bool useLocking = false, string? name = null) =>
        AddOp(SparseApplyCenteredRMSPropSpec.OpType, [var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];

    /// <summary>A <c>ResourceSparseApplyCenteredRMSProp</c> node (resource-variable handles; no output).</summary>
    public Operation ResourceSparseApplyCenteredRMSProp(Output var, Output mg, Output ms, Output mom, Output lr, Output rho, Output momentum, Output epsilon, Output grad, Output indices, bool useLocking = false, string? name = null) =>
        AddOp(ResourceSparseApplyCenteredRMSPropSpec.OpType, [var, mg, ms, mom, lr, rho, momentum, epsilon, grad, indices], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))]);
}
