using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Shared kernel of Reverse and ReverseV2: a copy with negative strides along the reversed axes.</summary>
internal static class ReverseHelper
{
    public static void Copy<T>(OpContext ctx, Tensor x, ReadOnlySpan<bool> reverse)
    {
        int rank = x.Rank;
        var o = ctx.AllocateOutput(0, x.DType, x.Dims);
        Span<int> ds = stackalloc int[rank];
        Span<int> ss = stackalloc int[rank];
        ArrayCopy.RowMajorStrides(x.Dims, ds);
        int offset = 0;
        for (int i = 0; i < rank; i++)
        {
            ss[i] = reverse[i] ? -ds[i] : ds[i];
            if (reverse[i] && x.Dims[i] > 0) offset += (x.Dims[i] - 1) * ds[i];
        }
        ArrayCopy.Strided<T>(x.Span<T>(), offset, ss, o.Span<T>(), 0, ds, x.Dims);
    }
}

/// <summary>ReverseV2: reverses the axes listed in <c>axis</c> (negative counts from the end).</summary>
internal sealed class ReverseV2Spec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("Tidx", "type", Attr.Type(DType.Int32)), new("T", "type")];

    public const string OpType = "ReverseV2";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_ReverseV2Grad</c>: the gradient reversed along the same axes.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.Reverse(c.Grad, c.Input(1)), null];

    protected override string[] InputArgs => ["tensor: T", "axis: Tidx"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        var axs = c.InputShape(1);
        if (axs.IsRankKnown && axs.Rank != 1) throw c.Error($"'axis' must be 1-dimensional, got shape {axs}");
        var input = c.InputShape(0);
        if (input.IsRankKnown && c.ConstantInput(1) is { } axis)
        {
            Span<bool> r = stackalloc bool[input.Rank];
            Axes(axis, input.Rank, r);
        }
        c.AddOutput(c.InputType(0), input);
    }

    internal static void Axes(Tensor axis, int rank, Span<bool> reverse)
    {
        reverse.Clear();
        for (int i = 0; i < axis.Size; i++)
        {
            long a = axis.GetInt64(i);
            if (a < -rank || a >= rank) throw new InvalidArgumentException($"'axis'[{i}] = {a} is out of valid range [0, {rank})");
            int k = (int)(a < 0 ? a + rank : a);
            if (reverse[k]) throw new InvalidArgumentException($"axis {k} specified more than once.");
            reverse[k] = true;
        }
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(ReverseV2Kernel<>), b.InputType(0));

    private sealed class ReverseV2Kernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var axis = ctx.Input(1);
            if (axis.Rank != 1) throw new InvalidArgumentException($"'axis' must be 1-dimensional, got shape {Shape.Format(axis.Dims)}");
            if (x.Rank > ArrayCopy.MaxRank) throw new UnimplementedException($"ReverseV2 of rank {x.Rank} is not supported");
            Span<bool> r = stackalloc bool[x.Rank];
            Axes(axis, x.Rank, r);
            ReverseHelper.Copy<T>(ctx, x, r);
        }
    }
}

/// <summary>Reverse (legacy): reverses the axes where the bool vector <c>dims</c> is true.</summary>
internal sealed class ReverseSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type")];

    public const string OpType = "Reverse";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_ReverseGrad</c>: the gradient reversed along the same dims.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.ReverseDims(c.Grad, c.Input(1)), null];

    protected override string[] InputArgs => ["tensor: T", "dims: bool"];

    protected override string[] OutputArgs => ["output: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, DType.Bool);
        var input = c.InputShape(0);
        var ds = c.InputShape(1);
        if (ds.IsRankKnown && ds.Rank != 1) throw c.Error($"'dims' must be 1-dimensional, got shape {ds}");
        if (input.IsRankKnown && ds.IsRankKnown && ds[0] >= 0 && ds[0] != input.Rank)
            throw c.Error($"'dims' must have the same number of values as 'input' has dimensions. 'input' has {input.Rank}'dims' has {ds[0]} values");
        c.AddOutput(c.InputType(0), input);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(ReverseKernel<>), b.InputType(0));

    private sealed class ReverseKernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var dims = ctx.Input(1);
            if (dims.Rank != 1 || dims.Size != x.Rank)
                throw new InvalidArgumentException($"'dims' must have the same number of values as 'input' has dimensions. 'input' has {x.Rank}'dims' has {dims.Size} values");
            if (x.Rank > ArrayCopy.MaxRank) throw new UnimplementedException($"Reverse of rank {x.Rank} is not supported");
            ReverseHelper.Copy<T>(ctx, x, dims.Span<bool>());
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.reverse(tensor, axis)</c>: a ReverseV2 node (axis Const <c>ReverseV2/axis</c>).</summary>
    public Output Reverse(Output tensor, int[] axis, string? name = null)
    {
        using var scope = NameScope(name ?? "ReverseV2");
        var exact = CurrentNameScope + "/";
        return Reverse(tensor, Constant(axis, name: "axis"), exact);
    }

    /// <summary>TF's <c>tf.reverse</c> with run-time axes: a ReverseV2 node.</summary>
    public Output Reverse(Output tensor, Output axis, string? name = null) =>
        AddOp(ReverseV2Spec.OpType, [tensor, axis], name, attrs: [NamedAttr("Tidx", Attr.Type(axis.DType)), NamedAttr("T", Attr.Type(tensor.DType))])[0];

    /// <summary>The legacy <c>Reverse</c> op: reverses the axes where the bool vector <paramref name="dims"/> is true.</summary>
    public Output ReverseDims(Output tensor, Output dims, string? name = null) =>
        AddOp(ReverseSpec.OpType, [tensor, dims], name, attrs: [NamedAttr("T", Attr.Type(tensor.DType))])[0];
}
