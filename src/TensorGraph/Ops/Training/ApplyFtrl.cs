using System.Numerics;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>
/// ApplyFtrl: the FTRL-proximal step. accum_new = accum + g²;
/// linear += g − (accum_new^(−lr_power) − accum^(−lr_power))/lr·var;
/// var = |linear| &gt; l1 ? (sign(linear)·l1 − linear)/(accum_new^(−lr_power)/lr + 2·l2) : 0; accum = accum_new.
/// </summary>
internal sealed class ApplyFtrlSpec : ApplySpec
{
    public const string OpType = "ApplyFtrl";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "accum: Ref(T)", "linear: Ref(T)", "grad: T", "lr: T", "l1: T", "l2: T", "lr_power: T"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 3;

    protected override int GradIndex => 3;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) =>
        Ftrl(refs, g, s[0], s[1], s[2], T.Zero, s[3]);

    /// <summary>
    /// The update of TF's ApplyFtrlV2 functor (ApplyFtrl is the case l2_shrinkage = 0), element by
    /// element: the shrinkage term 2·l2_shrinkage·var enters the linear accumulator only, accum
    /// grows by the raw g². lr_power = −0.5 takes square roots, as TF's kernel does.
    /// </summary>
    internal static void Ftrl<T>(Tensor[] refs, ReadOnlySpan<T> g, T lr, T l1, T l2, T l2Shrinkage, T lrPower) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = refs[0].Span<T>();
        var acc = refs[1].Span<T>();
        var lin = refs[2].Span<T>();
        T two = T.One + T.One;
        bool sqrt = lrPower == -(T.One / two);
        T twoL2 = two * l2;
        bool shrink = l2Shrinkage != T.Zero;
        for (int i = 0; i < w.Length; i++)
        {
            T gi = g[i];
            T gs = shrink ? gi + two * l2Shrinkage * w[i] : gi;
            T a = acc[i];
            T na = a + gi * gi;
            T pNew = sqrt ? T.Sqrt(na) : T.Pow(na, -lrPower);
            T pOld = sqrt ? T.Sqrt(a) : T.Pow(a, -lrPower);
            T l = lin[i] + (gs - (pNew - pOld) / lr * w[i]);
            lin[i] = l;
            T sign = l == T.Zero ? T.Zero : l < T.Zero ? -T.One : T.One;
            w[i] = T.Abs(l) > l1 ? (l1 * sign - l) / (pNew / lr + twoL2) : T.Zero;
            acc[i] = na;
        }
    }
}

/// <summary>ApplyFtrlV2: ApplyFtrl whose linear accumulator takes g + 2·l2_shrinkage·var (shrinkage-type L2).</summary>
internal sealed class ApplyFtrlV2Spec : ApplySpec
{
    public const string OpType = "ApplyFtrlV2";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "accum: Ref(T)", "linear: Ref(T)", "grad: T", "lr: T", "l1: T", "l2: T", "l2_shrinkage: T", "lr_power: T"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 3;

    protected override int GradIndex => 3;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) =>
        ApplyFtrlSpec.Ftrl(refs, g, s[0], s[1], s[2], s[3], s[4]);
}

/// <summary>ResourceApplyFtrl: ApplyFtrl on resource variables; no output.</summary>
internal sealed class ResourceApplyFtrlSpec : ApplySpec
{
    public const string OpType = "ResourceApplyFtrl";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: resource", "accum: resource", "linear: resource", "grad: T", "lr: T", "l1: T", "l2: T", "lr_power: T"];

    protected override string[] OutputArgs => [];

    protected override int RefCount => 3;

    protected override int GradIndex => 3;

    protected override bool ResourceInputs => true;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) =>
        ApplyFtrlSpec.Ftrl(refs, g, s[0], s[1], s[2], T.Zero, s[3]);
}

/// <summary>ResourceApplyFtrlV2: ApplyFtrlV2 on resource variables; no output.</summary>
internal sealed class ResourceApplyFtrlV2Spec : ApplySpec
{
    public const string OpType = "ResourceApplyFtrlV2";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: resource", "accum: resource", "linear: resource", "grad: T", "lr: T", "l1: T", "l2: T", "l2_shrinkage: T", "lr_power: T"];

    protected override string[] OutputArgs => [];

    protected override int RefCount => 3;

    protected override int GradIndex => 3;

    protected override bool ResourceInputs => true;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) =>
        ApplyFtrlSpec.Ftrl(refs, g, s[0], s[1], s[2], s[3], s[4]);
}

/// <summary>SparseApplyFtrl: ApplyFtrl on the rows <c>indices</c> of the variable and its slots (grad[i] updates row indices[i]).</summary>
internal sealed class SparseApplyFtrlSpec : ApplySpec
{
    public const string OpType = "SparseApplyFtrl";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "accum: Ref(T)", "linear: Ref(T)", "grad: T", "indices: Tindices", "lr: T", "l1: T", "l2: T", "lr_power: T"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 3;

    protected override int GradIndex => 3;

    protected override int IndicesIndex => 4;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) =>
        ApplyFtrlSpec.Ftrl(refs, g, s[0], s[1], s[2], T.Zero, s[3]);
}

/// <summary>SparseApplyFtrlV2: ApplyFtrlV2 on the rows <c>indices</c> of the variable and its slots.</summary>
internal sealed class SparseApplyFtrlV2Spec : ApplySpec
{
    public const string OpType = "SparseApplyFtrlV2";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "accum: Ref(T)", "linear: Ref(T)", "grad: T", "indices: Tindices", "lr: T", "l1: T", "l2: T", "l2_shrinkage: T", "lr_power: T"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 3;

    protected override int GradIndex => 3;

    protected override int IndicesIndex => 4;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) =>
        ApplyFtrlSpec.Ftrl(refs, g, s[0], s[1], s[2], s[3], s[4]);
}

/// <summary>ResourceSparseApplyFtrl: SparseApplyFtrl on resource variables; no output.</summary>
internal sealed class ResourceSparseApplyFtrlSpec : ApplySpec
{
    public const string OpType = "ResourceSparseApplyFtrl";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: resource", "accum: resource", "linear: resource", "grad: T", "indices: Tindices", "lr: T", "l1: T", "l2: T", "lr_power: T"];

    protected override string[] OutputArgs => [];

    protected override int RefCount => 3;

    protected override int GradIndex => 3;

    protected override int IndicesIndex => 4;

    protected override bool ResourceInputs => true;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) =>
        ApplyFtrlSpec.Ftrl(refs, g, s[0], s[1], s[2], T.Zero, s[3]);
}

/// <summary>ResourceSparseApplyFtrlV2: SparseApplyFtrlV2 on resource variables; no output.</summary>
internal sealed class ResourceSparseApplyFtrlV2Spec : ApplySpec
{
    public const string OpType = "ResourceSparseApplyFtrlV2";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: resource", "accum: resource", "linear: resource", "grad: T", "indices: Tindices", "lr: T", "l1: T", "l2: T", "l2_shrinkage: T", "lr_power: T"];

    protected override string[] OutputArgs => [];

    protected override int RefCount => 3;

    protected override int GradIndex => 3;

    protected override int IndicesIndex => 4;

    protected override bool ResourceInputs => true;

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) =>
        ApplyFtrlSpec.Ftrl(refs, g, s[0], s[1], s[2], s[3], s[4]);
}

public sealed partial class Graph
{
    /// <summary>An <c>ApplyFtrl</c> node: the FTRL-proximal update of var with slots accum and linear.</summary>
    public Output ApplyFtrl(Output var, Output accum, Output linear, Output grad, Output lr, Output l1, Output l2, Output lrPower, bool useLocking = false, string? name = null) =>
        AddOp(ApplyFtrlSpec.OpType, [var, accum, linear, grad, lr, l1, l2, lrPower], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];

    /// <summary>An <c>ApplyFtrlV2</c> node: ApplyFtrl with shrinkage-type L2 (<paramref name="l2Shrinkage"/>).</summary>
    public Output ApplyFtrlV2(Output var, Output accum, Output linear, Output grad, Output lr, Output l1, Output l2, Output l2Shrinkage, Output lrPower, bool useLocking = false, string? name = null) =>
        AddOp(ApplyFtrlV2Spec.OpType, [var, accum, linear, grad, lr, l1, l2, l2Shrinkage, lrPower], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];

    /// <summary>A <c>ResourceApplyFtrl</c> node (resource-variable handles; no output).</summary>
    public Operation ResourceApplyFtrl(Output var, Output accum, Output linear, Output grad, Output lr, Output l1, Output l2, Output lrPower, bool useLocking = false, string? name = null) =>
        AddOp(ResourceApplyFtrlSpec.OpType, [var, accum, linear, grad, lr, l1, l2, lrPower], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))]);

    /// <summary>A <c>ResourceApplyFtrlV2</c> node (resource-variable handles; no output).</summary>
    public Operation ResourceApplyFtrlV2(Output var, Output accum, Output linear, Output grad, Output lr, Output l1, Output l2, Output l2Shrinkage, Output lrPower, bool useLocking = false, string? name = null) =>
        AddOp(ResourceApplyFtrlV2Spec.OpType, [var, accum, linear, grad, lr, l1, l2, l2Shrinkage, lrPower], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))]);

    /// <summary>A <c>SparseApplyFtrl</c> node: ApplyFtrl on rows <paramref name="indices"/> of var, accum and linear.</summary>
    public Output SparseApplyFtrl(Output var, Output accum, Output linear, Output grad, Output indices, Output lr, Output l1, Output l2, Output lrPower, bool useLocking = false, string? name = null) =>
        AddOp(SparseApplyFtrlSpec.OpType, [var, accum, linear, grad, indices, lr, l1, l2, lrPower], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];

    /// <summary>A <c>SparseApplyFtrlV2</c> node: ApplyFtrlV2 on rows <paramref name="indices"/> of var, accum and linear.</summary>
    public Output SparseApplyFtrlV2(Output var, Output accum, Output linear, Output grad, Output indices, Output lr, Output l1, Output l2, Output l2Shrinkage, Output lrPower, bool useLocking = false, string? name = null) =>
        AddOp(SparseApplyFtrlV2Spec.OpType, [var, accum, linear, grad, indices, lr, l1, l2, l2Shrinkage, lrPower], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))])[0];

    /// <summary>A <c>ResourceSparseApplyFtrl</c> node (resource-variable handles; no output).</summary>
    public Operation ResourceSparseApplyFtrl(Output var, Output accum, Output linear, Output grad, Output indices, Output lr, Output l1, Output l2, Output lrPower, bool useLocking = false, string? name = null) =>
        AddOp(ResourceSparseApplyFtrlSpec.OpType, [var, accum, linear, grad, indices, lr, l1, l2, lrPower], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))]);

    /// <summary>A <c>ResourceSparseApplyFtrlV2</c> node (resource-variable handles; no output).</summary>
    public Operation ResourceSparseApplyFtrlV2(Output var, Output accum, Output linear, Output grad, Output indices, Output lr, Output l1, Output l2, Output l2Shrinkage, Output lrPower, bool useLocking = false, string? name = null) =>
        AddOp(ResourceSparseApplyFtrlV2Spec.OpType, [var, accum, linear, grad, indices, lr, l1, l2, l2Shrinkage, lrPower], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking))]);
}
