using System.Collections;

namespace TensorGraph;

/// <summary>
/// Values to feed into a run, keyed by tensor (<c>feed[x] = value</c>) or by tensor name
/// (<c>feed["x:0"] = value</c>), like TF's <c>feed_dict</c>.
/// </summary>
public sealed class FeedDict : IEnumerable<KeyValuePair<Output, Tensor>>
{
    private readonly Dictionary<Output, Tensor> _byTensor = [];
    private readonly Dictionary<string, Tensor> _byName = new(StringComparer.Ordinal);

    /// <summary>Sets the value fed to <paramref name="tensor"/>.</summary>
    public Tensor this[Output tensor]
    {
        get => _byTensor[tensor];
        set => _byTensor[tensor] = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Sets the value fed to the tensor named <paramref name="name"/> (<c>op</c> or <c>op:index</c>).</summary>
    public Tensor this[string name]
    {
        get => _byName[name];
        set => _byName[name] = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Adds a feed (collection-initializer support).</summary>
    public void Add(Output tensor, Tensor value) => this[tensor] = value;

    /// <summary>Adds a feed by tensor name.</summary>
    public void Add(string name, Tensor value) => this[name] = value;

    /// <summary>
    /// Whether a numeric or bool value of another dtype is converted to the fed tensor's dtype, as
    /// TF's Python <c>session.run</c> converts feed_dict values (true, the default). Servers set it
    /// false: TF's C++ session, which the model server and the master protocol reach, takes only
    /// exact dtypes and refuses the rest.
    /// </summary>
    public bool ConvertDtypes { get; init; } = true;

    /// <summary>Number of feeds.</summary>
    public int Count => _byTensor.Count + _byName.Count;

    internal IEnumerable<KeyValuePair<string, Tensor>> ByName => _byName;

    internal IEnumerable<KeyValuePair<Output, Tensor>> ByTensor => _byTensor;

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<Output, Tensor>> GetEnumerator() => _byTensor.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Wraps a dictionary of feeds.</summary>
    public static implicit operator FeedDict(Dictionary<Output, Tensor> d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var f = new FeedDict();
        foreach (var (k, v) in d) f[k] = v;
        return f;
    }
}

/// <summary>
/// Something to fetch in <see cref="Session.Run(Fetch, Fetch, FeedDict?, RunOptions?, CancellationToken)"/>: a tensor (its value is
/// returned), an operation (run for its effect; its result is null, as in TF) or a name.
/// </summary>
public readonly struct Fetch
{
    private Fetch(Output? t, Operation? op, string? name) { Tensor = t; Op = op; Name = name; }

    internal Output? Tensor { get; }
    internal Operation? Op { get; }
    internal string? Name { get; }

    /// <summary>Fetch a tensor's value.</summary>
    public static implicit operator Fetch(Output t) => new(t, null, null);

    /// <summary>Run an operation (its result is null).</summary>
    public static implicit operator Fetch(Operation op) => new(null, op, null);

    /// <summary>By name: <c>"x:0"</c> is a tensor, <c>"train"</c> (no colon) an operation.</summary>
    public static implicit operator Fetch(string name) => new(null, null, name);

    /// <summary>Fetch a variable's value.</summary>
    public static implicit operator Fetch(Variable v)
    {
        ArgumentNullException.ThrowIfNull(v);
        return new(v.Value, null, null);
    }
}
