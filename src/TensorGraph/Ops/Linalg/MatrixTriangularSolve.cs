using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// MatrixTriangularSolve (<c>tf.linalg.triangular_solve</c>, TF 1.15: batch dims must be equal):
/// solves A X = B for each matrix A [..., M, M] and right-hand side B [..., M, K], reading only
/// the lower (<c>lower</c>, default) or upper triangle of A; with <c>adjoint</c> it solves Aᵀ X = B.
/// A zero on the diagonal is "Input matrix is not invertible.".
/// </summary>
internal sealed class MatrixTriangularSolveSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("lower", "bool", Attr.Bool(true)), new("adjoint", "bool", Attr.Bool(false)), new("T", "type", AllowedTypes: TypeSets.Float)];

    public const string OpType = "MatrixTriangularSolve";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["matrix: T", "rhs: T"];

    protected override string[] OutputArgs => ["output: T"];

    /// <summary>
    /// TF 1.15's <c>_MatrixTriangularSolveGrad</c>: grad_b = triangular_solve(a, grad, lower,
    /// not adjoint); grad_a = −grad_b cᵀ (−c grad_bᵀ with adjoint), cut to a's triangle.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var a = c.Input(0);
        bool adjointA = c.Op.GetAttrBool("adjoint"), lowerA = c.Op.GetAttrBool("lower");
        var o = c.Out();
        var gradB = g.MatrixTriangularSolve(a, c.Grad, lowerA, !adjointA);
        var gradA = g.Negative(adjointA ? LinalgCommon.MatMul(g, o, gradB, adjB: true) : LinalgCommon.MatMul(g, gradB, o, adjB: true));
        gradA = lowerA ? g.MatrixBandPart(gradA, -1, 0) : g.MatrixBandPart(gradA, 0, -1);
        return [gradA, gradB];
    }

    public override void Infer(InferContext c)
    {
        c.RequireSameType(0, 1);
        var a = c.InputShape(0);
        var b = c.InputShape(1);
        if (a.IsRankKnown && a.Rank < 2) throw c.Error($"Shape must be at least rank 2 but is rank {a.Rank}");
        if (b.IsRankKnown && b.Rank < 2) throw c.Error($"Shape must be at least rank 2 but is rank {b.Rank}");
        if (!a.IsRankKnown || !b.IsRankKnown) { c.AddOutput(c.InputType(0), Shape.Unknown); return; }
        var batchA = Shape.FromSpan(a.Dims[..^2]);
        var batchB = Shape.FromSpan(b.Dims[..^2]);
        if (!batchA.IsCompatibleWith(batchB)) throw c.Error($"Batch dimensions must be equal: {a} vs {b}");
        if (a[-1] >= 0 && a[-2] >= 0 && a[-1] != a[-2]) throw c.Error($"Dimensions must be equal, but are {a[-2]} and {a[-1]}");
        int m = a[-2] >= 0 ? a[-2] : a[-1];
        if (m >= 0 && b[-2] >= 0 && m != b[-2]) throw c.Error($"Dimensions must be equal, but are {m} and {b[-2]}");
        c.AddOutput(c.InputType(0), Shape.Wrap([.. batchA.MergeWith(batchB).ToArray(), m >= 0 ? m : b[-2], b[-1]]));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        bool lower = b.Op.GetAttrBool("lower"), adjoint = b.Op.GetAttrBool("adjoint");
        return b.InputType(0) switch
        {
            DType.Float32 => new Kernel<float>(lower, adjoint),
            DType.Float64 => new Kernel<double>(lower, adjoint),
            var t => throw new UnimplementedException($"{Type} has no kernel for {t.Name()}"),
        };
    }

    private sealed class Kernel<T>(bool lower, bool adjoint) : OpKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        public override void Compute(OpContext ctx)
        {
            var a = ctx.Input(0);
            var b = ctx.Input(1);
            if (a.Rank < 2) throw new InvalidArgumentException($"Input tensor 0 must have rank >= 2, got shape {Shape.Format(a.Dims)}");
            if (b.Rank < 2) throw new InvalidArgumentException($"Input tensor 1 must have rank >= 2, got shape {Shape.Format(b.Dims)}");
            if (a.Rank != b.Rank || !a.Dims[..^2].SequenceEqual(b.Dims[..^2]))
                throw new InvalidArgumentException($"All input tensors must have the same outer dimensions: {Shape.Format(a.Dims)} vs {Shape.Format(b.Dims)}");
            int m = a.Dims[^2];
            if (a.Dims[^1] != m) throw new InvalidArgumentException("Input matrix must be square.");
            if (b.Dims[^2] != m) throw new InvalidArgumentException("Input matrix and right-hand side must have the same number of rows.");
            int k = b.Dims[^1];
            var o = ctx.AllocateOutput(0, b.DType, b.Dims);
            var av = a.Span<T>();
            var bv = b.Span<T>();
            var ov = o.Span<T>();
            int batches = LinalgCommon.Batches(a.Dims);
            // The matrix solved with, E, is A or Aᵀ: lower triangular (forward substitution) when A's lower
            // triangle is read without adjoint or its upper triangle with adjoint.
            bool forward = lower != adjoint;
            var x = new double[m];
            for (int bi = 0; bi < batches; bi++)
            {
                var am = av.Slice(bi * m * m, m * m);
                var bm = bv.Slice(bi * m * k, m * k);
                var om = ov.Slice(bi * m * k, m * k);
                for (int i = 0; i < m; i++)
                    if (am[i * m + i] == T.Zero) throw new InvalidArgumentException("Input matrix is not invertible.");
                for (int col = 0; col < k; col++)
                {
                    for (int step = 0; step < m; step++)
                    {
                        int i = forward ? step : m - 1 - step;
                        double s = double.CreateTruncating(bm[i * k + col]);
                        if (forward) for (int j = 0; j < i; j++) s -= E(am, m, i, j) * x[j];
                        else for (int j = i + 1; j < m; j++) s -= E(am, m, i, j) * x[j];
                        x[i] = s / E(am, m, i, i);
                    }
                    for (int i = 0; i < m; i++) om[i * k + col] = T.CreateTruncating(x[i]);
                }
            }
        }

        private double E(ReadOnlySpan<T> a, int m, int i, int j) => double.CreateTruncating(adjoint ? a[j * m + i] : a[i * m + j]);
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.linalg.triangular_solve(matrix, rhs, lower=True, adjoint=False)</c>
    /// (MatrixTriangularSolve): X with A X = B (Aᵀ X = B with <paramref name="adjoint"/>), A's
    /// lower or upper triangle read.
    /// </summary>
    public Output MatrixTriangularSolve(Output matrix, Output rhs, bool lower = true, bool adjoint = false, string? name = null) =>
        AddOp(MatrixTriangularSolveSpec.OpType, [matrix, rhs], name,
            attrs: [NamedAttr("lower", Attr.Bool(lower)), NamedAttr("adjoint", Attr.Bool(adjoint)), NamedAttr("T", Attr.Type(matrix.DType))])[0];
}
