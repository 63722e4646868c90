namespace TensorGraph.Tests.Image;

/// <summary>
/// The resize ops against values worked by hand from TF 1.15's kernel formulas
/// (image_resizer_state.h, resize_bilinear_op.cc, resize_nearest_neighbor_op.cc,
/// resize_area_op.cc), their gradients against finite differences, and tf.image.resize_images.
/// </summary>
public class ResizeTests
{
    /// <summary>[[1, 2], [3, 4]] as a 1×2×2×1 image.</summary>
    private static Tensor Two => Tensor.Create(new float[] { 1, 2, 3, 4 }, 1, 2, 2, 1);

    /// <summary>0 … 15 as a 1×4×4×1 image.</summary>
    private static Tensor Four => Tensor.Create(Enumerable.Range(0, 16).Select(i => (float)i).ToArray(), 1, 4, 4, 1);

    private static float[] Run(Func<Graph, Output, Output> f, Tensor x)
    {
        var g = new Graph();
        var y = f(g, g.Constant(x));
        using var s = new Session(g);
        var t = s.Run(y);
        return t.DType == DType.Float32 ? t.ToArray<float>() : t.ToArray<int>().Select(v => (float)v).ToArray();
    }

    private static Output Size(Graph g, int h, int w) => g.Constant(new[] { h, w });

    [Test]
    public void BilinearTwoToThree()
    {
        // Legacy: scale 2/3, sources 0, 2/3, 4/3 (upper clamped to 1).
        Assert.That(Run((g, x) => g.ResizeBilinear(x, Size(g, 3, 3)), Two),
            Is.EqualTo(new[] { 1, 5 / 3f, 2, 7 / 3f, 3, 10 / 3f, 3, 11 / 3f, 4 }).Within(1e-6));
        // align_corners: scale 1/2, sources 0, 0.5, 1.
        Assert.That(Run((g, x) => g.ResizeBilinear(x, Size(g, 3, 3), alignCorners: true), Two),
            Is.EqualTo(new[] { 1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4 }).Within(1e-6));
        // half_pixel_centers: sources -1/6 (clamped to 0), 0.5, 7/6 (clamped to 1).
        Assert.That(Run((g, x) => g.ResizeBilinear(x, Size(g, 3, 3), halfPixelCenters: true), Two),
            Is.EqualTo(new[] { 1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4 }).Within(1e-6));
    }

    [Test]
    public void BilinearFourToTwo()
    {
        // Legacy: sources 0 and 2 exactly.
        Assert.That(Run((g, x) => g.ResizeBilinear(x, Size(g, 2, 2)), Four), Is.EqualTo(new[] { 0f, 2, 8, 10 }));
        // Half-pixel: sources 0.5 and 2.5, the mean of each 2×2 block.
        Assert.That(Run((g, x) => g.ResizeBilinear(x, Size(g, 2, 2), halfPixelCenters: true), Four), Is.EqualTo(new[] { 2.5f, 4.5f, 10.5f, 12.5f }));
        // align_corners: scale 3, sources 0 and 3.
        Assert.That(Run((g, x) => g.ResizeBilinear(x, Size(g, 2, 2), alignCorners: true), Four), Is.EqualTo(new[] { 0f, 3, 12, 15 }));
    }

    [Test]
    public void BilinearOfIntegersAndChannels()
    {
        var g = new Graph();
        var x = g.Constant(Tensor.Create(new byte[] { 0, 100, 200, 50 }, 1, 1, 2, 2));
        var y = g.ResizeBilinear(x, Size(g, 1, 4));
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.Shape, Is.EqualTo(new Shape(1, 1, 4, 2)));
        using var s = new Session(g);
        // Sources 0, 0.5, 1, 1.5 (upper clamped): per channel 0,100,200,200 and 100,75,50,50.
        Assert.That(s.Run(y).ToArray<float>(), Is.EqualTo(new[] { 0f, 100, 100, 75, 200, 50, 200, 50 }));
    }

    [Test]
    public void NearestNeighbor()
    {
        // Legacy: floor(x·2/3) = 0, 0, 1.
        Assert.That(Run((g, x) => g.ResizeNearestNeighbor(x, Size(g, 3, 3)), Two), Is.EqualTo(new[] { 1f, 1, 2, 1, 1, 2, 3, 3, 4 }));
        // align_corners: round(x·0.5) = 0, 1 (0.5 rounds away from zero), 1.
        Assert.That(Run((g, x) => g.ResizeNearestNeighbor(x, Size(g, 3, 3), alignCorners: true), Two), Is.EqualTo(new[] { 1f, 2, 2, 3, 4, 4, 3, 4, 4 }));
        // half_pixel_centers: floor((x + 0.5)·2/3) = 0, 1, 1.
        Assert.That(Run((g, x) => g.ResizeNearestNeighbor(x, Size(g, 3, 3), halfPixelCenters: true), Two), Is.EqualTo(new[] { 1f, 2, 2, 3, 4, 4, 3, 4, 4 }));
        Assert.That(Run((g, x) => g.ResizeNearestNeighbor(x, Size(g, 2, 2)), Four), Is.EqualTo(new[] { 0f, 2, 8, 10 }));
        Assert.That(Run((g, x) => g.ResizeNearestNeighbor(x, Size(g, 2, 2), halfPixelCenters: true), Four), Is.EqualTo(new[] { 5f, 7, 13, 15 }));
        // The dtype is kept.
        Assert.That(Run((g, x) => g.ResizeNearestNeighbor(g.Cast(x, DType.Int32), Size(g, 2, 2)), Four), Is.EqualTo(new[] { 0f, 2, 8, 10 }));
    }

    [Test]
    public void Area()
    {
        // 4×4 → 2×2: each output is the mean of a 2×2 block.
        Assert.That(Run((g, x) => g.ResizeArea(x, Size(g, 2, 2)), Four), Is.EqualTo(new[] { 2.5f, 4.5f, 10.5f, 12.5f }).Within(1e-6));
        // 2×2 → 3×3: per axis out0 = in0, out1 = (in0/3 + in1/3)·1.5, out2 = in1.
        Assert.That(Run((g, x) => g.ResizeArea(x, Size(g, 3, 3)), Two), Is.EqualTo(new[] { 1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4 }).Within(1e-6));
        // 4 → 3 (TF's comment): out0 = (in0 + in1/3)·0.75, out1 = (in1·2/3 + in2·2/3)·0.75, out2 = (in2/3 + in3)·0.75.
        var row = Tensor.Create(new float[] { 1, 2, 4, 8 }, 1, 1, 4, 1);
        Assert.That(Run((g, x) => g.ResizeArea(x, Size(g, 1, 3)), row),
            Is.EqualTo(new[] { (1 + 2 / 3f) * 0.75f, (4 / 3f + 8 / 3f) * 0.75f, (4 / 3f + 8) * 0.75f }).Within(1e-5));
    }

    [Test]
    public void Bicubic()
    {
        var row = Tensor.Create(new float[] { 1, 2, 4, 8 }, 1, 1, 4, 1);
        // align_corners, 4 → 7: scale 0.5; x = 1 samples 0.5 with a = −0.75 weights
        // (−0.09375, 0.59375, 0.59375, −0.09375) over indices (0 clamped, 0, 1, 2).
        var aligned = Run((g, x) => g.ResizeBicubic(x, Size(g, 1, 7), alignCorners: true), row);
        Assert.That(aligned[1], Is.EqualTo(-0.09375f + 0.59375f + 2 * 0.59375f - 4 * 0.09375f).Within(1e-5));
        Assert.That(aligned[0], Is.EqualTo(1f).Within(1e-6));
        Assert.That(aligned[6], Is.EqualTo(8f).Within(1e-6));
        // half_pixel_centers, 4 → 8: x = 0 samples −0.25 (in_loc −1, delta 0.75) with Keys weights;
        // the taps at −2 and −1 are outside and get 0, the others (0.8671875, −0.0703125) are renormalized.
        var half = Run((g, x) => g.ResizeBicubic(x, Size(g, 1, 8), halfPixelCenters: true), row);
        Assert.That(half[0], Is.EqualTo((0.8671875f * 1 - 0.0703125f * 2) / 0.796875f).Within(1e-5));
        // A constant image stays constant (the weights sum to 1).
        var flat = Tensor.Create(Enumerable.Repeat(3f, 12).ToArray(), 1, 3, 4, 1);
        Assert.That(Run((g, x) => g.ResizeBicubic(x, Size(g, 5, 3)), flat), Is.All.EqualTo(3f).Within(1e-5));
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    public void BicubicGradientMatchesFiniteDifferences(bool align, bool half)
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [1, 3, 4, 2], name: "x");
        var y = g.ResizeBicubic(x, Size(g, 5, 6), align, half);
        using var s = new Session(g);
        var check = GradientChecker.Compute(s, x, Random(3, 1, 3, 4, 2), y, delta: 1e-2);
        Assert.That(check.MaxRelativeError, Is.LessThan(3e-3));
        Assert.That(g.Gradients(g.ReduceSum(y), x)[0]!.Value.Op.Type, Is.EqualTo("ResizeBicubicGrad"));
    }

    [Test]
    public void ValidationAsTf()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Unknown);
        var size = g.Placeholder(DType.Int32, Shape.Unknown);
        var y = g.ResizeBilinear(x, size);
        using var s = new Session(g);
        Assert.That(() => s.Run(y, new FeedDict { [x] = Two, [size] = (Tensor)new[] { 0, 2 } }),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("output dimensions must be positive"));
        Assert.That(() => s.Run(y, new FeedDict { [x] = Tensor.Create(new float[] { 1, 2 }, 2), [size] = (Tensor)new[] { 2, 2 } }),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("input must be 4-dimensional"));
        Assert.That(() => s.Run(y, new FeedDict { [x] = Two, [size] = (Tensor)new[] { 2, 2, 2 } }),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("shape_t must have two elements"));
        Assert.That(() => g.ResizeBilinear(g.Constant(Two), g.Constant(new[] { 2, 2 }), alignCorners: true, halfPixelCenters: true),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("If half_pixel_centers is True, align_corners must be False."));
        Assert.That(g.ResizeArea(x, g.Constant(new[] { 5, 7 })).Shape, Is.EqualTo(new Shape(-1, 5, 7, -1)));
    }

    private static Tensor Random(int seed, params int[] dims)
    {
        var r = new Random(seed);
        int n = dims.Aggregate(1, (a, b) => a * b);
        return Tensor.Create(Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray(), dims);
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    public void BilinearGradientMatchesFiniteDifferences(bool align, bool half)
    {
        foreach (var (h, w) in new[] { (5, 7), (2, 3) })
        {
            var g = new Graph();
            var x = g.Placeholder(DType.Float32, [2, 3, 4, 2], name: "x");
            var y = g.ResizeBilinear(x, Size(g, h, w), align, half);
            using var s = new Session(g);
            var check = GradientChecker.Compute(s, x, Random(1, 2, 3, 4, 2), y, delta: 1e-2);
            Assert.That(check.MaxRelativeError, Is.LessThan(2e-3), $"{h}x{w} align {align} half {half}");
            var grad = g.Gradients(g.ReduceSum(y), x)[0]!.Value;
            Assert.That(grad.Op.Type, Is.EqualTo("ResizeBilinearGrad"));
        }
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    public void NearestNeighborGradientMatchesFiniteDifferences(bool align, bool half)
    {
        foreach (var (h, w) in new[] { (5, 7), (2, 3) })
        {
            var g = new Graph();
            var x = g.Placeholder(DType.Float64, [2, 3, 4, 2], name: "x");
            var y = g.ResizeNearestNeighbor(x, Size(g, h, w), align, half);
            using var s = new Session(g);
            var r = Random(2, 2, 3, 4, 2);
            var check = GradientChecker.Compute(s, x, Tensor.Create(r.ToArray<float>().Select(v => (double)v).ToArray(), 2, 3, 4, 2), y, delta: 1e-6);
            Assert.That(check.MaxRelativeError, Is.LessThan(1e-7), $"{h}x{w} align {align} half {half}");
        }
    }

    [Test]
    public void NearestNeighborGradientWithDynamicShape()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [1, -1, -1, 1], name: "x");
        var y = g.ResizeNearestNeighbor(x, Size(g, 4, 4));
        var dx = g.Gradients(g.ReduceSum(y), x)[0]!.Value;
        using var s = new Session(g);
        // Each source pixel of a 2×2 image is copied to a 2×2 block.
        Assert.That(s.Run(dx, new FeedDict { [x] = Two }).ToArray<float>(), Is.EqualTo(new[] { 4f, 4, 4, 4 }));
    }

    [Test]
    public void AreaIsNotDifferentiable()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [1, 2, 2, 1], name: "x");
        var y = g.ResizeArea(x, Size(g, 3, 3));
        Assert.That(g.Gradients(g.ReduceSum(y), x)[0], Is.Null);
    }

    [Test]
    public void ResizeImagesAsTfV1()
    {
        var g = new Graph();
        var img = g.Constant(Tensor.Create(new float[] { 1, 2, 3, 4 }, 2, 2, 1));
        var y = g.ResizeImages(img, 3, 3);
        Assert.That(y.Shape, Is.EqualTo(new Shape(3, 3, 1)));
        Assert.That(g.Operations.Select(o => o.Name), Is.SupersetOf(new[] { "resize/size", "resize/ExpandDims", "resize/ResizeBilinear", "resize/Squeeze" }));
        var nn = g.ResizeImages(g.Constant(Four), g.Constant(new[] { 2, 2 }), ResizeMethod.NearestNeighbor);
        var area = g.ResizeImages(g.Constant(Four), g.Constant(new[] { 2, 2 }), ResizeMethod.Area);
        var same = g.ResizeImages(g.Constant(Four), 4, 4);
        Assert.That(same.Op.Type, Is.EqualTo("Const"));
        using var s = new Session(g);
        Assert.That(s.Run(y).ToArray<float>(), Is.EqualTo(new[] { 1, 5 / 3f, 2, 7 / 3f, 3, 10 / 3f, 3, 11 / 3f, 4 }).Within(1e-6));
        Assert.That(s.Run(nn).ToArray<float>(), Is.EqualTo(new[] { 0f, 2, 8, 10 }));
        Assert.That(s.Run(area).ToArray<float>(), Is.EqualTo(new[] { 2.5f, 4.5f, 10.5f, 12.5f }));
        Assert.That(() => g.ResizeImages(g.Constant(new float[] { 1, 2 }), 2, 2), Throws.TypeOf<InvalidArgumentException>());
    }
}
