using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace TensorGraph;

/// <summary>
/// A concrete host value: a dtype, concrete dimensions and contiguous row-major storage. Numeric
/// and bool tensors store a <c>T[]</c>; string tensors store UTF-8 <c>byte[]</c> elements.
/// Created from .NET scalars and arrays (<c>float[,]</c>, jagged arrays, …) by implicit conversion
/// or <see cref="FromArray(Array)"/>.
/// </summary>
public sealed partial class Tensor
{
    private Array _data;
    private int[] _dims; // capacity may exceed the rank so reuse across ranks does not allocate
    private int _rank;
    private int _size;
    private Shape? _shape;

    /// <summary>Wraps <paramref name="data"/> (not copied) as a tensor with dimensions <paramref name="dims"/>.</summary>
    internal Tensor(DType dtype, Array data, int[] dims, int size)
    {
        CheckRank(dims.Length);
        Debug.Assert(size >= 0 && data.Length >= size && data.GetType().GetElementType() == (dtype == DType.String ? typeof(byte[]) : dtype.ClrType()),
            "tensor storage does not match its dtype and size");
        DType = dtype;
        _data = data;
        _dims = dims;
        _rank = dims.Length;
        _size = size;
    }

    /// <summary>The element type.</summary>
    public DType DType { get; private set; }

    /// <summary>The concrete dimensions.</summary>
    public ReadOnlySpan<int> Dims => _dims.AsSpan(0, _rank);

    /// <summary>The shape (always fully defined).</summary>
    public Shape Shape => _shape ??= Shape.FromSpan(Dims);

    /// <summary>Number of dimensions.</summary>
    public int Rank => _rank;

    /// <summary>Number of elements.</summary>
    public int Size => _size;

    /// <summary>The underlying storage array (may be longer than <see cref="Size"/> when reused).</summary>
    internal Array Data => _data;

    internal int[] DimsArray => Dims.ToArray();

    /// <summary>A typed view of the elements; <typeparamref name="T"/> must be the storage type.</summary>
    public Span<T> AsSpan<T>()
    {
        if (_data is not T[] a)
            throw new InvalidArgumentException($"Tensor of dtype {DType.Name()} cannot be viewed as {typeof(T).Name}");
        return a.AsSpan(0, _size);
    }

    /// <summary>Unchecked typed view for kernels, which know their dtype from the plan.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Span<T> Span<T>()
    {
        // The plan guarantees the dtype (each node's outputs are checked against inference), so
        // Release builds skip the type check; Debug builds (the tests) verify it on every access.
        Debug.Assert(_data is T[] a && a.Length >= _size, $"tensor of dtype {DType} viewed as {typeof(T).Name}");
        return MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(Unsafe.As<T[]>(_data)), _size);
    }

    /// <summary>TensorFlow's limit on the number of dimensions of a tensor (<c>TensorShape::MaxDimensions</c>).</summary>
    public const int MaxRank = 254;

    /// <summary>Refuses ranks above <see cref="MaxRank"/>: kernels keep per-dimension state on the stack.</summary>
    internal static void CheckRank(int rank)
    {
        if (rank > MaxRank) throw new InvalidArgumentException($"Too many dimensions in tensor: {rank} (at most {MaxRank})");
    }

    // ------------------------------------------------------------------ creation

    /// <summary>Creates a tensor over a copy of <paramref name="data"/> with the given dimensions.</summary>
    public static Tensor Create<T>(T[] data, params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(dims);
        long n = TensorSize.Elements(dims);
        if (n != data.Length)
            throw new InvalidArgumentException($"{data.Length} values cannot fill a tensor of shape {Shape.Format(dims)} ({n} elements)");
        if (typeof(T) == typeof(string))
        {
            var s = (string[])(object)data;
            var b = new byte[s.Length][];
            for (int i = 0; i < s.Length; i++) b[i] = Encoding.UTF8.GetBytes(s[i] ?? "");
            return new Tensor(DType.String, b, (int[])dims.Clone(), b.Length);
        }
        var dt = DTypes.Of<T>();
        if (dt == DType.String)
        {
            var b = (byte[][])(object)data;
            var c = new byte[b.Length][];
            for (int i = 0; i < b.Length; i++) c[i] = (byte[])(b[i] ?? []).Clone();
            return new Tensor(DType.String, c, (int[])dims.Clone(), c.Length);
        }
        return new Tensor(dt, (T[])data.Clone(), (int[])dims.Clone(), data.Length);
    }

    /// <summary>A scalar tensor.</summary>
    public static Tensor Scalar<T>(T value) => Create(new[] { value });

    /// <summary>A zero-filled tensor (empty strings for string).</summary>
    public static Tensor Zeros(DType dtype, params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        int n = TensorSize.ForAllocation(dtype, dims);
        return new Tensor(dtype, NewStorage(dtype, n, dims), (int[])dims.Clone(), n);
    }

    /// <summary>
    /// Storage for <paramref name="n"/> elements (already checked against the budget); an
    /// OutOfMemoryException from the runtime becomes TF's ResourceExhausted OOM error.
    /// </summary>
    private static Array NewStorage(DType dtype, int n, ReadOnlySpan<int> dims)
    {
        try
        {
            return dtype == DType.String ? FilledStrings(n) : Array.CreateInstance(dtype.ClrType(), n);
        }
        catch (OutOfMemoryException e)
        {
            throw TensorSize.Oom(dtype, dims, "the process is out of memory", e);
        }
    }

    private static byte[][] FilledStrings(int n)
    {
        var a = new byte[n][];
        Array.Fill(a, Array.Empty<byte>());
        return a;
    }

    internal static long ShapeSize(ReadOnlySpan<int> dims) => TensorSize.Elements(dims);

    /// <summary>
    /// Creates a tensor from any .NET array: rectangular (<c>float[,]</c>), jagged
    /// (<c>float[][]</c>, must be rectangular), or one-dimensional. Values are copied.
    /// </summary>
    public static Tensor FromArray(Array array)
    {
        ArgumentNullException.ThrowIfNull(array);
        var elem = array.GetType().GetElementType()!;
        if (elem.IsArray) return FromJagged(array);
        if (elem == typeof(object))
            throw new InvalidArgumentException("Cannot make a tensor from an object[]; use a typed array");
        var dims = new int[array.Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = array.GetLength(i);
        var dt = DTypes.FromClrType(elem);
        int n = array.Length;
        if (dt == DType.String)
        {
            var b = new byte[n][];
            int k = 0;
            foreach (var o in array)
                b[k++] = o is string s ? Encoding.UTF8.GetBytes(s) : (byte[])((byte[]?)o ?? []).Clone();
            return new Tensor(dt, b, dims, n);
        }
        var data = Array.CreateInstance(elem, n);
        if (array.Rank == 1) Array.Copy(array, data, n);
        else Buffer.BlockCopy(array, 0, data, 0, n * dt.Size());
        return new Tensor(dt, data, dims, n);
    }

    private static Tensor FromJagged(Array array)
    {
        var dims = new List<int>();
        Type t = array.GetType();
        object cur = array;
        while (t.IsArray)
        {
            var a = (Array)cur;
            if (a.Rank != 1) throw new InvalidArgumentException("Jagged arrays must nest one-dimensional arrays");
            dims.Add(a.Length);
            t = t.GetElementType()!;
            if (!t.IsArray) break;
            if (a.Length == 0)
            {
                while (t.IsArray) { dims.Add(0); t = t.GetElementType()!; }
                break;
            }
            cur = a.GetValue(0) ?? throw new InvalidArgumentException($"Jagged array has a null row at depth {dims.Count - 1}");
        }
        var flat = new List<object>();
        Flatten(array, 0, dims, flat);
        var typed = Array.CreateInstance(t, flat.Count);
        for (int i = 0; i < flat.Count; i++) typed.SetValue(flat[i], i);
        var one = FromArray(typed);
        return new Tensor(one.DType, one._data, dims.ToArray(), one._size);
    }

    private static void Flatten(Array a, int depth, List<int> dims, List<object> flat)
    {
        if (a.Length != dims[depth])
            throw new InvalidArgumentException($"Jagged array is not rectangular: expected length {dims[depth]} at depth {depth}, found {a.Length}");
        if (depth == dims.Count - 1 || a.Length == 0)
        {
            foreach (var o in a) flat.Add(o!);
            return;
        }
        foreach (var o in a)
        {
            if (o is not Array sub) throw new InvalidArgumentException($"Jagged array has a null row at depth {depth}");
            Flatten(sub, depth + 1, dims, flat);
        }
    }

    // ------------------------------------------------------------------ reading

    /// <summary>
    /// The elements as a flat row-major array copy. <typeparamref name="T"/> must be the storage
    /// type (<c>float</c> for float32, …; <c>string</c> or <c>byte[]</c> for strings).
    /// </summary>
    public T[] ToArray<T>()
    {
        if (typeof(T) == typeof(string) && DType == DType.String)
        {
            var b = (byte[][])_data;
            var s = new string[_size];
            for (int i = 0; i < _size; i++) s[i] = Encoding.UTF8.GetString(b[i]);
            return (T[])(object)s;
        }
        if (_data is not T[] a)
            throw new InvalidArgumentException($"Tensor of dtype {DType.Name()} cannot be read as {typeof(T).Name}; use ToArray<{DType.ClrType().Name}>()");
        return a.AsSpan(0, _size).ToArray();
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public T Scalar<T>()
    {
        if (_size != 1)
            throw new InvalidArgumentException($"Scalar<{typeof(T).Name}>() needs a tensor with one element, this one has shape {Shape.Format(Dims)}");
        return ToArray<T>()[0];
    }

    /// <summary>Element <paramref name="flatIndex"/> as a double (numeric and bool tensors).</summary>
    internal double GetDouble(int flatIndex) => _data switch
    {
        float[] f => f[flatIndex],
        double[] d => d[flatIndex],
        int[] i => i[flatIndex],
        long[] l => l[flatIndex],
        short[] s => s[flatIndex],
        sbyte[] sb => sb[flatIndex],
        byte[] b => b[flatIndex],
        ushort[] us => us[flatIndex],
        bool[] bo => bo[flatIndex] ? 1 : 0,
        _ => throw new InvalidArgumentException($"dtype {DType.Name()} is not numeric"),
    };

    /// <summary>Values as 64-bit integers (integer tensors only); used for shape/axis arguments.</summary>
    internal long GetInt64(int flatIndex) => _data switch
    {
        int[] i => i[flatIndex],
        long[] l => l[flatIndex],
        short[] s => s[flatIndex],
        sbyte[] sb => sb[flatIndex],
        byte[] b => b[flatIndex],
        ushort[] us => us[flatIndex],
        _ => throw new InvalidArgumentException($"Expected an integer tensor, got {DType.Name()}"),
    };

    /// <summary>
    /// Checks that this tensor is a scalar argument named <paramref name="what"/>: rank 0, or, for
    /// ops where TF takes any one-element tensor of rank at most <paramref name="maxRank"/>, exactly
    /// one element. Anything else (an empty or longer tensor, a higher rank) is an InvalidArgument
    /// error, which the executor attributes to the node.
    /// </summary>
    internal void RequireScalar(string what, int maxRank = 0)
    {
        if (Rank == 0) return;
        if (maxRank == 0)
            throw new InvalidArgumentException($"{what} must be a scalar, not shape {Shape.Format(Dims)}");
        if (_size != 1 || Rank > maxRank)
            throw new InvalidArgumentException($"{what} must have exactly one element, not shape {Shape.Format(Dims)}");
    }

    /// <summary>The value of the integer scalar argument <paramref name="what"/> (see <see cref="RequireScalar"/>).</summary>
    internal long ScalarInt64(string what, int maxRank = 0)
    {
        RequireScalar(what, maxRank);
        return GetInt64(0);
    }

    /// <summary>The value of the numeric scalar argument <paramref name="what"/> as a double (see <see cref="RequireScalar"/>).</summary>
    internal double ScalarDouble(string what, int maxRank = 0)
    {
        RequireScalar(what, maxRank);
        return GetDouble(0);
    }

    /// <summary>The value of the scalar argument <paramref name="what"/>; <typeparamref name="T"/> must be the storage type.</summary>
    internal T ScalarValue<T>(string what, int maxRank = 0)
    {
        RequireScalar(what, maxRank);
        return Span<T>()[0];
    }

    /// <summary>Most dimensions a shape argument may have (kernels keep dims on the stack).</summary>
    internal const int MaxShapeRank = 64;

    /// <summary>
    /// The length of this shape-argument vector, checked before a kernel sizes stack buffers by it:
    /// it must be a vector (or a scalar when <paramref name="allowScalar"/>) of at most
    /// <see cref="MaxShapeRank"/> elements.
    /// </summary>
    internal int ShapeVectorLength(string what, bool allowScalar = false)
    {
        if (Rank != 1 && !(allowScalar && Rank == 0))
            throw new InvalidArgumentException($"{what} must be a vector, got shape {Shape.Format(Dims)}");
        if (_size > MaxShapeRank) throw new InvalidArgumentException($"{what} has {_size} elements; at most {MaxShapeRank} dimensions are supported");
        return _size;
    }

    /// <summary>
    /// Reads this integer vector into <paramref name="dims"/> as tensor dimensions; a negative or
    /// too large entry is an InvalidArgument error naming <paramref name="what"/>.
    /// </summary>
    internal void ReadDimensions(Span<int> dims, string what)
    {
        if (dims.Length != _size) throw new InternalException($"{what}: {dims.Length} dimensions requested from a tensor of {_size} elements");
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = TensorSize.Dimension(GetInt64(i), "{1}[{0}]", i, what);
        }
    }

    /// <summary>A deep copy.</summary>
    public Tensor Clone()
    {
        Array data;
        if (DType == DType.String)
        {
            var src = (byte[][])_data;
            var b = new byte[_size][];
            for (int i = 0; i < _size; i++) b[i] = (byte[])src[i].Clone();
            data = b;
        }
        else
        {
            data = Array.CreateInstance(_data.GetType().GetElementType()!, _size);
            Array.Copy(_data, data, _size);
        }
        return new Tensor(DType, data, Dims.ToArray(), _size);
    }

    /// <summary>Value equality of dtype, dims and elements.</summary>
    public bool ValueEquals(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (DType != other.DType || !Dims.SequenceEqual(other.Dims)) return false;
        if (DType == DType.String)
        {
            var a = (byte[][])_data; var b = (byte[][])other._data;
            for (int i = 0; i < _size; i++) if (!a[i].AsSpan().SequenceEqual(b[i])) return false;
            return true;
        }
        for (int i = 0; i < _size; i++)
        {
            if (!_data.GetValue(i)!.Equals(other._data.GetValue(i))) return false;
        }
        return true;
    }

    // ------------------------------------------------------------------ in-place reuse (runtime)

    /// <summary>
    /// Makes this tensor hold <paramref name="dims"/> elements of <paramref name="dtype"/>, reusing
    /// the storage when it is large enough. <paramref name="n"/> is the element count of
    /// <paramref name="dims"/> as <see cref="TensorSize.ForAllocation"/> checked it (the caller
    /// checks once, before deciding what to charge). Returns true when no allocation was needed.
    /// </summary>
    internal bool Reuse(DType dtype, ReadOnlySpan<int> dims, int n)
    {
        Debug.Assert(n == ShapeSize(dims), "the element count must be the checked count of dims");
        bool reused = true;
        if (dtype != DType || _data.Length < n)
        {
            _data = NewStorage(dtype, n, dims);
            DType = dtype;
            reused = false;
        }
        SetDims(dims);
        _size = n;
        return reused;
    }

    /// <summary>Whether <see cref="Reuse"/> to <paramref name="elements"/> of <paramref name="dtype"/> would keep the storage.</summary>
    internal bool CanHold(DType dtype, int elements) => dtype == DType && _data.Length >= elements;

    /// <summary>Elements the storage array holds (at least <see cref="Size"/>; more when a reused buffer shrank).</summary>
    internal int Capacity => _data.Length;

    /// <summary>Changes the dims without touching the data (sizes must match).</summary>
    internal void SetDims(ReadOnlySpan<int> dims)
    {
        CheckRank(dims.Length);
        if (_rank == dims.Length && dims.SequenceEqual(Dims)) return;
        if (_dims.Length < dims.Length) _dims = new int[Math.Max(dims.Length, 4)];
        dims.CopyTo(_dims);
        _rank = dims.Length;
        _shape = null;
    }

    /// <summary>Makes this tensor a view of <paramref name="src"/>'s storage with new dims (sizes must match).</summary>
    internal void SetView(Tensor src, ReadOnlySpan<int> dims)
    {
        Debug.Assert(ShapeSize(dims) == src._size, "a view must keep the element count");
        _data = src._data;
        DType = src.DType;
        _size = src._size;
        SetDims(dims);
    }

    /// <summary>An empty holder tensor for runtime buffer slots.</summary>
    internal static Tensor Empty(DType dtype) =>
        new(dtype, dtype == DType.String ? Array.Empty<byte[]>() : Array.CreateInstance(dtype.ClrType(), 0), [0], 0);

    // ------------------------------------------------------------------ conversions

    /// <summary>Scalar float32.</summary>
    public static implicit operator Tensor(float v) => Scalar(v);
    /// <summary>Scalar float64.</summary>
    public static implicit operator Tensor(double v) => Scalar(v);
    /// <summary>Scalar int32.</summary>
    public static implicit operator Tensor(int v) => Scalar(v);
    /// <summary>Scalar int64.</summary>
    public static implicit operator Tensor(long v) => Scalar(v);
    /// <summary>Scalar bool.</summary>
    public static implicit operator Tensor(bool v) => Scalar(v);
    /// <summary>Scalar string.</summary>
    public static implicit operator Tensor(string v) => Scalar(v);
    /// <summary>1-D float32.</summary>
    public static implicit operator Tensor(float[] v) => FromArray(v);
    /// <summary>1-D float64.</summary>
    public static implicit operator Tensor(double[] v) => FromArray(v);
    /// <summary>1-D int32.</summary>
    public static implicit operator Tensor(int[] v) => FromArray(v);
    /// <summary>1-D int64.</summary>
    public static implicit operator Tensor(long[] v) => FromArray(v);
    /// <summary>1-D bool.</summary>
    public static implicit operator Tensor(bool[] v) => FromArray(v);
    /// <summary>1-D string.</summary>
    public static implicit operator Tensor(string[] v) => FromArray(v);
    /// <summary>2-D float32.</summary>
    public static implicit operator Tensor(float[,] v) => FromArray(v);
    /// <summary>2-D float64.</summary>
    public static implicit operator Tensor(double[,] v) => FromArray(v);
    /// <summary>2-D int32.</summary>
    public static implicit operator Tensor(int[,] v) => FromArray(v);
    /// <summary>3-D float32.</summary>
    public static implicit operator Tensor(float[,,] v) => FromArray(v);
    /// <summary>Jagged 2-D float32.</summary>
    public static implicit operator Tensor(float[][] v) => FromArray(v);
    /// <summary>Jagged 2-D int32.</summary>
    public static implicit operator Tensor(int[][] v) => FromArray(v);
}
