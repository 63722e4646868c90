namespace TensorGraph.Kernels;

/// <summary>
/// A seeded pseudo-random stream (xoshiro256** seeded through SplitMix64 from TF's (seed, seed2)
/// pair). One stream exists per random op per session, so successive runs continue the stream.
/// </summary>
internal sealed class RandomStream
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    public RandomStream(long seed, long seed2)
    {
        if (seed == 0 && seed2 == 0)
        {
            seed = Random.Shared.NextInt64();
            seed2 = Random.Shared.NextInt64();
        }
        ulong x = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)seed2);
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    public Lock Sync { get; } = new();

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>
    /// Uniform in [0, 1) as float with 23 random bits, as TF's <c>Uint32ToFloat</c> (a mantissa in
    /// [1, 2) minus one): every value is a multiple of 2^-23, so <c>x + u</c> for x in [1, 2) is
    /// exact and never rounds up to 2 — dropout's <c>floor(keep_prob + u)</c> relies on that.
    /// </summary>
    public float NextSingle() => (NextUInt64() >> 41) * (1.0f / (1 << 23));

    /// <summary>Uniform in [0, 1) with 52 random bits, as TF's <c>Uint64ToDouble</c> (multiples of 2^-52, see <see cref="NextSingle"/>).</summary>
    public double NextUniformDouble() => (NextUInt64() >> 12) * (1.0 / (1UL << 52));

    /// <summary>Standard normal (Box–Muller, pairs cached).</summary>
    public double NextNormal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = r * Math.Sin(2 * Math.PI * u2);
        _hasSpare = true;
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Standard normal restricted to [-2, 2] by redrawing (TF's TruncatedNormal).</summary>
    public double NextTruncatedNormal()
    {
        double v;
        do v = NextNormal(); while (Math.Abs(v) > 2.0);
        return v;
    }

    /// <summary>Uniform integer in [lo, hi).</summary>
    public long NextInt64(long lo, long hi)
    {
        ulong range = (ulong)(hi - lo);
        return lo + (long)(NextUInt64() % range);
    }
}
