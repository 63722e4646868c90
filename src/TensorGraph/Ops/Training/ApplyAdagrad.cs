using System.Runtime.InteropServices;
using System.Numerics;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>ApplyAdagrad: accum += g² (if update_slots); var −= lr·g/√accum.</summary>
internal sealed class ApplyAdagradSpec : ApplySpec
{
    public const string OpType = "ApplyAdagrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 2;

    protected override int GradIndex => 3;

    protected override AttrSpec[] ExtraAttrs => [new("update_slots", "bool", Attr.Bool(true))];

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => Adagrad(refs, g, s, op);

    /// <summary>The update itself, shared with the Resource and Sparse forms of the op.</summary>
    internal static void Adagrad<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = refs[0].Span<T>();
        var acc = refs[1].Span<T>();
        T lr = s[0];
        bool update = op.GetAttrBool("update_slots");
        int i = 0;
        if (Vector.IsHardwareAccelerated && w.Length >= Vector<T>.Count && !g.Overlaps(w) && !g.Overlaps(acc))
        {
            // The same operations in the same order as the scalar loop, so results are identical
            // (a gradient that aliases a slot takes the scalar loop, which re-reads it after each update).
            var wv = MemoryMarshal.Cast<T, Vector<T>>(w);
            var accv = MemoryMarshal.Cast<T, Vector<T>>(acc);
            var gv = MemoryMarshal.Cast<T, Vector<T>>(g);
            Vector<T> vlr = new(lr);
            for (int k = 0; k < wv.Length; k++)
            {
                var gk = gv[k];
                if (update) accv[k] += gk * gk;
                wv[k] -= vlr * gk / Vector.SquareRoot(accv[k]);
            }
            i = wv.Length * Vector<T>.Count;
        }
        for (; i < w.Length; i++)
        {
            if (update) acc[i] += g[i] * g[i];
            w[i] -= lr * g[i] / T.Sqrt(acc[i]);
        }
    }
}

/// <summary>SparseApplyAdagrad: ApplyAdagrad on the rows <c>indices</c> of the variable and its slots (grad[i] updates row indices[i]).</summary>
internal sealed class SparseApplyAdagradSpec : ApplySpec
{
    public const string OpType = "SparseApplyAdagrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: Ref(T)", "accum: Ref(T)", "lr: T", "grad: T", "indices: Tindices"];

    protected override string[] OutputArgs => ["out: Ref(T)"];

    protected override int RefCount => 2;

    protected override int GradIndex => 3;

    protected override int IndicesIndex => 4;

    protected override AttrSpec[] ExtraAttrs => [new("update_slots", "bool", Attr.Bool(true))];

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => ApplyAdagradSpec.Adagrad(refs, g, s, op);
}

/// <summary>ResourceSparseApplyAdagrad: ApplyAdagrad on the rows <c>indices</c> of resource variables (grad[i] updates row indices[i]); no output.</summary>
internal sealed class ResourceSparseApplyAdagradSpec : ApplySpec
{
    public const string OpType = "ResourceSparseApplyAdagrad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["var: resource", "accum: resource", "lr: T", "grad: T", "indices: Tindices"];

    protected override string[] OutputArgs => [];

    protected override int RefCount => 2;

    protected override int GradIndex => 3;

    protected override int IndicesIndex => 4;

    protected override bool ResourceInputs => true;

    protected override AttrSpec[] ExtraAttrs => [new("update_slots", "bool", Attr.Bool(true))];

    internal override void Update<T>(Tensor[] refs, ReadOnlySpan<T> g, ReadOnlySpan<T> s, Operation op) => ApplyAdagradSpec.Adagrad(refs, g, s, op);
}

public sealed partial class Graph
{
    /// <summary>An <c>ApplyAdagrad</c> node.</summary>
    public Output ApplyAdagrad(Output var, Output accum, Output lr, Output grad, bool updateSlots = true, bool useLocking = false, string? name = null) =>
        AddOp(ApplyAdagradSpec.OpType, [var, accum, lr, grad], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("use_locking", Attr.Bool(useLocking)), NamedAttr("update_slots", Attr.Bool(updateSlots))])[0];

    /// <summary>A <c>SparseApplyAdagrad</c> node: ApplyAdagrad on rows <paramref name="indices"/> of var and accum.</summary>
    public Output SparseApplyAdagrad(Output var, Output accum, Output lr, Output grad, Output indices, bool updateSlots = true, bool useLocking = false, string? name = null) =>
        AddOp(SparseApplyAdagradSpec.OpType, [var, accum, lr, grad, indices], name, attrs:
            [NamedAttr("T", Attr.Type(var.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking)), NamedAttr("update_slots", Attr.Bool(updateSlots))])[0];

    /// <summary>A <c>ResourceSparseApplyAdagrad</c> node (resource-variable handles; no output).</summary>
    public Operation ResourceSparseApplyAdagrad(Output var, Output accum, Output lr, Output grad, Output indices, bool updateSlots = true, bool useLocking = false, string? name = null) =>
        AddOp(ResourceSparseApplyAdagradSpec.OpType, [var, accum, lr, grad, indices], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("Tindices", Attr.Type(indices.DType)), NamedAttr("use_locking", Attr.Bool(useLocking)), NamedAttr("update_slots", Attr.Bool(updateSlots))]);
}
