using TensorGraph.Proto;
using TensorGraph.Summaries;

namespace TensorGraph.Tests.Formats;

/// <summary>The histogram's bucket lookup against a plain TF <c>Histogram::Add</c> (std::upper_bound over the limits).</summary>
public class HistogramTests
{
    private static readonly double[] Limits = [.. Histogram.DefaultBucketLimits];

    // TF: upper_bound(limits, v); past the end (v ≥ DBL_MAX, NaN) kept in the last bucket.
    private static int ReferenceBucket(double v)
    {
        int lo = 0, hi = Limits.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (!(v < Limits[mid])) lo = mid + 1;
            else hi = mid;
        }
        return Math.Min(lo, Limits.Length - 1);
    }

    private static IEnumerable<double> EdgeValues()
    {
        yield return 0.0;
        yield return -0.0;
        yield return double.Epsilon;
        yield return -double.Epsilon;
        yield return double.MaxValue;
        yield return -double.MaxValue;
        yield return double.PositiveInfinity;
        yield return double.NegativeInfinity;
        yield return double.NaN;
        yield return 1e-300;
        yield return -1e300;
        foreach (var l in Limits)
        {
            yield return l;
            yield return Math.BitDecrement(l);
            yield return Math.BitIncrement(l);
        }
    }

    [Test]
    public void BucketOfEdgeAndRandomValuesIsTfs()
    {
        foreach (var v in EdgeValues())
            Assert.That(Histogram.BucketIndex(v), Is.EqualTo(ReferenceBucket(v)), $"value {v:R}");
        var rng = new Random(7);
        for (int i = 0; i < 200_000; i++)
        {
            // Uniform over the bit patterns' magnitudes and signs, and over typical weights.
            double v = i % 2 == 0
                ? (rng.Next(2) == 0 ? -1 : 1) * Math.Pow(10, rng.NextDouble() * 70 - 35)
                : rng.NextDouble() * 4 - 2;
            Assert.That(Histogram.BucketIndex(v), Is.EqualTo(ReferenceBucket(v)), $"value {v:R}");
        }
    }

    [Test]
    public void BulkAddEncodesAsOneByOne()
    {
        var rng = new Random(3);
        var values = new float[5000];
        for (int i = 0; i < values.Length; i++) values[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-14, 8)));
        values[10] = 0f;
        values[11] = -0f;
        var bulk = new Histogram();
        Assert.That(bulk.AddFinite<float>(values), Is.EqualTo(-1));
        // TF's Histogram::Add value by value, and EncodeToProto with runs of empty buckets collapsed.
        var buckets = new double[Limits.Length];
        double min = double.MaxValue, max = -double.MaxValue, sum = 0, sumSquares = 0;
        foreach (double v in values)
        {
            buckets[ReferenceBucket(v)] += 1;
            if (min > v) min = v;
            if (max < v) max = v;
            sum += v;
            sumSquares += v * v;
        }
        var expected = new HistogramProto { Min = min, Max = max, Num = values.Length, Sum = sum, SumSquares = sumSquares };
        for (int i = 0; i < buckets.Length;)
        {
            double end = Limits[i], count = buckets[i++];
            if (count <= 0)
                while (i < buckets.Length && buckets[i] <= 0) { end = Limits[i]; count = buckets[i++]; }
            expected.BucketLimit.Add(end);
            expected.Bucket.Add(count);
        }
        Assert.That(bulk.ToProto(), Is.EqualTo(expected));
    }

    [Test]
    public void BulkAddStopsAtTheFirstNonFiniteValue()
    {
        var h = new Histogram();
        Assert.That(h.AddFinite<double>(new[] { 1.0, 2.0, double.PositiveInfinity, 3.0 }), Is.EqualTo(2));
        Assert.That(h.ToProto().Num, Is.EqualTo(2));
        Assert.That(new Histogram().ToProto().BucketLimit, Is.EqualTo(new[] { double.MaxValue }), "an empty histogram has one bucket");
    }

    [Test]
    public void SummaryOpNamesTheNodeForInfinity()
    {
        var g = new Graph();
        var h = g.HistogramSummary("weights", g.Constant(new[] { 1.0, double.NegativeInfinity }), name: "w_hist");
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(h))!;
        Assert.That(e.Message, Does.StartWith("Infinity in summary histogram for: w_hist"));
    }
}
