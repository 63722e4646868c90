using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Shared shape logic and kernel of Split and SplitV.</summary>
internal static class SplitHelper
{
    public static int Axis(long axis, int rank)
    {
        if (axis < -rank || axis >= rank)
            throw new InvalidArgumentException($"-input rank(-{rank}) <= split_dim < input rank ({rank}), but got {axis}");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    /// <summary>Resolves the sizes (one may be -1) against the dimension size <paramref name="dim"/> (-1 = unknown).</summary>
    public static void Resolve(ReadOnlySpan<long> sizes, int dim, Span<int> result)
    {
        int unknown = -1;
        long total = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            long s = sizes[i];
            if (s == -1)
            {
                if (unknown >= 0) throw new InvalidArgumentException("There can only be one -1 in the input.");
                unknown = i;
                result[i] = -1;
                continue;
            }
            if (s < 0) throw new InvalidArgumentException($"Split size at index {i} must be >= 0 (or -1), got {s}");
            total += s;
            result[i] = (int)s;
        }
        if (dim < 0) return;
        if ((unknown < 0 && total != dim) || (unknown >= 0 && total > dim))
            throw new InvalidArgumentException(
                $"Determined shape must either match input shape along split_dim exactly if fully specified, or be less than the size of the input along split_dim if not fully specified. Got: {total} (input size along split_dim: {dim})");
        if (unknown >= 0) result[unknown] = (int)(dim - total);
    }

    /// <summary>Outputs of sizes <paramref name="sizes"/> along <paramref name="axis"/>.</summary>
    public static void AddOutputs(InferContext c, Shape input, int axis, ReadOnlySpan<int> sizes)
    {
        for (int i = 0; i < sizes.Length; i++)
        {
            var d = input.ToArray();
            d[axis] = sizes[i];
            c.AddOutput(c.InputType(c.Type == SplitSpec.OpType ? 1 : 0), Shape.Wrap(d));
        }
    }

    /// <summary>Copies the pieces of <paramref name="x"/> along <paramref name="axis"/> into the op's outputs.</summary>
    public static void Compute<T>(OpContext ctx, Tensor x, int axis, ReadOnlySpan<int> sizes)
    {
        int rank = x.Rank;
        Span<int> od = stackalloc int[rank];
        x.Dims.CopyTo(od);
        int outer = ArrayCopy.Product(x.Dims[..axis]);
        int inner = ArrayCopy.Product(x.Dims[(axis + 1)..]);
        int row = x.Dims[axis] * inner;
        var src = x.Span<T>();
        int offset = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            od[axis] = sizes[i];
            var dst = ctx.AllocateOutput(i, x.DType, od).Span<T>();
            int chunk = sizes[i] * inner;
            for (int r = 0; r < outer; r++) src.Slice(r * row + offset, chunk).CopyTo(dst.Slice(r * chunk, chunk));
            offset += chunk;
        }
    }
}

/// <summary>Split: <c>num_split</c> equal pieces of <c>value</c> along <c>split_dim</c> (input 0).</summary>
internal sealed class SplitSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("num_split", "int"), new("T", "type")];

    public const string OpType = "Split";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SplitGrad</c>: the output gradients concatenated along the split axis.</summary>
    public override Output?[] Gradient(GradContext c) => [null, ConcatOrIdentity(c.Graph, ArrayGradients.DenseOutputGrads(c), c.Input(0))];

    /// <summary>Concat of the pieces, or Identity of a single one.</summary>
    internal static Output ConcatOrIdentity(Graph g, Output[] values, Output axis) =>
        values.Length == 1 ? g.Identity(values[0]) : g.Concat(values, axis);

    protected override string[] InputArgs => ["split_dim: int32", "value: T"];

    protected override string[] OutputArgs => ["output: num_split * T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Int32);
        int n = (int)c.AttrInt("num_split");
        if (n < 1) throw c.Error($"num_split must be >= 1, got {n}");
        var input = c.InputShape(1);
        if (c.InputShape(0).Rank > 0) throw c.Error($"split_dim must be a scalar, got shape {c.InputShape(0)}");
        if (!input.IsRankKnown || c.ConstantInput(0) is not { } axisT)
        {
            var s = input.IsRankKnown ? Shape.UnknownOfRank(input.Rank) : Shape.Unknown;
            for (int i = 0; i < n; i++) c.AddOutput(c.InputType(1), s);
            return;
        }
        int axis = SplitHelper.Axis(axisT.ScalarInt64("split_dim", int.MaxValue), input.Rank);
        int dim = input[axis];
        if (dim >= 0 && dim % n != 0)
            throw c.Error($"Dimension size must be evenly divisible by {n} but is {dim} (split_dim {axis} of input shape {input})");
        Span<int> sizes = stackalloc int[n];
        sizes.Fill(dim < 0 ? -1 : dim / n);
        SplitHelper.AddOutputs(c, input, axis, sizes);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(SplitKernel<>), b.InputType(1));

    private sealed class SplitKernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(1);
            int n = ctx.Op.NumOutputs;
            int axis = SplitHelper.Axis(ctx.Input(0).ScalarInt64("split_dim", int.MaxValue), x.Rank);
            int dim = x.Dims[axis];
            if (dim % n != 0)
                throw new InvalidArgumentException($"Number of ways to split should evenly divide the split dimension, but got split_dim {axis} (size = {dim}) and num_split {n}");
            Span<int> sizes = stackalloc int[n];
            sizes.Fill(dim / n);
            SplitHelper.Compute<T>(ctx, x, axis, sizes);
        }
    }
}

/// <summary>SplitV: pieces of the given sizes (one may be -1) of <c>value</c> along <c>split_dim</c>.</summary>
internal sealed class SplitVSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("num_split", "int"), new("T", "type"), new("Tlen", "type", Attr.Type(DType.Int64))];

    public const string OpType = "SplitV";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_SplitVGrad</c>: the output gradients concatenated along the split axis.</summary>
    public override Output?[] Gradient(GradContext c) =>
        [SplitSpec.ConcatOrIdentity(c.Graph, ArrayGradients.DenseOutputGrads(c), c.Input(2)), null, null];

    protected override string[] InputArgs => ["value: T", "size_splits: Tlen", "split_dim: int32"];

    protected override string[] OutputArgs => ["output: num_split * T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        c.RequireType(2, DType.Int32);
        int n = (int)c.AttrInt("num_split");
        if (n < 1) throw c.Error($"num_split must be >= 1, got {n}");
        var ss = c.InputShape(1);
        if (ss.IsRankKnown && (ss.Rank != 1 || (ss[0] >= 0 && ss[0] != n)))
            throw c.Error($"Length of size_splits should be equal to the value of num_split ({n}), got shape {ss}");
        var sd = c.InputShape(2);
        if (sd.IsFullyDefined && sd.NumElements != 1) throw c.Error($"split_dim must have exactly one element, not shape {sd}");
        var input = c.InputShape(0);
        if (!input.IsRankKnown || c.ConstantInput(2) is not { } axisT)
        {
            var s = input.IsRankKnown ? Shape.UnknownOfRank(input.Rank) : Shape.Unknown;
            for (int i = 0; i < n; i++) c.AddOutput(c.InputType(0), s);
            return;
        }
        int axis = SplitHelper.Axis(axisT.ScalarInt64("split_dim", int.MaxValue), input.Rank);
        Span<int> sizes = stackalloc int[n];
        if (c.ConstantInput(1) is { } sizesT)
        {
            Span<long> raw = stackalloc long[n];
            for (int i = 0; i < n; i++) raw[i] = sizesT.GetInt64(i);
            SplitHelper.Resolve(raw, input[axis], sizes);
        }
        else sizes.Fill(-1);
        SplitHelper.AddOutputs(c, input, axis, sizes);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(SplitVKernel<>), b.InputType(0));

    private sealed class SplitVKernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var sizesT = ctx.Input(1);
            int n = ctx.Op.NumOutputs;
            if (sizesT.Rank != 1 || sizesT.Size != n)
                throw new InvalidArgumentException($"Length of size_splits should be equal to the value of num_split ({n}), got shape {Shape.Format(sizesT.Dims)}");
            int axis = SplitHelper.Axis(ctx.Input(2).ScalarInt64("split_dim", int.MaxValue), x.Rank);
            Span<long> raw = stackalloc long[n];
            for (int i = 0; i < n; i++) raw[i] = sizesT.GetInt64(i);
            Span<int> sizes = stackalloc int[n];
            SplitHelper.Resolve(raw, x.Dims[axis], sizes);
            SplitHelper.Compute<T>(ctx, x, axis, sizes);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.split(value, num_split, axis)</c>: a Split node named <c>split</c>, axis Const <c>split/split_dim</c>.</summary>
    public Output[] Split(Output value, int numSplit, int axis = 0, string? name = null)
    {
        using var scope = NameScope(name ?? "split");
        var exact = CurrentNameScope + "/";
        return Split(value, Constant(axis, name: "split_dim"), numSplit, exact);
    }

    /// <summary>TF's <c>Split</c> op with a run-time axis (an int32 scalar).</summary>
    public Output[] Split(Output value, Output axis, int numSplit, string? name = null) =>
        AddOp(SplitSpec.OpType, [axis, value], name, "split", [NamedAttr("num_split", Attr.Int(numSplit)), NamedAttr("T", Attr.Type(value.DType))]).Outputs;

    /// <summary>
    /// TF's <c>tf.split(value, size_splits, axis)</c>: a SplitV node; one size may be -1 (the rest
    /// of the dimension).
    /// </summary>
    public Output[] Split(Output value, int[] sizeSplits, int axis = 0, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(sizeSplits);
        var sizes = Constant(sizeSplits, name: "Const");
        using var scope = NameScope(name ?? "split");
        var exact = CurrentNameScope + "/";
        return SplitV(value, sizes, Constant(axis, name: "split_dim"), sizeSplits.Length, exact);
    }

    /// <summary>TF's <c>SplitV</c> op: pieces of the sizes in <paramref name="sizeSplits"/> along <paramref name="axis"/>.</summary>
    public Output[] SplitV(Output value, Output sizeSplits, Output axis, int numSplit, string? name = null) =>
        AddOp(SplitVSpec.OpType, [value, sizeSplits, axis], name, "split",
            [NamedAttr("num_split", Attr.Int(numSplit)), NamedAttr("T", Attr.Type(value.DType)), NamedAttr("Tlen", Attr.Type(sizeSplits.DType))]).Outputs;
}
