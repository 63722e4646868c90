using System.Globalization;
using Grpc.Core;
using TensorGraph.Serialization;
using Tensorflow.Serving;
using State = Tensorflow.Serving.ModelVersionStatus.Types.State;

namespace TensorGraph.Serving;

/// <summary>
/// One version of a served model: a SavedModel loaded from <c>BASE/VERSION</c>. Requests hold a
/// lease on it (<see cref="ModelManager.Acquire"/>); once unloading starts no new lease is given,
/// and the bundle is disposed when the last lease ends, so in-flight requests finish on it.
/// </summary>
public sealed class ServableVersion
{
    private readonly object _gate = new();
    private int _leases;

    internal ServableVersion(string name, long version, string path)
    {
        Name = name;
        Version = version;
        Path = path;
    }

    /// <summary>The model name.</summary>
    public string Name { get; }

    /// <summary>The version number (the directory name).</summary>
    public long Version { get; }

    /// <summary>The SavedModel directory.</summary>
    public string Path { get; }

    /// <summary>The loaded model; null until loaded and after unloading.</summary>
    public SavedModelBundle? Bundle { get; private set; }

    /// <summary>TF Serving's state of this version.</summary>
    public State State { get; private set; } = State.Start;

    /// <summary>The error that ended this version (a failed load), or null.</summary>
    public ServingException? Error { get; private set; }

    internal int LoadAttempts { get; set; }

    internal void Loading()
    {
        lock (_gate) State = State.Loading;
    }

    internal void Loaded(SavedModelBundle bundle)
    {
        lock (_gate)
        {
            Bundle = bundle;
            State = State.Available;
            Error = null;
        }
    }

    internal void Failed(ServingException error, bool final)
    {
        lock (_gate)
        {
            Error = error;
            State = final ? State.End : State.Start;
        }
    }

    internal bool TryAcquire()
    {
        lock (_gate)
        {
            if (State != State.Available) return false;
            _leases++;
            return true;
        }
    }

    internal void Release()
    {
        SavedModelBundle? dispose = null;
        lock (_gate)
        {
            _leases--;
            if (_leases == 0 && State == State.Unloading) dispose = Finish();
        }
        dispose?.Dispose();
    }

    /// <summary>Stops new leases; the bundle goes when the last in-flight request ends.</summary>
    internal void Unload()
    {
        SavedModelBundle? dispose = null;
        lock (_gate)
        {
            if (State != State.Available) return;
            State = State.Unloading;
            if (_leases == 0) dispose = Finish();
        }
        dispose?.Dispose();
    }

    private SavedModelBundle? Finish()
    {
        var b = Bundle;
        Bundle = null;
        State = State.End;
        return b;
    }
}

/// <summary>A lease on a loaded version, held while a request runs on it.</summary>
public readonly struct ServableLease : IDisposable
{
    internal ServableLease(ServableVersion version) => Version = version;

    /// <summary>The version leased.</summary>
    public ServableVersion Version { get; }

    /// <summary>The loaded model.</summary>
    public SavedModelBundle Bundle => Version.Bundle!;

    /// <summary>Ends the lease.</summary>
    public void Dispose() => Version?.Release();
}

/// <summary>
/// The models served and their versions, kept in step with the file system the way TF Serving's
/// file-system storage path source does: each model has a base path whose numbered subdirectories
/// are versions; the version policy (default: the latest one) picks which are served. A poll loads
/// versions that appeared (before unloading any, so the model stays available) and unloads those
/// no longer wanted.
/// </summary>
public sealed class ModelManager : IDisposable
{
    private const int MaxLoadAttempts = 5;

    private readonly object _pollGate = new();
    private readonly object _gate = new();
    private readonly Dictionary<string, ModelEntry> _models = new(StringComparer.Ordinal);
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private Task? _poller;

    private sealed class ModelEntry(ModelConfig config)
    {
        public ModelConfig Config { get; set; } = config;
        public SortedDictionary<long, ServableVersion> Versions { get; } = [];
    }

    /// <summary>A manager over <paramref name="config"/>'s models; call <see cref="Start"/> to load them.</summary>
    public ModelManager(ModelServerConfig config, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _log = log ?? (_ => { });
        SetConfig(config);
    }

    /// <summary>The config for one model (<c>--model_name</c>, <c>--model_base_path</c>).</summary>
    public static ModelServerConfig SingleModel(string name, string basePath)
    {
        var c = new ModelServerConfig { ModelConfigList = new ModelConfigList() };
        c.ModelConfigList.Config.Add(new ModelConfig { Name = name, BasePath = basePath, ModelPlatform = "tensorflow" });
        return c;
    }

    /// <summary>Reads a text-format <c>ModelServerConfig</c> (<c>--model_config_file</c>).</summary>
    public static ModelServerConfig ReadConfigFile(string path) => ProtoFiles.ReadText<ModelServerConfig>(path);

    /// <summary>The names of the configured models.</summary>
    public IReadOnlyList<string> ModelNames
    {
        get
        {
            lock (_gate) return _models.Keys.Order(StringComparer.Ordinal).ToArray();
        }
    }

    private void SetConfig(ModelServerConfig config)
    {
        if (config.ConfigCase != ModelServerConfig.ConfigOneofCase.ModelConfigList)
            throw ServingException.InvalidArgument("ModelServerConfig must hold a model_config_list (custom_model_config is not supported)");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in config.ModelConfigList.Config)
        {
            if (m.Name.Length == 0) throw ServingException.InvalidArgument("A model config has no name");
            if (m.BasePath.Length == 0) throw ServingException.InvalidArgument($"Model {m.Name} has no base_path");
            if (!seen.Add(m.Name)) throw ServingException.InvalidArgument($"Illegal to list model {m.Name} multiple times in config list");
            if (m.ModelPlatform.Length > 0 && m.ModelPlatform != "tensorflow")
                throw ServingException.InvalidArgument($"Model {m.Name}: model_platform '{m.ModelPlatform}' is not supported (only 'tensorflow')");
        }
        List<ServableVersion> drop = [];
        lock (_gate)
        {
            foreach (var name in _models.Keys.ToArray())
            {
                if (seen.Contains(name)) continue;
                drop.AddRange(_models[name].Versions.Values);
                _models.Remove(name);
            }
            foreach (var m in config.ModelConfigList.Config)
            {
                if (_models.TryGetValue(m.Name, out var e)) e.Config = m;
                else _models[m.Name] = new ModelEntry(m);
            }
        }
        foreach (var v in drop) v.Unload();
    }

    /// <summary>
    /// Replaces the model list (ModelService/HandleReloadConfigRequest): models no longer listed
    /// are unloaded, new ones loaded, policies and labels take effect.
    /// </summary>
    public void Reload(ModelServerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        lock (_pollGate)
        {
            SetConfig(config);
            PollLocked();
        }
    }

    /// <summary>
    /// Loads what the file system holds now, then, when <paramref name="pollSeconds"/> is
    /// positive, polls again every that many seconds until disposed (TF Serving's
    /// <c>--file_system_poll_wait_seconds</c>; 0 polls once).
    /// </summary>
    public void Start(int pollSeconds)
    {
        Poll();
        if (pollSeconds > 0 && _poller is null)
        {
            var token = _stop.Token;
            _poller = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(pollSeconds));
                try
                {
                    while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false)) Poll();
                }
                catch (OperationCanceledException)
                {
                }
            }, token);
        }
    }

    /// <summary>Brings every model in step with its base path once.</summary>
    public void Poll()
    {
        lock (_pollGate) PollLocked();
    }

    private void PollLocked()
    {
        ModelEntry[] models;
        lock (_gate) models = _models.Values.ToArray();
        foreach (var m in models)
        {
            try
            {
                PollModel(m);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log($"Cannot read base path {m.Config.BasePath} of model {m.Config.Name}: {e.Message}");
            }
        }
    }

    private static IEnumerable<(long Version, string Path)> VersionDirs(string basePath)
    {
        if (!Directory.Exists(basePath)) yield break;
        foreach (var d in Directory.EnumerateDirectories(basePath))
        {
            var name = System.IO.Path.GetFileName(d);
            if (name.Length > 0 && name.All(char.IsAsciiDigit) && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                yield return (v, d);
        }
    }

    private void PollModel(ModelEntry m)
    {
        var cfg = m.Config;
        var found = VersionDirs(cfg.BasePath).ToDictionary(x => x.Version, x => x.Path);
        if (found.Count == 0) _log($"No versions of servable {cfg.Name} found under base path {cfg.BasePath}");
        var policy = cfg.ModelVersionPolicy;
        IEnumerable<long> aspired = policy?.PolicyChoiceCase switch
        {
            Tensorflow.Serving.FileSystemStoragePathSourceConfig.Types.ServableVersionPolicy.PolicyChoiceOneofCase.All => found.Keys,
            Tensorflow.Serving.FileSystemStoragePathSourceConfig.Types.ServableVersionPolicy.PolicyChoiceOneofCase.Specific =>
                found.Keys.Where(v => policy.Specific.Versions.Contains(v)),
            _ => found.Keys.OrderDescending().Take((int)Math.Max(1u, policy?.Latest?.NumVersions ?? 1u)),
        };
        var want = aspired.ToHashSet();

        // Load first, so the model stays available while versions change.
        foreach (var v in want.Order())
        {
            ServableVersion sv;
            lock (_gate)
            {
                if (!m.Versions.TryGetValue(v, out sv!) || (sv.State == State.End && sv.Error is null))
                    m.Versions[v] = sv = new ServableVersion(cfg.Name, v, found[v]);
            }
            if (sv.State != State.Start || sv.LoadAttempts >= MaxLoadAttempts) continue;
            sv.Loading();
            sv.LoadAttempts++;
            try
            {
                var bundle = SavedModelBundle.LoadForServing(found[v], SavedModelBundle.ServeTag);
                sv.Loaded(bundle);
                _log($"Successfully loaded servable version {{name: {cfg.Name} version: {v}}}");
            }
            catch (Exception e)
            {
                var err = ServingException.From(e);
                bool final = sv.LoadAttempts >= MaxLoadAttempts || e is TensorGraphException { Code: not ErrorCode.NotFound };
                sv.Failed(err, final);
                _log($"Loading servable {{name: {cfg.Name} version: {v}}} failed: {err.Message}");
            }
        }
        bool anyAvailable;
        ServableVersion[] unload;
        lock (_gate)
        {
            anyAvailable = want.Any(v => m.Versions.TryGetValue(v, out var s) && s.State == State.Available);
            unload = m.Versions.Values.Where(s => !want.Contains(s.Version) && s.State == State.Available).ToArray();
        }
        if (!anyAvailable && found.Count > 0) return; // availability preserving: keep what serves until a wanted version loads
        foreach (var s in unload)
        {
            s.Unload();
            _log($"Unloaded servable version {{name: {cfg.Name} version: {s.Version}}}");
        }
    }

    /// <summary>
    /// A lease on the version <paramref name="spec"/> asks for: the given version, the version a
    /// label names, or the latest available one. Errors are TF Serving's: INVALID_ARGUMENT for a
    /// missing name or unknown label, NOT_FOUND <c>Servable not found for request: Latest(NAME)</c> /
    /// <c>Specific(NAME, VERSION)</c>.
    /// </summary>
    public ServableLease Acquire(ModelSpec? spec)
    {
        if (spec is null) throw ServingException.InvalidArgument("Missing ModelSpec");
        if (spec.Name.Length == 0) throw ServingException.InvalidArgument("ModelSpec has no name specified.");
        long? version = spec.VersionChoiceCase switch
        {
            ModelSpec.VersionChoiceOneofCase.Version => spec.Version,
            ModelSpec.VersionChoiceOneofCase.VersionLabel => Label(spec.Name, spec.VersionLabel),
            _ => null,
        };
        lock (_gate)
        {
            if (_models.TryGetValue(spec.Name, out var m))
            {
                if (version is { } v)
                {
                    if (m.Versions.TryGetValue(v, out var sv) && sv.TryAcquire()) return new ServableLease(sv);
                }
                else
                {
                    foreach (var sv in m.Versions.Values.Reverse())
                        if (sv.TryAcquire()) return new ServableLease(sv);
                }
            }
        }
        throw ServingException.NotFound(version is { } n
            ? string.Create(CultureInfo.InvariantCulture, $"Servable not found for request: Specific({spec.Name}, {n})")
            : $"Servable not found for request: Latest({spec.Name})");
    }

    private long Label(string model, string label)
    {
        lock (_gate)
        {
            if (_models.TryGetValue(model, out var m) && m.Config.VersionLabels.TryGetValue(label, out long v)) return v;
        }
        throw ServingException.InvalidArgument($"Unrecognized servable version label: {label}");
    }

    /// <summary>
    /// ModelService/GetModelStatus: the state of one version, or of every version seen (newest
    /// first), with TF Serving's NOT_FOUND messages.
    /// </summary>
    public GetModelStatusResponse GetStatus(ModelSpec? spec)
    {
        if (spec is null) throw ServingException.InvalidArgument("Missing ModelSpec");
        long? version = spec.VersionChoiceCase switch
        {
            ModelSpec.VersionChoiceOneofCase.Version => spec.Version,
            ModelSpec.VersionChoiceOneofCase.VersionLabel => Label(spec.Name, spec.VersionLabel),
            _ => null,
        };
        var r = new GetModelStatusResponse();
        lock (_gate)
        {
            _models.TryGetValue(spec.Name, out var m);
            if (version is { } v)
            {
                if (m is null || !m.Versions.TryGetValue(v, out var sv))
                    throw ServingException.NotFound(string.Create(CultureInfo.InvariantCulture, $"Could not find version {v} of model {spec.Name}"));
                r.ModelVersionStatus.Add(StatusOf(sv));
            }
            else
            {
                if (m is null || m.Versions.Count == 0)
                    throw ServingException.NotFound($"Could not find any versions of model {spec.Name}");
                foreach (var sv in m.Versions.Values.Reverse()) r.ModelVersionStatus.Add(StatusOf(sv));
            }
        }
        return r;
    }

    private static ModelVersionStatus StatusOf(ServableVersion v) => new()
    {
        Version = v.Version,
        State = v.State,
        Status = new StatusProto
        {
            ErrorCode = v.Error is null ? TensorGraph.Proto.Code.Ok : (TensorGraph.Proto.Code)(int)v.Error.Code,
            ErrorMessage = v.Error?.Message ?? "",
        },
    };

    /// <summary>Whether every configured model has a version available (the health check).</summary>
    public bool AllAvailable
    {
        get
        {
            lock (_gate) return _models.Values.All(m => m.Versions.Values.Any(v => v.State == State.Available));
        }
    }

    /// <summary>Stops polling and unloads every version (after their in-flight requests).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _poller?.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
        }
        ServableVersion[] all;
        lock (_gate) all = _models.Values.SelectMany(m => m.Versions.Values).ToArray();
        foreach (var v in all) v.Unload();
        _stop.Dispose();
    }
}
