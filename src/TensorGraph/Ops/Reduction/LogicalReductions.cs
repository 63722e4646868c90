using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>All / Any: logical and / or of a bool tensor over axes (<c>tf.reduce_all</c>, <c>tf.reduce_any</c>).</summary>
internal abstract class LogicalReductionSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("keep_dims", "bool", Attr.Bool(false)), new("Tidx", "type", Attr.Type(DType.Int32))];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["input: bool", "reduction_indices: Tidx"];

    protected override string[] OutputArgs => ["output: bool"];

    /// <summary>True for All (the identity is true and any false decides), false for Any.</summary>
    protected abstract bool IsAll { get; }

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.Bool);
        ReductionSpec.InferReduced(c, DType.Bool);
    }

    private static bool[] Axes(Tensor axes, int rank, Func<string, InvalidArgumentException> error)
    {
        var reduce = new bool[rank];
        for (int i = 0; i < axes.Size; i++)
        {
            long a = axes.GetInt64(i);
            if (a < -rank || a >= rank) throw error($"Invalid reduction dimension {a} for input with {rank} dimensions");
            reduce[a < 0 ? a + rank : a] = true;
        }
        return reduce;
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        bool keep = b.Op.GetAttrBool("keep_dims");
        bool all = IsAll;
        return new LambdaKernel(ctx =>
        {
            var x = ctx.Input(0);
            int rank = x.Rank;
            var reduce = Axes(ctx.Input(1), rank, OpContext.Error);
            var outDims = new List<int>();
            for (int i = 0; i < rank; i++)
            {
                if (!reduce[i]) outDims.Add(x.Dims[i]);
                else if (keep) outDims.Add(1);
            }
            var o = ctx.AllocateOutput(0, DType.Bool, [.. outDims]);
            var dst = o.Span<bool>();
            dst.Fill(all);
            var src = x.Span<bool>();
            // Output strides over the input's axes (0 for reduced axes).
            var strides = new int[rank];
            int stride = 1;
            for (int i = rank - 1; i >= 0; i--)
            {
                if (reduce[i]) continue;
                strides[i] = stride;
                stride *= x.Dims[i];
            }
            var index = new int[rank];
            int at = 0;
            for (int flat = 0; flat < src.Length; flat++)
            {
                if (src[flat] != all) dst[at] = !all;
                for (int d = rank - 1; d >= 0; d--)
                {
                    at += strides[d];
                    if (++index[d] < x.Dims[d]) break;
                    at -= strides[d] * index[d];
                    index[d] = 0;
                }
            }
        });
    }
}

/// <summary>All: true where every reduced element is true.</summary>
internal sealed class AllSpec : LogicalReductionSpec
{
    public const string OpType = "All";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override bool IsAll => true;
}

/// <summary>Any: true where some reduced element is true.</summary>
internal sealed class AnySpec : LogicalReductionSpec
{
    public const string OpType = "Any";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override bool IsAll => false;
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.reduce_all</c>; <paramref name="axis"/> null reduces every axis.</summary>
    public Output ReduceAll(Output x, int[]? axis = null, bool keepDims = false, string? name = null) => LogicalReduction(AllSpec.OpType, x, axis, keepDims, name);

    /// <summary>TF's <c>tf.reduce_any</c>; <paramref name="axis"/> null reduces every axis.</summary>
    public Output ReduceAny(Output x, int[]? axis = null, bool keepDims = false, string? name = null) => LogicalReduction(AnySpec.OpType, x, axis, keepDims, name);

    private Output LogicalReduction(string type, Output x, int[]? axis, bool keepDims, string? name)
    {
        if (axis is null && !x.Shape.IsRankKnown)
            throw new UnimplementedException($"{type} over all axes needs a known rank");
        var axes = axis ?? Enumerable.Range(0, x.Shape.Rank).ToArray();
        using var scope = NameScope(name ?? type);
        var exact = CurrentNameScope + "/";
        var idx = Constant(axes, name: axis is null ? "Const" : "reduction_indices");
        return AddOp(type, [x, idx], exact, type, [NamedAttr("keep_dims", Attr.Bool(keepDims)), NamedAttr("Tidx", Attr.Type(DType.Int32))])[0];
    }
}
