using TensorGraph.Autodiff;
using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// MatrixBandPart (<c>tf.linalg.band_part</c>): keeps, in each innermost matrix, the elements
/// with m − n ≤ num_lower and n − m ≤ num_upper (a negative bound keeps the whole triangle) and
/// zeroes the rest; <c>band_part(x, -1, 0)</c> is the lower triangle.
/// </summary>
internal sealed class MatrixBandPartSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("T", "type"), new("Tindex", "type", Attr.Type(DType.Int64), AllowedTypes: [DType.Int32, DType.Int64])];

    public const string OpType = "MatrixBandPart";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["input: T", "num_lower: Tindex", "num_upper: Tindex"];

    protected override string[] OutputArgs => ["band: T"];

    /// <summary>TF 1.15's <c>_MatrixBandPartGrad</c>: the gradient's band of the same bounds.</summary>
    public override Output?[] Gradient(GradContext c) => [c.Graph.MatrixBandPart(c.Grad, c.Input(1), c.Input(2)), null, null];

    public override void Infer(InferContext c)
    {
        var x = c.InputShape(0);
        if (x.IsRankKnown && x.Rank < 2) throw c.Error($"Shape must be at least rank 2 but is rank {x.Rank}");
        for (int i = 1; i <= 2; i++)
        {
            var s = c.InputShape(i);
            if (s.IsRankKnown && s.Rank != 0) throw c.Error($"Shape must be rank 0 but is rank {s.Rank}");
        }
        c.AddOutput(c.InputType(0), x);
    }

    public override OpKernel CreateKernel(KernelBuilder b) => ArrayCopy.Make(typeof(Kernel<>), b.InputType(0));

    private sealed class Kernel<T> : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            if (x.Rank < 2) throw new InvalidArgumentException($"input must be at least 2-dim, received shape: {Shape.Format(x.Dims)}");
            var lo = ctx.Input(1);
            var up = ctx.Input(2);
            if (lo.Rank != 0) throw new InvalidArgumentException($"num_lower must be scalar, got shape {Shape.Format(lo.Dims)}");
            if (up.Rank != 0) throw new InvalidArgumentException($"num_upper must be scalar, got shape {Shape.Format(up.Dims)}");
            int m = x.Dims[^2], n = x.Dims[^1];
            long lower = lo.GetInt64(0), upper = up.GetInt64(0);
            if (lower > m) throw new InvalidArgumentException($"num_lower must be negative or less or equal to number of rows ({m}) got: {lower}");
            if (upper > n) throw new InvalidArgumentException($"num_upper must be negative or less or equal to number of columns ({n}) got: {upper}");
            var o = ctx.AllocateOutput(0, x.DType, x.Dims);
            var src = x.Span<T>();
            var dst = o.Span<T>();
            int batches = LinalgCommon.Batches(x.Dims), size = m * n;
            for (int bi = 0; bi < batches; bi++)
            {
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        int k = bi * size + i * n + j;
                        bool keep = (lower < 0 || i - j <= lower) && (upper < 0 || j - i <= upper);
                        dst[k] = keep ? src[k] : default!;
                    }
                }
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.linalg.band_part(input, num_lower, num_upper)</c> (MatrixBandPart) with bounds given as tensors.</summary>
    public Output MatrixBandPart(Output input, Output numLower, Output numUpper, string? name = null) =>
        AddOp(MatrixBandPartSpec.OpType, [input, numLower, numUpper], name,
            attrs: [NamedAttr("T", Attr.Type(input.DType)), NamedAttr("Tindex", Attr.Type(numLower.DType))])[0];

    /// <summary>
    /// TF's <c>tf.linalg.band_part(input, num_lower, num_upper)</c> with literal bounds (int32
    /// Consts <c>MatrixBandPart/num_lower</c> and <c>num_upper</c>, as Python ints convert):
    /// <c>(x, -1, 0)</c> is the lower triangle, <c>(x, 0, -1)</c> the upper, <c>(x, 0, 0)</c> the diagonal.
    /// </summary>
    public Output MatrixBandPart(Output input, int numLower, int numUpper, string? name = null)
    {
        using var scope = NameScope(name ?? "MatrixBandPart");
        var exact = CurrentNameScope + "/";
        return MatrixBandPart(input, Constant(numLower, name: "num_lower"), Constant(numUpper, name: "num_upper"), exact);
    }
}
