namespace TensorGraph.Tests.Ops;

/// <summary>tf.math.l2_normalize and tf.nn.conv2d_transpose: graph names, values against direct formulas, gradients.</summary>
public class L2NormalizeConvTransposeTests
{
    private static Tensor Random(int seed, params int[] dims)
    {
        var r = new Random(seed);
        int n = dims.Aggregate(1, (a, b) => a * b);
        return Tensor.Create(Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray(), dims);
    }

    [Test]
    public void L2NormalizeBuildsTfNodesAndMatchesTheFormula()
    {
        var g = new Graph();
        var x = g.Constant(new float[,] { { 3, 4, 0 }, { 1, 2, 2 } });
        var y = g.L2Normalize(x, 1);
        Assert.That(y.Op.Name, Is.EqualTo("l2_normalize"));
        Assert.That(y.Op.Type, Is.EqualTo("Mul"));
        var names = g.Operations.Select(o => o.Name).ToHashSet();
        Assert.That(names, Is.SupersetOf(new[] { "l2_normalize/Square", "l2_normalize/Sum", "l2_normalize/Sum/reduction_indices",
            "l2_normalize/Maximum", "l2_normalize/Maximum/y", "l2_normalize/Rsqrt" }));
        Assert.That(g.Operations.Single(o => o.Name == "l2_normalize/Sum").GetAttr("keep_dims").B, Is.True);
        var y0 = g.L2Normalize(x, 0);
        var tiny = g.L2Normalize(g.Constant(new double[] { 1e-8, 0 }), [0], epsilon: 1e-12);
        using var s = new Session(g);
        Assert.That(s.Run(y).ToArray<float>(), Is.EqualTo(new[] { 0.6f, 0.8f, 0, 1 / 3f, 2 / 3f, 2 / 3f }).Within(1e-6));
        var v0 = s.Run(y0).ToArray<float>();
        float[] r0 = [3 / MathF.Sqrt(10), 4 / MathF.Sqrt(20), 0, 1 / MathF.Sqrt(10), 2 / MathF.Sqrt(20), 1];
        Assert.That(v0, Is.EqualTo(r0).Within(1e-6));
        // Below sqrt(epsilon) the divisor is sqrt(epsilon): 1e-8 / 1e-6.
        Assert.That(s.Run(tiny).ToArray<double>(), Is.EqualTo(new[] { 1e-2, 0 }).Within(1e-12));
    }

    [Test]
    public void L2NormalizeGradientMatchesFiniteDifferences()
    {
        foreach (int[]? axis in new[] { new[] { 1 }, new[] { 0, 1 }, null })
        {
            var g = new Graph();
            var x = g.Placeholder(DType.Float64, [3, 4], name: "x");
            var y = g.L2Normalize(x, axis);
            using var s = new Session(g);
            var check = GradientChecker.Compute(s, x, Random(3, 3, 4), y, delta: 1e-6);
            Assert.That(check.MaxRelativeError, Is.LessThan(1e-7), $"axis {(axis is null ? "all" : string.Join(",", axis))}");
        }
    }

    /// <summary>conv2d_transpose in scatter form: every value[n,i,j,k] adds value·filter[di,dj,c,k] at output (i·s+di−top, j·s+dj−left, c).</summary>
    private static double[] NaiveTranspose(Tensor value, Tensor filter, int[] outShape, int stride, string padding)
    {
        var v = value.ToArray<double>();
        var f = filter.ToArray<double>();
        int n = value.Dims[0], ih = value.Dims[1], iw = value.Dims[2], k = value.Dims[3];
        int kh = filter.Dims[0], kw = filter.Dims[1], c = filter.Dims[2];
        int oh = outShape[1], ow = outShape[2];
        int top = 0, left = 0;
        if (padding == "SAME")
        {
            top = Math.Max(0, (ih - 1) * stride + kh - oh) / 2;
            left = Math.Max(0, (iw - 1) * stride + kw - ow) / 2;
        }
        var o = new double[n * oh * ow * c];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < ih; i++)
                for (int j = 0; j < iw; j++)
                    for (int q = 0; q < k; q++)
                        for (int di = 0; di < kh; di++)
                            for (int dj = 0; dj < kw; dj++)
                            {
                                int y = i * stride + di - top, x = j * stride + dj - left;
                                if (y < 0 || y >= oh || x < 0 || x >= ow) continue;
                                for (int p = 0; p < c; p++)
                                    o[((b * oh + y) * ow + x) * c + p] += v[((b * ih + i) * iw + j) * k + q] * f[((di * kw + dj) * c + p) * k + q];
                            }
        return o;
    }

    private static readonly object[] TransposeCases =
    [
        new object[] { "SAME", 1, new[] { 2, 4, 5, 3 }, new[] { 2, 4, 5, 2 } },
        new object[] { "VALID", 1, new[] { 2, 3, 4, 2 }, new[] { 2, 5, 6, 3 } },
        new object[] { "SAME", 2, new[] { 1, 3, 3, 2 }, new[] { 1, 6, 5, 3 } },
        new object[] { "VALID", 2, new[] { 1, 2, 3, 2 }, new[] { 1, 5, 7, 2 } },
    ];

    [TestCaseSource(nameof(TransposeCases))]
    public void Conv2DTransposeMatchesTheScatterFormula(string padding, int stride, int[] valueShape, int[] outShape)
    {
        var value = Random(11, valueShape);
        var filter = Random(12, 3, 3, outShape[3], valueShape[3]);
        var g = new Graph();
        var vp = g.Placeholder(DType.Float64, Shape.FromSpan(valueShape), name: "value");
        var fc = g.Constant(filter);
        var y = g.Conv2DTranspose(vp, fc, outShape, [stride, stride], padding);
        Assert.That(y.Op.Name, Is.EqualTo("conv2d_transpose"));
        Assert.That(y.Op.Type, Is.EqualTo("Conv2DBackpropInput"));
        Assert.That(y.Op.Inputs[0].Op.Name, Is.EqualTo("conv2d_transpose/input_sizes"));
        Assert.That(y.Shape, Is.EqualTo(Shape.FromSpan(outShape)));
        using var s = new Session(g);
        var got = s.Run(y, new FeedDict { [vp] = value });
        Assert.That(got.Dims.ToArray(), Is.EqualTo(outShape));
        Assert.That(got.ToArray<double>(), Is.EqualTo(NaiveTranspose(value, filter, outShape, stride, padding)).Within(1e-12));
    }

    [TestCaseSource(nameof(TransposeCases))]
    public void Conv2DTransposeGradientsMatchFiniteDifferences(string padding, int stride, int[] valueShape, int[] outShape)
    {
        var value = Random(21, valueShape);
        var filter = Random(22, 3, 3, outShape[3], valueShape[3]);
        var g = new Graph();
        var vp = g.Placeholder(DType.Float64, Shape.FromSpan(valueShape), name: "value");
        var fp = g.Placeholder(DType.Float64, Shape.FromSpan(filter.Dims), name: "filter");
        var y = g.Conv2DTranspose(vp, fp, outShape, [1, stride, stride, 1], padding);
        var loss = g.ReduceSum(g.Square(y) * 0.5);
        using var s = new Session(g);
        var byValue = GradientChecker.Compute(s, vp, value, loss, new FeedDict { [fp] = filter }, 1e-5);
        var byFilter = GradientChecker.Compute(s, fp, filter, loss, new FeedDict { [vp] = value }, 1e-5);
        Assert.That(byValue.MaxRelativeError, Is.LessThan(1e-6));
        Assert.That(byFilter.MaxRelativeError, Is.LessThan(1e-6));
        // The Jacobian of y itself (not only the loss), with respect to the value, through Conv2D.
        Assert.That(GradientChecker.Compute(s, vp, value, y, new FeedDict { [fp] = filter }, 1e-5).MaxRelativeError, Is.LessThan(1e-7));
    }

    [Test]
    public void Conv2DBackpropFilterGradientsMatchFiniteDifferences()
    {
        var x = Random(31, 1, 5, 5, 2);
        var dy = Random(32, 1, 3, 3, 3);
        var g = new Graph();
        var xp = g.Placeholder(DType.Float64, [1, 5, 5, 2], name: "x");
        var dp = g.Placeholder(DType.Float64, [1, 3, 3, 3], name: "dy");
        var y = g.Conv2DBackpropFilter(xp, g.Constant(new[] { 3, 3, 2, 3 }), dp, [1, 2, 2, 1], "SAME");
        using var s = new Session(g);
        Assert.That(GradientChecker.Compute(s, xp, x, y, new FeedDict { [dp] = dy }, 1e-5).MaxRelativeError, Is.LessThan(1e-7));
        Assert.That(GradientChecker.Compute(s, dp, dy, y, new FeedDict { [xp] = x }, 1e-5).MaxRelativeError, Is.LessThan(1e-7));
    }

    [Test]
    public void Conv2DTransposeChecksItsArguments()
    {
        var g = new Graph();
        var v = g.Placeholder(DType.Float32, [1, 3, 3, 2]);
        var f = g.Placeholder(DType.Float32, [3, 3, 4, 2]);
        Assert.Throws<InvalidArgumentException>(() => g.Conv2DTranspose(v, f, [1, 3, 3, 5], [1, 1]));
        Assert.Throws<InvalidArgumentException>(() => g.Conv2DTranspose(v, f, [1, 3, 3, 4], [1, 1], "EXPLICIT"));
        Assert.Throws<InvalidArgumentException>(() => g.Conv2DTranspose(v, g.Placeholder(DType.Float32, [3, 3, 4, 3]), [1, 3, 3, 4], [1, 1]));
        Assert.Throws<InvalidArgumentException>(() => g.Conv2DTranspose(v, f, [1, 3, 3], [1, 1]));
    }
}
