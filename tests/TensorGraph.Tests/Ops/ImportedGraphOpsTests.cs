namespace TensorGraph.Tests.Ops;

/// <summary>
/// Ops that TF 1.x graphs from the wild use: IsVariableInitialized, the legacy Gather, BiasAdd /
/// BiasAddGrad in NCHW, BiasAddV1, Cast with Truncate, and Reshape of zero-element tensors with a
/// -1 dimension, each against TF 1.15's kernels.
/// </summary>
public class ImportedGraphOpsTests
{
    private static double GradError(Func<Graph, Output, Output> f, Tensor x0)
    {
        var g = new Graph();
        var x = g.Placeholder(x0.DType, x0.Shape, name: "x");
        var y = f(g, x);
        using var s = new Session(g);
        return GradientChecker.Compute(s, x, x0, y, null, 1e-5).MaxRelativeError;
    }

    private static Tensor Random(int seed, params int[] dims)
    {
        var r = new Random(seed);
        int n = dims.Aggregate(1, (a, b) => a * b);
        return Tensor.Create(Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray(), dims);
    }

    [Test]
    public void IsVariableInitializedReadsTheSlotNotTheValue()
    {
        var g = new Graph();
        var v = g.Variable(Tensor.FromArray(new[] { 1f, 2f }), "v");
        var w = g.Variable(Tensor.Scalar(3L), "w");
        var isV = g.IsVariableInitialized(v);
        var isW = g.IsVariableInitialized(w);
        Assert.That(isV.DType, Is.EqualTo(DType.Bool));
        Assert.That(isV.Shape, Is.EqualTo(Shape.Scalar));
        Assert.That(isV.Op.GetAttrType("dtype"), Is.EqualTo(DType.Float32));
        using var s = new Session(g);
        Assert.That(s.Run([isV, isW]).Select(t => t.Scalar<bool>()), Is.EqualTo(new[] { false, false }));
        s.Run(v.Initializer);
        Assert.That(s.Run([isV, isW]).Select(t => t.Scalar<bool>()), Is.EqualTo(new[] { true, false }));
        // TF's report_uninitialized_variables pattern: stack, then negate.
        Assert.That(s.Run(g.LogicalNot(g.Stack([isV, isW]))).ToArray<bool>(), Is.EqualTo(new[] { false, true }));
    }

    [Test]
    public void LegacyGatherTakesRowsAlongAxisZero()
    {
        var g = new Graph();
        var p = g.Constant(new float[,] { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } });
        var y = g.GatherV1(p, g.Constant(new[,] { { 2, 0 }, { 1, 1 } }));
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 2, 3)));
        Assert.That(y.Op.GetAttrBool("validate_indices"), Is.True);
        using var s = new Session(g);
        var r = s.Run(y);
        Assert.That(r.Dims.ToArray(), Is.EqualTo(new[] { 2, 2, 3 }));
        Assert.That(r.ToArray<float>(), Is.EqualTo(new float[] { 7, 8, 9, 1, 2, 3, 4, 5, 6, 4, 5, 6 }));
        var scalarIndex = s.Run(g.GatherV1(p, g.Constant(Tensor.Scalar(1L)), validateIndices: false));
        Assert.That(scalarIndex.Dims.ToArray(), Is.EqualTo(new[] { 3 }));
        Assert.That(scalarIndex.ToArray<float>(), Is.EqualTo(new float[] { 4, 5, 6 }));
        var bad = Assert.Throws<InvalidArgumentException>(() => s.Run(g.GatherV1(p, g.Constant(new[,] { { 0, 3 } }))))!;
        Assert.That(bad.Message, Does.Contain("indices[0,1] = 3 is not in [0, 3)"));
        // Repeated indices accumulate their gradients, as TF's IndexedSlices do.
        var idx = new[] { 1, 0, 1, 1 };
        Assert.That(GradError((gg, x) => gg.GatherV1(x, gg.Constant(idx)), Random(2, 3, 2)), Is.LessThan(1e-6));
        Assert.That(GradError((gg, x) => gg.Square(gg.GatherV1(x, gg.Constant(new[,] { { 2, 0 }, { 0, 0 } }))), Random(3, 3)), Is.LessThan(1e-6));
    }

    /// <summary>out[n, c, …] = value[n, c, …] + bias[c], computed here.</summary>
    private static double[] BiasNchw(Tensor value, double[] bias)
    {
        var v = value.ToArray<double>();
        int n = value.Dims[0], c = value.Dims[1];
        int inner = v.Length / (n * c);
        var r = new double[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = v[i] + bias[i / inner % c];
        return r;
    }

    [TestCase(new[] { 2, 3, 4 })]
    [TestCase(new[] { 2, 3, 2, 2 })]
    [TestCase(new[] { 1, 3, 2, 1, 2 })]
    public void BiasAddNchwAddsAlongDimensionOne(int[] dims)
    {
        var value = Random(5, dims);
        var bias = new[] { 10.0, 20.0, 30.0 };
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.UnknownOfRank(dims.Length), "x");
        var y = g.BiasAdd(x, g.Constant(bias), dataFormat: "NCHW");
        var expectedShape = new int[dims.Length];
        Array.Fill(expectedShape, -1);
        expectedShape[1] = 3;
        Assert.That(y.Shape.ToString(), Is.EqualTo(new Shape(expectedShape).ToString()));
        var grad = g.BiasAddGrad(x, dataFormat: "NCHW");
        Assert.That(grad.Shape.ToString(), Is.EqualTo(new Shape(-1).ToString()));
        using var s = new Session(g);
        var r = s.Run([y, grad], new FeedDict { [x] = value });
        Assert.That(r[0].ToArray<double>(), Is.EqualTo(BiasNchw(value, bias)).Within(1e-12));
        var v = value.ToArray<double>();
        int inner = v.Length / (dims[0] * 3);
        var sums = new double[3];
        for (int i = 0; i < v.Length; i++) sums[i / inner % 3] += v[i];
        Assert.That(r[1].ToArray<double>(), Is.EqualTo(sums).Within(1e-12));

        // Gradients: through value and bias (BiasAddGrad in NCHW), and BiasAddGrad's own.
        Assert.That(GradError((gg, t) => gg.Square(gg.BiasAdd(t, gg.Constant(bias), dataFormat: "NCHW")), value), Is.LessThan(1e-6));
        Assert.That(GradError((gg, t) => gg.Square(gg.BiasAdd(gg.Constant(value), t, dataFormat: "NCHW")), Tensor.FromArray(bias)), Is.LessThan(1e-6));
        Assert.That(GradError((gg, t) => gg.Square(gg.BiasAddGrad(t, dataFormat: "NCHW")), value), Is.LessThan(1e-6));
        var dg = new Graph();
        var dx = dg.Placeholder(DType.Float64, new Shape(dims), "x");
        var dy = dg.BiasAdd(dx, dg.Constant(bias), dataFormat: "NCHW");
        Assert.That(dg.Gradients(dg.ReduceSum(dy), dx)[0]!.Value.Op.Type, Is.Not.Null);
        var biasGrad = dg.Gradients(dg.ReduceSum(dy), dg.GetOperation(dy.Op.Inputs[1].Op.Name)[0])[0]!.Value;
        Assert.That(biasGrad.Op.Type, Is.EqualTo("BiasAddGrad"));
        Assert.That(biasGrad.Op.GetAttrString("data_format"), Is.EqualTo("NCHW"));
    }

    [Test]
    public void BiasAddNchwRejectsWhatTfRejects()
    {
        var g = new Graph();
        Assert.Throws<InvalidArgumentException>(() => g.BiasAdd(g.Constant(new float[,] { { 1, 2 } }), g.Constant(new float[] { 1 }), dataFormat: "NCHW"));
        Assert.Throws<InvalidArgumentException>(() => g.BiasAdd(g.Constant(new float[1, 2, 3]), g.Constant(new float[] { 1, 2, 3 }), dataFormat: "NCHW"));
        Assert.Throws<InvalidArgumentException>(() => g.BiasAdd(g.Constant(new float[1, 2, 3]), g.Constant(new float[] { 1, 2 }), dataFormat: "NCHX"));
        var x = g.Placeholder(DType.Float32, Shape.Unknown);
        var y = g.BiasAdd(x, g.Constant(new float[] { 1, 2 }), dataFormat: "NCHW");
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(y, new FeedDict { [x] = Tensor.Zeros(DType.Float32, 1, 3, 2) }))!;
        Assert.That(e.Message, Does.Contain("Must provide as many biases as the channel dimension"));
    }

    [Test]
    public void BiasAddV1AddsAlongTheLastDimension()
    {
        var g = new Graph();
        var v = g.Constant(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var y = g.BiasAddV1(v, g.Constant(new float[] { 10, 20, 30 }));
        Assert.That(y.Op.Attrs.Keys, Is.EqualTo(new[] { "T" }));
        using var s = new Session(g);
        Assert.That(s.Run(y).ToArray<float>(), Is.EqualTo(new float[] { 11, 22, 33, 14, 25, 36 }));
        var bias = Random(3, 4);
        Assert.That(GradError((gg, x) => gg.Square(gg.BiasAddV1(x, gg.Constant(bias))), Random(1, 2, 3, 4)), Is.LessThan(1e-6));
        var value = Random(1, 2, 3, 4);
        Assert.That(GradError((gg, x) => gg.Square(gg.BiasAddV1(gg.Constant(value), x)), bias), Is.LessThan(1e-6));
    }

    /// <summary>The float nearest to <paramref name="d"/> on the side of zero: what clearing the low mantissa bits gives.</summary>
    private static float TowardZero(double d)
    {
        float f = (float)d;
        if (double.IsNaN(d) || double.IsInfinity(f)) return f;
        if (Math.Abs((double)f) > Math.Abs(d)) f = d > 0 ? MathF.BitDecrement(f) : MathF.BitIncrement(f);
        return f;
    }

    [Test]
    public void CastWithTruncateCutsTheMantissaTowardZero()
    {
        double[] values = [1.0 / 3, -1.0 / 3, 0.1, -0.1, 1 + 0.75 * Math.Pow(2, -23), 2.0 / 3, 1e30 / 7, -123456.789, 0, -0.0, double.NaN,
            double.PositiveInfinity, 1e300];
        var g = new Graph();
        var x = g.Constant(values);
        var rounded = g.Cast(x, DType.Float32);
        var truncated = CastTruncate(g, x, DType.Float32);
        using var s = new Session(g);
        var r = s.Run([rounded, truncated]);
        Assert.That(r[0].ToArray<float>(), Is.EqualTo(values.Select(v => (float)v).ToArray()));
        Assert.That(r[1].ToArray<float>(), Is.EqualTo(values.Select(TowardZero).ToArray()));
        // The two differ where rounding went away from zero.
        Assert.That(r[1].ToArray<float>()[4], Is.EqualTo(1f));
        Assert.That(r[0].ToArray<float>()[4], Is.EqualTo(1f + MathF.Pow(2, -23)));
        Assert.That(BitConverter.SingleToInt32Bits(r[1].ToArray<float>()[9]), Is.EqualTo(BitConverter.SingleToInt32Bits(-0f)));
        // Other pairs ignore the attr, as in TF.
        var i = s.Run(CastTruncate(g, g.Constant(new[] { 2.7f, -2.7f }), DType.Int32));
        Assert.That(i.ToArray<int>(), Is.EqualTo(new[] { 2, -2 }));
        var widened = s.Run(CastTruncate(g, g.Constant(new[] { 0.1f }), DType.Float64));
        Assert.That(widened.ToArray<double>(), Is.EqualTo(new[] { (double)0.1f }));
    }

    private static Output CastTruncate(Graph g, Output x, DType to)
    {
        var cast = g.Cast(x, to, truncate: true);
        Assert.That(cast.Op.GetAttrBool("Truncate"), Is.True);
        return cast;
    }

    [Test]
    public void ReshapeOfZeroElementsInfersMinusOneAsTf115Does()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Unknown, "x");
        Output R(params int[] shape) => g.Reshape(x, shape);
        using var s = new Session(g);
        int[] Dims(Output y, params int[] xDims) => s.Run(y, new FeedDict { [x] = Tensor.Zeros(DType.Float32, xDims) }).Dims.ToArray();
        // A zero size in the requested shape leaves the input's zero dims out of the count.
        Assert.That(Dims(R(0, -1), 0, 6), Is.EqualTo(new[] { 0, 6 }));
        Assert.That(Dims(R(-1, 0), 0, 6), Is.EqualTo(new[] { 6, 0 }));
        Assert.That(Dims(R(2, 0, -1), 3, 0, 4), Is.EqualTo(new[] { 2, 0, 6 }));
        // Without one, the -1 is what the zero count leaves: 0.
        Assert.That(Dims(R(-1, 3), 0, 6), Is.EqualTo(new[] { 0, 3 }));
        Assert.That(Dims(R(-1), 3, 0), Is.EqualTo(new[] { 0 }));
        // The element counts still have to agree.
        var e = Assert.Throws<InvalidArgumentException>(() => Dims(R(0, -1), 2, 3))!;
        Assert.That(e.Message, Does.Contain("Input to reshape is a tensor with 6 values, but the requested shape has 0"));
        var e2 = Assert.Throws<InvalidArgumentException>(() => Dims(R(-1, 4), 2, 3))!;
        Assert.That(e2.Message, Does.Contain("requires a multiple of 4"));
        Assert.That(Dims(R(3, -1), 2, 3), Is.EqualTo(new[] { 3, 2 }));

        // Build time, with the input's shape known: TF's shape function leaves such a -1 unknown.
        var z = g.Constant(Tensor.Zeros(DType.Float32, 0, 6));
        Assert.That(g.Reshape(z, [0, -1]).Shape.ToString(), Is.EqualTo(new Shape(0, -1).ToString()));
        Assert.That(g.Reshape(z, [-1, 3]).Shape.ToString(), Is.EqualTo(new Shape(0, 3).ToString()));
        Assert.That(s.Run(g.Reshape(z, [0, -1])).Dims.ToArray(), Is.EqualTo(new[] { 0, 6 }));
    }
}
