namespace TensorGraph.Kernels;

/// <summary>numpy/TF broadcasting of two concrete shapes.</summary>
internal static class Broadcast
{
    /// <summary>The broadcast output shape at build time (unknown dims handled as TF does).</summary>
    public static Shape StaticShape(Shape a, Shape b, string opName)
    {
        if (!a.IsRankKnown || !b.IsRankKnown) return Shape.Unknown;
        int rank = Math.Max(a.Rank, b.Rank);
        var d = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Rank) >= 0 ? a[i - (rank - a.Rank)] : 1;
            int db = i - (rank - b.Rank) >= 0 ? b[i - (rank - b.Rank)] : 1;
            if (da == 1) d[i] = db;
            else if (db == 1) d[i] = da;
            else if (da == -1) d[i] = db > 1 ? db : -1;
            else if (db == -1) d[i] = da > 1 ? da : -1;
            else if (da == db) d[i] = da;
            else throw new InvalidArgumentException($"Incompatible shapes for broadcasting in {opName}: {a} and {b}");
        }
        return Shape.Wrap(d);
    }

    /// <summary>Writes the broadcast shape of <paramref name="a"/> and <paramref name="b"/> into <paramref name="out"/>; returns its rank.</summary>
    public static int Dims(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> @out)
    {
        int rank = Math.Max(a.Length, b.Length);
        for (int i = 0; i < rank; i++)
        {
            int ia = i - (rank - a.Length), ib = i - (rank - b.Length);
            int da = ia >= 0 ? a[ia] : 1;
            int db = ib >= 0 ? b[ib] : 1;
            if (da == db || db == 1) @out[i] = da;
            else if (da == 1) @out[i] = db;
            else throw new InvalidArgumentException($"Incompatible shapes: {Shape.Format(a)} vs. {Shape.Format(b)}");
        }
        return rank;
    }

    /// <summary>Row-major element strides of <paramref name="dims"/> aligned to <paramref name="outDims"/>, 0 where broadcast.</summary>
    public static void Strides(ReadOnlySpan<int> dims, ReadOnlySpan<int> outDims, Span<int> strides)
    {
        int rank = outDims.Length;
        int s = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            int j = i - (rank - dims.Length);
            int d = j >= 0 ? dims[j] : 1;
            strides[i] = d == 1 && outDims[i] != 1 ? 0 : s;
            if (j >= 0) s *= d;
        }
    }

    /// <summary>
    /// True when <paramref name="small"/>, leading 1s aside, is a trailing suffix of <paramref name="big"/>
    /// (a row broadcast like a bias, <c>[n]</c> or <c>[1, n]</c> against <c>[m, n]</c>).
    /// </summary>
    public static bool IsSuffix(ReadOnlySpan<int> small, ReadOnlySpan<int> big)
    {
        while (small.Length > 0 && small[0] == 1) small = small[1..];
        if (small.Length > big.Length) return false;
        return big[(big.Length - small.Length)..].SequenceEqual(small);
    }
}
