using TensorGraph.Kernels;

namespace TensorGraph.Tests.Kernels;

/// <summary>
/// The Winograd forward convolution (F(2×2,5×5), F(4×4,3×3)) against a direct convolution loop
/// written here in double precision, on random odd shapes, every padding kind, with and without
/// the bias + ReLU epilogue; its split across cores against one part (same bits); its transform
/// matrices against the Toom-Cook construction from the points 0, ±1, ±2, ∞; and Conv2D graphs
/// that go through it. Winograd is not bit-exact: the largest error of a call is measured against
/// the largest sum of the terms of one window (Σ|x·w|); for these shapes it measured between 1e-7
/// and 2.1e-6 of it (inputs and weights uniform in [−1, 1]); the bound asserted is 1e-5.
/// </summary>
[NonParallelizable]
public class WinogradTests
{
    private const double Tolerance = 1e-5;

    [TearDown]
    public void Restore()
    {
        Gemm.MaxThreads = Environment.ProcessorCount;
        Winograd.Policy = WinogradPolicy.Auto;
    }

    private static float[] Random(int n, Random r) => Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();

    private static ConvGeometry Geometry(int n, int h, int w, int c, int k, int oc, string padding, int pt = 0, int pb = 0, int pl = 0, int pr = 0)
    {
        switch (padding)
        {
            case "SAME":
                return new ConvGeometry(n, h, w, c, k, k, oc, h, w, 1, 1, 1, 1, (k - 1) / 2, (k - 1) / 2);
            case "VALID":
                return new ConvGeometry(n, h, w, c, k, k, oc, h - k + 1, w - k + 1, 1, 1, 1, 1, 0, 0);
            default:
                return new ConvGeometry(n, h, w, c, k, k, oc, h + pt + pb - k + 1, w + pl + pr - k + 1, 1, 1, 1, 1, pt, pl);
        }
    }

    /// <summary>The direct convolution in double, and Σ|x·w| per output (the scale its rounding error is measured against).</summary>
    private static (double[] Value, double[] Scale) Direct(float[] x, float[] f, in ConvGeometry g)
    {
        var y = new double[g.N * g.OH * g.OW * g.OC];
        var s = new double[y.Length];
        for (int b = 0; b < g.N; b++)
        for (int oy = 0; oy < g.OH; oy++)
        for (int ox = 0; ox < g.OW; ox++)
        for (int o = 0; o < g.OC; o++)
        {
            double acc = 0, mag = 0;
            for (int ky = 0; ky < g.KH; ky++)
            for (int kx = 0; kx < g.KW; kx++)
            {
                int iy = oy - g.PadTop + ky, ix = ox - g.PadLeft + kx;
                if (iy < 0 || iy >= g.H || ix < 0 || ix >= g.W) continue;
                for (int c = 0; c < g.C; c++)
                {
                    double t = (double)x[((b * g.H + iy) * g.W + ix) * g.C + c] * f[((ky * g.KW + kx) * g.C + c) * g.OC + o];
                    acc += t;
                    mag += Math.Abs(t);
                }
            }
            int i = ((b * g.OH + oy) * g.OW + ox) * g.OC + o;
            y[i] = acc;
            s[i] = mag;
        }
        return (y, s);
    }

    private sealed class BiasRelu(float[] bias) : IConvEpilogue<float>
    {
        public int Rows { get; private set; }

        public void Apply(Span<float> rows, int channels)
        {
            Assert.That(rows.Length % channels, Is.EqualTo(0));
            Rows += rows.Length / channels;
            for (int i = 0; i < rows.Length; i++) rows[i] = Math.Max(0f, rows[i] + bias[i % channels]);
        }
    }

    private static IEnumerable<TestCaseData> RandomShapes()
    {
        var r = new Random(7);
        int[] channels = [1, 3, 7, 33];
        string[] paddings = ["SAME", "VALID", "EXPLICIT"];
        for (int i = 0; i < 36; i++)
        {
            int k = i % 2 == 0 ? 3 : 5;
            string padding = paddings[i / 2 % 3];
            int h = 1 + r.Next(17), w = 1 + r.Next(17);
            if (padding == "VALID") (h, w) = (Math.Max(h, k), Math.Max(w, k));
            int pt = r.Next(4), pb = r.Next(4), pl = r.Next(4), pr = r.Next(4);
            if (padding == "EXPLICIT")
            {
                h = Math.Max(h, k - pt - pb);
                w = Math.Max(w, k - pl - pr);
            }
            int n = 1 + r.Next(3);
            int c = channels[r.Next(4)], oc = channels[r.Next(4)];
            bool epilogue = i / 6 % 2 == 1;
            yield return new TestCaseData(n, h, w, c, oc, k, padding, pt, pb, pl, pr, epilogue)
                .SetName($"Wino_{k}x{k}_{padding}_{n}x{h}x{w}x{c}_to_{oc}{(padding == "EXPLICIT" ? $"_pad{pt}{pb}{pl}{pr}" : "")}{(epilogue ? "_biasrelu" : "")}");
        }
        // The CNN's two layers at a small batch.
        yield return new TestCaseData(2, 28, 28, 1, 32, 5, "SAME", 0, 0, 0, 0, true).SetName("Wino_conv1_shape");
        yield return new TestCaseData(2, 14, 14, 32, 64, 5, "SAME", 0, 0, 0, 0, true).SetName("Wino_conv2_shape");
    }

    [TestCaseSource(nameof(RandomShapes))]
    public void MatchesDirectConvolution(int n, int h, int w, int c, int oc, int k, string padding, int pt, int pb, int pl, int pr, bool epilogue)
    {
        var g = Geometry(n, h, w, c, k, oc, padding, pt, pb, pl, pr);
        Assert.That(Winograd.Supports(g), Is.True);
        var r = new Random(n * 1000 + h * 100 + w * 10 + c + oc);
        var x = Random(n * h * w * c, r);
        var f = Random(k * k * c * oc, r);
        var bias = Random(oc, r);
        var (expected, scale) = Direct(x, f, g);
        if (epilogue) for (int i = 0; i < expected.Length; i++) expected[i] = Math.Max(0, expected[i] + bias[i % oc]);

        // Odd-sized scratch (a small block), reused for a second call: the same bits.
        var wino = new Winograd(blockBytes: 40_000);
        var epi = epilogue ? new BiasRelu(bias) : null;
        var y = Enumerable.Repeat(float.NaN, g.Rows * oc).ToArray();
        wino.Forward(x, f, y, g, epi);
        // Winograd's rounding error is that of the transformed tile, not of one window: an output whose
        // window is all padding is not exactly 0 when the rest of its tile is not. So the error is
        // measured against the largest sum |x w| of the call.
        double worst = 0, top = scale.Max();
        for (int i = 0; i < y.Length; i++) worst = Math.Max(worst, Math.Abs(y[i] - expected[i]));
        worst /= Math.Max(top, 1e-30);
        Assert.That(worst, Is.LessThan(Tolerance), "worst error relative to the largest sum |x w|");
        if (epi is not null) Assert.That(epi.Rows, Is.EqualTo(g.Rows), "the epilogue saw every output row once");
        TestContext.Out.WriteLine($"max error / sum|xw| = {worst:E2}, blocks {wino.LastBlocks}");

        var again = new float[y.Length];
        wino.Forward(x, f, again, g, epilogue ? new BiasRelu(bias) : null);
        Assert.That(again, Is.EqualTo(y));
    }

    [TestCase(5, 3, 17, 13, 7, 33)]
    [TestCase(3, 2, 9, 16, 32, 64)]
    [TestCase(5, 1, 14, 14, 32, 64)]
    public void SplitGivesTheBitsOfOnePart(int k, int n, int h, int w, int c, int oc)
    {
        var g = Geometry(n, h, w, c, k, oc, "SAME");
        var r = new Random(3);
        var x = Random(n * h * w * c, r);
        var f = Random(k * k * c * oc, r);
        var bias = Random(oc, r);
        var serial = new float[g.Rows * oc];
        var one = new Winograd(blockBytes: 60_000, minWorkPerPart: 1);
        one.Forward(x, f, serial, g, new BiasRelu(bias), maxParts: 1);
        Assert.That(one.LastParts, Is.EqualTo(1));
        Assert.That(one.LastBlocks, Is.GreaterThan(3), "several blocks");

        Gemm.MaxThreads = 3;
        var split = new float[serial.Length];
        var three = new Winograd(blockBytes: 60_000, minWorkPerPart: 1);
        three.Forward(x, f, split, g, new BiasRelu(bias));
        Assert.That(three.LastParts, Is.EqualTo(3));
        Assert.That(split, Is.EqualTo(serial));
    }

    /// <summary>
    /// Modified Toom-Cook from the points a = 0, 1, −1, 2, −2 and ∞: Bᵀ row j the coefficients of
    /// ∏_{l≠j}(x − a_l) (∞: ∏_l), G[j][k] = a_j^k / ∏_{l≠j}(a_j − a_l) (∞: e_{r−1}), Aᵀ[i][j] = a_j^i (∞: e_{m−1}).
    /// </summary>
    [Test]
    public void TransformMatricesAreTheToomCookOnes()
    {
        double[] a = [0, 1, -1, 2, -2];
        double[] Poly(IEnumerable<double> roots)
        {
            double[] p = [1];
            foreach (var root in roots)
            {
                var q = new double[p.Length + 1];
                for (int i = 0; i < p.Length; i++)
                {
                    q[i + 1] += p[i];
                    q[i] -= root * p[i];
                }
                p = q;
            }
            return p;
        }

        var bt = new double[36];
        for (int j = 0; j < 6; j++)
        {
            var p = j < 5 ? Poly(a.Where((_, l) => l != j)) : Poly(a);
            for (int i = 0; i < p.Length; i++) bt[j * 6 + i] = p[i];
        }
        Assert.That(Winograd.InputMatrix.ToArray().Select(v => (double)v), Is.EqualTo(bt), "B transposed");

        foreach (int rr in new[] { 3, 5 })
        {
            var gm = new double[6 * rr];
            for (int j = 0; j < 5; j++)
            {
                double f = 1;
                for (int l = 0; l < 5; l++) if (l != j) f *= a[j] - a[l];
                for (int k = 0; k < rr; k++) gm[j * rr + k] = Math.Pow(a[j], k) / f;
            }
            gm[5 * rr + rr - 1] = 1;
            Assert.That(Winograd.FilterMatrix(rr).ToArray().Select(v => (double)v), Is.EqualTo(gm).Within(1e-7), $"G for r = {rr}");

            int m = 7 - rr;
            var at = new double[m * 6];
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < 5; j++) at[i * 6 + j] = Math.Pow(a[j], i);
                at[i * 6 + 5] = i == m - 1 ? 1 : 0;
            }
            Assert.That(Winograd.OutputMatrix(m).ToArray().Select(v => (double)v), Is.EqualTo(at), $"A transposed for m = {m}");
        }
    }

    [Test]
    public void RejectsGeometriesItDoesNotCompute()
    {
        var wino = new Winograd();
        var strided = new ConvGeometry(1, 8, 8, 2, 3, 3, 2, 4, 4, 2, 2, 1, 1, 1, 1);
        Assert.That(Winograd.Supports(strided), Is.False);
        Assert.Throws<ArgumentException>(() => wino.Forward(new float[128], new float[36], new float[32], strided));
        Assert.That(Winograd.Supports(new ConvGeometry(1, 8, 8, 2, 3, 3, 2, 6, 6, 1, 1, 2, 2, 0, 0)), Is.False, "dilated");
        Assert.That(Winograd.Supports(new ConvGeometry(1, 8, 8, 2, 7, 7, 2, 2, 2, 1, 1, 1, 1, 0, 0)), Is.False, "7x7");
        Assert.That(Winograd.Supports(new ConvGeometry(1, 8, 8, 0, 3, 3, 2, 6, 6, 1, 1, 1, 1, 0, 0)), Is.False, "no input channels");
    }

    /// <summary>Conv2D and the fused Conv2D → BiasAdd → Relu through Winograd match the im2col path.</summary>
    [TestCase("SAME", 5)]
    [TestCase("VALID", 3)]
    [TestCase("EXPLICIT", 5)]
    public void Conv2DGraphsGoThroughWinograd(string padding, int k)
    {
        var r = new Random(11);
        int n = 2, h = 11, w = 9, c = 5, oc = 12;
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, h, w, c], name: "x");
        var filter = g.Constant(Tensor.Create(Random(k * k * c * oc, r), k, k, c, oc));
        var bias = g.Constant(Tensor.Create(Random(oc, r), oc));
        int[]? explicitPads = padding == "EXPLICIT" ? [0, 0, 2, 1, 0, 3, 0, 0] : null;
        var conv = g.Conv2D(x, filter, [1, 1, 1, 1], padding, explicitPaddings: explicitPads);
        var fused = g.Relu(g.BiasAdd(g.Conv2D(x, filter, [1, 1, 1, 1], padding, explicitPaddings: explicitPads), bias));
        var feed = Tensor.Create(Random(n * h * w * c, r), n, h, w, c);

        float[][] Run(WinogradPolicy policy)
        {
            Winograd.Policy = policy;
            using var s = new Session(g);
            var outs = s.Run([conv, fused], new FeedDict { [x] = feed });
            return [outs[0]!.ToArray<float>(), outs[1]!.ToArray<float>()];
        }

        var im2col = Run(WinogradPolicy.Never);
        long before = Winograd.Calls;
        var wino = Run(WinogradPolicy.Always);
        Assert.That(Winograd.Calls - before, Is.EqualTo(2), "both nodes ran the Winograd kernel");
        for (int i = 0; i < 2; i++)
        {
            Assert.That(wino[i].Length, Is.EqualTo(im2col[i].Length));
            // Inputs and weights in [-1, 1] and at most 125 terms: an absolute bound of 1e-4 is ~1e-5 of the sum |x w|.
            Assert.That(wino[i], Is.EqualTo(im2col[i]).Within(1e-4), i == 0 ? "Conv2D" : "Conv2D+BiasAdd+Relu");
        }
        Assert.That(wino[1].Min(), Is.EqualTo(0f), "the ReLU ran");
    }
}
