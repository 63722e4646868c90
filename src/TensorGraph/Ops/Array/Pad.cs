using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Shared paddings validation of Pad, PadV2, MirrorPad and MirrorPadGrad.</summary>
internal static class PadHelper
{
    /// <summary>Checks that paddings is [rank, 2] for <paramref name="input"/>; returns the rank (-1 = unknown).</summary>
    public static int InferRank(InferContext c, Shape input, Shape paddings)
    {
        if (paddings.IsRankKnown && (paddings.Rank != 2 || (paddings[1] >= 0 && paddings[1] != 2)))
            throw c.Error($"paddings must be a matrix with 2 columns: {paddings}");
        int rank = input.IsRankKnown ? input.Rank : paddings.IsRankKnown ? paddings[0] : -1;
        if (input.IsRankKnown && paddings.IsRankKnown && paddings[0] >= 0 && paddings[0] != input.Rank)
            throw c.Error($"The first dimension of paddings must be the rank of inputs: paddings {paddings}, input {input}");
        return rank;
    }

    /// <summary>Reads paddings (checked [rank, 2], non-negative) into before/after.</summary>
    public static void Read(Tensor p, int rank, Span<int> before, Span<int> after)
    {
        if (p.Rank != 2 || p.Dims[1] != 2) throw new InvalidArgumentException($"paddings must be a matrix with 2 columns: {Shape.Format(p.Dims)}");
        if (p.Dims[0] != rank)
            throw new InvalidArgumentException($"The first dimension of paddings must be the rank of inputs: paddings {Shape.Format(p.Dims)}, input rank {rank}");
        for (int i = 0; i < rank; i++)
        {
            long a = p.GetInt64(2 * i), b = p.GetInt64(2 * i + 1);
            if (a < 0 || b < 0) throw new InvalidArgumentException($"Paddings must be non-negative: {a} {b}");
            before[i] = TensorSize.Dimension(a, "paddings[{0}, 0]", i);
            after[i] = TensorSize.Dimension(b, "paddings[{0}, 1]", i);
        }
    }

    /// <summary>Output shape (<paramref name="sign"/> +1 pads, -1 un-pads) when paddings are known.</summary>
    public static Shape InferShape(InferContext c, int sign, string? mirrorMode)
    {
        var input = c.InputShape(0);
        int rank = InferRank(c, input, c.InputShape(1));
        if (rank < 0) return Shape.Unknown;
        if (c.ConstantInput(1) is not { } p) return Shape.UnknownOfRank(rank);
        Span<int> before = stackalloc int[rank];
        Span<int> after = stackalloc int[rank];
        Read(p, rank, before, after);
        var d = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int dim = input.IsRankKnown ? input[i] : -1;
            if (dim < 0) { d[i] = -1; continue; }
            if (sign > 0 && mirrorMode is not null) CheckMirror(mirrorMode, before[i], after[i], dim);
            long padded = dim + sign * ((long)before[i] + after[i]);
            if (padded >= 0) d[i] = TensorSize.Dimension(padded, "padded dimension {0}", i);
            if (padded < 0) throw c.Error($"Paddings {before[i]}, {after[i]} are larger than dimension {i} of size {dim}");
            if (sign < 0 && mirrorMode is not null) CheckMirror(mirrorMode, before[i], after[i], d[i]);
        }
        return Shape.Wrap(d);
    }

    public static void CheckMirror(string mode, int before, int after, int dim)
    {
        if (mode == "REFLECT" && (before >= dim || after >= dim))
            throw new InvalidArgumentException($"paddings must be less than the dimension size: {before}, {after} not less than {dim}");
        if (mode == "SYMMETRIC" && (before > dim || after > dim))
            throw new InvalidArgumentException($"paddings must be no greater than the dimension size: {before}, {after} greater than {dim}");
    }

    /// <summary>Output index → input index of a mirror pad along one axis of size <paramref name="n"/>.</summary>
    public static int Mirror(int i, int before, int n, bool reflect)
    {
        if (i < before) return reflect ? before - i : before - 1 - i;
        i -= before;
        if (i < n) return i;
        i -= n;
        return reflect ? n - 2 - i : n - 1 - i;
    }
}

/// <summary>Pad / PadV2: pads with zeros (Pad) or <c>constant_values</c> (PadV2).</summary>
internal abstract class PadSpecBase : OpSpec
{
    /// <summary>TF 1.15's <c>_PadGrad</c> (Pad and PadV2): Slice(grad, paddings[:, 0], shape(x)).</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var x = c.X;
        var a = c.Input(1);
        var padBefore = g.Slice(a, g.Constant(new[] { 0, 0 }), g.Stack([g.Rank(x), g.Constant(1)]));
        var begin = g.Reshape(padBefore, [-1]);
        var sizes = g.ShapeOf(x, a.DType);
        var xGrad = g.Slice(c.Grad, begin, sizes);
        return c.Op.NumInputs == 3 ? [xGrad, null, null] : [xGrad, null];
    }

    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("Tpaddings", "type", Attr.Type(DType.Int32))];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected abstract bool HasConstant { get; }

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        if (HasConstant)
        {
            c.RequireSameType(0, 2);
            var cs = c.InputShape(2);
            if (cs.IsRankKnown && cs.Rank != 0) throw c.Error($"constant_values must be a scalar, not shape {cs}");
        }
        var shape = PadHelper.InferShape(c, 1, null);
        c.AddOutput(c.InputType(0), shape);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(PadKernel<>), b.InputType(0));

    private sealed class PadKernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            int rank = x.Rank;
            if (rank > ArrayCopy.MaxRank) throw new UnimplementedException($"Pad of rank {rank} is not supported");
            Span<int> before = stackalloc int[rank];
            Span<int> after = stackalloc int[rank];
            PadHelper.Read(ctx.Input(1), rank, before, after);
            Span<int> od = stackalloc int[rank];
            for (int i = 0; i < rank; i++) od[i] = TensorSize.Dimension((long)x.Dims[i] + before[i] + after[i], "padded dimension {0}", i);
            var o = ctx.AllocateOutput(0, x.DType, od);
            var dst = o.Span<T>();
            if (ctx.NumInputs > 2)
            {
                var cv = ctx.Input(2);
                dst.Fill(cv.ScalarValue<T>("constant_values"));
            }
            else ArrayCopy.Clear(dst);
            Span<int> ss = stackalloc int[rank];
            Span<int> ds = stackalloc int[rank];
            ArrayCopy.RowMajorStrides(x.Dims, ss);
            ArrayCopy.RowMajorStrides(od, ds);
            int offset = 0;
            for (int i = 0; i < rank; i++) offset += before[i] * ds[i];
            ArrayCopy.Strided<T>(x.Span<T>(), 0, ss, dst, offset, ds, x.Dims);
        }
    }
}

/// <summary>Pad: zero padding (<c>tf.pad</c> with mode CONSTANT and value 0).</summary>
internal sealed class PadSpec : PadSpecBase
{
    public const string OpType = "Pad";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input: T", "paddings: Tpaddings"];

    protected override string[] OutputArgs => ["output: T"];

    protected override bool HasConstant => false;
}

/// <summary>PadV2: padding with a scalar <c>constant_values</c>.</summary>
internal sealed class PadV2Spec : PadSpecBase
{
    public const string OpType = "PadV2";

    public override string Type => OpType;

    protected override string[] InputArgs => ["input: T", "paddings: Tpaddings", "constant_values: T"];

    protected override string[] OutputArgs => ["output: T"];

    protected override bool HasConstant => true;
}

/// <summary>MirrorPad: REFLECT (edge not repeated) or SYMMETRIC (edge repeated) padding.</summary>
internal sealed class MirrorPadSpec : OpSpec
{
    internal static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("Tpaddings", "type", Attr.Type(DType.Int32)), new("mode", "string")];

    public const string OpType = "MirrorPad";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_MirrorPadGrad</c>: MirrorPadGrad of the gradient.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.MirrorPadGrad(c.Grad, c.Input(1), c.Op.GetAttrString("mode")), null];

    protected override string[] InputArgs => ["input: T", "paddings: Tpaddings"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    internal static string Mode(InferContext c)
    {
        var mode = c.Attr("mode").S.ToStringUtf8();
        if (mode is not ("REFLECT" or "SYMMETRIC")) throw c.Error($"mode must be REFLECT or SYMMETRIC, got '{mode}'");
        return mode;
    }

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        var shape = PadHelper.InferShape(c, 1, Mode(c));
        c.AddOutput(c.InputType(0), shape);
    }

    public override OpKernel CreateKernel(KernelBuilder b) =>
        ArrayCopy.Make(typeof(MirrorPadKernel<>), b.InputType(0), b.Op.GetAttrString("mode") == "REFLECT");

    private sealed class MirrorPadKernel<T>(bool reflect) : OpKernel
    {
        private int[] _map = [];

        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            int rank = x.Rank;
            if (rank > ArrayCopy.MaxRank) throw new UnimplementedException($"MirrorPad of rank {rank} is not supported");
            Span<int> before = stackalloc int[rank];
            Span<int> after = stackalloc int[rank];
            PadHelper.Read(ctx.Input(1), rank, before, after);
            Span<int> od = stackalloc int[rank];
            int total = 0;
            for (int i = 0; i < rank; i++)
            {
                PadHelper.CheckMirror(reflect ? "REFLECT" : "SYMMETRIC", before[i], after[i], x.Dims[i]);
                od[i] = TensorSize.Dimension((long)x.Dims[i] + before[i] + after[i], "padded dimension {0}", i);
                total = TensorSize.Dimension((long)total + od[i], "the mirror index map");
            }
            var o = ctx.AllocateOutput(0, x.DType, od);
            if (o.Size == 0) return;
            if (_map.Length < total) _map = new int[total];
            Span<int> ss = stackalloc int[rank];
            ArrayCopy.RowMajorStrides(x.Dims, ss);
            int at = 0;
            for (int d = 0; d < rank; d++)
                for (int i = 0; i < od[d]; i++) _map[at++] = PadHelper.Mirror(i, before[d], x.Dims[d], reflect) * ss[d];
            MirrorWalk.Run<T>(od, _map, x.Span<T>(), o.Span<T>());
        }
    }
}

/// <summary>MirrorPadGrad: folds a padded gradient back onto the unpadded input (sums mirrored positions).</summary>
internal sealed class MirrorPadGradSpec : OpSpec
{
    public const string OpType = "MirrorPadGrad";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_MirrorPadGradGrad</c>: MirrorPad of the gradient.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.MirrorPad(c.Grad, c.Input(1), c.Op.GetAttrString("mode")), null];

    protected override string[] InputArgs => ["input: T", "paddings: Tpaddings"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => MirrorPadSpec.AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Real);
        c.RequireType(1, TypeSets.Int);
        var shape = PadHelper.InferShape(c, -1, MirrorPadSpec.Mode(c));
        c.AddOutput(c.InputType(0), shape);
    }

    public override OpKernel CreateKernel(KernelBuilder b) =>
        ArrayCopy.Make(typeof(MirrorPadGradKernel<>), b.InputType(0), b.Op.GetAttrString("mode") == "REFLECT");

    private sealed class MirrorPadGradKernel<T>(bool reflect) : OpKernel where T : INumber<T>
    {
        private int[] _map = [];

        public override void Compute(OpContext ctx)
        {
            var g = ctx.Input(0);
            int rank = g.Rank;
            if (rank > ArrayCopy.MaxRank) throw new UnimplementedException($"MirrorPadGrad of rank {rank} is not supported");
            Span<int> before = stackalloc int[rank];
            Span<int> after = stackalloc int[rank];
            PadHelper.Read(ctx.Input(1), rank, before, after);
            Span<int> od = stackalloc int[rank];
            int total = 0;
            for (int i = 0; i < rank; i++)
            {
                od[i] = g.Dims[i] - before[i] - after[i];
                if (od[i] < 0) throw new InvalidArgumentException($"Paddings {before[i]}, {after[i]} are larger than dimension {i} of size {g.Dims[i]}");
                PadHelper.CheckMirror(reflect ? "REFLECT" : "SYMMETRIC", before[i], after[i], od[i]);
                total += g.Dims[i];
            }
            var o = ctx.AllocateOutput(0, g.DType, od);
            o.Span<T>().Clear();
            if (g.Size == 0) return;
            if (_map.Length < total) _map = new int[total];
            Span<int> os = stackalloc int[rank];
            ArrayCopy.RowMajorStrides(od, os);
            int at = 0;
            for (int d = 0; d < rank; d++)
                for (int i = 0; i < g.Dims[d]; i++) _map[at++] = PadHelper.Mirror(i, before[d], od[d], reflect) * os[d];
            // Walk the padded gradient; each element adds into its mirrored source position.
            var src = g.Span<T>();
            var dst = o.Span<T>();
            Span<int> idx = stackalloc int[rank];
            Span<int> start = stackalloc int[rank];
            for (int d = 0, s = 0; d < rank; d++) { start[d] = s; s += g.Dims[d]; }
            idx.Clear();
            int n = g.Size;
            for (int k = 0; k < n; k++)
            {
                int off = 0;
                for (int d = 0; d < rank; d++) off += _map[start[d] + idx[d]];
                dst[off] += src[k];
                for (int d = rank - 1; d >= 0; d--)
                {
                    if (++idx[d] < g.Dims[d]) break;
                    idx[d] = 0;
                }
            }
        }
    }
}

/// <summary>Gathers dst[k] = src[Σ map_d[i_d]] over the row-major indices i of <c>dims</c>.</summary>
internal static class MirrorWalk
{
    public static void Run<T>(ReadOnlySpan<int> dims, int[] map, ReadOnlySpan<T> src, Span<T> dst)
    {
        int rank = dims.Length;
        if (rank == 0)
        {
            dst[0] = src[0];
            return;
        }
        Span<int> idx = stackalloc int[rank];
        Span<int> start = stackalloc int[rank];
        for (int d = 0, s = 0; d < rank; d++) { start[d] = s; s += dims[d]; }
        idx.Clear();
        int inner = dims[rank - 1];
        int innerStart = start[rank - 1];
        int outer = dst.Length / inner;
        int k = 0;
        for (int o = 0; o < outer; o++)
        {
            int baseOff = 0;
            for (int d = 0; d < rank - 1; d++) baseOff += map[start[d] + idx[d]];
            for (int j = 0; j < inner; j++) dst[k++] = src[baseOff + map[innerStart + j]];
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++idx[d] < dims[d]) break;
                idx[d] = 0;
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.pad(tensor, paddings, mode, constant_values)</c>: Pad (CONSTANT with 0), PadV2
    /// (CONSTANT with another value) or MirrorPad (REFLECT / SYMMETRIC; case-insensitive).
    /// <paramref name="paddings"/> is [rank, 2]: before and after counts per axis.
    /// </summary>
    public Output Pad(Output tensor, int[,] paddings, string mode = "CONSTANT", double constantValue = 0, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(paddings);
        ArgumentNullException.ThrowIfNull(mode);
        var m = mode.ToUpperInvariant();
        string defaultName = m switch
        {
            "CONSTANT" => constantValue == 0 ? "Pad" : "PadV2",
            "REFLECT" or "SYMMETRIC" => "MirrorPad",
            _ => throw new InvalidArgumentException($"Unknown padding mode: {mode}"),
        };
        using var scope = NameScope(name ?? defaultName);
        var exact = CurrentNameScope + "/";
        var p = Constant(paddings, name: "paddings");
        if (m != "CONSTANT") return MirrorPad(tensor, p, m, exact);
        if (constantValue == 0) return Pad(tensor, p, exact);
        return PadV2(tensor, p, Constant(ScalarOf(tensor.DType, constantValue), name: "constant_values"), exact);
    }

    /// <summary>TF's <c>Pad</c> op with run-time paddings (zeros; empty strings for string tensors).</summary>
    public Output Pad(Output tensor, Output paddings, string? name = null) =>
        AddOp(PadSpec.OpType, [tensor, paddings], name, attrs: [NamedAttr("T", Attr.Type(tensor.DType)), NamedAttr("Tpaddings", Attr.Type(paddings.DType))])[0];

    /// <summary>TF's <c>PadV2</c> op: padding with the scalar <paramref name="constantValues"/>.</summary>
    public Output PadV2(Output tensor, Output paddings, Output constantValues, string? name = null) =>
        AddOp(PadV2Spec.OpType, [tensor, paddings, constantValues], name, attrs: [NamedAttr("T", Attr.Type(tensor.DType)), NamedAttr("Tpaddings", Attr.Type(paddings.DType))])[0];

    /// <summary>TF's <c>MirrorPad</c> op; <paramref name="mode"/> is REFLECT or SYMMETRIC.</summary>
    public Output MirrorPad(Output tensor, Output paddings, string mode, string? name = null) =>
        AddOp(MirrorPadSpec.OpType, [tensor, paddings], name, attrs:
            [NamedAttr("T", Attr.Type(tensor.DType)), NamedAttr("Tpaddings", Attr.Type(paddings.DType)), NamedAttr("mode", Attr.String(mode))])[0];

    /// <summary>TF's <c>MirrorPadGrad</c> op (the MirrorPad gradient): sums a padded gradient back onto the input.</summary>
    public Output MirrorPadGrad(Output grad, Output paddings, string mode, string? name = null) =>
        AddOp(MirrorPadGradSpec.OpType, [grad, paddings], name, attrs:
            [NamedAttr("T", Attr.Type(grad.DType)), NamedAttr("Tpaddings", Attr.Type(paddings.DType)), NamedAttr("mode", Attr.String(mode))])[0];
}
