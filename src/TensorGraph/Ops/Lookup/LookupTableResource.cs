using System.Text;
using TensorGraph.Ops;

namespace TensorGraph;

/// <summary>
/// An immutable hash table living in the session (TF's <c>lookup::HashTable</c>, an
/// <c>InitializableLookupTable</c>): scalar keys of <see cref="KeyType"/> to scalar values of
/// <see cref="ValueType"/>, filled once by an import (<see cref="Import"/>) and read by
/// <see cref="Find"/>. Thread-safe.
/// </summary>
internal sealed class LookupTableResource(string name, DType keyType, DType valueType)
{
    private readonly Lock _lock = new();
    private Dictionary<object, int>? _index;
    private Tensor? _values;

    /// <summary>The table's name: its shared name or node.</summary>
    public string Name { get; } = name;

    /// <summary>The dtype of the keys.</summary>
    public DType KeyType { get; } = keyType;

    /// <summary>The dtype of the values.</summary>
    public DType ValueType { get; } = valueType;

    /// <summary>A handle to this table.</summary>
    public Tensor ToTensor() => new(DType.Resource, new object[] { this }, [], 1);

    /// <summary>The table a handle refers to; InvalidArgument for anything else.</summary>
    public static LookupTableResource Resolve(Tensor handle)
    {
        if (handle.DType != DType.Resource || handle.Size != 1 || handle.Data.GetValue(0) is not LookupTableResource t)
            throw new InvalidArgumentException($"Expected a handle to a lookup table, got a {handle.DType.Name()} tensor of shape {Shape.Format(handle.Dims)}");
        return t;
    }

    private void CheckTypes(Tensor keys, DType valueType)
    {
        if (keys.DType != KeyType) throw new InvalidArgumentException($"Key must be type {ArgSpec.TfName(KeyType)} but got {ArgSpec.TfName(keys.DType)}");
        if (valueType != ValueType) throw new InvalidArgumentException($"Value must be type {ArgSpec.TfName(ValueType)} but got {ArgSpec.TfName(valueType)}");
    }

    /// <summary>The dictionary key of element <paramref name="i"/> of <paramref name="keys"/> (strings compare bytewise).</summary>
    private static object KeyAt(Tensor keys, int i) => keys.DType switch
    {
        DType.String => Encoding.Latin1.GetString(keys.Span<byte[]>()[i]),
        DType.Int64 => keys.Span<long>()[i],
        DType.Int32 => (long)keys.Span<int>()[i],
        _ => throw new UnimplementedException($"Lookup tables with keys of dtype {keys.DType.Name()} are not supported"),
    };

    /// <summary>
    /// TF's <c>InitializableLookupTable::ImportValues</c>: fills the table with
    /// <paramref name="keys"/> → <paramref name="values"/> (same shape). A key given twice with
    /// different values is a FailedPrecondition; importing into a filled table succeeds only with
    /// the same entries.
    /// </summary>
    public void Import(Tensor keys, Tensor values)
    {
        CheckTypes(keys, values.DType);
        if (!keys.Dims.SequenceEqual(values.Dims))
            throw new InvalidArgumentException($"Expected shape {Shape.Format(keys.Dims)} for value, got {Shape.Format(values.Dims)}");
        var index = new Dictionary<object, int>();
        for (int i = 0; i < keys.Size; i++)
        {
            var k = KeyAt(keys, i);
            if (index.TryGetValue(k, out int j))
            {
                if (!SameValue(values, j, values, i))
                    throw new FailedPreconditionException($"HashTable has different value for same key. Key {Display(keys, i)} has {Display(values, j)} and trying to add value {Display(values, i)}");
                continue;
            }
            index[k] = i;
        }
        lock (_lock)
        {
            if (_index is not null)
            {
                bool same = _index.Count == index.Count && index.All(kv => _index.TryGetValue(kv.Key, out int j) && SameValue(_values!, j, values, kv.Value));
                if (!same) throw new FailedPreconditionException("Table was already initialized with different data.");
                return;
            }
            _values = values.Clone();
            _index = index;
        }
    }

    /// <summary>TF's <c>HashTable::Find</c>: the value of each key (shape of <paramref name="keys"/>), <paramref name="defaultValue"/> where a key is absent.</summary>
    public Tensor Find(Tensor keys, Tensor defaultValue)
    {
        CheckTypes(keys, defaultValue.DType);
        if (defaultValue.Rank != 0)
            throw new InvalidArgumentException($"Expected shape [] for arg default_value but got shape {Shape.Format(defaultValue.Dims)}");
        Dictionary<object, int> index;
        Tensor values;
        lock (_lock)
        {
            if (_index is null) throw new FailedPreconditionException("Table not initialized.");
            index = _index;
            values = _values!;
        }
        var o = Tensor.Zeros(ValueType, keys.Dims.ToArray());
        for (int i = 0; i < keys.Size; i++)
        {
            if (index.TryGetValue(KeyAt(keys, i), out int j)) CopyValue(values, j, o, i);
            else CopyValue(defaultValue, 0, o, i);
        }
        return o;
    }

    private static void CopyValue(Tensor src, int i, Tensor dst, int j)
    {
        switch (src.DType)
        {
            case DType.String: dst.Span<byte[]>()[j] = src.Span<byte[]>()[i]; break;
            case DType.Int64: dst.Span<long>()[j] = src.Span<long>()[i]; break;
            case DType.Int32: dst.Span<int>()[j] = src.Span<int>()[i]; break;
            case DType.Float32: dst.Span<float>()[j] = src.Span<float>()[i]; break;
            case DType.Float64: dst.Span<double>()[j] = src.Span<double>()[i]; break;
            case DType.Bool: dst.Span<bool>()[j] = src.Span<bool>()[i]; break;
            default: throw new UnimplementedException($"Lookup tables with values of dtype {src.DType.Name()} are not supported");
        }
    }

    private static bool SameValue(Tensor a, int i, Tensor b, int j) => a.DType switch
    {
        DType.String => a.Span<byte[]>()[i].AsSpan().SequenceEqual(b.Span<byte[]>()[j]),
        DType.Int64 => a.Span<long>()[i] == b.Span<long>()[j],
        DType.Int32 => a.Span<int>()[i] == b.Span<int>()[j],
        DType.Float32 => a.Span<float>()[i].Equals(b.Span<float>()[j]),
        DType.Float64 => a.Span<double>()[i].Equals(b.Span<double>()[j]),
        DType.Bool => a.Span<bool>()[i] == b.Span<bool>()[j],
        _ => throw new UnimplementedException($"Lookup tables with values of dtype {a.DType.Name()} are not supported"),
    };

    private static string Display(Tensor t, int i) => t.DType switch
    {
        DType.String => Encoding.UTF8.GetString(t.Span<byte[]>()[i]),
        DType.Int64 => t.Span<long>()[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
        DType.Int32 => t.Span<int>()[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
        DType.Float32 => t.Span<float>()[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
        DType.Float64 => t.Span<double>()[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => t.Span<bool>()[i] ? "true" : "false",
    };
}
