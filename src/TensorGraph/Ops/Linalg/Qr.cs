using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// Qr (<c>tf.linalg.qr</c>): A = Q R for each innermost matrix A [..., M, N], by Householder
/// reflections as TF's Eigen <c>HouseholderQR</c> computes them (reflector k maps column k onto
/// β e₁ with β = −sign(a_kk)·‖·‖, so R's diagonal takes that sign). Without
/// <c>full_matrices</c> Q is [..., M, P] and R [..., P, N] with P = min(M, N); with it Q is
/// [..., M, M] and R [..., M, N].
/// </summary>
internal sealed class QrSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("full_matrices", "bool", Attr.Bool(false)), new("T", "type", AllowedTypes: TypeSets.Float)];

    public const string OpType = "Qr";

    public override string Type => OpType;

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["q: T", "r: T"];

    /// <summary>
    /// TF 1.15's <c>_QrGrad</c> (square R only: M ≥ N without full matrices, or M = N):
    /// with qdq = Qᵀ dQ, rdr = R dRᵀ and L the lower triangle of (qdq − qdqᵀ) + (rdr − rdrᵀ),
    /// dA = Q (dR + L R⁻ᵀ) + (dQ − Q qdq) R⁻ᵀ, the R⁻ᵀ products by triangular solves.
    /// </summary>
    public override Output?[] Gradient(GradContext c)
    {
        var g = c.Graph;
        var q = c.Out(0);
        var r = c.Out(1);
        var rs = r.Shape;
        if (!rs.IsRankKnown || rs[-2] < 0 || rs[-1] < 0) throw new UnimplementedException("QrGrad not implemented with dynamic shapes.");
        if (rs[-2] != rs[-1]) throw new UnimplementedException("QrGrad not implemented when ncols > nrows or full_matrices is true and ncols != nrows.");
        var dq = c.Grads[0]!.Value;
        var dr = c.Grads[1]!.Value;
        var qdq = LinalgCommon.MatMul(g, q, dq, adjA: true);
        var qdq_ = g.Subtract(qdq, LinalgCommon.Adjoint(g, qdq));
        var rdr = LinalgCommon.MatMul(g, r, dr, adjB: true);
        var rdr_ = g.Subtract(rdr, LinalgCommon.Adjoint(g, rdr));
        var tril = g.MatrixBandPart(g.AddV2(qdq_, rdr_), -1, 0);
        // matmul(x, adjoint(matrix_inverse(r))) for upper-triangular r.
        Output TriangularSolve(Output x) =>
            LinalgCommon.Adjoint(g, g.MatrixTriangularSolve(r, LinalgCommon.Adjoint(g, x), lower: false, adjoint: false));
        var gradA = LinalgCommon.MatMul(g, q, g.AddV2(dr, TriangularSolve(tril)));
        var gradB = TriangularSolve(g.Subtract(dq, LinalgCommon.MatMul(g, q, qdq)));
        return [g.AddV2(gradA, gradB)];
    }

    public override void Infer(InferContext c)
    {
        var x = c.InputShape(0);
        var t = c.InputType(0);
        if (!x.IsRankKnown) { c.AddOutput(t, Shape.Unknown); c.AddOutput(t, Shape.Unknown); return; }
        if (x.Rank < 2) throw c.Error($"Shape must be at least rank 2 but is rank {x.Rank}");
        var batch = x.Dims[..^2].ToArray();
        int m = x[-2], n = x[-1];
        if (c.AttrBool("full_matrices"))
        {
            c.AddOutput(t, Shape.Wrap([.. batch, m, m]));
            c.AddOutput(t, Shape.Wrap([.. batch, m, n]));
        }
        else
        {
            int p = m < 0 || n < 0 ? -1 : Math.Min(m, n);
            c.AddOutput(t, Shape.Wrap([.. batch, m, p]));
            c.AddOutput(t, Shape.Wrap([.. batch, p, n]));
        }
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        bool full = b.Op.GetAttrBool("full_matrices");
        return b.InputType(0) switch
        {
            DType.Float32 => new Kernel<float>(full),
            DType.Float64 => new Kernel<double>(full),
            var t => throw new UnimplementedException($"{Type} has no kernel for {t.Name()}"),
        };
    }

    private sealed class Kernel<T>(bool full) : OpKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            if (x.Rank < 2) throw new InvalidArgumentException($"Input tensor 0 must have rank >= 2, got shape {Shape.Format(x.Dims)}");
            int m = x.Dims[^2], n = x.Dims[^1], p = Math.Min(m, n);
            int qc = full ? m : p, rr = full ? m : p;
            var batch = x.Dims[..^2].ToArray();
            var q = ctx.AllocateOutput(0, x.DType, [.. batch, m, qc]);
            var r = ctx.AllocateOutput(1, x.DType, [.. batch, rr, n]);
            var xs = x.Span<T>();
            var qs = q.Span<T>();
            var rs = r.Span<T>();
            int batches = LinalgCommon.Batches(x.Dims);
            var a = new double[m * n];
            var tau = new double[p];
            var qw = new double[m * qc];
            for (int bi = 0; bi < batches; bi++)
            {
                var xm = xs.Slice(bi * m * n, m * n);
                for (int i = 0; i < a.Length; i++) a[i] = double.CreateTruncating(xm[i]);
                Householder(a, m, n, tau);
                var rm = rs.Slice(bi * rr * n, rr * n);
                for (int i = 0; i < rr; i++)
                    for (int j = 0; j < n; j++)
                        rm[i * n + j] = j >= i && i < m ? T.CreateTruncating(a[i * n + j]) : T.Zero;
                // Q = H_0 H_1 … H_{p-1} applied to the first qc columns of the identity.
                Array.Clear(qw);
                for (int i = 0; i < Math.Min(m, qc); i++) qw[i * qc + i] = 1;
                for (int k = p - 1; k >= 0; k--)
                {
                    if (tau[k] == 0) continue;
                    for (int j = 0; j < qc; j++)
                    {
                        double s = qw[k * qc + j];
                        for (int i = k + 1; i < m; i++) s += a[i * n + k] * qw[i * qc + j];
                        s *= tau[k];
                        qw[k * qc + j] -= s;
                        for (int i = k + 1; i < m; i++) qw[i * qc + j] -= s * a[i * n + k];
                    }
                }
                var qm = qs.Slice(bi * m * qc, m * qc);
                for (int i = 0; i < qm.Length; i++) qm[i] = T.CreateTruncating(qw[i]);
            }
        }

        /// <summary>
        /// Eigen's <c>householder_qr_inplace_unblocked</c> on a row-major m×n matrix: R in the upper
        /// triangle, each reflector's essential part below the diagonal, its coefficient in <paramref name="tau"/>.
        /// </summary>
        private static void Householder(double[] a, int m, int n, double[] tau)
        {
            int p = Math.Min(m, n);
            for (int k = 0; k < p; k++)
            {
                double c0 = a[k * n + k], tail = 0;
                for (int i = k + 1; i < m; i++) tail += a[i * n + k] * a[i * n + k];
                if (tail <= 2.2250738585072014E-308) // Eigen's tol: the smallest normal double
                {
                    // makeHouseholder: no reflection needed (tau = 0, beta = c0).
                    tau[k] = 0;
                    for (int i = k + 1; i < m; i++) a[i * n + k] = 0;
                    continue;
                }
                double beta = Math.Sqrt(c0 * c0 + tail);
                if (c0 >= 0) beta = -beta;
                for (int i = k + 1; i < m; i++) a[i * n + k] /= c0 - beta;
                tau[k] = (beta - c0) / beta;
                a[k * n + k] = beta;
                // Apply H = I − tau v vᵀ (v = [1; essential]) to the remaining columns.
                for (int j = k + 1; j < n; j++)
                {
                    double s = a[k * n + j];
                    for (int i = k + 1; i < m; i++) s += a[i * n + k] * a[i * n + j];
                    s *= tau[k];
                    a[k * n + j] -= s;
                    for (int i = k + 1; i < m; i++) a[i * n + j] -= s * a[i * n + k];
                }
            }
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.linalg.qr(input, full_matrices=False)</c> (Qr): the orthonormal Q and upper
    /// triangular R of each innermost matrix, returned as (q, r).
    /// </summary>
    public (Output Q, Output R) Qr(Output input, bool fullMatrices = false, string? name = null)
    {
        var op = AddOp(QrSpec.OpType, [input], name, attrs: [NamedAttr("full_matrices", Attr.Bool(fullMatrices)), NamedAttr("T", Attr.Type(input.DType))]);
        return (op[0], op[1]);
    }
}
