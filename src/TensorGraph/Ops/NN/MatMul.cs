using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>MatMul: a·b for rank-2 tensors, with transpose_a / transpose_b.</summary>
internal sealed class MatMulSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("transpose_a", "bool", Attr.Bool(false)), new("transpose_b", "bool", Attr.Bool(false)), new("T", "type")];

    public const string OpType = "MatMul";

    public override string Type => OpType;

    public override FusionRole Fusion => FusionRole.MatMul;

    protected override string[] InputArgs => ["a: T", "b: T"];

    protected override string[] OutputArgs => ["product: T"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        c.RequireType(0, TypeSets.FloatInt);
        var a = c.InputShape(0);
        var b = c.InputShape(1);
        if (a.IsRankKnown && a.Rank != 2) throw c.Error($"Shape must be rank 2 but is rank {a.Rank} for input a {a}");
        if (b.IsRankKnown && b.Rank != 2) throw c.Error($"Shape must be rank 2 but is rank {b.Rank} for input b {b}");
        bool ta = c.AttrBool("transpose_a"), tb = c.AttrBool("transpose_b");
        int m = a.IsRankKnown ? a[ta ? 1 : 0] : -1, ka = a.IsRankKnown ? a[ta ? 0 : 1] : -1;
        int kb = b.IsRankKnown ? b[tb ? 1 : 0] : -1, n = b.IsRankKnown ? b[tb ? 0 : 1] : -1;
        if (ka >= 0 && kb >= 0 && ka != kb)
            throw c.Error($"Dimensions must be equal, but are {ka} and {kb} for MatMul with input shapes: {a}, {b}");
        c.AddOutput(c.InputType(0), new Shape(m, n));
    }

    /// <summary>TF 1.15's <c>_MatMulGrad</c>: one pair of MatMuls per combination of transpose_a and transpose_b.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        bool ta = c.Op.GetAttrBool("transpose_a"), tb = c.Op.GetAttrBool("transpose_b");
        var a = c.X;
        var b = c.Y;
        var grad = c.Grad;
        return (ta, tb) switch
        {
            (false, false) => [g.MatMul(grad, b, transposeB: true), g.MatMul(a, grad, transposeA: true)],
            (false, true) => [g.MatMul(grad, b), g.MatMul(grad, a, transposeA: true)],
            (true, false) => [g.MatMul(b, grad, transposeB: true), g.MatMul(a, grad)],
            _ => [g.MatMul(b, grad, transposeA: true, transposeB: true), g.MatMul(grad, a, transposeA: true, transposeB: true)],
        };
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        bool ta = b.Op.GetAttrBool("transpose_a"), tb = b.Op.GetAttrBool("transpose_b");
        return b.InputType(0) switch
        {
            DType.Float32 => new MatMulKernel<float>(ta, tb),
            DType.Float64 => new MatMulKernel<double>(ta, tb),
            DType.Int32 => new MatMulKernel<int>(ta, tb),
            DType.Int64 => new MatMulKernel<long>(ta, tb),
            var t => throw new UnimplementedException($"MatMul has no kernel for {t.Name()}"),
        };
    }

    private sealed class MatMulKernel<T>(bool ta, bool tb) : OpKernel where T : unmanaged, INumber<T>
    {
        private readonly GemmScratch _scratch = new();

        public override void Compute(OpContext ctx)
        {
            var a = ctx.Input(0);
            var b = ctx.Input(1);
            if (a.Rank != 2 || b.Rank != 2)
                throw new InvalidArgumentException($"MatMul needs rank-2 inputs, got {Shape.Format(a.Dims)} and {Shape.Format(b.Dims)}");
            int m = a.Dims[ta ? 1 : 0], k = a.Dims[ta ? 0 : 1];
            int kb = b.Dims[tb ? 1 : 0], n = b.Dims[tb ? 0 : 1];
            if (k != kb)
                throw new InvalidArgumentException($"Matrix size-incompatible: In[0]: {Shape.Format(a.Dims)}, In[1]: {Shape.Format(b.Dims)}");
            Span<int> od = [m, n];
            var o = ctx.AllocateOutput(0, a.DType, od);
            Gemm.Multiply<T>(a.Span<T>(), ta, b.Span<T>(), tb, o.Span<T>(), m, n, k, _scratch);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.matmul</c> for rank-2 tensors: a MatMul node.</summary>
    public Output MatMul(Output a, Output b, bool transposeA = false, bool transposeB = false, string? name = null) =>
        AddOp(MatMulSpec.OpType, [a, b], name, MatMulSpec.OpType,
            [NamedAttr("transpose_a", Attr.Bool(transposeA)), NamedAttr("transpose_b", Attr.Bool(transposeB)), NamedAttr("T", Attr.Type(a.DType))])[0];

    /// <summary>PyTorch-style alias of <see cref="MatMul"/>.</summary>
    public Output Mm(Output a, Output b, string? name = null) => MatMul(a, b, name: name);
}
