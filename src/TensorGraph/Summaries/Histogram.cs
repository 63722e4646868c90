using System.Numerics;
using TensorGraph.Proto;

namespace TensorGraph.Summaries;

/// <summary>
/// TF's histogram accumulator (<c>tensorflow/core/lib/histogram</c>): default bucket limits are
/// ±1e-12·1.1^k up to 1e20, plus 0 and ±DBL_MAX; encoding collapses runs of empty buckets.
/// </summary>
public sealed class Histogram
{
    private static readonly double[] DefaultLimits = BuildDefaultLimits();
    private readonly double[] _limits;
    private readonly double[] _buckets;
    private double _min, _max, _num, _sum, _sumSquares;

    private static double[] BuildDefaultLimits()
    {
        var pos = new List<double>();
        for (double v = 1.0e-12; v < 1.0e20; v *= 1.1) pos.Add(v);
        pos.Add(double.MaxValue);
        var all = new List<double>(pos.Count * 2 + 1);
        for (int i = pos.Count - 1; i >= 0; i--) all.Add(-pos[i]);
        all.Add(0.0);
        all.AddRange(pos);
        return [.. all];
    }

    /// <summary>TF's default bucket limits (ascending).</summary>
    public static IReadOnlyList<double> DefaultBucketLimits => DefaultLimits;

    /// <summary>An empty histogram with the default buckets.</summary>
    public Histogram()
    {
        _limits = DefaultLimits;
        _buckets = new double[_limits.Length];
        _min = _limits[^1];
        _max = -double.MaxValue;
    }

    /// <summary>Adds one value (TF's <c>Histogram::Add</c>; a value past the last limit, or NaN, counts in the last bucket).</summary>
    public void Add(double value)
    {
        _buckets[BucketIndex(value)] += 1.0;
        if (_min > value) _min = value;
        if (_max < value) _max = value;
        _num++;
        _sum += value;
        _sumSquares += value * value;
    }

    /// <summary>
    /// Adds every value of <paramref name="values"/> (float32 or float64) in order, as
    /// <see cref="Add"/> would, and returns -1; stops before the first NaN or infinity and returns
    /// its index (TF's HistogramSummary kernel refuses those).
    /// </summary>
    internal int AddFinite<T>(ReadOnlySpan<T> values) where T : struct, IFloatingPointIeee754<T>
    {
        double min = _min, max = _max, sum = _sum, sumSquares = _sumSquares;
        var buckets = _buckets;
        int stop = -1;
        int i = 0;
        for (; i < values.Length; i++)
        {
            double v = double.CreateTruncating(values[i]);
            if (!double.IsFinite(v)) { stop = i; break; }
            buckets[BucketIndex(v)] += 1.0;
            if (min > v) min = v;
            if (max < v) max = v;
            sum += v;
            sumSquares += v * v;
        }
        (_min, _max, _sum, _sumSquares) = (min, max, sum, sumSquares);
        _num += i;
        return stop;
    }

    // The default limits are 0, ±DBL_MAX and ±p_k with p_k = 1e-12·1.1^k, so a bucket follows from a
    // value's magnitude. The top 15 bits of a positive double (11 exponent bits, 4 mantissa bits)
    // cut the magnitudes into ranges [lo, hi) with hi/lo ≤ 17/16 < 1.1, each holding at most one
    // p_k; Below[key] counts the p_k under the range's lo, and one comparison with the next p_k
    // finishes what std::upper_bound over all 1551 limits finds.
    private static readonly double[] Positive = [.. DefaultLimits.Where(l => l > 0)];
    private static readonly ushort[] Below = BuildBelow();
    private static readonly int NegativeCount = Positive.Length;

    private static ushort[] BuildBelow()
    {
        var below = new ushort[0x7FF0];
        int n = 0;
        for (int key = 0; key < below.Length; key++)
        {
            double lo = BitConverter.Int64BitsToDouble((long)key << 48);
            while (n < Positive.Length && Positive[n] < lo) n++;
            below[key] = (ushort)n;
        }
        return below;
    }

    /// <summary>
    /// TF's bucket of <paramref name="value"/>: <c>std::upper_bound</c> over the default limits (the
    /// first limit greater than the value), the last bucket for NaN or a value from DBL_MAX up.
    /// </summary>
    internal static int BucketIndex(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        long magnitude = bits & long.MaxValue;
        int key = (int)(magnitude >> 48);
        if (key >= 0x7FF0) return value == double.NegativeInfinity ? 0 : DefaultLimits.Length - 1;
        double m = BitConverter.Int64BitsToDouble(magnitude);
        int n = Below[key];
        if (bits >= 0)
        {
            // Limits ≤ v: the negatives, 0, and the p_k ≤ v.
            int b = NegativeCount + 1 + n + (Positive[n] <= m ? 1 : 0);
            return b < DefaultLimits.Length ? b : DefaultLimits.Length - 1;
        }
        if (magnitude == 0) return NegativeCount + 1; // -0 == 0: every negative limit and 0 itself
        // Limits ≤ -m: the -p_k with p_k ≥ m.
        return NegativeCount - n - (Positive[n] < m ? 1 : 0);
    }

    /// <summary>Encodes as a <c>HistogramProto</c> (runs of empty buckets collapsed, as TF does by default).</summary>
    public HistogramProto ToProto()
    {
        var p = new HistogramProto { Min = _min, Max = _max, Num = _num, Sum = _sum, SumSquares = _sumSquares };
        for (int i = 0; i < _buckets.Length;)
        {
            double end = _limits[i];
            double count = _buckets[i];
            i++;
            if (count <= 0.0)
            {
                while (i < _buckets.Length && _buckets[i] <= 0.0)
                {
                    end = _limits[i];
                    count = _buckets[i];
                    i++;
                }
            }
            p.BucketLimit.Add(end);
            p.Bucket.Add(count);
        }
        if (p.Bucket.Count == 0)
        {
            p.BucketLimit.Add(double.MaxValue);
            p.Bucket.Add(0.0);
        }
        return p;
    }
}
