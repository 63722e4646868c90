using System.Collections.Concurrent;

namespace TensorGraph.Runtime;

/// <summary>
/// Resources that live as long as the session (TF's per-session <c>ResourceMgr</c>): created by a
/// kernel on first use under a key of its op's choosing (container and shared name, or the node),
/// shared by every run and every execution state of the session, and disposed when the session
/// closes. A resource that blocks runs (a queue) wakes them when disposed. Runtime knows no kind of
/// resource: the kinds live with their ops.
/// </summary>
internal sealed class SessionResources
{
    private readonly ConcurrentDictionary<string, object> _byKey = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _nextId;
    private bool _cleared;

    /// <summary>A number unique in this session, in creation order from 0 (TF's <c>ResourceMgr::GenerateUniqueId</c>).</summary>
    public long NextUniqueId() => Interlocked.Increment(ref _nextId) - 1;

    /// <summary>The resource under <paramref name="key"/>, made by <paramref name="create"/> on first use; <paramref name="create"/> runs once.</summary>
    public object GetOrCreate(string key, Func<object> create)
    {
        if (_byKey.TryGetValue(key, out var r)) return r;
        lock (_lock)
        {
            if (_cleared) throw new CancelledException("Run call was cancelled: the session was closed while the run was in flight");
            if (_byKey.TryGetValue(key, out r)) return r;
            r = create();
            _byKey[key] = r;
            return r;
        }
    }

    /// <summary>How many resources the session holds.</summary>
    public int Count => _byKey.Count;

    /// <summary>Disposes every resource (the session is closing) and refuses new ones.</summary>
    public void Clear()
    {
        object[] all;
        lock (_lock)
        {
            _cleared = true;
            all = [.. _byKey.Values];
            _byKey.Clear();
        }
        foreach (var r in all) (r as IDisposable)?.Dispose();
    }
}
