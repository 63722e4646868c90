using static TensorGraph.Tests.Ops.OpTestUtil;

namespace TensorGraph.Tests.Ops;

/// <summary>RandomUniform, RandomStandardNormal, TruncatedNormal, RandomUniformInt: seeding, ranges, statistics.</summary>
public class RandomOpsTests
{
    private const int N = 20000;

    private static Operation OpOfType(Graph g, string type) => g.Operations.Single(o => o.Type == type);

    private static (double Mean, double Std) Stats(IEnumerable<double> values)
    {
        var v = values.ToArray();
        double mean = v.Average();
        double var = v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1);
        return (mean, Math.Sqrt(var));
    }

    private static double[] AsDoubles(Tensor t) =>
        t.DType == DType.Float32 ? t.ToArray<float>().Select(f => (double)f).ToArray() : t.ToArray<double>();

    // ------------------------------------------------------------------ seeding

    [TestCase("uniform")]
    [TestCase("normal")]
    [TestCase("truncated")]
    [TestCase("int")]
    public void SameGraphSeedAndOpSeed_GiveSameValuesInFreshSessions(string kind)
    {
        static Output Build(Graph g, string kind) => kind switch
        {
            "uniform" => g.RandomUniform([3, 4], seed: 7),
            "normal" => g.RandomNormal([3, 4], seed: 7),
            "truncated" => g.TruncatedNormal([3, 4], seed: 7),
            _ => g.RandomUniform([3, 4], 0, 1000, DType.Int32, seed: 7),
        };
        var g = new Graph { Seed = 42 };
        var r = Build(g, kind);
        Tensor first, second;
        using (var s1 = new Session(g)) first = s1.Run(r);
        using (var s2 = new Session(g)) second = s2.Run(r);
        Assert.That(second.ValueEquals(first), Is.True, "two sessions over one graph");

        var g2 = new Graph { Seed = 42 };
        var r2 = Build(g2, kind);
        Assert.That(Eval(r2).ValueEquals(first), Is.True, "an identically built graph");

        var g3 = new Graph { Seed = 42 };
        var r3 = kind switch
        {
            "uniform" => g3.RandomUniform([3, 4], seed: 8),
            "normal" => g3.RandomNormal([3, 4], seed: 8),
            "truncated" => g3.TruncatedNormal([3, 4], seed: 8),
            _ => g3.RandomUniform([3, 4], 0, 1000, DType.Int32, seed: 8),
        };
        Assert.That(Eval(r3).ValueEquals(first), Is.False, "a different op seed");
    }

    [Test]
    public void GraphSeedAlone_IsDeterministic_OpSeedAlone_Too()
    {
        var g1 = new Graph { Seed = 3 };
        var g2 = new Graph { Seed = 3 };
        var a = g1.RandomUniform([16]);
        var b = g2.RandomUniform([16]);
        Assert.That(Eval(a).ValueEquals(Eval(b)), Is.True);

        var h1 = new Graph();
        var h2 = new Graph();
        var c = h1.RandomNormal([16], seed: 11);
        var d = h2.RandomNormal([16], seed: 11);
        Assert.That(Eval(c).ValueEquals(Eval(d)), Is.True);
    }

    [Test]
    public void GetSeed_FollowsTensorFlow()
    {
        var g = new Graph();
        Assert.That(g.GetSeed(null), Is.EqualTo((0L, 0L)));
        Assert.That(g.GetSeed(5), Is.EqualTo((87654321L, 5L)));
        g.Seed = 1;
        Assert.That(g.GetSeed(5), Is.EqualTo((1L, 5L)));
        g.Seed = 0;
        Assert.That(g.GetSeed(0), Is.EqualTo((0L, (long)int.MaxValue)));
        var r = g.RandomUniform([2], seed: 9);
        var op = OpOfType(g, "RandomUniform");
        Assert.That(op.GetAttrInt("seed"), Is.EqualTo(0));
        Assert.That(op.GetAttrInt("seed2"), Is.EqualTo(9));
        Assert.That(r.Shape, Is.EqualTo(new Shape(2)));
    }

    [Test]
    public void SuccessiveRuns_GiveDifferentValues()
    {
        var g = new Graph { Seed = 1 };
        var u = g.RandomUniform([8], seed: 1);
        var n = g.RandomNormal([8], seed: 2);
        var t = g.TruncatedNormal([8], seed: 3);
        var i = g.RandomUniform([8], 0, 1 << 30, DType.Int64, seed: 4);
        using var s = new Session(g);
        foreach (var r in new[] { u, n, t, i })
        {
            var a = s.Run(r);
            var b = s.Run(r);
            Assert.That(b.ValueEquals(a), Is.False, r.Name);
        }
    }

    [Test]
    public void Unseeded_DiffersBetweenSessions()
    {
        var g = new Graph();
        var u = g.RandomUniform([32]);
        Tensor a, b;
        using (var s1 = new Session(g)) a = s1.Run(u);
        using (var s2 = new Session(g)) b = s2.Run(u);
        Assert.That(b.ValueEquals(a), Is.False);
    }

    // ------------------------------------------------------------------ RandomUniform

    [Test]
    public void RandomUniform_RawOp_InUnitInterval_WithPlausibleStatistics()
    {
        var g = new Graph { Seed = 5 };
        g.RandomUniform([N]);
        var raw = OpOfType(g, "RandomUniform")[0];
        Assert.That(raw.DType, Is.EqualTo(DType.Float32));
        Assert.That(raw.Shape, Is.EqualTo(new Shape(N)));
        var v = AsDoubles(Eval(raw));
        Assert.That(v, Is.All.GreaterThanOrEqualTo(0.0).And.All.LessThan(1.0));
        var (mean, std) = Stats(v);
        Assert.That(mean, Is.EqualTo(0.5).Within(0.02));
        Assert.That(std, Is.EqualTo(Math.Sqrt(1.0 / 12)).Within(0.02));
    }

    [Test]
    public void RandomUniform_Float32_NeverReachesOne()
    {
        // With graph seed 1 and op seed 20837110 the stream's first 53-bit double is
        // 0.99999998858…, which rounds to 1.0f; the float32 op output must still be < 1.
        // (The affine min + rnd * (max - min) after it may round up to maxval, as in TF.)
        var g = new Graph { Seed = 1 };
        g.RandomUniform([3], seed: 20837110);
        var raw = OpOfType(g, "RandomUniform")[0];
        var r = Eval(raw).ToArray<float>();
        Assert.That(r, Is.All.GreaterThanOrEqualTo(0f).And.All.LessThan(1f));
        Assert.That(r[0], Is.GreaterThan(0.9999f));
    }

    [Test]
    public void RandomUniform_Scaled_Float64()
    {
        var g = new Graph { Seed = 6 };
        var u = g.RandomUniform([100, 200], -3, 5, DType.Float64, name: "u");
        Assert.Multiple(() =>
        {
            Assert.That(u.Op.Type, Is.EqualTo("Add"));
            Assert.That(u.Op.Name, Is.EqualTo("u"));
            Assert.That(u.DType, Is.EqualTo(DType.Float64));
            Assert.That(u.Shape, Is.EqualTo(new Shape(100, 200)));
            Assert.That(g.GetOperation("u/RandomUniform").Type, Is.EqualTo("RandomUniform"));
        });
        var t = Eval(u);
        Assert.That(t.Dims.ToArray(), Is.EqualTo(new[] { 100, 200 }));
        var v = t.ToArray<double>();
        Assert.That(v, Is.All.GreaterThanOrEqualTo(-3.0).And.All.LessThan(5.0));
        var (mean, std) = Stats(v);
        Assert.That(mean, Is.EqualTo(1.0).Within(0.1));
        Assert.That(std, Is.EqualTo(8 / Math.Sqrt(12)).Within(0.1));
        // Both halves of the range are hit.
        Assert.That(v.Count(x => x < 1), Is.InRange(N / 2 - 1500, N / 2 + 1500));
    }

    [Test]
    public void RandomUniform_EmptyAndScalarShapes()
    {
        var g = new Graph { Seed = 1 };
        AssertTensor(Eval(g.RandomUniform([0, 3])), [0, 3], Array.Empty<float>());
        var s = Eval(g.RandomUniform([]));
        Assert.That(s.Rank, Is.EqualTo(0));
        Assert.That(s.Scalar<float>(), Is.InRange(0f, 1f));
    }

    /// <summary>
    /// TF draws uniform floats as a random mantissa in [1, 2) minus one (Uint32ToFloat /
    /// Uint64ToDouble): multiples of 2^-23 (float) and 2^-52 (double). Then keep_prob + u is exact
    /// for keep_prob in [1, 2), so dropout's floor(1 + u) is 1 for every sample; with 24-bit floats
    /// 1 + (1 - 2^-24) rounds to 2 and a kept unit would be doubled now and then.
    /// </summary>
    [TestCase(DType.Float32, 23)]
    [TestCase(DType.Float64, 52)]
    public void RandomUniform_SamplesAreMultiplesOfTfsMantissaStep(DType dtype, int bits)
    {
        var g = new Graph();
        var u = g.RandomUniform([N], dtype: dtype, seed: 3);
        var onePlus = g.Floor(g.Add(g.Cast(g.Constant(1.0), dtype), u));
        using var s = new Session(g);
        var r = s.Run([u, onePlus]);
        var v = AsDoubles(r[0]);
        double scale = Math.Pow(2, bits);
        Assert.That(v.All(x => x * scale == Math.Floor(x * scale)), Is.True, $"every sample is a multiple of 2^-{bits}");
        Assert.That(v.Count(x => (x * scale) % 2 == 1), Is.InRange(N / 2 - 1500, N / 2 + 1500), "the lowest of those bits is random");
        Assert.That(v, Is.All.InRange(0.0, 1.0 - 1 / scale));
        Assert.That(AsDoubles(r[1]), Is.All.EqualTo(1.0));
    }

    // ------------------------------------------------------------------ normals

    [Test]
    public void RandomNormal_MeanAndStd()
    {
        var g = new Graph { Seed = 7 };
        var n = g.RandomNormal([N], mean: 5, stddev: 2);
        Assert.That(OpOfType(g, "RandomStandardNormal")[0].Shape, Is.EqualTo(new Shape(N)));
        var v = AsDoubles(Eval(n));
        var (mean, std) = Stats(v);
        Assert.That(mean, Is.EqualTo(5.0).Within(0.1));
        Assert.That(std, Is.EqualTo(2.0).Within(0.1));
        // Roughly 68% within one stddev, and some values beyond two (unlike the truncated normal).
        Assert.That(v.Count(x => Math.Abs(x - 5) < 2) / (double)N, Is.EqualTo(0.6827).Within(0.03));
        Assert.That(v.Count(x => Math.Abs(x - 5) > 4), Is.GreaterThan(0));
    }

    [Test]
    public void RandomStandardNormal_RawOp_Float64()
    {
        var g = new Graph { Seed = 8 };
        g.RandomNormal([N], dtype: DType.Float64);
        var raw = OpOfType(g, "RandomStandardNormal")[0];
        Assert.That(raw.DType, Is.EqualTo(DType.Float64));
        var (mean, std) = Stats(Eval(raw).ToArray<double>());
        Assert.That(mean, Is.EqualTo(0.0).Within(0.05));
        Assert.That(std, Is.EqualTo(1.0).Within(0.05));
    }

    [Test]
    public void TruncatedNormal_StaysWithinTwoStddev()
    {
        var g = new Graph { Seed = 9 };
        var t = g.TruncatedNormal([N], mean: 0, stddev: 0.1);
        Assert.That(t.Op.Type, Is.EqualTo("Add"));
        Assert.That(t.Op.Name, Is.EqualTo("truncated_normal"));
        var v = AsDoubles(Eval(t));
        // |raw| <= 2 scaled by 0.1 in float32 arithmetic: allow one float rounding step.
        Assert.That(v, Is.All.InRange(-0.2000001, 0.2000001));
        var (mean, std) = Stats(v);
        Assert.That(mean, Is.EqualTo(0.0).Within(0.005));
        // The standard normal truncated at ±2 has stddev ≈ 0.8796.
        Assert.That(std, Is.EqualTo(0.08796).Within(0.005));
        // Not collapsed: values spread over most of the interval.
        Assert.That(v.Max(), Is.GreaterThan(0.18));
        Assert.That(v.Min(), Is.LessThan(-0.18));
    }

    [Test]
    public void TruncatedNormal_RawOp_AndShiftedMean()
    {
        var g = new Graph { Seed = 10 };
        var t = g.TruncatedNormal([50, 40], mean: 3, stddev: 2, dtype: DType.Float64);
        var raw = AsDoubles(Eval(OpOfType(g, "TruncatedNormal")[0]));
        Assert.That(raw, Is.All.InRange(-2.0, 2.0));
        var v = Eval(t);
        Assert.That(v.Dims.ToArray(), Is.EqualTo(new[] { 50, 40 }));
        Assert.That(v.ToArray<double>(), Is.All.InRange(-1.0, 7.0));
        Assert.That(Stats(v.ToArray<double>()).Mean, Is.EqualTo(3.0).Within(0.15));
    }

    [Test]
    public void NormalOps_RejectIntegerDtypes()
    {
        var g = new Graph();
        Assert.Throws<InvalidArgumentException>(() => g.RandomNormal([2], dtype: DType.Int32));
        Assert.Throws<InvalidArgumentException>(() => g.TruncatedNormal([2], dtype: DType.Int64));
    }

    // ------------------------------------------------------------------ RandomUniformInt

    [Test]
    public void RandomUniformInt_ValuesInRange_AllHit()
    {
        var g = new Graph { Seed = 11 };
        var r = g.RandomUniform([N], 0, 10, DType.Int32, name: "ints");
        Assert.Multiple(() =>
        {
            Assert.That(r.Op.Type, Is.EqualTo("RandomUniformInt"));
            Assert.That(r.Op.Name, Is.EqualTo("ints"));
            Assert.That(r.DType, Is.EqualTo(DType.Int32));
            Assert.That(r.Shape, Is.EqualTo(new Shape(N)));
        });
        var v = Eval(r).ToArray<int>();
        Assert.That(v, Is.All.InRange(0, 9));
        var counts = v.GroupBy(x => x).ToDictionary(x => x.Key, x => x.Count());
        Assert.That(counts.Keys.Order(), Is.EqualTo(Enumerable.Range(0, 10)));
        Assert.That(counts.Values, Is.All.InRange(N / 10 - 400, N / 10 + 400));
    }

    [Test]
    public void RandomUniformInt_Int64_NegativeAndWideRanges()
    {
        var g = new Graph { Seed = 12 };
        var neg = Eval(g.RandomUniform([1000], -5, 5, DType.Int64)).ToArray<long>();
        Assert.That(neg, Is.All.InRange(-5L, 4L));
        Assert.That(neg, Does.Contain(-5L).And.Contain(4L));
        var wide = Eval(g.RandomUniform([1000], -1e12, 1e12, DType.Int64)).ToArray<long>();
        Assert.That(wide, Is.All.InRange(-1_000_000_000_000L, 999_999_999_999L));
        Assert.That(wide.Count(x => x > 1_000_000_000L), Is.GreaterThan(300));
        Assert.That(wide.Count(x => x < -1_000_000_000L), Is.GreaterThan(300));
        var single = Eval(g.RandomUniform([5], 7, 8, DType.Int32)).ToArray<int>();
        Assert.That(single, Is.All.EqualTo(7));
    }

    [Test]
    public void RandomUniformInt_EmptyRange_IsInvalidArgument()
    {
        var g = new Graph();
        var r = g.RandomUniform([3], 5, 5, DType.Int32, name: "empty_range");
        var ex = Assert.Throws<InvalidArgumentException>(() => Eval(r));
        Assert.That(ex!.Message, Does.Contain("empty_range"));
        Assert.Throws<InvalidArgumentException>(() => Eval(g.RandomUniform([3], 5, 1, DType.Int64)));
    }

    // ------------------------------------------------------------------ shapes

    [Test]
    public void RandomOps_RuntimeShape()
    {
        var g = new Graph();
        var shape = g.Placeholder(DType.Int32, [2]);
        var attrs = new[]
        {
            new KeyValuePair<string, TensorGraph.Proto.AttrValue>("dtype", Attr.Type(DType.Float32)),
            new KeyValuePair<string, TensorGraph.Proto.AttrValue>("T", Attr.Type(DType.Int32)),
        };
        var r = g.AddOp("RandomStandardNormal", [shape], attrs: attrs)[0];
        Assert.That(r.Shape, Is.EqualTo(Shape.UnknownOfRank(2)));
        var v = Eval(r, new FeedDict { [shape] = new[] { 3, 5 } });
        Assert.That(v.Dims.ToArray(), Is.EqualTo(new[] { 3, 5 }));
        Assert.Throws<InvalidArgumentException>(() => Eval(r, new FeedDict { [shape] = new[] { 3, -5 } }));
        Assert.Throws<InvalidArgumentException>(() => g.AddOp("RandomUniform", [g.Constant(new[] { 2f })], attrs: attrs));
        Assert.Throws<InvalidArgumentException>(() => g.AddOp("RandomUniform", [g.Constant(new[] { 2, -1 })], attrs: attrs));
    }

    [Test]
    public void RandomOpsTakeRunTimeShapes()
    {
        // TF ports write tf.random_normal(tf.shape(mu)) for a VAE's noise.
        var g = new Graph { Seed = 4 };
        var x = g.Placeholder(DType.Float32, new Shape(-1, 2), name: "x");
        var normal = g.RandomNormal(g.ShapeOf(x), mean: 1, stddev: 2);
        var truncated = g.TruncatedNormal(g.ShapeOf(x), stddev: 0.5);
        var ints = g.RandomUniform(g.ShapeOf(x), 0, 10, DType.Int64);
        Assert.That(normal.Shape.ToString(), Is.EqualTo("(?, 2)"));
        Assert.That(ints.Op.Type, Is.EqualTo("RandomUniformInt"));
        using var s = new Session(g);
        var feed = new FeedDict { [x] = Tensor.Zeros(DType.Float32, 20000, 2) };
        var r = s.Run([normal, truncated, ints], feed);
        Assert.That(r[0].Dims.ToArray(), Is.EqualTo(new[] { 20000, 2 }));
        var n = r[0].ToArray<float>();
        double mean = n.Average(v => (double)v);
        double sd = Math.Sqrt(n.Average(v => (v - mean) * (v - mean)));
        Assert.That(mean, Is.EqualTo(1).Within(0.05));
        Assert.That(sd, Is.EqualTo(2).Within(0.05));
        Assert.That(r[1].ToArray<float>(), Has.All.InRange(-1f, 1f), "truncated at two stddevs");
        var k = r[2].ToArray<long>();
        Assert.That(k, Has.All.InRange(0L, 9L));
        Assert.That(k.Distinct().Count(), Is.EqualTo(10));
        Assert.That(s.Run(normal, new FeedDict { [x] = Tensor.Zeros(DType.Float32, 3, 2) }).Dims.ToArray(), Is.EqualTo(new[] { 3, 2 }));
    }
}
