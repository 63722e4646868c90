namespace TensorGraph.Runtime;

/// <summary>
/// A resource that lives for one run (TF's per-step resource in the step container): created by
/// a kernel during a <c>Session.Run</c>, reached through a <see cref="DType.Resource"/> handle
/// tensor, and released when the run ends. Ops that act on it take <see cref="Sync"/> while they do.
/// </summary>
internal abstract class RunResource(string name)
{
    /// <summary>The resource's name in error messages (TF's <c>stack_name</c>, <c>tensor_array_name</c> plus a serial).</summary>
    public string Name { get; } = name;

    /// <summary>Taken by every op that reads or changes the resource.</summary>
    public readonly Lock Sync = new();

    /// <summary>Set once the run that created the resource has ended.</summary>
    public bool Released { get; private set; }

    /// <summary>What the resource is, for messages ("stack", "tensor array").</summary>
    public abstract string Kind { get; }

    /// <summary>Ends the resource's life: drops what it holds; later use through a kept handle fails.</summary>
    public void Release()
    {
        lock (Sync)
        {
            Released = true;
            OnRelease();
        }
    }

    /// <summary>Drops the tensors the resource holds (called under <see cref="Sync"/>).</summary>
    protected abstract void OnRelease();
}

/// <summary>
/// The resources created during the current run of one execution state (TF's step container,
/// <c>ScopedStepContainer</c>): each is registered under a key — the producing node and a serial
/// unique to that execution of it, or a key of the op's choosing for look-up-or-create resources
/// (a tensor array's gradient array) — and all of them are released when the run ends, whether
/// it succeeded or failed. Every execution state has its own, so concurrent runs of one plan
/// never share per-run state; the methods are thread-safe.
/// </summary>
internal sealed class RunResources
{
    private static long s_serial;

    private readonly Lock _lock = new();
    private readonly Dictionary<object, RunResource> _byKey = [];

    /// <summary>A process-wide number, different for every call (TF's stack and tensor-array counters).</summary>
    public static long NextSerial() => Interlocked.Increment(ref s_serial) - 1;

    /// <summary>How many resources the current run has created.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _byKey.Count;
        }
    }

    /// <summary>
    /// Creates a resource for one execution of <paramref name="producer"/>: <paramref name="create"/>
    /// gets a fresh serial (for the resource's name) and the resource is kept until the run ends.
    /// </summary>
    public T Create<T>(Operation producer, Func<long, T> create) where T : RunResource
    {
        long serial = NextSerial();
        var r = create(serial);
        lock (_lock) _byKey.Add((producer, serial), r);
        return r;
    }

    /// <summary>The resource registered under <paramref name="key"/> in this run, created by <paramref name="create"/> on first use (TF's <c>LookupOrCreate</c>).</summary>
    public T GetOrCreate<T>(object key, Func<T> create) where T : RunResource
    {
        lock (_lock)
        {
            if (_byKey.TryGetValue(key, out var r))
                return r as T ?? throw new InternalException($"Run resource {r.Name} is a {r.Kind}, not a {typeof(T).Name}");
            var made = create();
            _byKey.Add(key, made);
            return made;
        }
    }

    /// <summary>The resource registered under <paramref name="key"/> in this run, or null (TF's <c>Lookup</c>).</summary>
    public T? Find<T>(object key) where T : RunResource
    {
        lock (_lock)
        {
            if (!_byKey.TryGetValue(key, out var r)) return null;
            return r as T ?? throw new InternalException($"Run resource {r.Name} is a {r.Kind}, not a {typeof(T).Name}");
        }
    }

    /// <summary>Releases every resource of the run (the run is over) and forgets them.</summary>
    public void ReleaseAll()
    {
        RunResource[] all;
        lock (_lock)
        {
            if (_byKey.Count == 0) return;
            all = [.. _byKey.Values];
            _byKey.Clear();
        }
        foreach (var r in all) r.Release();
    }

    /// <summary>A scalar <see cref="DType.Resource"/> tensor that refers to <paramref name="resource"/>.</summary>
    public static Tensor Handle(RunResource resource) => new(DType.Resource, new object[] { resource }, [], 1);

    /// <summary>
    /// The live resource of type <typeparamref name="T"/> that <paramref name="handle"/> refers to.
    /// A handle to something else is InvalidArgument; one whose run has ended is NotFound, as in
    /// TF when a step's resource is looked up after the step.
    /// </summary>
    public static T Resolve<T>(Tensor handle, string kind) where T : RunResource
    {
        if (handle.DType != DType.Resource || handle.Size != 1 || handle.Data.GetValue(0) is not T r)
            throw new InvalidArgumentException($"Expected a handle to a {kind}, got a {handle.DType.Name()} tensor of shape {Shape.Format(handle.Dims)}" +
                (handle.DType == DType.Resource && handle.Size == 1 && handle.Data.GetValue(0) is RunResource other ? $" that refers to {other.Kind} {other.Name}" : ""));
        if (r.Released)
            throw new NotFoundException($"Resource {kind} {r.Name} does not exist: it was created by an earlier run, and {kind}s live for one Session.Run");
        return r;
    }
}
