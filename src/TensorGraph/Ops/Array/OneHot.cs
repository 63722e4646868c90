using System.Numerics;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// OneHot: on_value where indices[…] equals the position along the new axis of size depth,
/// off_value elsewhere (out-of-range indices give an all-off row).
/// </summary>
internal sealed class OneHotSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("axis", "int", Attr.Int(-1)), new("T", "type"), new("TI", "type", Attr.Type(DType.Int64))];

    public const string OpType = "OneHot";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["indices: TI", "depth: int32", "on_value: T", "off_value: T"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.UInt8, DType.Int32, DType.Int64);
        c.RequireType(1, DType.Int32);
        c.RequireSameType(2, 3);
        for (int i = 1; i <= 3; i++)
        {
            var s = c.InputShape(i);
            if (s.IsRankKnown && s.Rank != 0) throw c.Error($"{(i == 1 ? "depth" : i == 2 ? "on_value" : "off_value")} must be a scalar, not shape {s}");
        }
        long axis = c.AttrInt("axis");
        if (axis < -1) throw c.Error($"axis must be >= -1, got {axis}");
        var ind = c.InputShape(0);
        if (!ind.IsRankKnown)
        {
            c.AddOutput(c.InputType(2), Shape.Unknown);
            return;
        }
        if (axis > ind.Rank) throw c.Error($"Expected axis to be -1 or between [0, {ind.Rank}].  But received: {axis}");
        int a = axis == -1 ? ind.Rank : (int)axis;
        int depth = -1;
        if (c.ConstantInput(1) is { } dt)
        {
            long v = dt.ScalarInt64("depth");
            if (v < 0) throw c.Error($"depth must be non-negative, got: {v}");
            depth = checked((int)v);
        }
        var d = new int[ind.Rank + 1];
        for (int i = 0, j = 0; i < d.Length; i++) d[i] = i == a ? depth : ind[j++];
        c.AddOutput(c.InputType(2), Shape.Wrap(d));
    }

    public override OpKernel CreateKernel(KernelBuilder b) =>
        ArrayCopy.Make2(typeof(OneHotKernel<,>), b.InputType(2), b.InputType(0), (int)b.Op.GetAttrInt("axis"));

    private sealed class OneHotKernel<T, TI>(int axisAttr) : OpKernel where TI : IBinaryInteger<TI>
    {
        public override void Compute(OpContext ctx)
        {
            var ind = ctx.Input(0);
            long depthL = ctx.Input(1).ScalarInt64("depth");
            if (depthL < 0 || depthL > int.MaxValue) throw new InvalidArgumentException($"depth must be non-negative, got: {depthL}");
            int depth = (int)depthL;
            var on = ctx.Input(2).ScalarValue<T>("on_value");
            var off = ctx.Input(3).ScalarValue<T>("off_value");
            int rank = ind.Rank;
            if (axisAttr > rank) throw new InvalidArgumentException($"Expected axis to be -1 or between [0, {rank}].  But received: {axisAttr}");
            int axis = axisAttr == -1 ? rank : axisAttr;
            Span<int> od = stackalloc int[rank + 1];
            for (int i = 0, j = 0; i < od.Length; i++) od[i] = i == axis ? depth : ind.Dims[j++];
            var dst = ctx.AllocateOutput(0, ctx.Input(2).DType, od).Span<T>();
            dst.Fill(off);
            int prefix = ArrayCopy.Product(ind.Dims[..axis]);
            int suffix = ArrayCopy.Product(ind.Dims[axis..]);
            var idx = ind.Span<TI>();
            for (int p = 0; p < prefix; p++)
            {
                for (int s = 0; s < suffix; s++)
                {
                    long v = long.CreateTruncating(idx[p * suffix + s]);
                    if (v >= 0 && v < depth) dst[(p * depth + (int)v) * suffix + s] = on;
                }
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.one_hot(indices, depth, on_value, off_value, axis, dtype)</c>: a OneHot node
    /// named <c>one_hot</c> with Consts <c>depth</c>, <c>on_value</c>, <c>off_value</c>.
    /// <paramref name="axis"/> -1 puts the new axis last.
    /// </summary>
    public Output OneHot(Output indices, int depth, double onValue = 1, double offValue = 0, int axis = -1,
        DType dtype = DType.Float32, string? name = null)
    {
        using var scope = NameScope(name ?? "one_hot");
        var exact = CurrentNameScope + "/";
        var on = Constant(ScalarOf(dtype, onValue), name: "on_value");
        var off = Constant(ScalarOf(dtype, offValue), name: "off_value");
        return OneHot(indices, Constant(depth, name: "depth"), on, off, axis, exact);
    }

    /// <summary>TF's <c>OneHot</c> op with tensor arguments (depth int32, on/off scalars of the output dtype).</summary>
    public Output OneHot(Output indices, Output depth, Output onValue, Output offValue, int axis = -1, string? name = null) =>
        AddOp(OneHotSpec.OpType, [indices, depth, onValue, offValue], name, "one_hot",
            [NamedAttr("axis", Attr.Int(axis)), NamedAttr("T", Attr.Type(onValue.DType)), NamedAttr("TI", Attr.Type(indices.DType))])[0];
}
