namespace TensorGraph.Kernels;

/// <summary>
/// How element-wise kernels split a large tensor across cores: into ranges aligned to a multiple
/// of every vector width, so each range's vectorized loop covers exactly what one loop over the
/// whole tensor would (each element gets the same operation, hence the same bits, either way).
/// </summary>
internal static class ElementwiseParts
{
    /// <summary>Elements per part below which a tensor is not split (a part must outweigh waking a thread).</summary>
    internal const int MinElementsPerPart = 1 << 15;

    private const int Align = 64;

    private static long s_splits;

    /// <summary>Element-wise calls split into parts so far (for tests).</summary>
    internal static long Splits => Interlocked.Read(ref s_splits);

    /// <summary>Records one split call.</summary>
    internal static void Count() => Interlocked.Increment(ref s_splits);

    /// <summary>Parts for <paramref name="size"/> elements (1: run on the calling thread).</summary>
    public static int For(int size) => size < 2 * MinElementsPerPart ? 1 : ParallelParts.For(size, MinElementsPerPart);

    /// <summary>Parts for <paramref name="rows"/> independent rows of <paramref name="rowLength"/> elements each, split into runs of whole rows.</summary>
    public static int ForRows(int rows, int rowLength) =>
        rows < 2 ? 1 : Math.Min(rows, For((int)Math.Min(int.MaxValue, (long)rows * rowLength)));

    /// <summary>The (start, count) of part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    public static (int Start, int Count) Range(int size, int part, int parts)
    {
        int blocks = (size + Align - 1) / Align;
        var (b0, b1) = ParallelParts.Range(blocks, part, parts);
        int start = Math.Min(size, b0 * Align), end = Math.Min(size, b1 * Align);
        return (start, end - start);
    }
}
