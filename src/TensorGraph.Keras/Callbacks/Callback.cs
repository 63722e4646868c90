using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace TensorGraph.Keras.Callbacks;

/// <summary>
/// Keras's callback base: hooks around training, epochs and batches; <c>logs</c> maps names
/// (<c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, …) to values. Batch logs hold <c>batch</c> and
/// <c>size</c>; epoch-end logs hold the epoch's values.
/// </summary>
public abstract class Callback
{
    /// <summary>The model being trained.</summary>
    public Model? Model { get; private set; }

    /// <summary>Keras's <c>params</c>: batch_size, epochs, steps, samples, verbose, do_validation, metrics.</summary>
    public IReadOnlyDictionary<string, object> Params { get; private set; } = new Dictionary<string, object>();

    /// <summary>Called by the training loop before any other hook.</summary>
    public virtual void SetModel(Model model) => Model = model;

    /// <summary>Called by the training loop before any other hook.</summary>
    public virtual void SetParams(IReadOnlyDictionary<string, object> parameters) => Params = parameters;

    /// <summary>Start of <c>fit</c>.</summary>
    public virtual void OnTrainBegin(IDictionary<string, double> logs) { }

    /// <summary>End of <c>fit</c>.</summary>
    public virtual void OnTrainEnd(IDictionary<string, double> logs) { }

    /// <summary>Start of an epoch (0-based).</summary>
    public virtual void OnEpochBegin(int epoch, IDictionary<string, double> logs) { }

    /// <summary>End of an epoch, with its training and validation values.</summary>
    public virtual void OnEpochEnd(int epoch, IDictionary<string, double> logs) { }

    /// <summary>Start of a training batch.</summary>
    public virtual void OnTrainBatchBegin(int batch, IDictionary<string, double> logs) { }

    /// <summary>End of a training batch, with the batch loss and the running metrics.</summary>
    public virtual void OnTrainBatchEnd(int batch, IDictionary<string, double> logs) { }

    /// <summary>Start of <c>evaluate</c>.</summary>
    public virtual void OnTestBegin(IDictionary<string, double> logs) { }

    /// <summary>End of <c>evaluate</c>.</summary>
    public virtual void OnTestEnd(IDictionary<string, double> logs) { }

    /// <summary>Start of <c>predict</c>.</summary>
    public virtual void OnPredictBegin(IDictionary<string, double> logs) { }

    /// <summary>End of <c>predict</c>.</summary>
    public virtual void OnPredictEnd(IDictionary<string, double> logs) { }

    /// <summary>Python's <c>str.format(epoch=…, **logs)</c> for the fields Keras file names use: <c>{epoch:02d}</c>, <c>{val_loss:.2f}</c>, <c>{loss}</c>.</summary>
    internal static string FormatPath(string pattern, int epoch1, IDictionary<string, double> logs) =>
        Regex.Replace(pattern, @"\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}", m =>
        {
            string key = m.Groups[1].Value, spec = m.Groups[2].Value;
            double v;
            if (key == "epoch") v = epoch1;
            else if (!logs.TryGetValue(key, out v)) throw new KeyNotFoundException($"Failed to format this callback filepath: \"{pattern}\". Reason: '{key}'");
            if (spec.Length == 0) return key == "epoch" ? epoch1.ToString(CultureInfo.InvariantCulture) : v.ToString("R", CultureInfo.InvariantCulture);
            var dm = Regex.Match(spec, @"^(0?)(\d*)d$");
            if (dm.Success)
            {
                var s = ((long)v).ToString(CultureInfo.InvariantCulture);
                int w = dm.Groups[2].Value.Length > 0 ? int.Parse(dm.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
                return dm.Groups[1].Value == "0" ? s.PadLeft(w, '0') : s.PadLeft(w);
            }
            var fm = Regex.Match(spec, @"^\.(\d+)f$");
            if (fm.Success) return v.ToString("F" + fm.Groups[1].Value, CultureInfo.InvariantCulture);
            throw new FormatException($"Unsupported format spec '{spec}' in callback filepath \"{pattern}\"");
        });

    /// <summary>Python's <c>'%0.5f'</c> (<c>inf</c>, <c>-inf</c>, <c>nan</c> included).</summary>
    internal static string F5(double v) =>
        double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf" : double.IsNaN(v) ? "nan" : v.ToString("F5", CultureInfo.InvariantCulture);

    internal static string PercentD5(int epoch1) => epoch1.ToString("00000", CultureInfo.InvariantCulture);
}

/// <summary>Records every epoch's logs: <c>History["loss"]</c>, <c>History["val_accuracy"]</c>, and <see cref="Epoch"/>.</summary>
public sealed class History : Callback
{
    private readonly Dictionary<string, List<double>> _history = [];
    private readonly List<int> _epoch = [];

    /// <summary>Per-epoch values by name.</summary>
    public IReadOnlyDictionary<string, List<double>> Values => _history;

    /// <summary>The epochs recorded (0-based).</summary>
    public IReadOnlyList<int> Epoch => _epoch;

    /// <summary>The per-epoch values of <paramref name="name"/>.</summary>
    public IReadOnlyList<double> this[string name] => _history.TryGetValue(name, out var l) ? l : throw new KeyNotFoundException($"No '{name}' in history (have: {string.Join(", ", _history.Keys)})");

    /// <inheritdoc/>
    public override void OnTrainBegin(IDictionary<string, double> logs) => _epoch.Clear();

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        _epoch.Add(epoch);
        foreach (var (k, v) in logs)
        {
            if (!_history.TryGetValue(k, out var l)) _history[k] = l = [];
            l.Add(v);
        }
    }
}

/// <summary>Whether a monitored value improves by going down or up.</summary>
public enum MonitorMode
{
    /// <summary>max when the name contains <c>acc</c>, else min (Keras's 'auto').</summary>
    Auto,
    /// <summary>Lower is better.</summary>
    Min,
    /// <summary>Higher is better.</summary>
    Max,
}

/// <summary>
/// Keras's <c>EarlyStopping(monitor='val_loss', min_delta=0, patience=0, mode='auto', baseline=None,
/// restore_best_weights=False)</c>: stops training once the monitored value has not improved by
/// min_delta for <c>patience</c> epochs; optionally puts back the best epoch's weights.
/// </summary>
public sealed class EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, int verbose = 0, MonitorMode mode = MonitorMode.Auto,
    double? baseline = null, bool restoreBestWeights = false) : Callback
{
    private bool _max;
    private double _best, _minDelta;
    private int _wait;
    private Tensor[]? _bestWeights;

    /// <summary>The logged value watched.</summary>
    public string Monitor { get; } = monitor;

    /// <summary>The epoch (0-based) training stopped at, or 0.</summary>
    public int StoppedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(IDictionary<string, double> logs)
    {
        _max = mode == MonitorMode.Max || (mode == MonitorMode.Auto && Monitor.Contains("acc", StringComparison.Ordinal));
        _minDelta = _max ? Math.Abs(minDelta) : -Math.Abs(minDelta);
        _wait = 0;
        StoppedEpoch = 0;
        _best = baseline ?? (_max ? double.NegativeInfinity : double.PositiveInfinity);
        _bestWeights = null;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (!logs.TryGetValue(Monitor, out var current))
        {
            Model?.Writer.WriteLine($"Early stopping conditioned on metric `{Monitor}` which is not available. Available metrics are: {string.Join(",", logs.Keys)}");
            return;
        }
        bool better = _max ? current - _minDelta > _best : current - _minDelta < _best;
        if (better)
        {
            _best = current;
            _wait = 0;
            if (restoreBestWeights) _bestWeights = Model!.GetWeights();
        }
        else
        {
            _wait++;
            if (_wait >= patience)
            {
                StoppedEpoch = epoch;
                Model!.StopTraining = true;
                if (restoreBestWeights && _bestWeights is not null)
                {
                    if (verbose > 0) Model.Writer.WriteLine("Restoring model weights from the end of the best epoch.");
                    Model.SetWeights(_bestWeights);
                }
            }
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(IDictionary<string, double> logs)
    {
        if (StoppedEpoch > 0 && verbose > 0) Model!.Writer.WriteLine($"Epoch {PercentD5(StoppedEpoch + 1)}: early stopping");
    }
}

/// <summary>
/// Keras's <c>ModelCheckpoint(filepath, monitor='val_loss', save_best_only=False,
/// save_weights_only=False, mode='auto')</c> at the end of each epoch; <paramref name="filepath"/>
/// may hold <c>{epoch:02d}</c> and logged values (<c>{val_loss:.2f}</c>). Weights are written as a
/// TF checkpoint (<see cref="Model.SaveWeights"/>).
/// </summary>
public sealed class ModelCheckpoint(string filepath, string monitor = "val_loss", int verbose = 0, bool saveBestOnly = false,
    bool saveWeightsOnly = true, MonitorMode mode = MonitorMode.Auto) : Callback
{
    private bool _max;
    private double _best;

    /// <summary>The path pattern.</summary>
    public string Filepath { get; } = filepath ?? throw new ArgumentNullException(nameof(filepath));

    /// <summary>Whether only full models would be saved (weights-only: checkpoints are all this project writes so far).</summary>
    public bool SaveWeightsOnly { get; } = saveWeightsOnly;

    /// <summary>The files written, in order.</summary>
    public List<string> Saved { get; } = [];

    /// <inheritdoc/>
    public override void OnTrainBegin(IDictionary<string, double> logs)
    {
        _max = mode == MonitorMode.Max || (mode == MonitorMode.Auto && (monitor.Contains("acc", StringComparison.Ordinal) || monitor.StartsWith("fmeasure", StringComparison.Ordinal)));
        _best = _max ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var path = FormatPath(Filepath, epoch + 1, logs);
        var w = Model!.Writer;
        if (saveBestOnly)
        {
            if (!logs.TryGetValue(monitor, out var current))
            {
                w.WriteLine($"Can save best model only with {monitor} available, skipping.");
                return;
            }
            if (_max ? current > _best : current < _best)
            {
                if (verbose > 0)
                    w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nEpoch {PercentD5(epoch + 1)}: {monitor} improved from {F5(_best)} to {F5(current)}, saving model to {path}"));
                _best = current;
                Save(path);
            }
            else if (verbose > 0) w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nEpoch {PercentD5(epoch + 1)}: {monitor} did not improve from {F5(_best)}"));
        }
        else
        {
            if (verbose > 0) w.WriteLine($"\nEpoch {PercentD5(epoch + 1)}: saving model to {path}");
            Save(path);
        }
    }

    private void Save(string path)
    {
        Model!.SaveWeights(path);
        Saved.Add(path);
    }
}

/// <summary>
/// Keras's <c>LearningRateScheduler(schedule, verbose=0)</c>: at each epoch's start sets the
/// optimizer's learning rate to <c>schedule(epoch, current_lr)</c>.
/// </summary>
public sealed class LearningRateScheduler(Func<int, double, double> schedule, int verbose = 0) : Callback
{
    private readonly Func<int, double, double> _schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));

    /// <summary>A schedule of the epoch only.</summary>
    public LearningRateScheduler(Func<int, double> schedule, int verbose = 0)
        : this(schedule is null ? throw new ArgumentNullException(nameof(schedule)) : (e, _) => schedule(e), verbose) { }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, IDictionary<string, double> logs)
    {
        var opt = Model?.Optimizer ?? throw new InvalidOperationException("LearningRateScheduler needs a compiled model");
        double lr = _schedule(epoch, opt.LearningRate);
        if (double.IsNaN(lr)) throw new ArgumentException("The output of the \"schedule\" function should be float.");
        opt.LearningRate = lr;
        if (verbose > 0)
            Model.Writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nEpoch {PercentD5(epoch + 1)}: LearningRateScheduler reducing learning rate to {lr.ToString("R", CultureInfo.InvariantCulture)}."));
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        logs["lr"] = Model!.Optimizer!.LearningRate;
    }
}

/// <summary>
/// Keras's <c>CSVLogger(filename, separator=',', append=False)</c>: a header <c>epoch,&lt;sorted keys&gt;</c>
/// and one row per epoch.
/// </summary>
public sealed class CSVLogger(string filename, char separator = ',', bool append = false) : Callback, IDisposable
{
    private StreamWriter? _file;
    private string[]? _keys;

    /// <inheritdoc/>
    public override void OnTrainBegin(IDictionary<string, double> logs)
    {
        bool header = !(append && File.Exists(filename) && new FileInfo(filename).Length > 0);
        _file = new StreamWriter(filename, append, new UTF8Encoding(false)) { NewLine = "\r\n" };
        _keys = header ? null : [];
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (_keys is null || _keys.Length == 0)
        {
            bool writeHeader = _keys is null;
            _keys = [.. logs.Keys.OrderBy(k => k, StringComparer.Ordinal)];
            if (writeHeader) _file!.WriteLine(string.Join(separator, ["epoch", .. _keys]));
        }
        _file!.WriteLine(string.Join(separator, [epoch.ToString(CultureInfo.InvariantCulture),
            .. _keys.Select(k => logs.TryGetValue(k, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "NA")]));
        _file.Flush();
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(IDictionary<string, double> logs) => Dispose();

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
    }
}
