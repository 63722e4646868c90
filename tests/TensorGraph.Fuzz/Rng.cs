namespace TensorGraph.Fuzz;

/// <summary>
/// A small deterministic generator (SplitMix64). Every fuzz case gets its own generator derived
/// from (run seed, case index), so any case can be reproduced alone from those two numbers.
/// </summary>
internal sealed class Rng
{
    private ulong _state;

    public Rng(ulong seed) => _state = seed;

    /// <summary>The generator of case <paramref name="index"/> of a run with seed <paramref name="seed"/>.</summary>
    public static Rng ForCase(ulong seed, long index) => new(Mix(seed * 0x9E3779B97F4A7C15UL ^ Mix((ulong)index + 0x632BE59BD9B4E019UL)));

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextU64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, n); 0 when n ≤ 0.</summary>
    public int Next(int n) => n <= 0 ? 0 : (int)(NextU64() % (ulong)n);

    /// <summary>Uniform in [lo, hi].</summary>
    public int Range(int lo, int hi) => lo + Next(hi - lo + 1);

    /// <summary>True with probability 1/n.</summary>
    public bool OneIn(int n) => Next(n) == 0;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>A length biased towards small values (most mutations are local).</summary>
    public int SmallLength(int max) => Math.Max(1, Math.Min(max, OneIn(4) ? Range(1, max) : Range(1, Math.Min(max, 8))));
}
