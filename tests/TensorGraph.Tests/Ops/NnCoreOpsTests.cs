namespace TensorGraph.Tests.Ops;

public class NnCoreOpsTests
{
    private static Tensor Run(Graph g, Output y, FeedDict? f = null)
    {
        using var s = new Session(g);
        return s.Run(y, f);
    }

    private static double GradError(Func<Graph, Output, Output> f, Tensor x0, FeedDict? extra = null)
    {
        var g = new Graph();
        var x = g.Placeholder(x0.DType, x0.Shape, name: "x");
        var y = f(g, x);
        using var s = new Session(g);
        return GradientChecker.Compute(s, x, x0, y, extra, 1e-5).MaxRelativeError;
    }

    private static Tensor Random(int seed, params int[] dims)
    {
        var r = new Random(seed);
        int n = dims.Aggregate(1, (a, b) => a * b);
        return Tensor.Create(Enumerable.Range(0, n).Select(_ => r.NextDouble() * 2 - 1).ToArray(), dims);
    }

    [Test]
    public void BiasAddAndGrad()
    {
        var g = new Graph();
        var v = g.Constant(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var b = g.Constant(new float[] { 10, 20, 30 });
        Assert.That(Run(g, g.BiasAdd(v, b)).ToArray<float>(), Is.EqualTo(new float[] { 11, 22, 33, 14, 25, 36 }));
        Assert.That(Run(g, g.BiasAddGrad(v)).ToArray<float>(), Is.EqualTo(new float[] { 5, 7, 9 }));
        Assert.Throws<InvalidArgumentException>(() => g.BiasAdd(v, g.Constant(new float[] { 1, 2 })));
        var bias = Random(3, 4);
        Assert.That(GradError((gg, x) => gg.BiasAdd(x, gg.Constant(bias)), Random(1, 2, 3, 4)), Is.LessThan(1e-6));
        var value = Random(1, 2, 3, 4);
        Assert.That(GradError((gg, x) => gg.BiasAdd(gg.Constant(value), x), bias), Is.LessThan(1e-6));
    }

    [Test]
    public void SoftmaxValuesAreStable()
    {
        var g = new Graph();
        var x = g.Constant(new double[,] { { 1, 2, 3 }, { 1000, 1000, 1000 } });
        var sm = Run(g, g.Softmax(x)).ToArray<double>();
        double e1 = Math.Exp(1), e2 = Math.Exp(2), e3 = Math.Exp(3), z = e1 + e2 + e3;
        Assert.That(sm, Is.EqualTo(new[] { e1 / z, e2 / z, e3 / z, 1 / 3.0, 1 / 3.0, 1 / 3.0 }).Within(1e-12));
        var lsm = Run(g, g.LogSoftmax(x)).ToArray<double>();
        Assert.That(lsm[0], Is.EqualTo(1 - Math.Log(z)).Within(1e-12));
        Assert.That(lsm[3], Is.EqualTo(-Math.Log(3)).Within(1e-12));
        Assert.That(GradError((gg, t) => gg.Softmax(t), Random(2, 3, 4)), Is.LessThan(1e-6));
        Assert.That(GradError((gg, t) => gg.LogSoftmax(t), Random(2, 3, 4)), Is.LessThan(1e-6));
    }

    [Test]
    public void SoftmaxCrossEntropy()
    {
        var g = new Graph();
        var logits = g.Constant(new double[,] { { 1, 2, 3 }, { 0, 0, 0 } });
        var labels = g.Constant(new double[,] { { 0, 0, 1 }, { 0.5, 0.5, 0 } });
        var xent = g.SoftmaxCrossEntropyWithLogitsOp(logits, labels);
        var loss = Run(g, xent.Loss).ToArray<double>();
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Assert.That(loss[0], Is.EqualTo(-(3 - Math.Log(z))).Within(1e-12));
        Assert.That(loss[1], Is.EqualTo(Math.Log(3)).Within(1e-12));
        var back = Run(g, xent.Backprop).ToArray<double>();
        Assert.That(back[2], Is.EqualTo(Math.Exp(3) / z - 1).Within(1e-12));
        Assert.That(back[3], Is.EqualTo(1 / 3.0 - 0.5).Within(1e-12));

        var lab = Tensor.Create(new double[] { 0.2, 0.3, 0.5, 1, 0, 0 }, 2, 3);
        Assert.That(GradError((gg, t) => gg.SoftmaxCrossEntropyWithLogits(gg.Constant(lab), t), Random(4, 2, 3)), Is.LessThan(1e-6));
        var lg = Random(4, 2, 3);
        Assert.That(GradError((gg, t) => gg.SoftmaxCrossEntropyWithLogitsV2(t, gg.Constant(lg)), lab), Is.LessThan(1e-6));
        // Second derivative through the backprop output.
        Assert.That(GradError((gg, t) => gg.Gradients(gg.ReduceSum(gg.SoftmaxCrossEntropyWithLogits(gg.Constant(lab), t)), t)[0]!.Value, Random(5, 2, 3)), Is.LessThan(1e-6));
    }

    [Test]
    public void SoftmaxCrossEntropyV1StopsLabelGradientsV2DoesNot()
    {
        // TF 1.15: tf.nn.softmax_cross_entropy_with_logits wraps the labels in
        // softmax_cross_entropy_with_logits_sg/labels_stop_gradient; the _v2 form trains them.
        var g = new Graph();
        var logits = g.Constant(new double[,] { { 1, 2, 3 } });
        var labels = g.Variable(new double[,] { { 0.2, 0.3, 0.5 } }, name: "labels");
        var v1 = g.SoftmaxCrossEntropyWithLogits(labels, logits);
        var v2 = g.SoftmaxCrossEntropyWithLogitsV2(labels, logits);
        Assert.That(v1.Op.Name, Is.EqualTo("softmax_cross_entropy_with_logits_sg"));
        Assert.That(g.GetOperation("softmax_cross_entropy_with_logits_sg/labels_stop_gradient").Type, Is.EqualTo("StopGradient"));
        Assert.That(v2.Op.Name, Is.EqualTo("softmax_cross_entropy_with_logits"));
        Assert.That(g.Gradients(g.ReduceSum(v1), [labels.Value])[0], Is.Null);
        var d2 = g.Gradients(g.ReduceSum(v2), [labels.Value])[0]!.Value;
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        Assert.That(s.Run(v1).ToArray<double>()[0], Is.EqualTo(s.Run(v2).ToArray<double>()[0]));
        // d/dlabels of -sum(labels * log_softmax(logits)) = -log_softmax(logits).
        double lse = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        Assert.That(s.Run(d2).ToArray<double>(), Is.EqualTo(new[] { lse - 1, lse - 2, lse - 3 }).Within(1e-12));
    }

    [Test]
    public void SparseSoftmaxCrossEntropy()
    {
        var g = new Graph();
        var logits = g.Constant(new float[,] { { 1, 2, 3 }, { 1000, 0, -1000 } });
        var labels = g.Constant(new long[] { 2, 0 });
        var loss = g.SparseSoftmaxCrossEntropyWithLogits(labels, logits);
        Assert.That(loss.Op.Name, Is.EqualTo("SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits"));
        var v = Run(g, loss).ToArray<float>();
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Assert.That(v[0], Is.EqualTo(Math.Log(z) - 3).Within(1e-6));
        Assert.That(v[1], Is.EqualTo(0).Within(1e-6));

        var bad = g.SparseSoftmaxCrossEntropyWithLogits(g.Constant(new[] { 3, 0 }), logits, name: "bad_xent");
        var e = Assert.Throws<InvalidArgumentException>(() => Run(g, bad))!;
        Assert.That(e.Message, Does.Contain("Received a label value of 3 which is outside the valid range of [0, 3)").And.Contain("bad_xent"));

        var lab = Tensor.Create(new[] { 1, 0, 2 }, 3);
        Assert.That(GradError((gg, t) => gg.SparseSoftmaxCrossEntropyWithLogits(gg.Constant(lab), t), Random(6, 3, 4)), Is.LessThan(1e-6));
    }

    [Test]
    public void InTopK()
    {
        var g = new Graph();
        var pred = g.Constant(new float[,] { { 0.1f, 0.8f, 0.1f }, { 0.3f, 0.3f, 0.4f }, { 0.5f, 0.5f, 0 }, { float.NaN, 1, 0 } });
        var targets = g.Constant(new[] { 1, 0, 1, 0 });
        Assert.That(Run(g, g.InTopK(pred, targets, 1)).ToArray<bool>(), Is.EqualTo(new[] { true, false, true, false }));
        Assert.That(Run(g, g.InTopK(pred, targets, 2)).ToArray<bool>(), Is.EqualTo(new[] { true, true, true, false }));
        // Out of range, or a non-finite prediction anywhere in the row: false, as TF's kernel.
        Assert.That(Run(g, g.InTopK(pred, g.Constant(new[] { 5, 0, 0, 1 }), 1)).ToArray<bool>(), Is.EqualTo(new[] { false, false, true, false }));
    }

    [Test]
    public void SmallMatMulKeepsNaNFromZeroTimesInf()
    {
        var g = new Graph();
        var a = g.Constant(new float[,] { { 0, 1 } });
        var b = g.Constant(new float[,] { { float.PositiveInfinity }, { 2 } });
        Assert.That(float.IsNaN(Run(g, g.MatMul(a, b)).ToArray<float>()[0]), Is.True);
    }

    [Test]
    public void OversizedShapeArgumentsAreInvalidArguments()
    {
        var g = new Graph();
        var dims = g.Placeholder(DType.Int32, [-1], name: "dims");
        var f = g.Fill(dims, g.Constant(1f), name: "big_fill");
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(f, new FeedDict { [dims] = new int[100_000] }))!;
        Assert.That(e.Message, Does.Contain("big_fill"));
        var m = g.Placeholder(DType.Int32, name: "m");
        var f2 = g.Fill(m, g.Constant(1f), name: "matrix_dims");
        Assert.Throws<InvalidArgumentException>(() => s.Run(f2, new FeedDict { [m] = new[,] { { 1, 2 }, { 3, 4 } } }));
    }

    [Test]
    public void CheckNumericsNamesTheOp()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1], name: "x");
        var y = g.CheckNumerics(g.Log(x), "log of x", name: "check_log");
        using var s = new Session(g);
        Assert.That(s.Run(y, new FeedDict { [x] = new float[] { 1 } }).ToArray<float>(), Is.EqualTo(new[] { 0f }));
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(y, new FeedDict { [x] = new float[] { -1 } }))!;
        Assert.That(e.Message, Does.Contain("log of x : Tensor had NaN values").And.Contain("check_log"));
        Assert.That(GradError((gg, t) => gg.CheckNumerics(gg.Square(t), "sq"), Random(1, 3)), Is.LessThan(1e-6));
    }

    [Test]
    public void BatchMatMulBroadcastsAndDifferentiates()
    {
        var g = new Graph();
        var a = g.Constant(Tensor.Create(Enumerable.Range(0, 12).Select(i => (double)i).ToArray(), 2, 2, 3));
        var b = g.Constant(Tensor.Create(Enumerable.Range(0, 6).Select(i => (double)i).ToArray(), 3, 2));
        var c = g.BatchMatMul(a, b);
        Assert.That(c.Shape, Is.EqualTo(new Shape(2, 2, 2)));
        var v = Run(g, c).ToArray<double>();
        // batch 1, row 0: [6,7,8]·[[0,1],[2,3],[4,5]] = [6*0+7*2+8*4, 6+21+40]
        Assert.That(v[4..6], Is.EqualTo(new double[] { 46, 67 }));
        var bv = Random(8, 3, 2);
        Assert.That(GradError((gg, t) => gg.BatchMatMul(t, gg.Constant(bv)), Random(7, 2, 2, 3)), Is.LessThan(1e-6));
        var av = Random(7, 2, 2, 3);
        Assert.That(GradError((gg, t) => gg.BatchMatMul(gg.Constant(av), t), bv), Is.LessThan(1e-6));
        Assert.That(GradError((gg, t) => gg.BatchMatMul(t, gg.Constant(Random(9, 2, 2, 3)), adjY: true), Random(10, 2, 4, 3)), Is.LessThan(1e-6));
    }

    [Test]
    public void DropoutKeepsExpectationAndZerosTheRest()
    {
        var g = new Graph { Seed = 3 };
        var x = g.Ones([100, 100]);
        // TF1's positional argument is keep_prob: 0.7 keeps 70% and scales them by 1/0.7.
        var d = g.Dropout(x, 0.7);
        var v = Run(g, d).ToArray<float>();
        Assert.That(v.Distinct().OrderBy(f => f), Is.EqualTo(new[] { 0f, 1 / 0.7f }).Within(1e-6));
        double keptFraction = v.Count(f => f != 0) / (double)v.Length;
        Assert.That(keptFraction, Is.EqualTo(0.7).Within(0.03));
        // rate: is TF 2's meaning, the fraction dropped; the same op-level seed draws the same mask.
        var byRate = g.Dropout(x, rate: 0.3, seed: 5);
        var byKeep = g.Dropout(x, 0.7, seed: 5);
        Assert.That(Run(g, byRate).ToArray<float>(), Is.EqualTo(Run(g, byKeep).ToArray<float>()));
        var noDrop = g.Dropout(x, rate: g.PlaceholderWithDefault(g.Constant(0f)));
        Assert.That(Run(g, noDrop).ToArray<float>(), Has.All.EqualTo(1f));
        var keepAll = g.Dropout(x, keepProb: g.PlaceholderWithDefault(g.Constant(1f)));
        Assert.That(Run(g, keepAll).ToArray<float>(), Has.All.EqualTo(1f));
        Assert.That(g.Dropout(x, 1.0), Is.EqualTo(x), "keep_prob 1 is no dropout at all, as in TF");
    }

    [Test]
    public void DropoutRefusesWhatTfRefuses()
    {
        var g = new Graph();
        var x = g.Ones([4]);
        Assert.That(Assert.Throws<InvalidArgumentException>(() => g.Dropout(x, 0.5, rate: 0.5))!.Message, Does.Contain("Cannot specify both 'keep_prob' and 'rate'"));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => g.Dropout(x, keepProb: (double?)null))!.Message, Does.Contain("You must provide a rate to dropout"));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => g.Dropout(x, 0.0))!.Message, Does.Contain("range [0, 1), got 1"));
        Assert.Throws<InvalidArgumentException>(() => g.Dropout(x, rate: -0.1));
        Assert.Throws<InvalidArgumentException>(() => g.Dropout(g.Ones([2], DType.Int32), 0.5));
        Assert.Throws<InvalidArgumentException>(() => g.Dropout(x, keepProb: g.Constant(0.5f), rate: g.Constant(0.5f)));
    }

    [Test]
    public void DropoutNoiseShapeBroadcasts()
    {
        // noise_shape [rows, 1]: a whole row is kept or dropped together (TF's _get_noise_shape use).
        var g = new Graph { Seed = 11 };
        var x = g.Ones([200, 5]);
        var d = g.Dropout(x, 0.5, noiseShape: g.Constant(new[] { 200, 1 }));
        var v = Run(g, d).ToArray<float>();
        for (int r = 0; r < 200; r++)
            Assert.That(v.Skip(r * 5).Take(5).Distinct().Count(), Is.EqualTo(1), $"row {r}");
        Assert.That(v.Distinct().OrderBy(f => f), Is.EqualTo(new[] { 0f, 2f }));
    }
}

public class SigmoidCrossEntropyTests
{
    [Test]
    public void MatchesTheDefinitionAndIsStable()
    {
        var g = new Graph();
        var logits = g.Constant(new double[] { -3, -0.5, 0, 2, 800, -800 });
        var labels = g.Constant(new double[] { 0, 1, 0.5, 1, 0, 1 });
        var loss = g.SigmoidCrossEntropyWithLogits(labels, logits);
        Assert.That(loss.Op.Name, Is.EqualTo("logistic_loss"));
        using var s = new Session(g);
        var v = s.Run(loss).ToArray<double>();
        double[] x = [-3, -0.5, 0, 2, 800, -800], z = [0, 1, 0.5, 1, 0, 1];
        for (int i = 0; i < 4; i++)
        {
            double p = 1 / (1 + Math.Exp(-x[i]));
            Assert.That(v[i], Is.EqualTo(-z[i] * Math.Log(p) - (1 - z[i]) * Math.Log(1 - p)).Within(1e-12));
        }
        Assert.That(v[4], Is.EqualTo(800).Within(1e-9));
        Assert.That(v[5], Is.EqualTo(800).Within(1e-9));
        var lab = Tensor.Create(new double[] { 0, 1, 0.3, 1 }, 4);
        var gg = new Graph();
        var xp = gg.Placeholder(DType.Float64, [4], name: "x");
        var y = gg.SigmoidCrossEntropyWithLogits(gg.Constant(lab), xp);
        using var s2 = new Session(gg);
        Assert.That(GradientChecker.Compute(s2, xp, Tensor.Create(new double[] { -2, -0.4, 0.7, 3 }, 4), y, delta: 1e-5).MaxRelativeError, Is.LessThan(1e-6));
    }
}
