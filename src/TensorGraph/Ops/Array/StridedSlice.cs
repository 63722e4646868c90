using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>The five StridedSlice bit masks.</summary>
internal readonly record struct SliceMasks(int Begin, int End, int Ellipsis, int NewAxis, int Shrink)
{
    public static SliceMasks FromAttrs(Func<string, long> attr) =>
        new((int)attr("begin_mask"), (int)attr("end_mask"), (int)attr("ellipsis_mask"), (int)attr("new_axis_mask"), (int)attr("shrink_axis_mask"));
}

/// <summary>
/// TF's <c>ValidateStridedSliceOp</c>: turns the sparse spec (begin/end/strides with masks, an
/// ellipsis and new axes) into a dense per-dimension spec over the input, the "processing" shape
/// (one entry per input dimension) and the final shape (new axes added, shrunk axes removed).
/// Works on partially known dims (-1) and unknown begin/end values for shape inference.
/// </summary>
internal static class StridedSliceMath
{
    private const int ShrinkAxis = -1, NewAxis = -2;

    /// <summary>
    /// Fills <paramref name="b"/>, <paramref name="e"/>, <paramref name="s"/> and
    /// <paramref name="processing"/> (length = input rank) and <paramref name="final"/>
    /// (capacity ≥ strides length + rank + 1); returns the final rank.
    /// </summary>
    public static int Compute(ReadOnlySpan<int> inputDims, Tensor? begin, Tensor? end, Tensor strides, SliceMasks m,
        Span<long> b, Span<long> e, Span<long> s, Span<int> processing, Span<int> final)
    {
        int n = strides.Size;
        bool beginWrong = begin is not null && (begin.Rank != 1 || begin.Size != n || n >= 32);
        bool endWrong = end is not null && (end.Rank != 1 || end.Size != n);
        if (beginWrong || endWrong || strides.Rank != 1 || n >= 32)
            throw new InvalidArgumentException(
                $"Expected begin, end, and strides to be 1D equal size tensors, but got shapes {(begin is null ? "?" : Shape.Format(begin.Dims))}, " +
                $"{(end is null ? "?" : Shape.Format(end.Dims))}, and {Shape.Format(strides.Dims)} instead.");
        int ellipsisMask = m.Ellipsis;
        if (ellipsisMask != 0 && (ellipsisMask & (ellipsisMask - 1)) != 0)
            throw new InvalidArgumentException("Multiple ellipses in slice spec not allowed");

        // Step 1: new axes after the ellipsis; an implicit ellipsis at the end when there is none.
        bool ellipsisSeen = false;
        int numAddAxisAfterEllipsis = 0;
        for (int i = 0; i < n; i++)
        {
            if (ellipsisSeen && ((1 << i) & m.NewAxis) != 0) numAddAxisAfterEllipsis++;
            if (((1 << i) & ellipsisMask) != 0) ellipsisSeen = true;
        }
        int sparseDims = n;
        if (!ellipsisSeen)
        {
            ellipsisMask |= 1 << n;
            sparseDims++;
        }

        // Step 2: the dense spec.
        int rank = inputDims.Length;
        Span<bool> beginMasked = stackalloc bool[rank];
        Span<bool> endMasked = stackalloc bool[rank];
        Span<bool> shrink = stackalloc bool[rank];
        Span<int> gather = stackalloc int[sparseDims + rank];
        beginMasked.Clear(); endMasked.Clear(); shrink.Clear();
        int gn = 0, full = 0;
        for (int i = 0; i < sparseDims; i++)
        {
            if (((1 << i) & ellipsisMask) != 0)
            {
                int next = Math.Min(rank - (sparseDims - i) + 1 + numAddAxisAfterEllipsis, rank);
                for (; full < next; full++)
                {
                    b[full] = e[full] = 0;
                    s[full] = 1;
                    beginMasked[full] = endMasked[full] = true;
                    gather[gn++] = full;
                }
            }
            else if (((1 << i) & m.NewAxis) != 0)
            {
                gather[gn++] = NewAxis;
            }
            else
            {
                if (full == rank)
                    throw new InvalidArgumentException($"Index out of range using input dim {full}; input has only {rank} dims");
                b[full] = begin is null ? 0 : begin.GetInt64(i);
                e[full] = end is null ? 0 : end.GetInt64(i);
                s[full] = strides.GetInt64(i);
                beginMasked[full] = (m.Begin & (1 << i)) != 0;
                endMasked[full] = (m.End & (1 << i)) != 0;
                if ((m.Shrink & (1 << i)) != 0)
                {
                    gather[gn++] = ShrinkAxis;
                    shrink[full] = true;
                }
                else gather[gn++] = full;
                full++;
            }
        }

        // Step 3: canonical begin/end per dimension, bounds checks, processing shape.
        bool valid = begin is not null && end is not null;
        for (int i = 0; i < rank; i++)
        {
            long stride = s[i];
            int dim = inputDims[i];
            if (stride == 0) throw new InvalidArgumentException($"strides[{i}] must be non-zero");
            if (dim == -1)
            {
                processing[i] = shrink[i] ? 1 : -1;
                continue;
            }
            if (shrink[i] && stride <= 0) throw new InvalidArgumentException("only stride 1 allowed on non-range indexing.");
            long lo = stride > 0 ? 0 : -1, hi = stride > 0 ? dim : dim - 1;
            if (valid)
            {
                if (shrink[i])
                {
                    long x = b[i] < 0 ? dim + b[i] : b[i];
                    if (x < 0 || x >= dim) throw new InvalidArgumentException($"slice index {b[i]} of dimension {i} out of bounds.");
                    b[i] = x;
                    e[i] = x + 1;
                }
                else
                {
                    b[i] = Canonical(b[i], beginMasked[i], true, stride, dim, lo, hi);
                    e[i] = Canonical(e[i], endMasked[i], false, stride, dim, lo, hi);
                }
            }
            long interval;
            bool known = true;
            if (valid) interval = e[i] - b[i];
            else if (shrink[i]) interval = 1;
            else if (beginMasked[i] && endMasked[i] && dim > 0) interval = stride < 0 ? -dim : dim;
            else { interval = 0; known = false; }
            if (!known) { processing[i] = -1; continue; }
            long size = interval == 0 || (interval < 0) != (stride < 0) ? 0 : interval / stride + (interval % stride != 0 ? 1 : 0);
            processing[i] = checked((int)size);
        }

        // Step 4: the final shape.
        int fr = 0;
        for (int k = 0; k < gn; k++)
        {
            int g = gather[k];
            if (g >= 0) final[fr++] = processing[g];
            else if (g == NewAxis) final[fr++] = 1;
        }
        return fr;
    }

    private static long Canonical(long x, bool masked, bool isBegin, long stride, int dim, long lo, long hi)
    {
        if (masked) return stride > 0 ? (isBegin ? lo : hi) : (isBegin ? hi : lo);
        long fwd = x < 0 ? dim + x : x;
        return fwd < lo ? lo : fwd > hi ? hi : fwd;
    }

    /// <summary>Element offset and strides of the strided view described by b/s over a row-major tensor of <paramref name="dims"/>.</summary>
    public static int View(ReadOnlySpan<int> dims, ReadOnlySpan<long> b, ReadOnlySpan<long> s, ReadOnlySpan<int> processing, Span<int> viewStrides)
    {
        int rank = dims.Length;
        Span<int> rm = stackalloc int[rank];
        ArrayCopy.RowMajorStrides(dims, rm);
        int offset = 0;
        bool empty = false;
        for (int i = 0; i < rank; i++)
        {
            if (processing[i] == 0) empty = true;
            viewStrides[i] = checked((int)(s[i] * rm[i]));
            offset += (int)b[i] * rm[i];
        }
        return empty ? 0 : offset;
    }
}

/// <summary>StridedSlice: numpy-style basic indexing (<c>x[1:-1:2, ..., tf.newaxis, 0]</c>) encoded in five bit masks.</summary>
internal sealed class StridedSliceSpec : OpSpec
{
    internal static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("T", "type"), new("Index", "type"), new("begin_mask", "int", Attr.Int(0)), new("end_mask", "int", Attr.Int(0)),
        new("ellipsis_mask", "int", Attr.Int(0)), new("new_axis_mask", "int", Attr.Int(0)), new("shrink_axis_mask", "int", Attr.Int(0)),
    ];

    public const string OpType = "StridedSlice";

    public override string Type => OpType;

    /// <summary>The masks of a built StridedSlice or StridedSliceGrad node.</summary>
    internal static SliceMasks Masks(Operation op) => SliceMasks.FromAttrs(op.GetAttrInt);

    /// <summary>TF 1.15's <c>_StridedSliceGrad</c>: StridedSliceGrad of the input's shape.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var begin = c.Input(1);
        var x = g.ShapeOf(c.X, begin.DType);
        var m = Masks(c.Op);
        return [g.StridedSliceGrad(x, begin, c.Input(2), c.Input(3), c.Grad, m.Begin, m.End, m.Ellipsis, m.NewAxis, m.Shrink), null, null, null];
    }

    protected override string[] InputArgs => ["input: T", "begin: Index", "end: Index", "strides: Index"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    internal static SliceMasks Masks(IDictionary<string, AttrValue> attrs) =>
        SliceMasks.FromAttrs(k => attrs.TryGetValue(k, out var v) ? v.I : 0);

    public override void Infer(InferContext c)
    {
        for (int i = 1; i <= 3; i++) c.RequireType(i, TypeSets.Int);
        c.RequireSameType(1, 2);
        c.RequireSameType(1, 3);
        for (int i = 1; i <= 3; i++)
        {
            var sh = c.InputShape(i);
            if (sh.IsRankKnown && sh.Rank != 1) throw c.Error($"begin, end and strides must be vectors, got shape {sh} for input {i}");
        }
        var input = c.InputShape(0);
        var strides = c.ConstantInput(3);
        if (!input.IsRankKnown || strides is null)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        c.AddOutput(c.InputType(0), InferShape(input.Dims, c.ConstantInput(1), c.ConstantInput(2), strides, Masks(c.Attrs)));
    }

    internal static Shape InferShape(ReadOnlySpan<int> dims, Tensor? begin, Tensor? end, Tensor strides, SliceMasks masks)
    {
        int rank = dims.Length;
        var b = new long[rank];
        var e = new long[rank];
        var s = new long[rank];
        var p = new int[rank];
        var f = new int[strides.Size + rank + 1];
        int fr = StridedSliceMath.Compute(dims, begin, end, strides, masks, b, e, s, p, f);
        return Shape.Wrap(f[..fr]);
    }

    public override OpKernel CreateKernel(KernelBuilder b) =>
        ArrayCopy.Make(typeof(StridedSliceKernel<>), b.InputType(0), Masks(b.Op.AttrMap));

    private sealed class StridedSliceKernel<T>(SliceMasks masks) : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var strides = ctx.Input(3);
            int rank = x.Rank;
            if (rank > ArrayCopy.MaxRank) throw new UnimplementedException($"StridedSlice of rank {rank} is not supported");
            Span<long> b = stackalloc long[rank];
            Span<long> e = stackalloc long[rank];
            Span<long> s = stackalloc long[rank];
            Span<int> p = stackalloc int[rank];
            Span<int> f = stackalloc int[Math.Min(strides.Size, 32) + rank + 1];
            int fr = StridedSliceMath.Compute(x.Dims, ctx.Input(1), ctx.Input(2), strides, masks, b, e, s, p, f);
            var o = ctx.AllocateOutput(0, x.DType, f[..fr]);
            Span<int> vs = stackalloc int[rank];
            int offset = StridedSliceMath.View(x.Dims, b, s, p, vs);
            Span<int> ds = stackalloc int[rank];
            ArrayCopy.RowMajorStrides(p, ds);
            ArrayCopy.Strided<T>(x.Span<T>(), offset, vs, o.Span<T>(), 0, ds, p);
        }
    }
}

/// <summary>StridedSliceGrad: scatters dy into zeros of shape <c>shape</c> at the positions a StridedSlice with the same arguments reads.</summary>
internal sealed class StridedSliceGradSpec : OpSpec
{
    public const string OpType = "StridedSliceGrad";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_StridedSliceGradGrad</c>: only <c>dy</c> gets a gradient, the StridedSlice of the gradient.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var m = StridedSliceSpec.Masks(c.Op);
        return [null, null, null, null,
            c.Graph.StridedSlice(c.Grad, c.Input(1), c.Input(2), c.Input(3), m.Begin, m.End, m.Ellipsis, m.NewAxis, m.Shrink)];
    }

    protected override string[] InputArgs => ["shape: Index", "begin: Index", "end: Index", "strides: Index", "dy: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => StridedSliceSpec.AttrList;

    public override void Infer(InferContext c)
    {
        for (int i = 0; i <= 3; i++) c.RequireType(i, TypeSets.Int);
        for (int i = 1; i <= 3; i++) c.RequireSameType(0, i);
        var ss = c.InputShape(0);
        if (ss.IsRankKnown && ss.Rank != 1) throw c.Error($"shape must be a vector, got shape {ss}");
        if (c.ConstantInput(0) is not { } shape)
        {
            c.AddOutput(c.InputType(4), ss.IsRankKnown && ss[0] >= 0 ? Shape.UnknownOfRank(ss[0]) : Shape.Unknown);
            return;
        }
        var dims = new int[shape.Size];
        for (int i = 0; i < dims.Length; i++) dims[i] = TensorSize.Dimension(shape.GetInt64(i), "shape[{0}]", i);
        if (c.ConstantInput(3) is { } strides)
        {
            var expected = StridedSliceSpec.InferShape(dims, c.ConstantInput(1), c.ConstantInput(2), strides, StridedSliceSpec.Masks(c.Attrs));
            if (!expected.IsCompatibleWith(c.InputShape(4)))
                throw c.Error($"shape of dy was {c.InputShape(4)} instead of {expected}");
        }
        c.AddOutput(c.InputType(4), Shape.Wrap(dims));
    }

    public override OpKernel CreateKernel(KernelBuilder b) =>
        ArrayCopy.Make(typeof(StridedSliceGradKernel<>), b.InputType(4), StridedSliceSpec.Masks(b.Op.AttrMap));

    private sealed class StridedSliceGradKernel<T>(SliceMasks masks) : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var shape = ctx.Input(0);
            var strides = ctx.Input(3);
            var dy = ctx.Input(4);
            if (shape.Rank != 1) throw new InvalidArgumentException($"shape must be a vector, got shape {Shape.Format(shape.Dims)}");
            int rank = shape.Size;
            if (rank > ArrayCopy.MaxRank) throw new UnimplementedException($"StridedSliceGrad of rank {rank} is not supported");
            Span<int> dims = stackalloc int[rank];
            shape.ReadDimensions(dims, "shape");
            Span<long> b = stackalloc long[rank];
            Span<long> e = stackalloc long[rank];
            Span<long> s = stackalloc long[rank];
            Span<int> p = stackalloc int[rank];
            Span<int> f = stackalloc int[Math.Min(strides.Size, 32) + rank + 1];
            int fr = StridedSliceMath.Compute(dims, ctx.Input(1), ctx.Input(2), strides, masks, b, e, s, p, f);
            if (!dy.Dims.SequenceEqual(f[..fr]))
                throw new InvalidArgumentException($"shape of dy was {Shape.Format(dy.Dims)} instead of {Shape.Format(f[..fr])}");
            var o = ctx.AllocateOutput(0, dy.DType, dims);
            var dst = o.Span<T>();
            ArrayCopy.Clear(dst);
            Span<int> vs = stackalloc int[rank];
            int offset = StridedSliceMath.View(dims, b, s, p, vs);
            Span<int> ss = stackalloc int[rank];
            ArrayCopy.RowMajorStrides(p, ss);
            ArrayCopy.Strided<T>(dy.Span<T>(), 0, ss, dst, offset, vs, p);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.strided_slice</c> with run-time begin/end/strides (vectors of one int dtype) and the five masks.</summary>
    public Output StridedSlice(Output input, Output begin, Output end, Output strides, int beginMask = 0, int endMask = 0,
        int ellipsisMask = 0, int newAxisMask = 0, int shrinkAxisMask = 0, string? name = null) =>
        AddOp(StridedSliceSpec.OpType, [input, begin, end, strides], name, attrs:
        [
            NamedAttr("T", Attr.Type(input.DType)), NamedAttr("Index", Attr.Type(begin.DType)),
            NamedAttr("begin_mask", Attr.Int(beginMask)), NamedAttr("end_mask", Attr.Int(endMask)), NamedAttr("ellipsis_mask", Attr.Int(ellipsisMask)),
            NamedAttr("new_axis_mask", Attr.Int(newAxisMask)), NamedAttr("shrink_axis_mask", Attr.Int(shrinkAxisMask)),
        ])[0];

    /// <summary>
    /// TF's <c>tf.strided_slice</c> with constant begin/end/strides (Consts <c>stack</c>,
    /// <c>stack_1</c>, <c>stack_2</c> under the <c>strided_slice</c> scope, as Python's
    /// indexing builds them). Strides default to ones.
    /// </summary>
    public Output StridedSlice(Output input, int[] begin, int[] end, int[]? strides = null, int beginMask = 0, int endMask = 0,
        int ellipsisMask = 0, int newAxisMask = 0, int shrinkAxisMask = 0, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(begin);
        ArgumentNullException.ThrowIfNull(end);
        strides ??= Enumerable.Repeat(1, begin.Length).ToArray();
        using var scope = NameScope(name ?? "strided_slice");
        var exact = CurrentNameScope + "/";
        return StridedSlice(input, Constant(begin, name: "stack"), Constant(end, name: "stack_1"), Constant(strides, name: "stack_2"),
            beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask, exact);
    }

    /// <summary>TF's <c>StridedSliceGrad</c>: dy scattered into zeros of <paramref name="shape"/> (the StridedSlice gradient).</summary>
    public Output StridedSliceGrad(Output shape, Output begin, Output end, Output strides, Output dy, int beginMask = 0, int endMask = 0,
        int ellipsisMask = 0, int newAxisMask = 0, int shrinkAxisMask = 0, string? name = null) =>
        AddOp(StridedSliceGradSpec.OpType, [shape, begin, end, strides, dy], name, attrs:
        [
            NamedAttr("T", Attr.Type(dy.DType)), NamedAttr("Index", Attr.Type(shape.DType)),
            NamedAttr("begin_mask", Attr.Int(beginMask)), NamedAttr("end_mask", Attr.Int(endMask)), NamedAttr("ellipsis_mask", Attr.Int(ellipsisMask)),
            NamedAttr("new_axis_mask", Attr.Int(newAxisMask)), NamedAttr("shrink_axis_mask", Attr.Int(shrinkAxisMask)),
        ])[0];
}
