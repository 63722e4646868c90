using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Pack (<c>tf.stack</c>): N tensors of one shape become one with a new axis of size N.</summary>
internal sealed class PackSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("N", "int"), new("T", "type"), new("axis", "int", Attr.Int(0))];

    public const string OpType = "Pack";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_PackGrad</c>: the gradient unstacked along <c>axis</c>.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var n = (int)c.Op.GetAttrInt("N");
        return [.. c.Graph.Unstack(c.Grad, n, (int)c.Op.GetAttrInt("axis")).Select(o => (Output?)o)];
    }

    protected override string[] InputArgs => ["values: N * T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        int n = (int)c.AttrInt("N");
        if (n < 1) throw c.Error($"Pack needs N >= 1, got N = {n}");
        var shape = c.InputShape(0);
        for (int i = 1; i < n; i++)
        {
            c.RequireSameType(0, i);
            var s = c.InputShape(i);
            if (!shape.IsCompatibleWith(s))
                throw c.Error($"Shapes of all inputs must match: values[0].shape = {c.InputShape(0)} != values[{i}].shape = {s}");
            shape = shape.MergeWith(s);
        }
        if (!shape.IsRankKnown)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        int axis = Axis(c.AttrInt("axis"), shape.Rank);
        var d = new int[shape.Rank + 1];
        for (int i = 0, j = 0; i < d.Length; i++) d[i] = i == axis ? n : shape[j++];
        c.AddOutput(c.InputType(0), Shape.Wrap(d));
    }

    internal static int Axis(long axis, int rank)
    {
        if (axis < -(rank + 1) || axis >= rank + 1)
            throw new InvalidArgumentException($"axis = {axis} not in [{-(rank + 1)}, {rank + 1})");
        return (int)(axis < 0 ? axis + rank + 1 : axis);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(PackKernel<>), b.InputType(0), (int)b.Op.GetAttrInt("axis"));

    private sealed class PackKernel<T>(int axisAttr) : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            int n = ctx.NumInputs;
            var first = ctx.Input(0);
            int rank = first.Rank;
            int axis = Axis(axisAttr, rank);
            for (int i = 1; i < n; i++)
            {
                if (!ctx.Input(i).Dims.SequenceEqual(first.Dims))
                    throw new InvalidArgumentException($"Shapes of all inputs must match: values[0].shape = {Shape.Format(first.Dims)} != values[{i}].shape = {Shape.Format(ctx.Input(i).Dims)}");
            }
            Span<int> od = stackalloc int[rank + 1];
            for (int i = 0, j = 0; i < od.Length; i++) od[i] = i == axis ? n : first.Dims[j++];
            var dst = ctx.AllocateOutput(0, first.DType, od).Span<T>();
            int outer = ArrayCopy.Product(first.Dims[..axis]);
            int inner = ArrayCopy.Product(first.Dims[axis..]);
            for (int i = 0; i < n; i++)
            {
                var src = ctx.Input(i).Span<T>();
                for (int r = 0; r < outer; r++) src.Slice(r * inner, inner).CopyTo(dst.Slice((r * n + i) * inner, inner));
            }
        }
    }
}

/// <summary>Unpack (<c>tf.unstack</c>): splits a tensor into <c>num</c> tensors along <c>axis</c>, removing that axis.</summary>
internal sealed class UnpackSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("num", "int", Minimum: 0), new("T", "type"), new("axis", "int", Attr.Int(0))];

    public const string OpType = "Unpack";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_UnpackGrad</c>: the output gradients stacked along <c>axis</c>.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.Stack(ArrayGradients.DenseOutputGrads(c), (int)c.Op.GetAttrInt("axis"))];

    protected override string[] InputArgs => ["value: T"];

    protected override string[] OutputArgs => ["output: num * T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        int num = (int)c.AttrInt("num");
        if (num < 0) throw c.Error($"num must be >= 0, got {num}");
        var s = c.InputShape(0);
        Shape outShape = Shape.Unknown;
        if (s.IsRankKnown)
        {
            int axis = Axis(c.AttrInt("axis"), s.Rank);
            if (s[axis] >= 0 && s[axis] != num)
                throw c.Error($"Dimension must be {num} but is {s[axis]} for axis {c.AttrInt("axis")} of input shape {s}");
            var d = new int[s.Rank - 1];
            for (int i = 0, j = 0; i < s.Rank; i++) if (i != axis) d[j++] = s[i];
            outShape = Shape.Wrap(d);
        }
        for (int i = 0; i < num; i++) c.AddOutput(c.InputType(0), outShape);
    }

    internal static int Axis(long axis, int rank)
    {
        if (axis < -rank || axis >= rank) throw new InvalidArgumentException($"axis = {axis} not in [{-rank}, {rank})");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(UnpackKernel<>), b.InputType(0), (int)b.Op.GetAttrInt("axis"));

    private sealed class UnpackKernel<T>(int axisAttr) : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            int rank = x.Rank;
            int axis = Axis(axisAttr, rank);
            int num = ctx.Op.NumOutputs;
            if (x.Dims[axis] != num)
                throw new InvalidArgumentException($"Input shape axis {axis} must equal {num}, got shape {Shape.Format(x.Dims)}");
            Span<int> od = stackalloc int[rank - 1];
            for (int i = 0, j = 0; i < rank; i++) if (i != axis) od[j++] = x.Dims[i];
            int outer = ArrayCopy.Product(x.Dims[..axis]);
            int inner = ArrayCopy.Product(x.Dims[(axis + 1)..]);
            var src = x.Span<T>();
            for (int i = 0; i < num; i++)
            {
                var dst = ctx.AllocateOutput(i, x.DType, od).Span<T>();
                for (int r = 0; r < outer; r++) src.Slice((r * num + i) * inner, inner).CopyTo(dst.Slice(r * inner, inner));
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.stack(values, axis)</c>: a Pack node named <c>stack</c>.</summary>
    public Output Stack(Output[] values, int axis = 0, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length == 0) throw new InvalidArgumentException("Stack needs at least one value");
        return AddOp(PackSpec.OpType, values, name, "stack",
            [NamedAttr("N", Attr.Int(values.Length)), NamedAttr("T", Attr.Type(values[0].DType)), NamedAttr("axis", Attr.Int(axis))])[0];
    }

    /// <summary>
    /// TF's <c>tf.unstack(value, num, axis)</c>: an Unpack node named <c>unstack</c>.
    /// <paramref name="num"/> defaults to the static size of <paramref name="axis"/>.
    /// </summary>
    public Output[] Unstack(Output value, int? num = null, int axis = 0, string? name = null)
    {
        if (num is null)
        {
            var s = value.Shape;
            if (!s.IsRankKnown) throw new InvalidArgumentException($"Cannot infer num from shape {s}");
            int a = UnpackSpec.Axis(axis, s.Rank);
            if (s[a] < 0) throw new InvalidArgumentException($"Cannot infer num from shape {s}");
            num = s[a];
        }
        return AddOp(UnpackSpec.OpType, [value], name, "unstack",
            [NamedAttr("num", Attr.Int(num.Value)), NamedAttr("T", Attr.Type(value.DType)), NamedAttr("axis", Attr.Int(axis))]).Outputs;
    }
}
