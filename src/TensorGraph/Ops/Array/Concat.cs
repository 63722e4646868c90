using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>ConcatV2: joins N ≥ 2 tensors along <c>axis</c> (the last input, in [-rank, rank)).</summary>
internal sealed class ConcatV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("N", "int", Minimum: 2), new("T", "type"), new("Tidx", "type", Attr.Type(DType.Int32))];

    public const string OpType = "ConcatV2";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_ConcatGradHelper</c> for ConcatV2: Slice(grad, ConcatOffset(axis mod rank, shapes)), or SplitV beyond 16 inputs.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        int n = c.Op.NumInputs - 1;
        var values = new Output[n];
        for (int i = 0; i < n; i++) values[i] = c.Input(i);
        var axis = c.Input(n);
        if (axis.DType != DType.Int32) axis = g.Cast(axis, DType.Int32);
        var nonNeg = g.FloorMod(axis, g.Rank(values[0]), "mod");
        Output[] sizes;
        if (values.All(v => v.Shape.IsFullyDefined))
            sizes = [.. values.Select(v => g.Constant(v.Shape.ToArray(), name: "Shape"))];
        else sizes = g.ShapeN(values);
        var result = new Output?[n + 1];
        if (n > 16)
        {
            var begin = g.Stack([nonNeg, g.Constant(0)]);
            var row = g.Slice(g.Stack(sizes, axis: 1), begin, g.Constant(new[] { 1, -1 }));
            var split = g.SplitV(c.Grad, g.Squeeze(row), nonNeg, n);
            for (int i = 0; i < n; i++) result[i] = split[i];
            return result;
        }
        var offsets = g.ConcatOffset(nonNeg, sizes);
        for (int i = 0; i < n; i++) result[i] = g.Slice(c.Grad, offsets[i], sizes[i]);
        return result;
    }

    protected override string[] InputArgs => ["values: N * T", "axis: Tidx"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        int n = (int)c.AttrInt("N");
        if (n < 2) throw c.Error($"ConcatV2 needs N >= 2 values, got N = {n}");
        for (int i = 1; i < n; i++) c.RequireSameType(0, i);
        c.RequireType(n, TypeSets.Int);
        var axisShape = c.InputShape(n);
        if (axisShape.IsRankKnown && axisShape.Rank != 0) throw c.Error($"axis must be a scalar, got shape {axisShape}");
        int rank = -1;
        for (int i = 0; i < n; i++)
        {
            var s = c.InputShape(i);
            if (!s.IsRankKnown) continue;
            if (rank >= 0 && s.Rank != rank)
                throw c.Error($"Shape must be rank {rank} but is rank {s.Rank} for input {i} ('{c.Inputs[i].Name}'): all inputs to ConcatV2 need the same rank");
            rank = s.Rank;
        }
        var dt = c.InputType(0);
        if (rank == 0) throw c.Error("Can't concatenate scalars (use tf.stack instead)");
        if (rank < 0)
        {
            c.AddOutput(dt, Shape.Unknown);
            return;
        }
        if (c.ConstantInput(n) is not { } axisT)
        {
            c.AddOutput(dt, Shape.UnknownOfRank(rank));
            return;
        }
        int axis = Axis(axisT.ScalarInt64("axis", maxRank: 1), rank);
        var d = new int[rank];
        Array.Fill(d, -1);
        int sum = 0;
        for (int i = 0; i < n; i++)
        {
            var s = c.InputShape(i);
            if (!s.IsRankKnown) { sum = -1; continue; }
            for (int k = 0; k < rank; k++)
            {
                if (k == axis)
                {
                    sum = sum < 0 || s[k] < 0 ? -1 : TensorSize.Dimension((long)sum + s[k], "concatenated dimension {0}", axis);
                    continue;
                }
                if (s[k] < 0) continue;
                if (d[k] >= 0 && d[k] != s[k])
                    throw c.Error($"Dimension {k} in both shapes must be equal, but are {d[k]} and {s[k]}. Shapes are {c.InputShape(0)} and {s} (input {i}, '{c.Inputs[i].Name}')");
                d[k] = s[k];
            }
        }
        d[axis] = sum;
        c.AddOutput(dt, Shape.Wrap(d));
    }

    internal static int Axis(long axis, int rank)
    {
        if (axis < -rank || axis >= rank)
            throw new InvalidArgumentException($"ConcatOp : Expected concatenating dimensions in the range [{-rank}, {rank}), but got {axis}");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(ConcatKernel<>), b.InputType(0));

    private sealed class ConcatKernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            int n = ctx.NumInputs - 1;
            var first = ctx.Input(0);
            int rank = first.Rank;
            if (rank == 0) throw new InvalidArgumentException("Can't concatenate scalars (use tf.stack instead)");
            int axis = Axis(ctx.Input(n).ScalarInt64("axis", maxRank: 1), rank);
            Span<int> od = stackalloc int[rank];
            first.Dims.CopyTo(od);
            od[axis] = 0;
            for (int i = 0; i < n; i++)
            {
                var x = ctx.Input(i);
                if (x.Rank != rank)
                    throw new InvalidArgumentException($"ConcatOp : Ranks of all input tensors should match: shape[0] = {Shape.Format(first.Dims)} vs. shape[{i}] = {Shape.Format(x.Dims)}");
                for (int k = 0; k < rank; k++)
                {
                    if (k != axis && x.Dims[k] != first.Dims[k])
                        throw new InvalidArgumentException($"ConcatOp : Dimensions of inputs should match: shape[0] = {Shape.Format(first.Dims)} vs. shape[{i}] = {Shape.Format(x.Dims)}");
                }
                od[axis] = TensorSize.Dimension((long)od[axis] + x.Dims[axis], "concatenated dimension {0}", axis);
            }
            var o = ctx.AllocateOutput(0, first.DType, od);
            int outer = ArrayCopy.Product(od[..axis]);
            int inner = ArrayCopy.Product(od[(axis + 1)..]);
            int row = od[axis] * inner;
            var dst = o.Span<T>();
            int offset = 0;
            for (int i = 0; i < n; i++)
            {
                var x = ctx.Input(i);
                int chunk = x.Dims[axis] * inner;
                var src = x.Span<T>();
                for (int r = 0; r < outer; r++) src.Slice(r * chunk, chunk).CopyTo(dst.Slice(r * row + offset, chunk));
                offset += chunk;
            }
        }
    }
}

/// <summary>ConcatOffset: the offsets of each input of a concat along <c>concat_dim</c> (gradient helper).</summary>
internal sealed class ConcatOffsetSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("N", "int", Minimum: 2)];

    public const string OpType = "ConcatOffset";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["concat_dim: int32", "shape: N * int32"];

    protected override string[] OutputArgs => ["offset: N * int32"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        int n = (int)c.AttrInt("N");
        if (n < 2) throw c.Error($"ConcatOffset needs N >= 2, got N = {n}");
        for (int i = 0; i <= n; i++) c.RequireType(i, DType.Int32);
        for (int i = 1; i <= n; i++) c.AddOutput(DType.Int32, c.InputShape(1).IsRankKnown ? c.InputShape(1) : new Shape(-1));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        int n = ctx.NumInputs - 1;
        var first = ctx.Input(1);
        int rank = first.Size;
        long cdim = ctx.Input(0).ScalarInt64("concat_dim");
        if (cdim < -rank || cdim >= rank) throw new InvalidArgumentException($"Concat dim is out of range: {cdim} vs. {rank}");
        int axis = (int)(cdim < 0 ? cdim + rank : cdim);
        int offset = 0;
        for (int i = 0; i < n; i++)
        {
            var s = ctx.Input(1 + i);
            if (s.Rank != 1 || s.Size != rank)
                throw new InvalidArgumentException($"input {i} should contain {rank} elements, but got {s.Size}");
            Span<int> d = [rank];
            var o = ctx.AllocateOutput(i, DType.Int32, d).Span<int>();
            for (int k = 0; k < rank; k++)
            {
                int v = s.Span<int>()[k];
                if (k == axis) { o[k] = offset; offset += v; }
                else
                {
                    if (v != first.Span<int>()[k]) throw new InvalidArgumentException($"input[{i}][{k}] mismatch: {first.Span<int>()[k]} vs. {v}");
                    o[k] = 0;
                }
            }
        }
    });
}

/// <summary>ShapeN: the shapes of N tensors (attr out_type).</summary>
internal sealed class ShapeNSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("N", "int"), new("T", "type"), new("out_type", "type", Attr.Type(DType.Int32))];

    public const string OpType = "ShapeN";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input: N * T"];

    protected override string[] OutputArgs => ["output: N * out_type"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        int n = (int)c.AttrInt("N");
        if (n < 1) throw c.Error($"ShapeN needs N >= 1, got N = {n}");
        var t = c.AttrType("out_type");
        if (t is not (DType.Int32 or DType.Int64)) throw c.Error($"out_type must be int32 or int64, got {t.Name()}");
        for (int i = 0; i < n; i++)
        {
            c.RequireSameType(0, i);
            c.AddOutput(t, new Shape(c.InputShape(i).Rank));
        }
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var t = b.OutputType(0);
        return new LambdaKernel(ctx =>
        {
            for (int i = 0; i < ctx.NumInputs; i++)
            {
                var x = ctx.Input(i);
                Span<int> d = [x.Rank];
                var o = ctx.AllocateOutput(i, t, d);
                if (t == DType.Int32) x.Dims.CopyTo(o.Span<int>());
                else for (int k = 0; k < x.Rank; k++) o.Span<long>()[k] = x.Dims[k];
            }
        });
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.concat(values, axis)</c>: a ConcatV2 node named <c>concat</c> with Const
    /// <c>concat/axis</c>; a single value is passed through an Identity.
    /// </summary>
    public Output Concat(Output[] values, int axis, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length == 0) throw new InvalidArgumentException("Concat needs at least one value");
        using var scope = NameScope(name ?? "concat");
        var exact = CurrentNameScope + "/";
        if (values.Length == 1)
        {
            Constant(axis, name: "concat_dim");
            return Identity(values[0], exact);
        }
        return Concat(values, Constant(axis, name: "axis"), exact);
    }

    /// <summary>TF's <c>tf.concat</c> with a run-time axis: a ConcatV2 node.</summary>
    public Output Concat(Output[] values, Output axis, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length < 2) throw new InvalidArgumentException($"ConcatV2 needs at least two values, got {values.Length}");
        return AddOp(ConcatV2Spec.OpType, [.. values, axis], name, "concat",
            [NamedAttr("N", Attr.Int(values.Length)), NamedAttr("T", Attr.Type(values[0].DType)), NamedAttr("Tidx", Attr.Type(axis.DType))])[0];
    }

    /// <summary>TF's <c>ConcatOffset</c> (used by the concat gradient): where each input starts along <paramref name="concatDim"/>.</summary>
    public Output[] ConcatOffset(Output concatDim, Output[] shapes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        return AddOp(ConcatOffsetSpec.OpType, [concatDim, .. shapes], name, attrs: [NamedAttr("N", Attr.Int(shapes.Length))]).Outputs;
    }

    /// <summary>TF's <c>tf.shape_n</c>: the shapes of several tensors at once.</summary>
    public Output[] ShapeN(Output[] inputs, DType outType = DType.Int32, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw new InvalidArgumentException("ShapeN needs at least one input");
        return AddOp(ShapeNSpec.OpType, inputs, name, attrs:
            [NamedAttr("N", Attr.Int(inputs.Length)), NamedAttr("T", Attr.Type(inputs[0].DType)), NamedAttr("out_type", Attr.Type(outType))]).Outputs;
    }
}
