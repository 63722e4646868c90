using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Transpose: y.shape[i] = x.shape[perm[i]], y[..., j_i, ...] = x[..., j_perm⁻¹, ...].</summary>
internal sealed class TransposeSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type"), new("Tperm", "type", Attr.Type(DType.Int32))];

    public const string OpType = "Transpose";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_TransposeGrad</c>: the gradient transposed by the inverse permutation.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.Transpose(c.Grad, c.Graph.InvertPermutation(c.Input(1))), null];

    protected override string[] InputArgs => ["x: T", "perm: Tperm"];

    protected override string[] OutputArgs => ["y: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(1, TypeSets.Int);
        var input = c.InputShape(0);
        var ps = c.InputShape(1);
        if (ps.IsRankKnown && ps.Rank != 1) throw c.Error($"perm must be a vector, got shape {ps}");
        int rank = input.IsRankKnown ? input.Rank : ps.IsRankKnown ? ps[0] : -1;
        if (input.IsRankKnown && ps.IsRankKnown && ps[0] >= 0 && ps[0] != rank)
            throw c.Error($"transpose expects a vector of size {rank}. But input(1) is a vector of size {ps[0]}");
        if (rank < 0)
        {
            c.AddOutput(c.InputType(0), Shape.Unknown);
            return;
        }
        if (c.ConstantInput(1) is not { } perm)
        {
            c.AddOutput(c.InputType(0), Shape.UnknownOfRank(rank));
            return;
        }
        Span<int> p = stackalloc int[rank];
        Check(perm, rank, p);
        var d = new int[rank];
        for (int i = 0; i < rank; i++) d[i] = input.IsRankKnown ? input[p[i]] : -1;
        c.AddOutput(c.InputType(0), Shape.Wrap(d));
    }

    /// <summary>Validates a permutation of [0, rank) and writes it to <paramref name="p"/>.</summary>
    internal static void Check(Tensor perm, int rank, Span<int> p)
    {
        if (perm.Rank != 1 || perm.Size != rank)
            throw new InvalidArgumentException($"transpose expects a vector of size {rank}. But input(1) is a vector of size {perm.Size}");
        Span<bool> seen = stackalloc bool[rank];
        for (int i = 0; i < rank; i++)
        {
            long v = perm.GetInt64(i);
            if (v < 0 || v >= rank) throw new InvalidArgumentException($"{v} is out of range [0 .. {rank})");
            if (seen[(int)v]) throw new InvalidArgumentException($"{v} is duplicated in the permutation");
            seen[(int)v] = true;
            p[i] = (int)v;
        }
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(TransposeKernel<>), b.InputType(0));

    private sealed class TransposeKernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            int rank = x.Rank;
            if (rank > ArrayCopy.MaxRank) throw new UnimplementedException($"Transpose of rank {rank} is not supported");
            Span<int> p = stackalloc int[rank];
            Check(ctx.Input(1), rank, p);
            Span<int> inStrides = stackalloc int[rank];
            ArrayCopy.RowMajorStrides(x.Dims, inStrides);
            Span<int> od = stackalloc int[rank];
            Span<int> ss = stackalloc int[rank];
            for (int i = 0; i < rank; i++)
            {
                od[i] = x.Dims[p[i]];
                ss[i] = inStrides[p[i]];
            }
            var o = ctx.AllocateOutput(0, x.DType, od);
            Span<int> ds = stackalloc int[rank];
            ArrayCopy.RowMajorStrides(od, ds);
            ArrayCopy.Strided<T>(x.Span<T>(), 0, ss, o.Span<T>(), 0, ds, od);
        }
    }
}

/// <summary>InvertPermutation: y[x[i]] = i for a permutation x of [0, n).</summary>
internal sealed class InvertPermutationSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("T", "type", Attr.Type(DType.Int32))];

    public const string OpType = "InvertPermutation";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["x: T"];

    protected override string[] OutputArgs => ["y: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, TypeSets.Int);
        var s = c.InputShape(0);
        if (s.IsRankKnown && s.Rank != 1) throw c.Error($"invert_permutation expects a 1D vector, got shape {s}");
        c.AddOutput(c.InputType(0), s.IsRankKnown ? s : new Shape(-1));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var x = ctx.Input(0);
        if (x.Rank != 1) throw new InvalidArgumentException($"invert_permutation expects a 1D vector, got shape {Shape.Format(x.Dims)}");
        int n = x.Size;
        var o = ctx.AllocateOutput(0, x.DType, x.Dims);
        if (x.DType == DType.Int32) o.Span<int>().Fill(-1);
        else o.Span<long>().Fill(-1);
        for (int i = 0; i < n; i++)
        {
            long d = x.GetInt64(i);
            if (d < 0 || d >= n) throw new InvalidArgumentException($"{d} is not between 0 and {n}");
            bool dup = x.DType == DType.Int32 ? o.Span<int>()[(int)d] != -1 : o.Span<long>()[(int)d] != -1;
            if (dup) throw new InvalidArgumentException($"{d} is duplicated in the input");
            if (x.DType == DType.Int32) o.Span<int>()[(int)d] = i;
            else o.Span<long>()[(int)d] = i;
        }
    });
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.transpose(a, perm)</c>. Without <paramref name="perm"/> the axes are reversed
    /// (needs a known rank). The permutation becomes Const <c>transpose/perm</c>.
    /// </summary>
    public Output Transpose(Output x, int[]? perm = null, string? name = null)
    {
        using var scope = NameScope(name ?? "transpose");
        var exact = CurrentNameScope + "/";
        if (perm is null)
        {
            if (!x.Shape.IsRankKnown)
            {
                var rank = Rank(x);
                var reversed = Subtract(Subtract(rank, Constant(1, name: "sub/y"), "sub"),
                    Range(Constant(0, name: "Range/start"), rank, Constant(1, name: "Range/delta"), "Range"), "sub_1");
                return Transpose(x, reversed, exact);
            }
            int r = x.Shape.Rank;
            perm = new int[r];
            for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
        }
        return Transpose(x, Constant(perm, name: "perm"), exact);
    }

    /// <summary>TF's <c>tf.transpose</c> with a run-time permutation.</summary>
    public Output Transpose(Output x, Output perm, string? name = null) =>
        AddOp(TransposeSpec.OpType, [x, perm], name, "transpose", [NamedAttr("T", Attr.Type(x.DType)), NamedAttr("Tperm", Attr.Type(perm.DType))])[0];

    /// <summary>TF's <c>tf.invert_permutation</c>.</summary>
    public Output InvertPermutation(Output x, string? name = null) =>
        AddOp(InvertPermutationSpec.OpType, [x], name, attrs: [NamedAttr("T", Attr.Type(x.DType))])[0];
}
