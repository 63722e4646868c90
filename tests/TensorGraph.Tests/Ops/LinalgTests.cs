using TensorGraph.Autodiff;

namespace TensorGraph.Tests.Ops;

/// <summary>Qr, MatrixBandPart and MatrixTriangularSolve against their definitions, and their gradients against finite differences.</summary>
public class LinalgTests
{
    private static double[] Values(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => -2 + 4 * r.NextDouble()).ToArray();
    }

    private static double[,] Mat(double[] v, int offset, int rows, int cols)
    {
        var m = new double[rows, cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) m[i, j] = v[offset + i * cols + j];
        return m;
    }

    [TestCase(5, 3, false)]
    [TestCase(3, 5, false)]
    [TestCase(4, 4, false)]
    [TestCase(5, 3, true)]
    [TestCase(3, 5, true)]
    public void QrReconstructsWithOrthonormalQAndTriangularR(int m, int n, bool full)
    {
        var g = new Graph();
        var a = Values(2 * m * n, m * 10 + n);
        var x = g.Constant(Tensor.Create(a, 2, m, n));
        var (q, r) = g.Qr(x, full);
        using var s = new Session(g);
        var (qt, rt) = s.Run(q, r);
        int p = Math.Min(m, n), qc = full ? m : p, rr = full ? m : p;
        Assert.That(qt.Shape, Is.EqualTo(new Shape(2, m, qc)));
        Assert.That(rt.Shape, Is.EqualTo(new Shape(2, rr, n)));
        Assert.That(q.Shape, Is.EqualTo(qt.Shape), "inferred shape");
        var qv = qt.ToArray<double>();
        var rv = rt.ToArray<double>();
        for (int b = 0; b < 2; b++)
        {
            var Q = Mat(qv, b * m * qc, m, qc);
            var R = Mat(rv, b * rr * n, rr, n);
            var A = Mat(a, b * m * n, m, n);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int k = 0; k < qc; k++) sum += Q[i, k] * R[k, j];
                    Assert.That(sum, Is.EqualTo(A[i, j]).Within(1e-12), $"QR[{i},{j}]");
                }
            for (int i = 0; i < qc; i++)
                for (int j = 0; j < qc; j++)
                {
                    double dot = 0;
                    for (int k = 0; k < m; k++) dot += Q[k, i] * Q[k, j];
                    Assert.That(dot, Is.EqualTo(i == j ? 1 : 0).Within(1e-12), $"QᵀQ[{i},{j}]");
                }
            for (int i = 0; i < rr; i++)
                for (int j = 0; j < Math.Min(i, n); j++)
                    Assert.That(R[i, j], Is.EqualTo(0), "R is upper triangular");
        }
    }

    [Test]
    public void QrSignsFollowEigensHouseholderReflections()
    {
        // Each reflector maps its column onto -sign(a_kk)·‖column‖: A = [[3], [4]] gives R = [[-5]], Q = [[-0.6], [-0.8]].
        var g = new Graph();
        var (q, r) = g.Qr(g.Constant(new float[,] { { 3 }, { 4 } }));
        using var s = new Session(g);
        var (qt, rt) = s.Run(q, r);
        Assert.That(rt.ToArray<float>(), Is.EqualTo(new[] { -5f }).Within(1e-6));
        Assert.That(qt.ToArray<float>(), Is.EqualTo(new[] { -0.6f, -0.8f }).Within(1e-6));
        Assert.That(() => g.Qr(g.Constant(new float[] { 1, 2 })), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("at least rank 2"));
    }

    [Test]
    public void QrInfersPartialShapes()
    {
        var g = new Graph();
        var (q, r) = g.Qr(g.Placeholder(DType.Float32, new Shape(-1, 6, 4)));
        Assert.That(q.Shape, Is.EqualTo(new Shape(-1, 6, 4)));
        Assert.That(r.Shape, Is.EqualTo(new Shape(-1, 4, 4)));
        var (qf, rf) = g.Qr(g.Placeholder(DType.Float64, new Shape(6, -1)), fullMatrices: true);
        Assert.That(qf.Shape, Is.EqualTo(new Shape(6, 6)));
        Assert.That(rf.Shape, Is.EqualTo(new Shape(6, -1)));
    }

    [Test]
    public void MatrixBandPartKeepsTheBand()
    {
        var g = new Graph();
        var x = g.Constant(Tensor.Create(Enumerable.Range(1, 16).Select(i => (float)i).ToArray(), 4, 4));
        var lower = g.MatrixBandPart(x, -1, 0);
        var band = g.MatrixBandPart(x, 1, 2);
        using var s = new Session(g);
        Assert.That(lower.Op.Name, Is.EqualTo("MatrixBandPart"));
        Assert.That(g.TryGetOperation("MatrixBandPart/num_lower"), Is.Not.Null);
        Assert.That(s.Run(lower).ToArray<float>(), Is.EqualTo(new float[] { 1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0, 13, 14, 15, 16 }));
        Assert.That(s.Run(band).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 0, 5, 6, 7, 8, 0, 10, 11, 12, 0, 0, 15, 16 }));
        var tooMany = g.MatrixBandPart(x, 5, 0);
        Assert.That(() => s.Run(tooMany), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("num_lower must be negative or less or equal to number of rows (4) got: 5"));
    }

    [TestCase(true, false)]
    [TestCase(true, true)]
    [TestCase(false, false)]
    [TestCase(false, true)]
    public void MatrixTriangularSolveSolvesWithTheChosenTriangle(bool lower, bool adjoint)
    {
        int m = 4, k = 3;
        var av = Values(m * m, 3);
        for (int i = 0; i < m; i++) av[i * m + i] += 5 * Math.Sign(av[i * m + i] + 1e-9); // well conditioned
        var bv = Values(m * k, 4);
        var g = new Graph();
        var x = g.MatrixTriangularSolve(g.Constant(Tensor.Create(av, m, m)), g.Constant(Tensor.Create(bv, m, k)), lower, adjoint);
        using var s = new Session(g);
        var xv = s.Run(x).ToArray<double>();
        // E = the triangle read (the other is ignored), transposed with adjoint; E X must be B.
        double E(int i, int j)
        {
            var (r, c) = adjoint ? (j, i) : (i, j);
            bool inTriangle = lower ? c <= r : c >= r;
            return inTriangle ? av[r * m + c] : 0;
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < k; j++)
            {
                double sum = 0;
                for (int t = 0; t < m; t++) sum += E(i, t) * xv[t * k + j];
                Assert.That(sum, Is.EqualTo(bv[i * k + j]).Within(1e-12));
            }
    }

    [Test]
    public void MatrixTriangularSolveErrors()
    {
        var g = new Graph();
        var singular = g.MatrixTriangularSolve(g.Constant(new float[,] { { 1, 0 }, { 2, 0 } }), g.Constant(new float[,] { { 1 }, { 1 } }));
        using var s = new Session(g);
        Assert.That(() => s.Run(singular), Throws.TypeOf<InvalidArgumentException>().With.Message.StartWith("Input matrix is not invertible."));
        Assert.That(() => g.MatrixTriangularSolve(g.Constant(new float[2, 3]), g.Constant(new float[2, 1])),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Dimensions must be equal"));
        Assert.That(() => g.MatrixTriangularSolve(g.Constant(new float[2, 2]), g.Constant(new float[3, 1])),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Dimensions must be equal"));
    }

    private static double CheckGradient(int[] dims, Func<Graph, Output, Output> f, int seed)
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.FromSpan(dims), name: "x");
        var y = f(g, x);
        using var s = new Session(g);
        int n = dims.Aggregate(1, (a, b) => a * b);
        var xv = Values(n, seed);
        if (dims.Length == 2 && dims[0] == dims[1])
            for (int i = 0; i < dims[0]; i++) xv[i * dims[0] + i] += 4 * Math.Sign(xv[i * dims[0] + i] + 1e-9);
        var check = GradientChecker.Compute(s, x, Tensor.Create(xv, dims), y, delta: 1e-6);
        Assert.That(check.Theoretical.Cast<double>().Any(v => v != 0), Is.True, "the gradient should not be all zeros");
        return check.MaxRelativeError;
    }

    [TestCase(4, 4)]
    [TestCase(5, 3)]
    public void QrGradientMatchesFiniteDifferences(int m, int n)
    {
        var wq = Values(m * n, 8);
        var wr = Values(n * n, 9);
        double err = CheckGradient([m, n], (g, x) =>
        {
            var (q, r) = g.Qr(x);
            return g.AddV2(g.ReduceSum(g.Multiply(q, g.Constant(Tensor.Create(wq, m, n)))), g.ReduceSum(g.Multiply(r, g.Constant(Tensor.Create(wr, n, n)))));
        }, 5);
        Assert.That(err, Is.LessThan(1e-6));
    }

    [Test]
    public void QrGradientOfBatchesMatchesFiniteDifferences()
    {
        double err = CheckGradient([2, 3, 3], (g, x) =>
        {
            var (q, r) = g.Qr(x);
            return g.AddV2(g.ReduceSum(g.Square(q)), g.ReduceSum(g.Multiply(r, r)));
        }, 6);
        Assert.That(err, Is.LessThan(1e-6));
    }

    [Test]
    public void QrGradientOfAWideMatrixIsUnimplemented()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, new Shape(2, 3));
        var (_, r) = g.Qr(x);
        Assert.That(() => g.Gradients(g.ReduceSum(r), [x]), Throws.TypeOf<UnimplementedException>().With.Message.Contains("QrGrad not implemented when ncols > nrows"));
    }

    [Test]
    public void MatrixBandPartGradientMatchesFiniteDifferences() =>
        Assert.That(CheckGradient([3, 4], (g, x) => g.MatrixBandPart(x, 1, 0), 7), Is.LessThan(1e-8));

    [TestCase(true, false)]
    [TestCase(false, true)]
    public void MatrixTriangularSolveGradientsMatchFiniteDifferences(bool lower, bool adjoint)
    {
        var bv = Values(3 * 2, 10);
        var av = Values(9, 11);
        for (int i = 0; i < 3; i++) av[i * 3 + i] += 4;
        // d/dA (B fixed) and d/dB (A fixed).
        double ea = CheckGradient([3, 3], (g, a) => g.MatrixTriangularSolve(a, g.Constant(Tensor.Create(bv, 3, 2)), lower, adjoint), 12);
        double eb = CheckGradient([3, 2], (g, b) => g.MatrixTriangularSolve(g.Constant(Tensor.Create(av, 3, 3)), b, lower, adjoint), 13);
        Assert.That(ea, Is.LessThan(1e-6));
        Assert.That(eb, Is.LessThan(1e-6));
    }
}
