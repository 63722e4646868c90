using TensorGraph.Kernels;

namespace TensorGraph.Tests.Ops;

public class ConvPoolTests
{
    // ------------------------------------------------------------------ naive references

    /// <summary>Output size and leading pad of one dimension, computed independently of the library.</summary>
    private static (int Out, int Pad) Dim(int input, int k, int stride, int dilation, string padding, int padBefore = 0, int padAfter = 0)
    {
        int eff = (k - 1) * dilation + 1;
        return padding switch
        {
            "VALID" => ((int)Math.Ceiling((input - eff + 1) / (double)stride), 0),
            "SAME" => ((input + stride - 1) / stride, Math.Max(0, ((input + stride - 1) / stride - 1) * stride + eff - input) / 2),
            _ => ((input + padBefore + padAfter - eff) / stride + 1, padBefore),
        };
    }

    /// <summary>Direct convolution: out[b,oy,ox,o] = Σ x[b, oy·s−pad+ky·d, ox·s−pad+kx·d, c] · f[ky,kx,c,o].</summary>
    private static double[] NaiveConv(double[] x, int[] xd, double[] f, int[] fd, int[] strides, string padding, int[] dil, int[] ep, out int[] od)
    {
        int n = xd[0], h = xd[1], w = xd[2], c = xd[3], kh = fd[0], kw = fd[1], oc = fd[3];
        var (oh, pt) = Dim(h, kh, strides[1], dil[1], padding, ep.Length > 0 ? ep[2] : 0, ep.Length > 0 ? ep[3] : 0);
        var (ow, pl) = Dim(w, kw, strides[2], dil[2], padding, ep.Length > 0 ? ep[4] : 0, ep.Length > 0 ? ep[5] : 0);
        od = [n, oh, ow, oc];
        var o = new double[n * oh * ow * oc];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int q = 0; q < oc; q++)
                    {
                        double s = 0;
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * strides[1] - pt + ky * dil[1], ix = ox * strides[2] - pl + kx * dil[2];
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                for (int ch = 0; ch < c; ch++)
                                    s += x[((b * h + iy) * w + ix) * c + ch] * f[((ky * kw + kx) * c + ch) * oc + q];
                            }
                        o[((b * oh + oy) * ow + ox) * oc + q] = s;
                    }
        return o;
    }

    /// <summary>Naive adjoints of the convolution: dL/dx and dL/df for an upstream gradient dy.</summary>
    private static (double[] Dx, double[] Df) NaiveConvAdjoint(int[] xd, double[] x, int[] fd, double[] f, double[] dy, int[] strides, string padding, int[] dil)
    {
        int n = xd[0], h = xd[1], w = xd[2], c = xd[3], kh = fd[0], kw = fd[1], oc = fd[3];
        var (oh, pt) = Dim(h, kh, strides[1], dil[1], padding);
        var (ow, pl) = Dim(w, kw, strides[2], dil[2], padding);
        var dx = new double[x.Length];
        var df = new double[f.Length];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int q = 0; q < oc; q++)
                    {
                        double g = dy[((b * oh + oy) * ow + ox) * oc + q];
                        for (int ky = 0; ky < kh; ky++)
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int iy = oy * strides[1] - pt + ky * dil[1], ix = ox * strides[2] - pl + kx * dil[2];
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                for (int ch = 0; ch < c; ch++)
                                {
                                    int xi = ((b * h + iy) * w + ix) * c + ch, fi = ((ky * kw + kx) * c + ch) * oc + q;
                                    dx[xi] += g * f[fi];
                                    df[fi] += g * x[xi];
                                }
                            }
                    }
        return (dx, df);
    }

    private static double[] Rand(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray();
    }

    private static int Prod(int[] d) => d.Aggregate(1, (a, b) => a * b);

    // ------------------------------------------------------------------ Conv2D values

    [Test]
    public void Conv2DHandComputedValidAndSame()
    {
        var g = new Graph();
        var x = g.Constant(Tensor.Create(Enumerable.Range(1, 9).Select(v => (float)v).ToArray(), 1, 3, 3, 1));
        var f = g.Constant(Tensor.Create(new float[] { 1, 1, 1, 1 }, 2, 2, 1, 1));
        var valid = g.Conv2D(x, f, [1, 1, 1, 1], "VALID");
        var same = g.Conv2D(x, f, [1, 1, 1, 1], "SAME");
        var same2 = g.Conv2D(x, f, [1, 2, 2, 1], "SAME");
        using var s = new Session(g);
        OpTestUtil.AssertTensor(s.Run(valid), [1, 2, 2, 1], 12f, 16f, 24f, 28f);
        // SAME with a 2x2 filter pads one column/row at the end only.
        OpTestUtil.AssertTensor(s.Run(same), [1, 3, 3, 1], 12f, 16f, 9f, 24f, 28f, 15f, 15f, 17f, 9f);
        OpTestUtil.AssertTensor(s.Run(same2), [1, 2, 2, 1], 12f, 9f, 15f, 9f);
    }

    [TestCase(1, 5, 5, 1, 3, 3, 1, 1, 1, "SAME")]
    [TestCase(1, 5, 5, 1, 3, 3, 1, 1, 1, "VALID")]
    [TestCase(2, 6, 7, 3, 3, 2, 4, 1, 1, "SAME")]
    [TestCase(2, 6, 7, 3, 3, 2, 4, 1, 1, "VALID")]
    [TestCase(2, 7, 6, 3, 3, 3, 2, 2, 1, "SAME")]
    [TestCase(2, 7, 6, 3, 3, 3, 2, 2, 1, "VALID")]
    [TestCase(2, 8, 8, 2, 4, 4, 3, 2, 1, "SAME")]
    [TestCase(1, 9, 8, 2, 3, 3, 2, 1, 2, "SAME")]
    [TestCase(1, 9, 8, 2, 3, 3, 2, 1, 2, "VALID")]
    [TestCase(2, 9, 9, 2, 2, 3, 2, 2, 2, "SAME")]
    [TestCase(3, 4, 5, 6, 1, 1, 5, 1, 1, "SAME")]
    [TestCase(2, 5, 5, 3, 1, 1, 2, 2, 1, "VALID")]
    [TestCase(1, 3, 3, 2, 5, 5, 2, 1, 1, "SAME")]
    public void Conv2DMatchesDirectConvolution(int n, int h, int w, int c, int kh, int kw, int oc, int stride, int dilation, string padding)
    {
        int[] xd = [n, h, w, c], fd = [kh, kw, c, oc], st = [1, stride, stride, 1], dl = [1, dilation, dilation, 1];
        var xv = Rand(Prod(xd), h * 100 + c);
        var fv = Rand(Prod(fd), kh * 10 + oc);
        var expected = NaiveConv(xv, xd, fv, fd, st, padding, dl, [], out var od);

        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [-1, h, w, c], name: "x");
        var f = g.Constant(Tensor.Create(fv, fd));
        var y = g.Conv2D(x, f, st, padding, dl);
        Assert.That(y.Shape, Is.EqualTo(new Shape(-1, od[1], od[2], oc)));
        using var s = new Session(g);
        var got = s.Run(y, new FeedDict { [x] = Tensor.Create(xv, xd) });
        Assert.That(got.Dims.ToArray(), Is.EqualTo(od));
        Assert.That(got.ToArray<double>(), Is.EqualTo(expected).Within(1e-12));

        var g32 = new Graph();
        var y32 = g32.Conv2D(g32.Constant(Tensor.Create(xv.Select(v => (float)v).ToArray(), xd)),
            g32.Constant(Tensor.Create(fv.Select(v => (float)v).ToArray(), fd)), st, padding, dl);
        Assert.That(OpTestUtil.Eval(y32).ToArray<float>().Select(v => (double)v), Is.EqualTo(expected).Within(1e-4));
    }

    [Test]
    public void KernelsReuseScratchAcrossFedShapes()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [-1, -1, -1, 2], name: "x");
        int[] fd = [3, 3, 2, 3];
        var fv = Rand(Prod(fd), 40);
        var y = g.Conv2D(x, g.Constant(Tensor.Create(fv, fd)), [1, 2, 2, 1], "SAME");
        var p = g.MaxPool(y, [1, 2, 2, 1], [1, 1, 1, 1], "VALID");
        var d = g.Gradients(g.ReduceSum(p), x)[0]!.Value;
        using var s = new Session(g);
        foreach (var xd in new[] { new[] { 3, 9, 7, 2 }, [1, 4, 5, 2], [2, 11, 6, 2], [1, 4, 5, 2] })
        {
            var xv = Rand(Prod(xd), xd[1]);
            var expected = NaiveConv(xv, xd, fv, fd, [1, 2, 2, 1], "SAME", [1, 1, 1, 1], [], out var od);
            var (got, dx) = s.Run(y, d, new FeedDict { [x] = Tensor.Create(xv, xd) });
            Assert.That(got.Dims.ToArray(), Is.EqualTo(od));
            Assert.That(got.ToArray<double>(), Is.EqualTo(expected).Within(1e-12));
            Assert.That(dx.Dims.ToArray(), Is.EqualTo(xd));
        }
    }

    [Test]
    public void Conv2DExplicitPadding()
    {
        int[] xd = [1, 4, 5, 2], fd = [3, 2, 2, 3], st = [1, 2, 1, 1], ep = [0, 0, 2, 1, 0, 3, 0, 0];
        var xv = Rand(Prod(xd), 1);
        var fv = Rand(Prod(fd), 2);
        var expected = NaiveConv(xv, xd, fv, fd, st, "EXPLICIT", [1, 1, 1, 1], ep, out var od);
        var g = new Graph();
        var y = g.Conv2D(g.Constant(Tensor.Create(xv, xd)), g.Constant(Tensor.Create(fv, fd)), st, "EXPLICIT", explicitPaddings: ep);
        Assert.That(y.Shape, Is.EqualTo(new Shape(od)));
        Assert.That(OpTestUtil.Eval(y).ToArray<double>(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Im2ColChunkingMatchesSinglePass()
    {
        // Small chunk sizes force several GEMM calls per op, including the accumulated filter gradient.
        int[] xd = [2, 5, 6, 3], fd = [3, 3, 3, 4], st = [1, 1, 1, 1], dl = [1, 1, 1, 1];
        var xv = Rand(Prod(xd), 3);
        var fv = Rand(Prod(fd), 4);
        var expected = NaiveConv(xv, xd, fv, fd, st, "SAME", dl, [], out var od);
        var dy = Rand(Prod(od), 5);
        var (edx, edf) = NaiveConvAdjoint(xd, xv, fd, fv, dy, st, "SAME", dl);
        var geo = new ConvGeometry(2, 5, 6, 3, 3, 3, 4, 5, 6, 1, 1, 1, 1, 1, 1);
        foreach (int chunk in new[] { 1, 27 * 7, 27 * 16, 1 << 20 })
        {
            double[]? col = null, partial = null;
            var scratch = new GemmScratch();
            var o = new double[Prod(od)];
            Im2Col.Forward<double>(xv, fv, o, geo, ref col, scratch, chunk);
            Assert.That(o, Is.EqualTo(expected).Within(1e-12), $"forward, chunk {chunk}");
            var dx = new double[xv.Length];
            Im2Col.BackpropInput<double>(fv, dy, dx, geo, ref col, scratch, chunk);
            Assert.That(dx, Is.EqualTo(edx).Within(1e-12), $"input grad, chunk {chunk}");
            var df = new double[fv.Length];
            Im2Col.BackpropFilter<double>(xv, dy, df, geo, ref col, ref partial, scratch, chunk);
            Assert.That(df, Is.EqualTo(edf).Within(1e-12), $"filter grad, chunk {chunk}");
        }
    }

    [TestCase(2, 1 << 20)]
    [TestCase(3, 1 << 20)]
    [TestCase(3, 27 * 5)]
    [TestCase(5, 1)]
    public void ParallelConvolutionMatchesTheNaiveFormulas(int threads, int chunk)
    {
        // Every part count the pool allows, with chunks small enough to accumulate inside a part.
        int[] xd = [5, 6, 7, 3], fd = [3, 3, 3, 4], st = [1, 2, 1, 1], dl = [1, 1, 1, 1];
        var xv = Rand(Prod(xd), 11);
        var fv = Rand(Prod(fd), 12);
        var expected = NaiveConv(xv, xd, fv, fd, st, "SAME", dl, [], out var od);
        var dy = Rand(Prod(od), 13);
        var (edx, edf) = NaiveConvAdjoint(xd, xv, fd, fv, dy, st, "SAME", dl);
        var geo = new ConvGeometry(5, 6, 7, 3, 3, 3, 4, od[1], od[2], 2, 1, 1, 1, ConvCommon.Window(6, 3, 1, 2, PaddingKind.Same).PadBefore, ConvCommon.Window(7, 3, 1, 1, PaddingKind.Same).PadBefore);
        int saved = Gemm.MaxThreads;
        Gemm.MaxThreads = threads;
        try
        {
            var conv = new ConvParallel<double>(chunk, minWorkPerPart: 1);
            var o = new double[Prod(od)];
            conv.Forward(xv, fv, o, geo);
            Assert.That(conv.LastParts, Is.EqualTo(threads), "forward parts");
            Assert.That(o, Is.EqualTo(expected).Within(1e-12), "forward");
            var dx = new double[xv.Length];
            conv.BackpropInput(fv, dy, dx, geo);
            Assert.That(conv.LastParts, Is.EqualTo(Math.Min(threads, 5)), "input-gradient parts (at most one per image)");
            Assert.That(dx, Is.EqualTo(edx).Within(1e-12), "input grad");
            var df = new double[fv.Length];
            conv.BackpropFilter(xv, dy, df, geo);
            Assert.That(conv.LastParts, Is.EqualTo(threads), "filter-gradient parts");
            Assert.That(df, Is.EqualTo(edf).Within(1e-12), "filter grad");
            // The same parts again (reused scratch) give the same bits.
            var o2 = new double[o.Length];
            conv.Forward(xv, fv, o2, geo);
            Assert.That(o2, Is.EqualTo(o));
        }
        finally
        {
            Gemm.MaxThreads = saved;
        }
    }

    [TestCase("SAME", 1, 1)]
    [TestCase("VALID", 2, 1)]
    [TestCase("SAME", 2, 1)]
    [TestCase("SAME", 1, 2)]
    [TestCase("VALID", 1, 1)]
    public void BackpropOpsMatchNaiveAdjoint(string padding, int stride, int dilation)
    {
        int[] xd = [2, 6, 5, 3], fd = [3, 2, 3, 2], st = [1, stride, stride, 1], dl = [1, dilation, dilation, 1];
        var xv = Rand(Prod(xd), 7);
        var fv = Rand(Prod(fd), 8);
        NaiveConv(xv, xd, fv, fd, st, padding, dl, [], out var od);
        var dy = Rand(Prod(od), 9);
        var (edx, edf) = NaiveConvAdjoint(xd, xv, fd, fv, dy, st, padding, dl);
        foreach (var dt in new[] { DType.Float64, DType.Float32 })
        {
            var g = new Graph();
            Output C(double[] v, int[] d) => dt == DType.Float64 ? g.Constant(Tensor.Create(v, d)) : g.Constant(Tensor.Create(v.Select(e => (float)e).ToArray(), d));
            var dxOp = g.Conv2DBackpropInput(g.Constant(Tensor.Create(xd, 4)), C(fv, fd), C(dy, od), st, padding, dl);
            var dfOp = g.Conv2DBackpropFilter(C(xv, xd), g.Constant(Tensor.Create(fd, 4)), C(dy, od), st, padding, dl);
            Assert.That(dxOp.Shape, Is.EqualTo(new Shape(xd)));
            Assert.That(dfOp.Shape, Is.EqualTo(new Shape(fd)));
            using var s = new Session(g);
            var (dx, df) = s.Run(dxOp, dfOp);
            double tol = dt == DType.Float64 ? 1e-12 : 1e-4;
            Assert.That(dx.Dims.ToArray(), Is.EqualTo(xd));
            Assert.That(df.Dims.ToArray(), Is.EqualTo(fd));
            Assert.That(Doubles(dx), Is.EqualTo(edx).Within(tol));
            Assert.That(Doubles(df), Is.EqualTo(edf).Within(tol));
        }
    }

    private static double[] Doubles(Tensor t) => t.DType == DType.Float32 ? t.ToArray<float>().Select(v => (double)v).ToArray() : t.ToArray<double>();

    // ------------------------------------------------------------------ build-time shapes and errors

    [Test]
    public void Conv2DShapeInference()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 28, 28, 1], name: "x");
        var f = g.Placeholder(DType.Float32, [5, 5, 1, 32], name: "f");
        Assert.That(g.Conv2D(x, f, [1, 1, 1, 1], "SAME").Shape, Is.EqualTo(new Shape(-1, 28, 28, 32)));
        Assert.That(g.Conv2D(x, f, [1, 1, 1, 1], "VALID").Shape, Is.EqualTo(new Shape(-1, 24, 24, 32)));
        Assert.That(g.Conv2D(x, f, [1, 2, 2, 1], "SAME").Shape, Is.EqualTo(new Shape(-1, 14, 14, 32)));
        Assert.That(g.Conv2D(x, f, [1, 2, 3, 1], "VALID").Shape, Is.EqualTo(new Shape(-1, 12, 8, 32)));
        Assert.That(g.Conv2D(x, f, [1, 1, 1, 1], "VALID", [1, 2, 2, 1]).Shape, Is.EqualTo(new Shape(-1, 20, 20, 32)));
        var u = g.Placeholder(DType.Float32, [-1, -1, 28, 1]);
        Assert.That(g.Conv2D(u, f, [1, 1, 1, 1], "SAME").Shape, Is.EqualTo(new Shape(-1, -1, 28, 32)));
        Assert.That(g.Conv2D(g.Placeholder(DType.Float32), f, [1, 1, 1, 1], "SAME").Shape, Is.EqualTo(new Shape(-1, -1, -1, 32)));
        var op = g.Conv2D(x, f, [1, 1, 1, 1], "SAME", name: "conv").Op;
        Assert.That(op.GetAttrInts("dilations"), Is.EqualTo(new long[] { 1, 1, 1, 1 }));
        Assert.That(op.GetAttrBool("use_cudnn_on_gpu"), Is.True);
        Assert.That(op.GetAttrString("data_format"), Is.EqualTo("NHWC"));
        Assert.That(op.GetAttrInts("explicit_paddings"), Is.Empty);
        Assert.That(g.MaxPool(g.Placeholder(DType.Float32, [-1, 28, 28, 32]), [1, 2, 2, 1], [1, 2, 2, 1], "SAME").Shape,
            Is.EqualTo(new Shape(-1, 14, 14, 32)));
        Assert.That(g.AvgPool(g.Placeholder(DType.Float32, [4, 7, 7, 3]), [1, 3, 3, 1], [1, 2, 2, 1], "VALID").Shape,
            Is.EqualTo(new Shape(4, 3, 3, 3)));
    }

    [Test]
    public void InvalidArgumentsNameTheNode()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 8, 8, 3], name: "x");
        var f = g.Placeholder(DType.Float32, [3, 3, 2, 4], name: "f");
        var f3 = g.Placeholder(DType.Float32, [3, 3, 3, 4], name: "f3");
        var e = Assert.Throws<InvalidArgumentException>(() => g.Conv2D(x, f, [1, 1, 1, 1], "SAME", name: "mismatch"))!;
        Assert.That(e.Message, Does.Contain("'mismatch'").And.Contain("3 and 2").And.Contain(OpTestUtil.ThisFile()));
        e = Assert.Throws<InvalidArgumentException>(() => g.Conv2D(x, f3, [1, 1, 1, 1], "FULL", name: "badpad"))!;
        Assert.That(e.Message, Does.Contain("'badpad'").And.Contain("padding").And.Contain("FULL"));
        e = Assert.Throws<InvalidArgumentException>(() => g.Conv2D(x, f3, [1, 1, 1], "SAME", name: "short"))!;
        Assert.That(e.Message, Does.Contain("'short'").And.Contain("4 values"));
        e = Assert.Throws<InvalidArgumentException>(() => g.Conv2D(x, f3, [2, 1, 1, 1], "SAME", name: "bstride"))!;
        Assert.That(e.Message, Does.Contain("'bstride'").And.Contain("batch and depth"));
        e = Assert.Throws<InvalidArgumentException>(() => g.Conv2D(g.Placeholder(DType.Float32, [8, 8, 3]), f3, [1, 1, 1, 1], "SAME", name: "rank"))!;
        Assert.That(e.Message, Does.Contain("'rank'").And.Contain("rank 4"));
        e = Assert.Throws<InvalidArgumentException>(() => g.Conv2D(x, g.Placeholder(DType.Float32, [10, 10, 3, 1]), [1, 1, 1, 1], "VALID", name: "neg"))!;
        Assert.That(e.Message, Does.Contain("'neg'").And.Contain("negative"));
        e = Assert.Throws<InvalidArgumentException>(() => g.Conv2D(g.Placeholder(DType.Int32, [1, 8, 8, 3]), g.Placeholder(DType.Int32, [3, 3, 3, 4]), [1, 1, 1, 1], "SAME", name: "ints"))!;
        Assert.That(e.Message, Does.Contain("'ints'"));
        e = Assert.Throws<InvalidArgumentException>(() => g.MaxPool(x, [1, 2, 2, 1], [1, 2, 2, 1], "EXPLICIT", name: "mp"))!;
        Assert.That(e.Message, Does.Contain("'mp'").And.Contain("EXPLICIT"));
        e = Assert.Throws<InvalidArgumentException>(() => g.AvgPool(x, [2, 2, 2, 1], [1, 2, 2, 1], "SAME", name: "ap"))!;
        Assert.That(e.Message, Does.Contain("'ap'").And.Contain("batch"));

        // Run-time mismatch when shapes are only known when fed.
        var ux = g.Placeholder(DType.Float32, name: "ux");
        var y = g.Conv2D(ux, f3, [1, 1, 1, 1], "SAME", name: "late");
        using var s = new Session(g);
        var re = Assert.Throws<InvalidArgumentException>(() => s.Run(y, new FeedDict { [ux] = Tensor.Zeros(DType.Float32, 1, 4, 4, 2), [f3] = Tensor.Zeros(DType.Float32, 3, 3, 3, 4) }))!;
        Assert.That(re.Message, Does.Contain("'late'").And.Contain("in_channels"));
    }

    [Test]
    public void NchwBuildsButHasNoCpuKernel()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [2, 3, 8, 8], name: "x");
        var y = g.Conv2D(x, g.Constant(Tensor.Zeros(DType.Float32, 3, 3, 3, 5)), [1, 1, 2, 2], "SAME", name: "nchw", dataFormat: "NCHW");
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 5, 4, 4)));
        var p = g.MaxPool(x, [1, 1, 2, 2], [1, 1, 2, 2], "VALID", "NCHW");
        Assert.That(p.Shape, Is.EqualTo(new Shape(2, 3, 4, 4)));
        using var s = new Session(g);
        var e = Assert.Throws<UnimplementedException>(() => s.Run(y, new FeedDict { [x] = Tensor.Zeros(DType.Float32, 2, 3, 8, 8) }))!;
        Assert.That(e.Message, Does.Contain("NHWC").And.Contain("NCHW"));
    }

    [Test]
    public void ShapeNGivesEveryShape()
    {
        var g = new Graph();
        var a = g.Placeholder(DType.Float32, [-1, 3], name: "a");
        var b = g.Placeholder(DType.Float32, name: "b");
        var sn = g.ShapeN([a, b]);
        Assert.That(sn, Has.Length.EqualTo(2));
        Assert.That(sn[0].Op.Type, Is.EqualTo("ShapeN"));
        Assert.That(sn[0].Shape, Is.EqualTo(new Shape(2)));
        Assert.That(sn[1].Shape, Is.EqualTo(new Shape(-1)));
        using var s = new Session(g);
        var (ra, rb) = s.Run(sn[0], sn[1], new FeedDict { [a] = new float[4, 3], [b] = Tensor.Zeros(DType.Float32, 2, 5, 1) });
        OpTestUtil.AssertTensor(ra, [2], 4, 3);
        OpTestUtil.AssertTensor(rb, [3], 2, 5, 1);
        var s64 = g.ShapeN([a], DType.Int64);
        Assert.That(s64[0].DType, Is.EqualTo(DType.Int64));
    }

    // ------------------------------------------------------------------ pooling values

    [Test]
    public void MaxPoolValues()
    {
        var g = new Graph();
        var x9 = g.Constant(Tensor.Create(Enumerable.Range(1, 9).Select(v => (float)v).ToArray(), 1, 3, 3, 1));
        var x16 = g.Constant(Tensor.Create(new float[] { 1, 5, 2, 0, 3, -1, 7, 4, 0, 0, -2, -3, 9, 1, -4, 8 }, 1, 4, 4, 1));
        using var s = new Session(g);
        OpTestUtil.AssertTensor(s.Run(g.MaxPool(x16, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")), [1, 2, 2, 1], 5f, 7f, 9f, 8f);
        // SAME, 2x2 stride 2 over 3x3: the extra padding goes at the bottom/right.
        OpTestUtil.AssertTensor(s.Run(g.MaxPool(x9, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")), [1, 2, 2, 1], 5f, 6f, 8f, 9f);
        // SAME, 3x3 stride 1: padding (never selected) on every side.
        OpTestUtil.AssertTensor(s.Run(g.MaxPool(g.Negative(x9), [1, 3, 3, 1], [1, 1, 1, 1], "SAME")), [1, 3, 3, 1],
            -1f, -1f, -2f, -1f, -1f, -2f, -4f, -4f, -5f);
        // Channels and batch pool independently.
        var xc = g.Constant(Tensor.Create(new double[] { 1, -1, 2, -2, 3, -3, 0, 0, /* batch 1 */ 5, 6, 7, 8, -1, -1, 0, 9 }, 2, 2, 2, 2));
        OpTestUtil.AssertTensor(s.Run(g.MaxPool(xc, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")), [2, 1, 1, 2], 3.0, 0.0, 7.0, 9.0);
        var xi = g.Constant(Tensor.Create(new[] { 3, 9, -4, 2 }, 1, 2, 2, 1));
        OpTestUtil.AssertTensor(s.Run(g.MaxPool(xi, [1, 2, 1, 1], [1, 1, 1, 1], "VALID")), [1, 1, 2, 1], 3, 9);
    }

    [Test]
    public void AvgPoolValuesCountOnlyValidElements()
    {
        var g = new Graph();
        var x9 = g.Constant(Tensor.Create(Enumerable.Range(1, 9).Select(v => (float)v).ToArray(), 1, 3, 3, 1));
        using var s = new Session(g);
        OpTestUtil.AssertTensor(s.Run(g.AvgPool(x9, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")), [1, 2, 2, 1], 3f, 4f, 6f, 7f);
        OpTestUtil.AssertTensor(s.Run(g.AvgPool(x9, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")), [1, 2, 2, 1], 3f, 4.5f, 7.5f, 9f);
        OpTestUtil.AssertTensor(s.Run(g.AvgPool(x9, [1, 3, 3, 1], [1, 1, 1, 1], "SAME")), [1, 3, 3, 1],
            3f, 3.5f, 4f, 4.5f, 5f, 5.5f, 6f, 6.5f, 7f);
        var xc = g.Constant(Tensor.Create(new double[] { 1, 10, 2, 20, 3, 30, 4, 40 }, 1, 2, 2, 2));
        OpTestUtil.AssertTensor(s.Run(g.AvgPool(xc, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")), [1, 1, 1, 2], 2.5, 25.0);
    }

    [Test]
    public void MaxPoolGradTiesGoToTheFirstMaximum()
    {
        var g = new Graph();
        var x = g.Constant(Tensor.Create(new float[] { 0, 3, 3, 1, /* second window row */ 2, 2, 2, 2 }, 1, 2, 4, 1));
        var y = g.MaxPool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
        var grad = g.Constant(Tensor.Create(new float[] { 5, 7 }, 1, 1, 2, 1));
        var dx = g.MaxPoolGrad(x, y, grad, [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
        Assert.That(dx.Shape, Is.EqualTo(new Shape(1, 2, 4, 1)));
        // Window 1: max 3 at (0,1). Window 2: 3 at (0,2) wins over the later 2s.
        OpTestUtil.AssertTensor(OpTestUtil.Eval(dx), [1, 2, 4, 1], 0f, 5f, 7f, 0f, 0f, 0f, 0f, 0f);

        var g2 = new Graph();
        var ones = g2.Constant(Tensor.Create(new double[] { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, 1, 3, 3, 1));
        var y2 = g2.MaxPool(ones, [1, 2, 2, 1], [1, 1, 1, 1], "VALID");
        var d2 = g2.Gradients(y2, ones)[0]!.Value;
        Assert.That(d2.Op.Type, Is.EqualTo("MaxPoolGrad"));
        // Every window's first element gets the gradient: (0,0), (0,1), (1,0), (1,1).
        OpTestUtil.AssertTensor(OpTestUtil.Eval(d2), [1, 3, 3, 1], 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0);
    }

    [Test]
    public void AvgPoolGradSpreadsOverValidElements()
    {
        var g = new Graph();
        var grad = g.Constant(Tensor.Create(new double[] { 4, 6, 10, 1 }, 1, 2, 2, 1));
        var dx = g.AvgPoolGrad(g.Constant(Tensor.Create(new[] { 1, 3, 3, 1 }, 4)), grad, [1, 2, 2, 1], [1, 2, 2, 1], "SAME");
        Assert.That(dx.Shape, Is.EqualTo(new Shape(1, 3, 3, 1)));
        OpTestUtil.AssertTensor(OpTestUtil.Eval(dx), [1, 3, 3, 1], 1.0, 1.0, 3.0, 1.0, 1.0, 3.0, 5.0, 5.0, 1.0);
    }

    // ------------------------------------------------------------------ gradients

    [Test]
    public void Conv2DGradientGraphMatchesTf()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 8, 8, 3], name: "x");
        var f = g.Placeholder(DType.Float32, [3, 3, 3, 4], name: "f");
        var y = g.Conv2D(x, f, [1, 2, 2, 1], "SAME", [1, 1, 1, 1]);
        var grads = g.Gradients(y, x, f);
        var dx = grads[0]!.Value.Op;
        var df = grads[1]!.Value.Op;
        Assert.That(dx.Type, Is.EqualTo("Conv2DBackpropInput"));
        Assert.That(df.Type, Is.EqualTo("Conv2DBackpropFilter"));
        Assert.That(dx.Name, Is.EqualTo("gradients/Conv2D_grad/Conv2DBackpropInput"));
        Assert.That(dx.Inputs[0].Op.Type, Is.EqualTo("ShapeN"));
        Assert.That(dx.Inputs[0].Op.Name, Is.EqualTo("gradients/Conv2D_grad/ShapeN"));
        Assert.That(df.Inputs[1].Op, Is.SameAs(dx.Inputs[0].Op));
        Assert.That(df.Inputs[1].Index, Is.EqualTo(1));
        Assert.That(dx.GetAttrInts("strides"), Is.EqualTo(new long[] { 1, 2, 2, 1 }));
        Assert.That(df.GetAttrString("padding"), Is.EqualTo("SAME"));
        // Partial shapes flow through ShapeN at build time.
        Assert.That(grads[0]!.Value.Shape, Is.EqualTo(new Shape(-1, 8, 8, 3)));
        Assert.That(grads[1]!.Value.Shape, Is.EqualTo(new Shape(3, 3, 3, 4)));
    }

    private static void CheckGrad(Graph g, Output x, Tensor xv, Output y, FeedDict? extra = null)
    {
        using var s = new Session(g);
        var r = GradientChecker.Compute(s, x, xv, y, extra, 1e-5);
        Assert.That(r.MaxRelativeError, Is.LessThan(1e-6), $"gradient of {y.Name} with respect to {x.Name}");
    }

    [TestCase("SAME", 1, 1)]
    [TestCase("VALID", 1, 1)]
    [TestCase("VALID", 2, 1)]
    [TestCase("SAME", 2, 1)]
    [TestCase("SAME", 1, 2)]
    public void Conv2DGradientCheck(string padding, int stride, int dilation)
    {
        int[] xd = [2, 5, 5, 2], fd = [3, 3, 2, 2];
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, xd, name: "x");
        var f = g.Placeholder(DType.Float64, fd, name: "f");
        var y = g.Conv2D(x, f, [1, stride, stride, 1], padding, [1, dilation, dilation, 1]);
        var xv = Tensor.Create(Rand(Prod(xd), 11), xd);
        var fv = Tensor.Create(Rand(Prod(fd), 12), fd);
        CheckGrad(g, x, xv, y, new FeedDict { [f] = fv });
        CheckGrad(g, f, fv, y, new FeedDict { [x] = xv });
    }

    [TestCase("SAME", 2)]
    [TestCase("VALID", 1)]
    public void ConvBackpropOpsGradientCheck(string padding, int stride)
    {
        int[] xd = [1, 5, 4, 2], fd = [2, 3, 2, 2], st = [1, stride, stride, 1];
        NaiveConv(new double[Prod(xd)], xd, new double[Prod(fd)], fd, st, padding, [1, 1, 1, 1], [], out var od);
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, xd, name: "x");
        var f = g.Placeholder(DType.Float64, fd, name: "f");
        var dy = g.Placeholder(DType.Float64, od, name: "dy");
        var bi = g.Conv2DBackpropInput(g.Constant(Tensor.Create(xd, 4)), f, dy, st, padding);
        var bf = g.Conv2DBackpropFilter(x, g.Constant(Tensor.Create(fd, 4)), dy, st, padding);
        var xv = Tensor.Create(Rand(Prod(xd), 21), xd);
        var fv = Tensor.Create(Rand(Prod(fd), 22), fd);
        var dyv = Tensor.Create(Rand(Prod(od), 23), od);
        CheckGrad(g, f, fv, bi, new FeedDict { [dy] = dyv });
        CheckGrad(g, dy, dyv, bi, new FeedDict { [f] = fv });
        CheckGrad(g, x, xv, bf, new FeedDict { [dy] = dyv });
        CheckGrad(g, dy, dyv, bf, new FeedDict { [x] = xv });
    }

    [TestCase("SAME", 2, 2)]
    [TestCase("VALID", 2, 2)]
    [TestCase("SAME", 3, 2)]
    [TestCase("VALID", 3, 1)]
    public void PoolGradientCheck(string padding, int k, int stride)
    {
        int[] xd = [2, 5, 4, 2];
        // Distinct, well-separated values so a finite-difference step never changes the argmax.
        var perm = Enumerable.Range(0, Prod(xd)).OrderBy(i => (i * 37) % 41).ToArray();
        var xv = Tensor.Create(perm.Select(i => i * 0.1).ToArray(), xd);
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, xd, name: "x");
        var mp = g.MaxPool(x, [1, k, k, 1], [1, stride, stride, 1], padding);
        var ap = g.AvgPool(x, [1, k, k, 1], [1, stride, stride, 1], padding);
        CheckGrad(g, x, xv, mp);
        CheckGrad(g, x, xv, ap);

        // AvgPoolGrad is linear in grad; its gradient is AvgPool.
        var gy = g.Placeholder(DType.Float64, ap.Shape, name: "gy");
        var apg = g.AvgPoolGrad(g.Constant(Tensor.Create(xd, 4)), gy, [1, k, k, 1], [1, stride, stride, 1], padding);
        var gyv = Tensor.Create(Rand(Prod(ap.Shape.ToArray()), 31), ap.Shape.ToArray());
        CheckGrad(g, gy, gyv, apg);

        // MaxPoolGrad is linear in grad (its gradient is MaxPoolGradGrad), and MaxPoolGradGrad in its grad (gradient MaxPoolGrad).
        var xFeed = new FeedDict { [x] = xv };
        var my = g.Placeholder(DType.Float64, mp.Shape, name: "my");
        var mpg = g.MaxPoolGrad(x, mp, my, [1, k, k, 1], [1, stride, stride, 1], padding);
        CheckGrad(g, my, Tensor.Create(Rand(Prod(mp.Shape.ToArray()), 32), mp.Shape.ToArray()), mpg, xFeed);
        var mx = g.Placeholder(DType.Float64, xd, name: "mx");
        var mpgg = g.MaxPoolGradGrad(x, mp, mx, [1, k, k, 1], [1, stride, stride, 1], padding);
        Assert.That(mpgg.Shape, Is.EqualTo(mp.Shape));
        CheckGrad(g, mx, Tensor.Create(Rand(Prod(xd), 33), xd), mpgg, xFeed);
    }

    [Test]
    public void MaxPoolGradGradPicksGradAtTheMaximum()
    {
        var g = new Graph();
        var x = g.Constant(Tensor.Create(new float[] { 0, 3, 3, 1, 2, 2, 2, 2 }, 1, 2, 4, 1));
        var y = g.MaxPool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
        var gx = g.Constant(Tensor.Create(new float[] { 10, 11, 12, 13, 14, 15, 16, 17 }, 1, 2, 4, 1));
        var gg = g.MaxPoolGradGrad(x, y, gx, [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
        OpTestUtil.AssertTensor(OpTestUtil.Eval(gg), [1, 1, 2, 1], 11f, 12f);
        var d = g.Gradients(gg, gx)[0]!.Value;
        Assert.That(d.Op.Type, Is.EqualTo("MaxPoolGrad"));
    }
}
