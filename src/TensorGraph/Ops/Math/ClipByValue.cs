using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// ClipByValue(t, clip_value_min, clip_value_max): t clamped to [min, max]; min and max are
/// scalars or have t's shape. TF 1.15 registers this op, but <c>tf.clip_by_value</c> still builds
/// Minimum + Maximum (see <see cref="Graph.ClipByValue(Output, Output, Output, string?)"/>).
/// </summary>
internal sealed class ClipByValueSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "ClipByValue";

    public override string Type => OpType;

    /// <summary>
    /// TF's <c>_clip_by_value_grad</c>: the gradient goes to t where it was inside [min, max], else to
    /// the bound that was applied; each part is summed back to its input's shape. (TF 1.15 defines
    /// this function but leaves it unregistered.)
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var x = c.Input(0);
        var y = c.Input(1);
        var z = c.Input(2);
        var grad = c.Grad;
        var sx = g.ShapeOf(x);
        var sy = g.ShapeOf(y);
        var sz = g.ShapeOf(z);
        var gradShape = g.ShapeOf(grad);
        var zeros = g.Zeros(gradShape, grad.DType);
        var xyMask = g.Less(x, y);
        var xzMask = g.Greater(x, z);
        var xy = g.BroadcastGradientArgs(sx, sy);
        var xz = g.BroadcastGradientArgs(sx, sz);
        var xGrad = g.Select(g.LogicalOr(xyMask, xzMask), zeros, grad);
        var yGrad = g.Select(xyMask, grad, zeros);
        var zGrad = g.Select(xzMask, grad, zeros);
        var gx = g.Reshape(g.Reduce(SumSpec.OpType, xGrad, xz.R0), sx);
        var gy = g.Reshape(g.Reduce(SumSpec.OpType, yGrad, xy.R1), sy);
        var gz = g.Reshape(g.Reduce(SumSpec.OpType, zGrad, xz.R1), sz);
        return [gx, gy, gz];
    }

    protected override string[] InputArgs => ["t: T", "clip_value_min: T", "clip_value_max: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        c.RequireSameType(0, 2);
        c.RequireType(0, TypeSets.Real);
        var t = c.InputShape(0);
        for (int i = 1; i <= 2; i++)
        {
            var s = c.InputShape(i);
            if (s.IsRankKnown && s.Rank != 0 && !s.IsCompatibleWith(t))
                throw c.Error($"clip_value_min and clip_value_max must be either scalars or have the same shape as t, got {s} for t of shape {t}");
        }
        c.AddOutput(c.InputType(0), t);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => b.InputType(0) switch
    {
        DType.Float32 => new ClipKernel<float>(),
        DType.Float64 => new ClipKernel<double>(),
        DType.Int32 => new ClipKernel<int>(),
        DType.Int64 => new ClipKernel<long>(),
        DType.Int16 => new ClipKernel<short>(),
        DType.Int8 => new ClipKernel<sbyte>(),
        DType.UInt8 => new ClipKernel<byte>(),
        DType.UInt16 => new ClipKernel<ushort>(),
        var t => throw new UnimplementedException($"ClipByValue has no kernel for {t.Name()}"),
    };

    private sealed class ClipKernel<T> : OpKernel where T : INumber<T>
    {
        public override void Compute(OpContext ctx)
        {
            var t = ctx.Input(0);
            var lo = ctx.Input(1);
            var hi = ctx.Input(2);
            if ((lo.Rank != 0 && !lo.Dims.SequenceEqual(t.Dims)) || (hi.Rank != 0 && !hi.Dims.SequenceEqual(t.Dims)))
                throw new InvalidArgumentException(
                    $"clip_value_min and clip_value_max must be either scalars or have the same shape as input t: t shape {Shape.Format(t.Dims)}, clip_value_min shape {Shape.Format(lo.Dims)}, clip_value_max shape {Shape.Format(hi.Dims)}");
            var x = t.Span<T>();
            var l = lo.Span<T>();
            var h = hi.Span<T>();
            var d = ctx.AllocateOutput(0, t.DType, t.Dims).Span<T>();
            bool loScalar = lo.Rank == 0, hiScalar = hi.Rank == 0;
            for (int i = 0; i < d.Length; i++)
            {
                // max(min(x, hi), lo) with std::min/std::max semantics: NaN in x stays NaN.
                T a = hiScalar ? h[0] : h[i];
                T b = loScalar ? l[0] : l[i];
                T v = a < x[i] ? a : x[i];
                d[i] = v < b ? b : v;
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.15's <c>tf.clip_by_value</c>: in a <c>clip_by_value</c> name scope, Minimum(t, max)
    /// then Maximum(·, min) named after the scope. Raises when min/max would broadcast t to a
    /// larger shape.
    /// </summary>
    public Output ClipByValue(Output t, Output clipValueMin, Output clipValueMax, string? name = null)
    {
        using var scope = NameScope(name ?? "clip_by_value");
        var exact = CurrentNameScope + "/";
        var tMin = Minimum(t, clipValueMax);
        RequireSameShape(t, tMin);
        var tMax = Maximum(tMin, clipValueMin, exact);
        RequireSameShape(t, tMax);
        return tMax;

        static void RequireSameShape(Output t, Output r)
        {
            if (!t.Shape.IsCompatibleWith(r.Shape))
                throw new InvalidArgumentException($"clip_by_value: clipping values would broadcast t of shape {t.Shape} to shape {r.Shape}");
        }
    }

    /// <summary>
    /// <c>tf.clip_by_value</c> with literal bounds, converted to t's dtype (Consts <c>Minimum/y</c>
    /// and <c>y</c> inside the scope, as TF names them).
    /// </summary>
    public Output ClipByValue(Output t, Tensor clipValueMin, Tensor clipValueMax, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(clipValueMin);
        ArgumentNullException.ThrowIfNull(clipValueMax);
        using var scope = NameScope(name ?? "clip_by_value");
        var exact = CurrentNameScope + "/";
        Output tMin;
        using (NameScope("Minimum"))
        {
            var minimumScope = CurrentNameScope + "/";
            tMin = Minimum(t, ConstLike(clipValueMax, t, "y"), minimumScope);
        }
        var lo = ConstLike(clipValueMin, t, "y");
        var tMax = Maximum(tMin, lo, exact);
        if (!t.Shape.IsCompatibleWith(tMax.Shape))
            throw new InvalidArgumentException($"clip_by_value: clipping values would broadcast t of shape {t.Shape} to shape {tMax.Shape}");
        return tMax;
    }

    /// <summary>A single <c>ClipByValue</c> node (TF's <c>tf.raw_ops.ClipByValue</c>).</summary>
    public Output ClipByValueOp(Output t, Output clipValueMin, Output clipValueMax, string? name = null) =>
        AddOp(ClipByValueSpec.OpType, [t, clipValueMin, clipValueMax], name, ClipByValueSpec.OpType, [NamedAttr("T", Attr.Type(t.DType))])[0];
}
