using System.Collections;
using System.Runtime.CompilerServices;
using System.Text;
using TensorGraph.Proto;

namespace TensorGraph;

/// <summary>
/// A static tensor shape as TensorFlow's <c>TensorShape</c>: a list of dimensions where -1 means
/// an unknown size, or an unknown rank altogether. Immutable.
/// </summary>
[CollectionBuilder(typeof(Shape), nameof(Create))]
public sealed class Shape : IEquatable<Shape>, IEnumerable<int>
{
    private readonly int[]? _dims;

    /// <summary>A shape of unknown rank.</summary>
    public static readonly Shape Unknown = new(null, true);

    /// <summary>The scalar shape <c>()</c>.</summary>
    public static readonly Shape Scalar = new(Array.Empty<int>(), true);

    /// <summary>Creates a shape with the given dimensions (-1 = unknown size).</summary>
    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        foreach (var d in dims)
        {
            if (d < -1) throw new InvalidArgumentException($"Dimension {d} must be >= 0 or -1 (unknown) in shape [{string.Join(", ", dims)}]");
        }
        CheckKnownElements(dims);
        _dims = (int[])dims.Clone();
    }

    private Shape(int[]? dims, bool _) => _dims = dims;

    /// <summary>Wraps dimensions computed from values (e.g. a constant shape input), checking that their element count fits in 64 bits.</summary>
    internal static Shape Wrap(int[] dims)
    {
        CheckKnownElements(dims);
        return new(dims, true);
    }

    /// <summary>
    /// TF's shape rule: the product of the known dimensions must fit in 64 bits, else the shape is
    /// an InvalidArgument error.
    /// </summary>
    private static void CheckKnownElements(ReadOnlySpan<int> dims)
    {
        long n = 1;
        foreach (var d in dims)
        {
            if (d <= 0) continue;
            if (Math.BigMul(n, d, out long lo) != 0 || lo < 0)
                throw new InvalidArgumentException($"Shape {Format(dims).Replace("-1", "?", StringComparison.Ordinal)} would have more than 2**63 - 1 elements");
            n = lo;
        }
    }

    /// <summary>Creates a shape from dimensions (collection-expression support: <c>Shape s = [-1, 784];</c>).</summary>
    public static Shape Create(ReadOnlySpan<int> dims) => new(dims.ToArray());

    /// <summary>Enumerates the dimensions (none for unknown rank).</summary>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)(_dims ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Creates a shape from a span of dimensions.</summary>
    public static Shape FromSpan(ReadOnlySpan<int> dims) => new(dims.ToArray(), true);

    /// <summary>TensorFlow's limit on the number of dimensions of a shape (TensorShape's kMaxDims).</summary>
    internal const int MaxRank = 254;

    /// <summary>A shape with <paramref name="rank"/> unknown dimensions.</summary>
    /// <exception cref="InvalidArgumentException"><paramref name="rank"/> is negative or above TF's 254.</exception>
    public static Shape UnknownOfRank(int rank)
    {
        if (rank < 0 || rank > MaxRank)
            throw new InvalidArgumentException($"A shape of rank {rank} is not possible: a shape has 0 to {MaxRank} dimensions");
        var d = new int[rank];
        Array.Fill(d, -1);
        return new Shape(d, true);
    }

    /// <summary>True when the rank is known.</summary>
    public bool IsRankKnown => _dims is not null;

    /// <summary>Rank (number of dimensions), or -1 when unknown.</summary>
    public int Rank => _dims?.Length ?? -1;

    /// <summary>True when the rank and every dimension are known.</summary>
    public bool IsFullyDefined => _dims is not null && Array.TrueForAll(_dims, d => d >= 0);

    /// <summary>The dimensions; throws when the rank is unknown.</summary>
    public ReadOnlySpan<int> Dims => _dims ?? throw new InvalidArgumentException("Shape has unknown rank");

    /// <summary>A copy of the dimensions (empty array for unknown rank).</summary>
    public int[] ToArray() => _dims is null ? [] : (int[])_dims.Clone();

    /// <summary>Dimension <paramref name="i"/> (negative counts from the end); -1 when unknown.</summary>
    public int this[int i]
    {
        get
        {
            if (_dims is null) return -1;
            int j = i < 0 ? i + _dims.Length : i;
            if ((uint)j >= (uint)_dims.Length)
                throw new InvalidArgumentException($"Dimension index {i} is out of range for shape {this}");
            return _dims[j];
        }
    }

    /// <summary>Number of elements, or -1 when not fully defined (saturates at <see cref="long.MaxValue"/>).</summary>
    public long NumElements
    {
        get
        {
            if (!IsFullyDefined) return -1;
            long n = 1;
            foreach (var d in _dims!) n = d == 0 ? 0 : n > long.MaxValue / d ? long.MaxValue : n * d;
            return n;
        }
    }

    /// <summary>True if some tensor could have both shapes.</summary>
    public bool IsCompatibleWith(Shape other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (_dims is null || other._dims is null) return true;
        if (_dims.Length != other._dims.Length) return false;
        for (int i = 0; i < _dims.Length; i++)
        {
            if (_dims[i] >= 0 && other._dims[i] >= 0 && _dims[i] != other._dims[i]) return false;
        }
        return true;
    }

    /// <summary>True if a concrete tensor with dimensions <paramref name="dims"/> fits this shape.</summary>
    public bool IsCompatibleWith(ReadOnlySpan<int> dims)
    {
        if (_dims is null) return true;
        if (_dims.Length != dims.Length) return false;
        for (int i = 0; i < dims.Length; i++)
        {
            if (_dims[i] >= 0 && _dims[i] != dims[i]) return false;
        }
        return true;
    }

    /// <summary>The most specific shape compatible with both; throws when they are incompatible.</summary>
    public Shape MergeWith(Shape other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (_dims is null) return other;
        if (other._dims is null) return this;
        if (!IsCompatibleWith(other))
            throw new InvalidArgumentException($"Shapes {this} and {other} are not compatible");
        var d = new int[_dims.Length];
        for (int i = 0; i < d.Length; i++) d[i] = _dims[i] >= 0 ? _dims[i] : other._dims[i];
        return new Shape(d, true);
    }

    /// <summary>Python-style text: <c>(?, 784)</c>, <c>(3,)</c>, <c>()</c>, <c>&lt;unknown&gt;</c>.</summary>
    public override string ToString()
    {
        if (_dims is null) return "<unknown>";
        if (_dims.Length == 1) return $"({Dim(_dims[0])},)";
        var sb = new StringBuilder("(");
        for (int i = 0; i < _dims.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(Dim(_dims[i]));
        }
        return sb.Append(')').ToString();
    }

    private static string Dim(int d) => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Formats concrete dimensions as <c>[2, 3]</c>.</summary>
    internal static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    /// <inheritdoc/>
    public bool Equals(Shape? other)
    {
        if (other is null) return false;
        if (_dims is null || other._dims is null) return _dims is null && other._dims is null;
        return _dims.AsSpan().SequenceEqual(other._dims);
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        if (_dims is null) return -1;
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>Implicit conversion from a dimension array.</summary>
    public static implicit operator Shape(int[] dims) => new(dims);

    /// <summary>Converts to TensorFlow's <c>TensorShapeProto</c>.</summary>
    public TensorShapeProto ToProto()
    {
        var p = new TensorShapeProto();
        if (_dims is null) { p.UnknownRank = true; return p; }
        foreach (var d in _dims) p.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return p;
    }

    /// <summary>Reads a <c>TensorShapeProto</c>.</summary>
    public static Shape FromProto(TensorShapeProto p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.UnknownRank) return Unknown;
        var d = new int[p.Dim.Count];
        for (int i = 0; i < d.Length; i++)
        {
            long s = p.Dim[i].Size;
            if (s < -1 || s > int.MaxValue) throw new InvalidArgumentException($"Invalid dimension size {s} in TensorShapeProto");
            d[i] = (int)s;
        }
        CheckKnownElements(d);
        return new Shape(d, true);
    }
}
