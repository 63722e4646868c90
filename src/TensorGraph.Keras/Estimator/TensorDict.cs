namespace TensorGraph.Estimator;

/// <summary>
/// What TF passes as features and returns as predictions: a single tensor or a name → tensor
/// dictionary. A tensor or a dictionary converts implicitly.
/// </summary>
public sealed class TensorDict
{
    private readonly Dictionary<string, Output>? _items;

    /// <summary>A single tensor.</summary>
    public TensorDict(Output single)
    {
        if (single.Op is null) throw new ArgumentException("The tensor is a default (unset) Output", nameof(single));
        Single = single;
    }

    /// <summary>A dictionary of tensors, keyed by name (at least one).</summary>
    public TensorDict(IEnumerable<KeyValuePair<string, Output>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = new Dictionary<string, Output>(StringComparer.Ordinal);
        foreach (var (k, v) in items)
        {
            ArgumentNullException.ThrowIfNull(k);
            if (v.Op is null) throw new ArgumentException($"The tensor '{k}' is a default (unset) Output", nameof(items));
            _items[k] = v;
        }
        if (_items.Count == 0) throw new ArgumentException("A tensor dictionary needs at least one tensor", nameof(items));
    }

    /// <summary>The tensor, when this is not a dictionary.</summary>
    public Output? Single { get; }

    /// <summary>The dictionary, when this is one.</summary>
    public IReadOnlyDictionary<string, Output>? Items => _items;

    /// <summary>Whether this is a dictionary.</summary>
    public bool IsDictionary => _items is not null;

    /// <summary>The graph of the tensors.</summary>
    public Graph Graph => (Single ?? _items!.Values.First()).Op.Graph;

    /// <summary>Every tensor: the single one, or the dictionary's values in key order.</summary>
    public IEnumerable<KeyValuePair<string, Output>> Pairs =>
        _items is null ? [new KeyValuePair<string, Output>("", Single!.Value)] : _items.OrderBy(kv => kv.Key, StringComparer.Ordinal);

    /// <summary>The dictionary's tensor <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">This is a single tensor, or has no such key.</exception>
    public Output this[string key] => _items is not null && _items.TryGetValue(key, out var v) ? v
        : throw new KeyNotFoundException(_items is null ? $"The features are a single tensor, not a dictionary (asked for '{key}')" : $"No feature '{key}'; there are: {string.Join(", ", _items.Keys)}");

    /// <summary>A single tensor.</summary>
    public static implicit operator TensorDict(Output single) => new(single);

    /// <summary>A dictionary of tensors.</summary>
    public static implicit operator TensorDict(Dictionary<string, Output> items) => new(items);

    /// <summary>A single tensor.</summary>
    public static TensorDict FromOutput(Output single) => new(single);
}
