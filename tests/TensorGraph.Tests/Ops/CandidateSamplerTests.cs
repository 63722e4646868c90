namespace TensorGraph.Tests.Ops;

/// <summary>
/// The candidate sampler ops (TF 1.15's candidate_sampling_ops): ranges, uniqueness, seeds, the
/// expected-count formulas of range_sampler.cc, the log-uniform distribution over many draws, the
/// learned unigram weights, and ComputeAccidentalHits.
/// </summary>
public class CandidateSamplerTests
{
    private static double LogUniformP(long k, long range) => Math.Log((k + 2.0) / (k + 1.0)) / Math.Log(range + 1.0);

    /// <summary>TF's ExpectedCountHelper in double: 1 − (1 − p)^tries.</summary>
    private static double UniqueCount(double p, int tries) => 1 - Math.Pow(1 - p, tries);

    [Test]
    public void UniformUniqueDrawsDistinctValuesInRangeWithTfsExpectedCounts()
    {
        var g = new Graph();
        var tc = g.Constant(Tensor.FromArray(new long[,] { { 0, 9 }, { 3, 4 } }));
        var r = g.UniformCandidateSampler(tc, 2, 6, unique: true, rangeMax: 10, seed: 3);
        Assert.That(r.SampledCandidates.Op.Name, Is.EqualTo("UniformCandidateSampler"));
        Assert.That(r.SampledCandidates.Shape, Is.EqualTo(new Shape(6)));
        Assert.That(r.TrueExpectedCount.Shape, Is.EqualTo(new Shape(2, 2)));
        Assert.That(r.SampledExpectedCount.DType, Is.EqualTo(DType.Float32));
        Assert.That(r.SampledCandidates.Op.GetAttrInt("seed2"), Is.EqualTo(3));
        using var s = new Session(g);
        for (int run = 0; run < 20; run++)
        {
            var o = s.Run([r.SampledCandidates, r.TrueExpectedCount, r.SampledExpectedCount]);
            var c = o[0].ToArray<long>();
            Assert.That(c, Is.Unique);
            Assert.That(c, Is.All.InRange(0L, 9L));
            // Every value has p = 1/10; the expected count is 1 − 0.9^tries for the tries the run needed.
            // (When the first 6 tries were distinct the count is p · 6 = 0.6, which no tries count gives.)
            float e = o[2].ToArray<float>()[0];
            int tries = Math.Abs(e - 0.6) < 1e-6 ? 6 : (int)Math.Round(Math.Log(1 - e) / Math.Log(0.9));
            Assert.That(tries, Is.GreaterThanOrEqualTo(6));
            double expect = tries == 6 ? 0.6 : 1 - Math.Pow(0.9, tries);
            Assert.That(o[2].ToArray<float>(), Is.All.EqualTo(expect).Within(1e-6));
            Assert.That(o[1].ToArray<float>(), Is.All.EqualTo(expect).Within(1e-6));
        }
    }

    [Test]
    public void UniqueSamplingOfTheWholeRangeIsAPermutation()
    {
        var g = new Graph();
        var r = g.UniformCandidateSampler(g.Constant(Tensor.FromArray(new long[,] { { 1 } })), 1, 8, true, 8, seed: 1);
        using var s = new Session(g);
        Assert.That(s.Run(r.SampledCandidates).ToArray<long>().Order(), Is.EqualTo(Enumerable.Range(0, 8).Select(i => (long)i)));
    }

    [Test]
    public void NonUniqueExpectedCountIsProbabilityTimesNumSampled()
    {
        var g = new Graph();
        var tc = g.Constant(Tensor.FromArray(new long[,] { { 0 }, { 5 }, { 99 } }));
        var u = g.UniformCandidateSampler(tc, 1, 7, unique: false, rangeMax: 100, seed: 4);
        var l = g.LogUniformCandidateSampler(tc, 1, 7, unique: false, rangeMax: 100, seed: 4);
        using var s = new Session(g);
        var uo = s.Run([u.SampledCandidates, u.TrueExpectedCount, u.SampledExpectedCount]);
        Assert.That(uo[0].ToArray<long>(), Is.All.InRange(0L, 99L));
        Assert.That(uo[1].ToArray<float>(), Is.All.EqualTo(0.07f).Within(1e-7));
        Assert.That(uo[2].ToArray<float>(), Is.All.EqualTo(0.07f).Within(1e-7));
        var lo = s.Run([l.SampledCandidates, l.TrueExpectedCount, l.SampledExpectedCount]);
        var sampled = lo[0].ToArray<long>();
        Assert.That(sampled, Is.All.InRange(0L, 99L));
        Assert.That(lo[1].ToArray<float>(), Is.EqualTo(new[] { 0L, 5, 99 }.Select(k => (float)(LogUniformP(k, 100) * 7))).Within(1e-6));
        Assert.That(lo[2].ToArray<float>(), Is.EqualTo(sampled.Select(k => (float)(LogUniformP(k, 100) * 7))).Within(1e-6));
    }

    [Test]
    public void LogUniformUniqueExpectedCountsFollowTheTriesFormula()
    {
        var g = new Graph();
        var tc = g.Constant(Tensor.FromArray(new long[,] { { 0, 1 }, { 7, 30 } }));
        var r = g.LogUniformCandidateSampler(tc, 2, 10, unique: true, rangeMax: 40, seed: 9);
        using var s = new Session(g);
        int longer = 0;
        for (int run = 0; run < 10; run++)
        {
            var o = s.Run([r.SampledCandidates, r.TrueExpectedCount, r.SampledExpectedCount]);
            var c = o[0].ToArray<long>();
            Assert.That(c, Is.Unique);
            Assert.That(c, Is.All.InRange(0L, 39L));
            // Recover num_tries from the largest-id sample (smallest p: the best conditioned), then check every count.
            // When the first 10 tries were all distinct, TF's shortcut gives p · 10 instead.
            int k = Array.IndexOf(c, c.Max());
            double p = LogUniformP(c[k], 40);
            float ek = o[2].ToArray<float>()[k];
            int tries = Math.Abs(ek - p * 10) < 1e-6 ? 10 : (int)Math.Round(Math.Log(1 - ek) / Math.Log(1 - p));
            Func<long, float> count = tries == 10 ? v => (float)(LogUniformP(v, 40) * 10) : v => (float)UniqueCount(LogUniformP(v, 40), tries);
            if (tries > 10) longer++;
            Assert.That(o[2].ToArray<float>(), Is.EqualTo(c.Select(count)).Within(2e-6));
            Assert.That(o[1].ToArray<float>(), Is.EqualTo(new[] { 0L, 1, 7, 30 }.Select(count)).Within(2e-6));
        }
        Assert.That(longer, Is.GreaterThan(0), "log-uniform over 40 ids repeats small ids: some runs need more than 10 tries");
    }

    [Test]
    public void SeededSamplersRepeatAcrossSessionsAndAdvanceAcrossRuns()
    {
        long[][] Draw()
        {
            var g = new Graph();
            var r = g.LogUniformCandidateSampler(g.Constant(Tensor.FromArray(new long[,] { { 1 } })), 1, 5, true, 1000, seed: 42);
            using var s = new Session(g);
            return [s.Run(r.SampledCandidates).ToArray<long>(), s.Run(r.SampledCandidates).ToArray<long>()];
        }
        var a = Draw();
        var b = Draw();
        Assert.That(a[0], Is.EqualTo(b[0]));
        Assert.That(a[1], Is.EqualTo(b[1]));
        Assert.That(a[0], Is.Not.EqualTo(a[1]));
        var g2 = new Graph { Seed = 7 };
        var r2 = g2.UniformCandidateSampler(g2.Constant(Tensor.FromArray(new long[,] { { 1 } })), 1, 3, false, 50);
        Assert.That(r2.SampledCandidates.Op.GetAttrInt("seed"), Is.EqualTo(7));
    }

    [Test]
    public void LogUniformMatchesItsDistributionOverManyDraws()
    {
        const int range = 20, perRun = 2000, runs = 25;
        var g = new Graph();
        var r = g.LogUniformCandidateSampler(g.Constant(Tensor.FromArray(new long[,] { { 0 } })), 1, perRun, false, range, seed: 1234);
        using var s = new Session(g);
        var counts = new long[range];
        for (int run = 0; run < runs; run++)
        {
            foreach (long v in s.Run(r.SampledCandidates).ToArray<long>()) counts[v]++;
        }
        double n = perRun * runs, chi2 = 0;
        for (int k = 0; k < range; k++)
        {
            double e = n * LogUniformP(k, range);
            chi2 += (counts[k] - e) * (counts[k] - e) / e;
        }
        // 19 degrees of freedom: P(χ² > 43.8) = 0.001.
        Assert.That(chi2, Is.LessThan(43.8), $"counts {string.Join(",", counts)}");
        Assert.That(Enumerable.Range(0, range).Sum(k => LogUniformP(k, range)), Is.EqualTo(1).Within(1e-12));
    }

    [Test]
    public void FixedUnigramUsesItsDistortedWeightsAndReservedIds()
    {
        var g = new Graph();
        var tc = g.Constant(Tensor.FromArray(new long[,] { { 1 }, { 4 } }));
        var r = g.FixedUnigramCandidateSampler(tc, 1, 4000, false, 5, unigrams: [1, 4, 9, 16], distortion: 0.5f, numReservedIds: 1, seed: 5);
        using var s = new Session(g);
        var o = s.Run([r.SampledCandidates, r.TrueExpectedCount, r.SampledExpectedCount]);
        // Weights after distortion: id 0 reserved (0), then 1, 2, 3, 4 of a total 10.
        Assert.That(o[1].ToArray<float>(), Is.EqualTo(new[] { 0.1f * 4000, 0.4f * 4000 }).Within(1e-2));
        var c = o[0].ToArray<long>();
        Assert.That(c, Has.None.EqualTo(0L));
        Assert.That(c, Is.All.InRange(1L, 4L));
        for (int k = 1; k <= 4; k++)
            Assert.That(c.Count(v => v == k) / 4000.0, Is.EqualTo(k / 10.0).Within(0.03), $"frequency of {k}");
        Assert.That(o[2].ToArray<float>(), Is.EqualTo(c.Select(v => v / 10f * 4000)).Within(1e-2));
    }

    [Test]
    public void FixedUnigramChecksItsWeightsAgainstTheRange()
    {
        var g = new Graph();
        var r = g.FixedUnigramCandidateSampler(g.Constant(Tensor.FromArray(new long[,] { { 1 } })), 1, 2, false, 5, unigrams: [1, 2, 3]);
        using var s = new Session(g);
        Assert.That(() => s.Run(r.SampledCandidates), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("range is 5"));
        var g2 = new Graph();
        var r2 = g2.FixedUnigramCandidateSampler(g2.Constant(Tensor.FromArray(new long[,] { { 1 } })), 1, 2, false, 3);
        using var s2 = new Session(g2);
        Assert.That(() => s2.Run(r2.SampledCandidates), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("vocab_file or unigrams"));
    }

    [Test]
    public void FixedUnigramReadsTheLastFieldOfAVocabFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vocab-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "the,1\nof,3\nand,0\n");
        try
        {
            var g = new Graph();
            var r = g.FixedUnigramCandidateSampler(g.Constant(Tensor.FromArray(new long[,] { { 0 }, { 1 } })), 1, 1, false, 3, vocabFile: path);
            using var s = new Session(g);
            Assert.That(s.Run(r.TrueExpectedCount).ToArray<float>(), Is.EqualTo(new[] { 0.25f, 0.75f }));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void LearnedUnigramLearnsTheTrueClassesAfterEachRun()
    {
        var g = new Graph();
        var r = g.LearnedUnigramCandidateSampler(g.Constant(Tensor.FromArray(new long[,] { { 4 }, { 4 } })), 1, 1, false, 5, seed: 2);
        using var s = new Session(g);
        // Weights start at 1 each: p(4) = 1/5, then 3/7, 5/9 as it is seen twice per run.
        Assert.That(s.Run(r.TrueExpectedCount).ToArray<float>(), Is.All.EqualTo(1 / 5f).Within(1e-7));
        Assert.That(s.Run(r.TrueExpectedCount).ToArray<float>(), Is.All.EqualTo(3 / 7f).Within(1e-7));
        Assert.That(s.Run(r.TrueExpectedCount).ToArray<float>(), Is.All.EqualTo(5 / 9f).Within(1e-7));
        var counts = new int[5];
        for (int i = 0; i < 300; i++) counts[s.Run(r.SampledCandidates).ToArray<long>()[0]]++;
        Assert.That(counts[4], Is.GreaterThan(counts.Take(4).Max() * 10), "id 4 dominates once learned");
        // A new session starts again from weight 1.
        using var s2 = new Session(g);
        Assert.That(s2.Run(r.TrueExpectedCount).ToArray<float>(), Is.All.EqualTo(1 / 5f).Within(1e-7));
    }

    [Test]
    public void AllCandidateSamplerGivesEveryClassWithCountOne()
    {
        var g = new Graph();
        var r = g.AllCandidateSampler(g.Constant(Tensor.FromArray(new long[,] { { 0, 1 }, { 2, 3 } })), 2, 5, true);
        using var s = new Session(g);
        var o = s.Run([r.SampledCandidates, r.TrueExpectedCount, r.SampledExpectedCount]);
        Assert.That(o[0].ToArray<long>(), Is.EqualTo(new long[] { 0, 1, 2, 3, 4 }));
        Assert.That(o[1].ToArray<float>(), Is.All.EqualTo(1f));
        Assert.That(o[2].ToArray<float>(), Is.All.EqualTo(1f));
        Assert.That(r.SampledCandidates.Op.Attrs.ContainsKey("range_max"), Is.False);
    }

    [Test]
    public void SamplersCheckTheirInputs()
    {
        var g = new Graph();
        var p = g.Placeholder(DType.Int64, [-1, -1]);
        var tooMany = g.UniformCandidateSampler(p, 1, 6, true, 5, seed: 1);
        var twoTrue = g.UniformCandidateSampler(p, 2, 2, true, 5, seed: 1);
        using var s = new Session(g);
        var one = new FeedDict { [p] = Tensor.FromArray(new long[,] { { 1 } }) };
        Assert.That(() => s.Run(tooMany.SampledCandidates, one), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("range is too small"));
        Assert.That(() => s.Run(twoTrue.SampledCandidates, one), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("num_true columns"));
        Assert.That(() => s.Run(twoTrue.SampledCandidates, new FeedDict { [p] = Tensor.FromArray(new long[,] { { 1, 7 } }) }),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("out of range"));
        Assert.Throws<InvalidArgumentException>(() => g.UniformCandidateSampler(g.Constant(new long[] { 1 }), 1, 2, true, 5));
        Assert.Throws<InvalidArgumentException>(() => g.UniformCandidateSampler(p, 1, 0, true, 5));
    }

    [Test]
    public void ComputeAccidentalHitsFindsTrueClassesAmongTheSamples()
    {
        var g = new Graph();
        var tc = g.Placeholder(DType.Int64, [-1, 2]);
        var (indices, ids, weights) = g.ComputeAccidentalHits(tc, g.Constant(new long[] { 3, 1, 5, 2 }), 2);
        Assert.That(indices.Shape, Is.EqualTo(new Shape(-1)));
        Assert.That(ids.DType, Is.EqualTo(DType.Int64));
        using var s = new Session(g);
        var o = s.Run([indices, ids, weights], new FeedDict { [tc] = Tensor.FromArray(new long[,] { { 1, 2 }, { 0, 3 }, { 7, 8 } }) });
        // Row 0: class 1 is sample 1, class 2 is sample 3; row 1: class 3 is sample 0; row 2: none.
        Assert.That(o[0].ToArray<int>(), Is.EqualTo(new[] { 0, 0, 1 }));
        Assert.That(o[1].ToArray<long>(), Is.EqualTo(new long[] { 1, 3, 0 }));
        Assert.That(o[2].ToArray<float>(), Is.All.EqualTo(-float.MaxValue));
        Assert.Throws<InvalidArgumentException>(() => g.ComputeAccidentalHits(tc, g.Constant(new long[] { 1 }), 3));
    }

    [Test]
    public void SparseToDenseScattersValuesAndHasTfsGradient()
    {
        var g = new Graph();
        var v = g.Placeholder(DType.Float64, [3], name: "v");
        var d = g.Placeholder(DType.Float64, [], name: "d");
        var dense = g.SparseToDense(g.Constant(new[,] { { 0, 1 }, { 1, 0 }, { 1, 2 } }), g.Constant(new[] { 2, 3 }), v, d);
        Assert.That(dense.Shape, Is.EqualTo(new Shape(2, 3)));
        var y = g.ReduceSum(g.Square(dense) * g.Constant(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } }));
        using var s = new Session(g);
        var f = new FeedDict { [v] = new double[] { 1, 2, 3 }, [d] = 0.5 };
        Assert.That(s.Run(dense, f).ToArray<double>(), Is.EqualTo(new[] { 0.5, 1, 0.5, 2, 0.5, 3 }));
        Assert.That(GradientChecker.Compute(s, v, new double[] { 1, 2, 3 }, y, new FeedDict { [d] = 0.5 }, 1e-6).MaxRelativeError, Is.LessThan(1e-7));
        Assert.That(GradientChecker.Compute(s, d, 0.5, y, new FeedDict { [v] = new double[] { 1, 2, 3 } }, 1e-6).MaxRelativeError, Is.LessThan(1e-7));
        var unordered = g.SparseToDense(g.Constant(new[] { 2, 0 }), g.Constant(new[] { 4 }), g.Constant(1f), g.Constant(0f));
        var lax = g.SparseToDense(g.Constant(new[] { 2, 0 }), g.Constant(new[] { 4 }), g.Constant(1f), g.Constant(0f), validateIndices: false);
        Assert.That(() => s.Run(unordered), Throws.InstanceOf<InvalidArgumentException>());
        Assert.That(s.Run(lax).ToArray<float>(), Is.EqualTo(new[] { 1f, 0, 1, 0 }));
    }
}
