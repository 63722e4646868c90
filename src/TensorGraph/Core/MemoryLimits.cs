using System.Globalization;

namespace TensorGraph;

/// <summary>
/// Process-wide memory budgets for tensors. Sizes come from users and files (a shape attr, a
/// <c>Fill</c> dims input, a <c>TensorProto</c> header), so every allocation whose size comes from
/// such a value is checked first: a tensor larger than <see cref="MaxTensorBytes"/>, or a run whose
/// kernels would allocate more than <see cref="MaxRunBytes"/> of new output storage, fails with a
/// <see cref="ResourceExhaustedException"/> ("OOM when allocating tensor with shape[…] and type
/// float …", TensorFlow's wording) naming the node, instead of taking the process down.
/// </summary>
/// <remarks>
/// The defaults derive from what the process may use, <see cref="AvailableBytes"/>
/// (<c>GC.GetGCMemoryInfo().TotalAvailableMemoryBytes</c>: physical memory, or the GC heap hard
/// limit such as <c>DOTNET_GCHeapHardLimit</c> or a container limit): one tensor may take half of
/// it, one run three quarters. On a 24 GB machine that is 12 GB and 18 GB; with a 2 GB heap limit,
/// 1 GB and 1.5 GB. Setting a property to zero or less restores its default.
/// </remarks>
public static class MemoryLimits
{
    private static long _maxTensorBytes;
    private static long _maxRunBytes;

    private static long _availableBytes;

    /// <summary>
    /// The memory the process may use: the GC's total available memory (respects heap hard limits),
    /// read once (it is fixed when the process starts; asking the GC allocates, and budgets are
    /// consulted on every allocation).
    /// </summary>
    public static long AvailableBytes
    {
        get
        {
            long a = Volatile.Read(ref _availableBytes);
            if (a > 0) return a;
            a = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            if (a <= 0) a = 1L << 32;
            Volatile.Write(ref _availableBytes, a);
            return a;
        }
    }

    /// <summary>Default of <see cref="MaxTensorBytes"/>: half of <see cref="AvailableBytes"/>.</summary>
    public static long DefaultMaxTensorBytes => AvailableBytes / 2;

    /// <summary>Default of <see cref="MaxRunBytes"/>: three quarters of <see cref="AvailableBytes"/>.</summary>
    public static long DefaultMaxRunBytes => AvailableBytes / 4 * 3;

    /// <summary>
    /// The most bytes one tensor may hold (numeric elements at their size, string elements at 24
    /// bytes, TF's <c>sizeof(tstring)</c>). Zero or less restores the default.
    /// </summary>
    public static long MaxTensorBytes
    {
        get { long v = Volatile.Read(ref _maxTensorBytes); return v > 0 ? v : DefaultMaxTensorBytes; }
        set => Volatile.Write(ref _maxTensorBytes, Math.Max(0, value));
    }

    /// <summary>
    /// The most bytes of new output storage the kernels of one <c>Session.Run</c> (or callable
    /// call) may allocate. Buffers a plan reuses from earlier runs cost nothing, so a steady-state
    /// step with unchanged shapes is not charged; in a while loop every iteration's outputs are
    /// fresh and count. Zero or less restores the default.
    /// </summary>
    public static long MaxRunBytes
    {
        get { long v = Volatile.Read(ref _maxRunBytes); return v > 0 ? v : DefaultMaxRunBytes; }
        set => Volatile.Write(ref _maxRunBytes, Math.Max(0, value));
    }

    /// <summary>Restores both budgets to their defaults.</summary>
    public static void Reset()
    {
        MaxTensorBytes = 0;
        MaxRunBytes = 0;
    }
}

/// <summary>
/// Checked element counts and allocation sizes for tensors whose dimensions come from user values.
/// Every count is computed in 64-bit arithmetic with overflow checks before anything is allocated.
/// </summary>
internal static class TensorSize
{
    /// <summary>Bytes charged per string element (TF's <c>sizeof(tstring)</c>).</summary>
    internal const int StringElementBytes = 24;

    /// <summary>Most elements one tensor can hold (.NET's largest array).</summary>
    internal static int MaxElements => Array.MaxLength;

    /// <summary>
    /// The element count of <paramref name="dims"/>: a negative dimension is an InvalidArgument
    /// error, and so is a product beyond 2^63 - 1 (TF's "would have more than 2**63 - 1 elements").
    /// </summary>
    internal static long Elements(ReadOnlySpan<int> dims)
    {
        long n = 1;
        bool overflow = false;
        foreach (var d in dims)
        {
            if (d < 0) throw new InvalidArgumentException($"Tensor dimensions must be >= 0, got {Shape.Format(dims)}");
            if (!overflow && Math.BigMul(n, d, out long lo) == 0 && lo >= 0) n = lo;
            else overflow = true;
        }
        if (overflow) throw TooManyElements(Shape.Format(dims));
        return n;
    }

    /// <summary>As <see cref="Elements(ReadOnlySpan{int})"/> for 64-bit dimensions (shape inputs).</summary>
    internal static long Elements(ReadOnlySpan<long> dims)
    {
        long n = 1;
        bool overflow = false;
        foreach (var d in dims)
        {
            if (d < 0) throw new InvalidArgumentException($"Tensor dimensions must be >= 0, got [{string.Join(", ", dims.ToArray())}]");
            if (!overflow && Math.BigMul(n, d, out long lo) == 0 && lo >= 0) n = lo;
            else overflow = true;
        }
        if (overflow) throw TooManyElements("[" + string.Join(", ", dims.ToArray()) + "]");
        return n;
    }

    private static InvalidArgumentException TooManyElements(string dims) =>
        new($"Shape {dims} would have more than 2**63 - 1 elements");

    /// <summary>
    /// A dimension computed from input values (a tiled or padded size, a shape entry): negative
    /// is an InvalidArgument error; beyond <see cref="int.MaxValue"/>, which no tensor here can
    /// hold, a ResourceExhausted one. <paramref name="what"/> names it in the message: a composite
    /// format with <paramref name="index"/> as {0} and <paramref name="name"/> as {1}, formatted only
    /// when the check fails (kernels call this on every run, which must not allocate).
    /// </summary>
    internal static int Dimension(long d, string what, int index = 0, string? name = null)
    {
        if ((ulong)d <= int.MaxValue) return (int)d;
        string w = string.Format(CultureInfo.InvariantCulture, what, index, name);
        if (d < 0) throw new InvalidArgumentException(FormattableString.Invariant($"{w} must be non-negative, got {d}"));
        throw new ResourceExhaustedException(FormattableString.Invariant(
            $"OOM: {w} is {d}, but a tensor dimension holds at most {int.MaxValue} elements"));
    }

    /// <summary>
    /// <paramref name="a"/> × <paramref name="b"/> in 64 bits; an overflow is an InvalidArgument error
    /// naming <paramref name="what"/> (formatted with <paramref name="index"/> as {0}, only on failure).
    /// </summary>
    internal static long Multiply(long a, long b, string what, int index = 0)
    {
        long hi = Math.BigMul(a, b, out long lo);
        if ((hi != 0 || lo < 0) && (hi != -1 || lo >= 0))
            throw new InvalidArgumentException(FormattableString.Invariant(
                $"Encountered overflow when multiplying {a} with {b} ({string.Format(CultureInfo.InvariantCulture, what, index)})"));
        return lo;
    }

    /// <summary>Bytes a tensor of <paramref name="elements"/> elements of <paramref name="dtype"/> takes (saturating).</summary>
    internal static long Bytes(DType dtype, long elements)
    {
        int size = ElementBytes(dtype);
        return elements > long.MaxValue / size ? long.MaxValue : elements * size;
    }

    internal static int ElementBytes(DType dtype) => dtype switch
    {
        DType.String => StringElementBytes,
        DType.Resource or DType.Variant => IntPtr.Size,
        _ => Math.Max(1, dtype.Size()),
    };

    /// <summary>
    /// Checks that a tensor of <paramref name="dtype"/> and <paramref name="dims"/> may be
    /// allocated and returns its element count: an overflowing count is InvalidArgument; more
    /// elements than a .NET array holds, or more bytes than <see cref="MemoryLimits.MaxTensorBytes"/>,
    /// is ResourceExhausted with TF's OOM message.
    /// </summary>
    internal static int ForAllocation(DType dtype, ReadOnlySpan<int> dims)
    {
        long n = Elements(dims);
        CheckBudget(dtype, n, dims);
        return (int)n;
    }

    /// <summary>As <see cref="ForAllocation(DType, ReadOnlySpan{int})"/> for a count computed elsewhere.</summary>
    internal static void CheckBudget(DType dtype, long elements, ReadOnlySpan<int> dims)
    {
        if (elements > MaxElements)
            throw Oom(dtype, dims, $"a tensor holds at most {MaxElements} elements");
        long bytes = Bytes(dtype, elements);
        long max = MemoryLimits.MaxTensorBytes;
        if (bytes > max)
            throw Oom(dtype, dims, string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes exceed the per-tensor budget of {max} bytes (MemoryLimits.MaxTensorBytes)"));
    }

    /// <summary>TF's out-of-memory error for a tensor, with the reason appended.</summary>
    internal static ResourceExhaustedException Oom(DType dtype, ReadOnlySpan<int> dims, string reason, Exception? inner = null) =>
        new($"OOM when allocating tensor with shape{ShapeText(dims)} and type {TfTypeName(dtype)} on /job:localhost/replica:0/task:0/device:CPU:0 by allocator cpu: {reason}", inner);

    /// <summary>TF's <c>shape[2,3]</c> text (no spaces).</summary>
    internal static string ShapeText(ReadOnlySpan<int> dims)
    {
        var parts = new string[dims.Length];
        for (int i = 0; i < dims.Length; i++) parts[i] = dims[i].ToString(CultureInfo.InvariantCulture);
        return "[" + string.Join(",", parts) + "]";
    }

    /// <summary>TF's C++ type name (<c>DataTypeString</c>): float, double, int32, string, …</summary>
    internal static string TfTypeName(DType dtype) => dtype switch
    {
        DType.Float32 => "float",
        DType.Float64 => "double",
        _ => dtype.Name(),
    };
}
