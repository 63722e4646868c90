using TensorGraph.Initializers;

namespace TensorGraph.Tests.Scopes;

/// <summary>The core initializers (TF 1.15's init_ops) against their formulas, over large samples.</summary>
public class InitializerTests
{
    private static double[] Sample(Initializer init, int[] shape, DType dtype = DType.Float32, int seed = 7)
    {
        var g = new Graph { Seed = seed };
        var v = g.GetVariable("v", shape, dtype, init);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        return s.Run(v.Value).Cast(DType.Float64).ToArray<double>();
    }

    private static (double Mean, double Std) Moments(double[] x)
    {
        double mean = x.Average();
        double var = x.Sum(v => (v - mean) * (v - mean)) / x.Length;
        return (mean, Math.Sqrt(var));
    }

    [Test]
    public void ComputeFansFollowsTensorFlow()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Initializer.ComputeFans([]), Is.EqualTo((1.0, 1.0)));
            Assert.That(Initializer.ComputeFans([5]), Is.EqualTo((5.0, 5.0)));
            Assert.That(Initializer.ComputeFans([3, 7]), Is.EqualTo((3.0, 7.0)));
            // Conv kernel [h, w, in, out]: receptive field 3·3.
            Assert.That(Initializer.ComputeFans([3, 3, 4, 8]), Is.EqualTo((36.0, 72.0)));
        });
    }

    [Test]
    public void ZerosOnesAndConstant()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Sample(new Zeros(), [2, 3]), Is.All.EqualTo(0.0));
            Assert.That(Sample(new Ones(), [4], DType.Int64), Is.All.EqualTo(1.0));
            Assert.That(Sample(new Constant(2.5), [3], DType.Float64), Is.All.EqualTo(2.5));
            Assert.That(Sample(new Constant(Tensor.FromArray(new[] { 1f, 2f, 3f, 4f, 5f, 6f })), [2, 3]), Is.EqualTo(new[] { 1.0, 2, 3, 4, 5, 6 }));
            // TF1 pads a short value with its last element.
            Assert.That(Sample(new Constant(Tensor.FromArray(new[] { 1f, 2f })), [4]), Is.EqualTo(new[] { 1.0, 2, 2, 2 }));
        });
        Assert.That(() => Sample(new Constant(Tensor.FromArray(new[] { 1f, 2f, 3f })), [2]),
            Throws.TypeOf<InvalidArgumentException>().With.Message.StartWith("Too many elements provided. Needed at most 2, but received 3"));
        Assert.That(() => Sample(new Constant(Tensor.FromArray(new[] { 1f, 2f }), verifyShape: true), [1, 2]),
            Throws.TypeOf<InvalidArgumentException>().With.Message.StartWith("Expected Tensor's shape: (1, 2), got (2,)."));
    }

    [Test]
    public void RandomNormalAndUniformMoments()
    {
        var n = Sample(new RandomNormal(1.5, 2.0), [200, 250]);
        var (m, sd) = Moments(n);
        Assert.That(m, Is.EqualTo(1.5).Within(0.05));
        Assert.That(sd, Is.EqualTo(2.0).Within(0.03));
        var u = Sample(new RandomUniform(-3, 5), [200, 250]);
        (m, sd) = Moments(u);
        Assert.That(u, Has.All.InRange(-3.0, 5.0));
        Assert.That(m, Is.EqualTo(1.0).Within(0.05));
        Assert.That(sd, Is.EqualTo(8 / Math.Sqrt(12)).Within(0.03));
        // maxval defaults to 1 for floats; integers need one.
        Assert.That(Sample(new RandomUniform(), [1000]), Has.All.InRange(0.0, 1.0));
        Assert.That(Sample(new RandomUniform(0, 10), [1000], DType.Int32), Has.All.InRange(0.0, 9.0));
        Assert.That(() => Sample(new RandomUniform(), [2], DType.Int32), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Must specify maxval for integer dtype"));
    }

    [Test]
    public void TruncatedNormalStaysWithinTwoStddevs()
    {
        var t = Sample(new TruncatedNormal(0.5, 0.1), [200, 250]);
        Assert.That(t, Has.All.InRange(0.3, 0.7));
        var (m, sd) = Moments(t);
        Assert.That(m, Is.EqualTo(0.5).Within(0.002));
        Assert.That(sd, Is.EqualTo(0.1 * VarianceScaling.TruncatedNormalStddev).Within(0.002));
    }

    [Test]
    public void GlorotUniformLimitAndVariance()
    {
        int[] shape = [300, 200];
        var x = Sample(new GlorotUniform(), shape);
        double limit = Math.Sqrt(6.0 / (300 + 200));
        Assert.That(x, Has.All.InRange(-limit, limit));
        Assert.That(x.Max(), Is.GreaterThan(0.99 * limit));
        Assert.That(x.Min(), Is.LessThan(-0.99 * limit));
        var (m, sd) = Moments(x);
        Assert.That(m, Is.EqualTo(0).Within(0.002));
        Assert.That(sd, Is.EqualTo(Math.Sqrt(2.0 / 500)).Within(0.01 * Math.Sqrt(2.0 / 500)));
    }

    [Test]
    public void GlorotNormalIsTruncatedWithTheCorrectedStddev()
    {
        int[] shape = [300, 200];
        var x = Sample(new GlorotNormal(), shape);
        // TF: stddev = √(scale / n) / .87962566103423978 before truncation at two stddevs, so the
        // values' own standard deviation is √(scale / n).
        double s = 1.0 / 250;
        double pre = Math.Sqrt(s) / .87962566103423978;
        Assert.That(x, Has.All.InRange(-2 * pre, 2 * pre));
        var (m, sd) = Moments(x);
        Assert.That(m, Is.EqualTo(0).Within(0.002));
        Assert.That(sd, Is.EqualTo(Math.Sqrt(s)).Within(0.01 * Math.Sqrt(s)));
    }

    [TestCase("fan_in", "uniform", 2.0)]
    [TestCase("fan_out", "truncated_normal", 1.0)]
    [TestCase("fan_avg", "normal", 3.0)]
    [TestCase("fan_in", "untruncated_normal", 0.5)]
    public void VarianceScalingHasVarianceScaleOverFan(string mode, string distribution, double scale)
    {
        int[] shape = [5, 5, 40, 20]; // fan_in 1000, fan_out 500
        var init = new VarianceScaling(scale, mode, distribution);
        double n = mode switch { "fan_in" => 1000, "fan_out" => 500, _ => 750 };
        Assert.That(init.Variance(shape), Is.EqualTo(scale / n));
        var x = Sample(init, shape);
        var (m, sd) = Moments(x);
        double expected = Math.Sqrt(scale / n);
        Assert.That(m, Is.EqualTo(0).Within(0.01 * expected));
        Assert.That(sd, Is.EqualTo(expected).Within(0.015 * expected));
        if (distribution == "uniform") Assert.That(x, Has.All.InRange(-Math.Sqrt(3 * scale / n), Math.Sqrt(3 * scale / n)));
        if (distribution is "normal" or "truncated_normal")
            Assert.That(x, Has.All.InRange(-2 * expected / VarianceScaling.TruncatedNormalStddev, 2 * expected / VarianceScaling.TruncatedNormalStddev));
        if (distribution == "untruncated_normal") Assert.That(x.Max(v => Math.Abs(v)), Is.GreaterThan(3 * expected));
    }

    [Test]
    public void VarianceScalingChecksItsArguments()
    {
        Assert.That(() => new VarianceScaling(0), Throws.TypeOf<InvalidArgumentException>().With.Message.EqualTo("`scale` must be positive float."));
        Assert.That(() => new VarianceScaling(mode: "fan"), Throws.TypeOf<InvalidArgumentException>().With.Message.EqualTo("Invalid `mode` argument: fan"));
        Assert.That(() => new VarianceScaling(distribution: "cauchy"), Throws.TypeOf<InvalidArgumentException>().With.Message.EqualTo("Invalid `distribution` argument: cauchy"));
        Assert.That(new VarianceScaling(distribution: "Uniform").Distribution, Is.EqualTo("uniform"));
        Assert.That(() => Sample(new GlorotUniform(), [2], DType.Int32), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Expected floating point type, got <dtype: 'int32'>."));
        var he = VarianceScaling.HeNormal();
        Assert.That((he.Scale, he.Mode, he.Distribution), Is.EqualTo((2.0, "fan_in", "truncated_normal")));
    }

    [TestCase(40, 10)]
    [TestCase(10, 40)]
    [TestCase(16, 16)]
    public void OrthogonalIsOrthonormal(int rows, int cols)
    {
        var x = Sample(new Orthogonal(gain: 1.0), [rows, cols], DType.Float64);
        // W^T W = I for tall (and square) W, W W^T = I for wide W.
        int k = Math.Min(rows, cols);
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                double dot = 0;
                if (rows >= cols) for (int r = 0; r < rows; r++) dot += x[r * cols + i] * x[r * cols + j];
                else for (int c = 0; c < cols; c++) dot += x[i * cols + c] * x[j * cols + c];
                Assert.That(dot, Is.EqualTo(i == j ? 1.0 : 0.0).Within(1e-9), $"({i}, {j})");
            }
        }
    }

    [Test]
    public void OrthogonalGainAndConvShapes()
    {
        // A conv kernel [3, 3, 4, 8] flattens to rows 36, cols 8.
        var x = Sample(new Orthogonal(gain: 2.0), [3, 3, 4, 8], DType.Float64);
        for (int i = 0; i < 8; i++)
        {
            double dot = 0;
            for (int r = 0; r < 36; r++) dot += x[r * 8 + i] * x[r * 8 + i];
            Assert.That(dot, Is.EqualTo(4.0).Within(1e-9));
        }
        Assert.That(() => Sample(new Orthogonal(), [5]), Throws.TypeOf<InvalidArgumentException>().With.Message.StartWith("The tensor to initialize must be at least two-dimensional"));
    }

    [Test]
    public void SeedsMakeInitializersRepeatable()
    {
        var a = Sample(new GlorotUniform(seed: 1), [10, 10], seed: 5);
        var b = Sample(new GlorotUniform(seed: 1), [10, 10], seed: 5);
        var c = Sample(new GlorotUniform(seed: 2), [10, 10], seed: 5);
        Assert.That(b, Is.EqualTo(a));
        Assert.That(c, Is.Not.EqualTo(a));
    }

    [Test]
    public void InitializerOpsAreNamedAsTensorFlowNamesThem()
    {
        var g = new Graph();
        var n = g.GetVariable("n", [2], initializer: new TruncatedNormal());
        var z = g.GetVariable("z", [2], initializer: new Zeros());
        var c = g.GetVariable("c", [2], initializer: new Constant(3));
        var r = g.GetVariable("r", [2], initializer: new RandomNormal());
        Assert.Multiple(() =>
        {
            Assert.That(n.InitialValue.Op.Name, Is.EqualTo("n/Initializer/truncated_normal"));
            Assert.That(g.TryGetOperation("n/Initializer/truncated_normal/TruncatedNormal"), Is.Not.Null);
            Assert.That(z.InitialValue.Op.Name, Is.EqualTo("z/Initializer/zeros"));
            Assert.That(c.InitialValue.Op.Name, Is.EqualTo("c/Initializer/Const"));
            Assert.That(r.InitialValue.Op.Name, Is.EqualTo("r/Initializer/random_normal"));
        });
    }
}
