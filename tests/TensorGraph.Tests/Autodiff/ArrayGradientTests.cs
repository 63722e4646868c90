namespace TensorGraph.Tests.Autodiff;

/// <summary>Gradients of the array ops against central differences, in float64.</summary>
public class ArrayGradientTests
{
    private const double Tol = 1e-6;

    private static double[] Values(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => -2 + 4 * r.NextDouble()).ToArray();
    }

    private static int Count(int[] dims) => dims.Aggregate(1, (a, b) => a * b);

    /// <summary>Checks dy/dx for y = f(g, x) with x a float64 placeholder of <paramref name="dims"/> (or of unknown shape).</summary>
    private static void Check(Func<Graph, Output, Output> f, int[] dims, bool unknownShape = false)
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, unknownShape ? Shape.Unknown : Shape.FromSpan(dims), name: "x");
        var y = f(g, x);
        using var s = new Session(g);
        var check = GradientChecker.Compute(s, x, Tensor.Create(Values(Count(dims), 1), dims), y, delta: 1e-5);
        Assert.That(check.MaxRelativeError, Is.LessThanOrEqualTo(Tol), $"{y.Op.Type}: max error {check.MaxError}");
        Assert.That(check.Theoretical.Cast<double>().Any(v => v != 0), Is.True, "the gradient should not be all zeros");
    }

    /// <summary>Checks both partial derivatives of z = f(g, x, y).</summary>
    private static void Check2(Func<Graph, Output, Output, Output> f, int[] xd, int[] yd)
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.FromSpan(xd), name: "x");
        var y = g.Placeholder(DType.Float64, Shape.FromSpan(yd), name: "y");
        var z = f(g, x, y);
        using var s = new Session(g);
        var xv = Tensor.Create(Values(Count(xd), 2), xd);
        var yv = Tensor.Create(Values(Count(yd), 3), yd);
        var cx = GradientChecker.Compute(s, x, xv, z, new FeedDict { [y] = yv }, 1e-5);
        var cy = GradientChecker.Compute(s, y, yv, z, new FeedDict { [x] = xv }, 1e-5);
        Assert.That(cx.MaxRelativeError, Is.LessThanOrEqualTo(Tol), $"{z.Op.Type} dx");
        Assert.That(cy.MaxRelativeError, Is.LessThanOrEqualTo(Tol), $"{z.Op.Type} dy");
    }

    /// <summary>Σ w_i · parts_i with distinct weights, skipping <paramref name="skip"/> (its gradient is filled with zeros).</summary>
    private static Output Weighted(Graph g, Output[] parts, int skip = -1)
    {
        var terms = new List<Output>();
        for (int i = 0; i < parts.Length; i++)
            if (i != skip) terms.Add(g.ReduceSum(g.Square(parts[i]) * (double)(i + 1)));
        return terms.Count == 1 ? terms[0] : g.AddN([.. terms]);
    }

    [Test]
    public void ExpandDimsAndSqueeze()
    {
        Check((g, x) => g.ExpandDims(x, -1), [2, 3]);
        Check((g, x) => g.ExpandDims(x, 0) * 2.0, [3]);
        Check((g, x) => g.Squeeze(g.Reshape(x, [1, 2, 1, 3]), [2]), [2, 3]);
        Check((g, x) => g.Squeeze(x), [1, 3, 1]);
        Check((g, x) => g.Unsqueeze(g.Squeeze(x, 0), 1), [1, 3]);
    }

    [Test]
    public void Transpose()
    {
        Check((g, x) => g.Transpose(x, [2, 0, 1]) * g.Constant(Tensor.Create(Values(12, 9), 2, 2, 3)), [2, 3, 2]);
        Check((g, x) => g.Transpose(x), [2, 3]);
        Check((g, x) => g.Square(g.Transpose(x)), [2, 3], unknownShape: true);
    }

    [Test]
    public void Concat()
    {
        Check2((g, x, y) => g.Concat([x, y, g.Constant(new double[,] { { 1 }, { 2 } })], 1), [2, 3], [2, 1]);
        Check2((g, x, y) => g.Concat([x, y], -2), [1, 3], [2, 3]);
        // Unknown static shapes take the ShapeN path.
        Check((g, x) => g.Concat([x, g.Square(x)], 0), [2, 2], unknownShape: true);
        // More than 16 inputs take the SplitV path.
        Check((g, x) => g.Concat([.. Enumerable.Range(0, 17).Select(i => x * (double)(i + 1))], 1), [1, 1]);
    }

    [Test]
    public void StackAndUnstack()
    {
        Check2((g, x, y) => g.Stack([x, y, x], axis: 1), [2, 2], [2, 2]);
        Check2((g, x, y) => g.Stack([x, y], axis: -1), [3], [3]);
        Check((g, x) => Weighted(g, g.Unstack(x, axis: 1)), [2, 3]);
        Check((g, x) => Weighted(g, g.Unstack(x), skip: 1), [3, 2]);
    }

    [Test]
    public void SplitAndSplitV()
    {
        Check((g, x) => Weighted(g, g.Split(x, 3, axis: 1)), [2, 6]);
        Check((g, x) => Weighted(g, g.Split(x, 2), skip: 0), [4, 2]);
        Check((g, x) => Weighted(g, g.Split(x, [1, -1, 2], axis: -1), skip: 1), [2, 6]);
        Check((g, x) => g.Split(x, 1)[0], [2, 2]);
    }

    [Test]
    public void Slice()
    {
        Check((g, x) => g.Slice(x, [1, 0], [1, -1]), [3, 4]);
        Check((g, x) => g.Square(g.Slice(x, [0, 1, 1], [2, 1, 2])), [2, 3, 3]);
        Check((g, x) => g.Slice(x, [1], [2]), [4], unknownShape: true);
    }

    [Test]
    public void StridedSlice()
    {
        Check((g, x) => x.Slice(1.., ..^1), [3, 4]);
        Check((g, x) => g.Square(x.Slice(SliceItem.Range(null, null, -2), 1)), [3, 4]);
        Check((g, x) => x.Slice(SliceItem.NewAxis, SliceItem.Ellipsis, 0), [3, 4]);
        Check((g, x) => x.Slice(-1, SliceItem.Range(3, 0, -1)), [3, 4]);
        Check((g, x) => g.StridedSlice(x, [0, 2], [0, 3], [1, 1], ellipsisMask: 1, shrinkAxisMask: 2), [2, 2, 4]);
        Check((g, x) => g.StridedSlice(x, [1, 5], [2, 0], [1, -1], beginMask: 2, endMask: 2), [3, 3]);
        Check((g, x) => x.Slice(.., SliceItem.Range(1, null, 2)), [2, 5], unknownShape: true);
    }

    [Test]
    public void StridedSliceGradSecondOrder()
    {
        // d/dx Σ slice(x)² = StridedSliceGrad(2·slice(x)); its own gradient is a StridedSlice.
        Check((g, x) => g.Gradients(g.ReduceSum(g.Square(x.Slice(SliceItem.Range(null, null, -1), 1..3))), x)[0]!.Value * x, [3, 4]);
    }

    [Test]
    public void Tile()
    {
        Check((g, x) => g.Tile(x, g.Constant(new[] { 2, 1, 3 })), [2, 1, 2]);
        Check((g, x) => g.Square(g.Tile(x, g.Constant(new long[] { 3, 2 }))), [2, 2]);
        Check((g, x) => g.Tile(x, g.Constant(new[] { 2, 2 })), [1, 3], unknownShape: true);
    }

    [Test]
    public void Pads()
    {
        Check((g, x) => g.Pad(x, new[,] { { 1, 0 }, { 0, 2 } }) * g.Constant(Tensor.Create(Values(12, 5), 3, 4)), [2, 2]);
        Check((g, x) => g.Square(g.Pad(x, new[,] { { 1, 2 } }, constantValue: 3)), [3]);
        Check((g, x) => g.Pad(x, new[,] { { 1, 1 }, { 2, 0 } }, mode: "REFLECT") * g.Constant(Tensor.Create(Values(20, 6), 4, 5)), [2, 3]);
        Check((g, x) => g.Square(g.Pad(x, new[,] { { 3, 2 } }, mode: "SYMMETRIC")), [3]);
        Check((g, x) => g.Pad(x, g.Constant(Tensor.FromArray(new long[,] { { 0, 1 }, { 1, 1 } }))), [2, 2], unknownShape: true);
        // MirrorPadGrad's gradient is MirrorPad.
        Check((g, x) => g.MirrorPadGrad(x, g.Constant(new[,] { { 2, 1 } }), "REFLECT") * g.Constant(new[] { 1.0, 2.0, 3.0 }), [6]);
    }

    [Test]
    public void Gather()
    {
        Check((g, x) => g.Gather(x, g.Constant(new[] { 2, 0, 2 })), [3, 2]);
        Check((g, x) => g.Square(g.Gather(x, g.Constant(Tensor.FromArray(new long[,] { { 1, 1 }, { 0, 2 } })), axis: 1)), [2, 3]);
        Check((g, x) => g.Gather(x, g.Constant(new[,] { { 2, 0 }, { 1, 1 } }), axis: 1, batchDims: 1) * g.Constant(new[,] { { 1.0, 2 }, { 3, 4 } }), [2, 3]);
        Check((g, x) => g.Gather(x, g.Constant(new[] { 1, 1, 0 }), axis: -1), [2, 2, 2]);
        // A non-constant axis takes the general path even for axis 0.
        Check((g, x) => g.Gather(x, g.Constant(new[] { 0, 0, 1 }), g.PlaceholderWithDefault(g.Constant(0))), [2, 3]);
        Check((g, x) => g.Gather(x, g.Constant(new[,] { { 0, 2 }, { 1, 1 } }), axis: 2, batchDims: 2), [2, 2, 3]);
    }

    [Test]
    public void UnsortedSegmentSum()
    {
        Check((g, x) => g.Square(g.UnsortedSegmentSum(x, g.Constant(new[] { 1, -1, 1, 0 }), 3)), [4, 2]);
    }

    [Test]
    public void Reverse()
    {
        Check((g, x) => g.Reverse(x, [0, 2]) * g.Constant(Tensor.Create(Values(12, 4), 2, 3, 2)), [2, 3, 2]);
        Check((g, x) => g.Square(g.ReverseDims(x, g.Constant(new[] { false, true }))), [2, 3]);
    }

    [Test]
    public void SelectV2AndBroadcastTo()
    {
        var cond = Tensor.FromArray(new[,] { { true }, { false } });
        Check2((g, x, y) => g.SelectV2(g.Constant(cond), x, y), [3], [2, 3]);
        Check2((g, x, y) => g.SelectV2(g.Constant(new[] { true, false, true }), g.Square(x), y), [2, 3], []);
        Check((g, x) => g.BroadcastTo(x, [2, 3]) * g.Constant(Tensor.Create(Values(6, 7), 2, 3)), [3]);
        Check((g, x) => g.Square(g.BroadcastTo(x, [2, 2, 3])), [2, 1]);
    }

    [Test]
    public void Dist()
    {
        Check2((g, x, y) => g.Dist(x, y), [2, 2], [2, 2]);
    }

    [Test]
    public void NonDifferentiableOpsGiveNoGradient()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [2, 3], name: "x");
        var arg = g.Cast(g.ArgMax(x, 1), DType.Float64);
        Assert.That(g.Gradients(g.ReduceSum(arg) + g.ReduceSum(x), x)[0], Is.Not.Null);
        var oneHot = g.OneHot(g.Constant(new[] { 0, 1 }), g.Constant(2), g.ReduceSum(x), g.Constant(0.0));
        Assert.That(g.Gradients(g.ReduceSum(oneHot), x)[0], Is.Null);
        foreach (var t in new[] { "ArgMax", "ArgMin", "OneHot", "Where", "InvertPermutation", "ConcatOffset", "ShapeN" })
            Assert.That(TensorGraph.Autodiff.GradientRegistry.TryGet(t, out var fn) && fn is null, Is.True, t);
    }
}
