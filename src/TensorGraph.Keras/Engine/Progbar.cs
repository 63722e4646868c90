using System.Globalization;
using System.Text;

namespace TensorGraph.Keras;

/// <summary>A source of wall-clock seconds; tests pass a fake one to get exact progress text.</summary>
public interface IClock
{
    /// <summary>Seconds since an arbitrary origin.</summary>
    double Now { get; }
}

/// <summary>The real clock (<see cref="System.Diagnostics.Stopwatch"/>).</summary>
public sealed class SystemClock : IClock
{
    /// <summary>The shared instance.</summary>
    public static readonly SystemClock Instance = new();

    /// <inheritdoc/>
    public double Now => System.Diagnostics.Stopwatch.GetTimestamp() / (double)System.Diagnostics.Stopwatch.Frequency;
}

/// <summary>
/// Keras's <c>Progbar</c> (<c>keras/utils/generic_utils.py</c>): verbose 1 draws
/// <c>  128/60000 [&gt;.....] - ETA: 3s - loss: 0.2586</c>, redrawn in place with <c>\r</c> on a
/// terminal at most every 0.05 s, and ends with <c> - 3s 50us/sample - loss: …</c>; verbose 2
/// writes only the final <c>60000/60000 - 3s - loss: …</c>. Without a terminal (dynamic display
/// off) verbose 1 writes only the final line of each bar.
/// </summary>
public sealed class Progbar
{
    private readonly TextWriter _out;
    private readonly IClock _clock;
    private readonly HashSet<string> _stateful;
    private readonly Dictionary<string, (double Sum, double Count)> _values = [];
    private readonly List<string> _order = [];
    private readonly double _start;
    private double _lastUpdate;
    private int _totalWidth;
    private int _seen;

    /// <summary>Creates a bar for <paramref name="target"/> units.</summary>
    public Progbar(int target, TextWriter output, IClock clock, int verbose = 1, bool dynamicDisplay = true, IEnumerable<string>? statefulMetrics = null,
        string unitName = "step", int width = 30, double interval = 0.05)
    {
        Target = target;
        _out = output ?? throw new ArgumentNullException(nameof(output));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        Verbose = verbose;
        DynamicDisplay = dynamicDisplay;
        _stateful = [.. statefulMetrics ?? []];
        UnitName = unitName;
        Width = width;
        Interval = interval;
        _start = clock.Now;
    }

    /// <summary>Units in a full bar.</summary>
    public int Target { get; }

    /// <summary>1 (bar) or 2 (final line only).</summary>
    public int Verbose { get; }

    /// <summary>Whether the bar is redrawn in place.</summary>
    public bool DynamicDisplay { get; }

    /// <summary><c>step</c> or <c>sample</c>.</summary>
    public string UnitName { get; }

    /// <summary>Characters between the brackets.</summary>
    public int Width { get; }

    /// <summary>Minimum seconds between redraws.</summary>
    public double Interval { get; }

    /// <summary>Advances to <paramref name="current"/> units with these (name, value) pairs.</summary>
    public void Update(int current, IReadOnlyList<KeyValuePair<string, double>>? values = null)
    {
        foreach (var (k, v) in values ?? [])
        {
            if (!_order.Contains(k)) _order.Add(k);
            if (!_stateful.Contains(k))
            {
                int n = current - _seen;
                _values[k] = _values.TryGetValue(k, out var sc) ? (sc.Sum + v * n, sc.Count + n) : (v * n, n);
            }
            else _values[k] = (v, 1);
        }
        _seen = current;
        double now = _clock.Now;
        var info = new StringBuilder(" - ").Append(Fmt0(now - _start)).Append('s');
        if (Verbose == 1)
        {
            if (now - _lastUpdate < Interval && current < Target) return;
            bool done = current >= Target;
            if (!DynamicDisplay && !done) { _lastUpdate = now; return; }
            int prevTotalWidth = _totalWidth;
            if (DynamicDisplay)
            {
                _out.Write(new string('\b', prevTotalWidth));
                _out.Write('\r');
            }
            int digits = (int)Math.Floor(Math.Log10(Target)) + 1;
            var bar = new StringBuilder();
            bar.Append(current.ToString(CultureInfo.InvariantCulture).PadLeft(digits)).Append('/').Append(Target.ToString(CultureInfo.InvariantCulture)).Append(" [");
            int progWidth = (int)(Width * ((double)current / Target));
            if (progWidth > 0)
            {
                bar.Append('=', progWidth - 1);
                bar.Append(current < Target ? '>' : '=');
            }
            bar.Append('.', Math.Max(0, Width - progWidth));
            bar.Append(']');
            _totalWidth = bar.Length;
            _out.Write(bar.ToString());
            double timePerUnit = current > 0 ? (now - _start) / current : 0;
            if (current < Target)
            {
                double eta = timePerUnit * (Target - current);
                string etaFormat = eta > 3600
                    ? string.Format(CultureInfo.InvariantCulture, "{0}:{1:00}:{2:00}", (long)Math.Floor(eta / 3600), (long)Math.Floor(eta % 3600 / 60), (long)(eta % 60))
                    : eta > 60
                        ? string.Format(CultureInfo.InvariantCulture, "{0}:{1:00}", (long)Math.Floor(eta / 60), (long)(eta % 60))
                        : string.Format(CultureInfo.InvariantCulture, "{0}s", (long)eta);
                info.Clear().Append(" - ETA: ").Append(etaFormat);
            }
            else if (timePerUnit >= 1 || timePerUnit == 0) info.Append(' ').Append(Fmt0(timePerUnit)).Append("s/").Append(UnitName);
            else if (timePerUnit >= 1e-3) info.Append(' ').Append(Fmt0(timePerUnit * 1e3)).Append("ms/").Append(UnitName);
            else info.Append(' ').Append(Fmt0(timePerUnit * 1e6)).Append("us/").Append(UnitName);
            foreach (var k in _order)
            {
                var (sum, count) = _values[k];
                double avg = sum / Math.Max(1, count);
                info.Append(" - ").Append(k).Append(": ").Append(Math.Abs(avg) > 1e-3 ? Fmt4(avg) : Fmt4e(avg));
            }
            _totalWidth += info.Length;
            if (prevTotalWidth > _totalWidth) info.Append(' ', prevTotalWidth - _totalWidth);
            if (done) info.Append('\n');
            _out.Write(info.ToString());
            _out.Flush();
        }
        else if (Verbose == 2 && current >= Target)
        {
            int digits = (int)Math.Floor(Math.Log10(Target)) + 1;
            var line = new StringBuilder();
            line.Append(current.ToString(CultureInfo.InvariantCulture).PadLeft(digits)).Append('/').Append(Target.ToString(CultureInfo.InvariantCulture)).Append(info);
            foreach (var k in _order)
            {
                var (sum, count) = _values[k];
                double avg = sum / Math.Max(1, count);
                line.Append(" - ").Append(k).Append(": ").Append(avg > 1e-3 ? Fmt4(avg) : Fmt4e(avg));
            }
            line.Append('\n');
            _out.Write(line.ToString());
            _out.Flush();
        }
        _lastUpdate = now;
    }

    /// <summary>Python's <c>'%.0f'</c> (halves to even).</summary>
    internal static string Fmt0(double v) => Math.Round(v, MidpointRounding.ToEven).ToString("F0", CultureInfo.InvariantCulture);

    /// <summary>Python's <c>'%.4f'</c>.</summary>
    internal static string Fmt4(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>Python's <c>'%.4e'</c> (<c>1.2340e-04</c>).</summary>
    internal static string Fmt4e(double v) => v.ToString("0.0000e+00", CultureInfo.InvariantCulture);
}
