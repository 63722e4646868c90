using System.Globalization;
using TensorGraph.Proto;
using TensorGraph.Summaries;

namespace TensorGraph.Keras.Callbacks;

/// <summary>
/// tf.keras 1.15's v1 <c>TensorBoard(log_dir='./logs', write_graph=True)</c> callback: an event
/// file in <paramref name="logDir"/> (through the core's <see cref="FileWriter"/>) with the model's
/// graph and, at the end of each epoch, a scalar per logged value tagged <c>epoch_&lt;name&gt;</c>
/// (<c>epoch_loss</c>, <c>epoch_accuracy</c>, <c>epoch_val_loss</c>) at step = the epoch (0-based).
/// </summary>
public sealed class TensorBoard(string logDir = "./logs", bool writeGraph = true) : Callback, IDisposable
{
    private FileWriter? _writer;

    /// <summary>The event file, once training began.</summary>
    public string? EventFile => _writer?.FilePath;

    /// <inheritdoc/>
    public override void OnTrainBegin(IDictionary<string, double> logs)
    {
        _writer?.Dispose();
        Directory.CreateDirectory(logDir);
        _writer = new FileWriter(logDir, writeGraph ? Model!.Graph : null);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (_writer is null) return;
        var summary = new Summary();
        foreach (var (k, v) in logs)
            summary.Value.Add(new Summary.Types.Value { Tag = "epoch_" + k, SimpleValue = (float)v });
        _writer.AddSummary(summary, epoch);
        _writer.Flush();
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(IDictionary<string, double> logs) => Dispose();

    /// <summary>Closes the event file.</summary>
    public void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"<TensorBoard {logDir}>");
}

/// <summary>
/// Keras's <c>ReduceLROnPlateau(monitor='val_loss', factor=0.1, patience=10, mode='auto',
/// min_delta=1e-4, cooldown=0, min_lr=0)</c>: after <c>patience</c> epochs without an improvement of
/// min_delta, multiplies the learning rate by <c>factor</c> (not below min_lr), then waits
/// <c>cooldown</c> epochs; logs <c>lr</c>.
/// </summary>
public sealed class ReduceLROnPlateau : Callback
{
    private readonly string _monitor;
    private readonly double _factor, _minDelta, _minLr;
    private readonly int _patience, _cooldown, _verbose;
    private readonly MonitorMode _mode;
    private bool _max;
    private double _best;
    private int _wait, _cooldownCounter;

    /// <summary>Creates the callback; <paramref name="factor"/> must be below 1.</summary>
    public ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, int verbose = 0, MonitorMode mode = MonitorMode.Auto,
        double minDelta = 1e-4, int cooldown = 0, double minLr = 0)
    {
        if (factor >= 1.0) throw new ArgumentException("ReduceLROnPlateau does not support a factor >= 1.0.", nameof(factor));
        _monitor = monitor;
        _factor = factor;
        _patience = patience;
        _verbose = verbose;
        _mode = mode;
        _minDelta = minDelta;
        _cooldown = cooldown;
        _minLr = minLr;
    }

    /// <inheritdoc/>
    public override void OnTrainBegin(IDictionary<string, double> logs)
    {
        _max = _mode == MonitorMode.Max || (_mode == MonitorMode.Auto && _monitor.Contains("acc", StringComparison.Ordinal));
        _best = _max ? double.NegativeInfinity : double.PositiveInfinity;
        _wait = 0;
        _cooldownCounter = 0;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var opt = Model!.Optimizer ?? throw new InvalidOperationException("ReduceLROnPlateau needs a compiled model");
        logs["lr"] = opt.LearningRate;
        if (!logs.TryGetValue(_monitor, out var current)) return;
        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            _wait = 0;
        }
        if (_max ? current > _best + _minDelta : current < _best - _minDelta)
        {
            _best = current;
            _wait = 0;
        }
        else if (_cooldownCounter <= 0)
        {
            _wait++;
            if (_wait >= _patience)
            {
                double old = opt.LearningRate;
                if (old > _minLr)
                {
                    double lr = Math.Max(old * _factor, _minLr);
                    opt.LearningRate = lr;
                    if (_verbose > 0)
                        Model.Writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nEpoch {PercentD5(epoch + 1)}: ReduceLROnPlateau reducing learning rate to {lr.ToString("R", CultureInfo.InvariantCulture)}."));
                    _cooldownCounter = _cooldown;
                    _wait = 0;
                }
            }
        }
    }
}
