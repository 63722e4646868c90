using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace TensorGraph;

/// <summary>
/// A possibly partial device specification (TF 1.15's <c>tf.DeviceSpec</c>, immutable as
/// <c>DeviceSpecV2</c>): job, replica, task, device type and device index, each optional. It parses
/// and prints TF's strings — <c>/job:ps/replica:0/task:1/device:GPU:0</c>, and the short
/// <c>/cpu:0</c>, <c>/GPU:1</c> forms — with Python's rules (<c>device_spec.py</c>); an unset index
/// prints as <c>*</c>. <see cref="Graph.Device(string)"/> merges the specs of nested device scopes
/// with <see cref="MergedWith"/>.
/// </summary>
public sealed class DeviceSpec : IEquatable<DeviceSpec>
{
    private static readonly ConcurrentDictionary<string, DeviceSpec> Parsed = new(StringComparer.Ordinal);

    /// <summary>The empty specification (every field unset).</summary>
    public static DeviceSpec Empty { get; } = new();

    private readonly string _string;

    /// <summary>
    /// Creates a specification; every field is optional. <paramref name="deviceType"/> <c>cpu</c>
    /// and <c>gpu</c> become <c>CPU</c> and <c>GPU</c>, as TF keeps them for backwards
    /// compatibility; other types are kept as given.
    /// </summary>
    public DeviceSpec(string? job = null, int? replica = null, int? task = null, string? deviceType = null, int? deviceIndex = null)
    {
        Job = job;
        Replica = replica;
        Task = task;
        DeviceType = deviceType is "cpu" or "gpu" ? deviceType.ToUpperInvariant() : deviceType;
        DeviceIndex = deviceIndex;
        _string = Format(Job, Replica, Task, DeviceType, DeviceIndex);
    }

    /// <summary>The job name, or null.</summary>
    public string? Job { get; }

    /// <summary>The replica index, or null.</summary>
    public int? Replica { get; }

    /// <summary>The task index, or null.</summary>
    public int? Task { get; }

    /// <summary>The device type (<c>CPU</c>, <c>GPU</c>, …), or null.</summary>
    public string? DeviceType { get; }

    /// <summary>The device index, or null for any.</summary>
    public int? DeviceIndex { get; }

    /// <summary>True when no field is set (TF's <c>is_null_merge</c>: merging it changes nothing).</summary>
    public bool IsEmpty => _string.Length == 0;

    /// <summary>
    /// Parses a device string as TF's <c>DeviceSpec.from_string</c> does: <c>/</c>-separated
    /// <c>job:NAME</c>, <c>replica:N</c>, <c>task:N</c>, <c>device:TYPE:N</c> (<c>*</c> for any index)
    /// or <c>CPU:N</c>/<c>GPU:N</c> (any case, index optional); empty parts are skipped, so null and
    /// <c>""</c> give <see cref="Empty"/>. Anything else is an <see cref="InvalidArgumentException"/>
    /// with TF's ValueError text (<c>Unknown attribute: 'foo' in '/foo:0'</c>).
    /// </summary>
    public static DeviceSpec FromString(string? spec)
    {
        spec ??= "";
        if (Parsed.TryGetValue(spec, out var cached)) return cached;
        string? job = null, type = null;
        int? replica = null, task = null, index = null;
        foreach (var part in spec.Split('/'))
        {
            var y = part.Split(':');
            int ly = y.Length;
            string upper = y[0].ToUpperInvariant();
            if (ly == 2 && y[0] == "job") job = y[1];
            else if (ly == 2 && y[0] == "replica") replica = PythonInt(y[1]);
            else if (ly == 2 && y[0] == "task") task = PythonInt(y[1]);
            else if ((ly is 1 or 2) && (upper is "GPU" or "CPU"))
            {
                if (type is not null) throw new InvalidArgumentException($"Cannot specify multiple device types: {spec}");
                type = upper;
                if (ly == 2 && y[1] != "*") index = PythonInt(y[1]);
            }
            else if (ly == 3 && y[0] == "device")
            {
                if (type is not null) throw new InvalidArgumentException($"Cannot specify multiple device types: {spec}");
                type = y[1];
                if (y[2] != "*") index = PythonInt(y[2]);
            }
            else if (y[0].Length > 0) throw new InvalidArgumentException($"Unknown attribute: '{y[0]}' in '{spec}'");
        }
        var result = new DeviceSpec(job, replica, task, type, index);
        if (Parsed.Count < 4096) Parsed.TryAdd(spec, result);
        return result;
    }

    /// <summary>Python's <c>int(s)</c> for the integers a device string holds (surrounding blanks and a sign allowed).</summary>
    private static int PythonInt(string s)
    {
        if (int.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v)) return v;
        throw new InvalidArgumentException($"invalid literal for int() with base 10: '{s}'");
    }

    /// <summary>
    /// TF's <c>make_merged_spec</c>: a new specification with the fields <paramref name="dev"/> sets
    /// and this one's elsewhere (so an inner device scope's fields override an outer one's).
    /// </summary>
    public DeviceSpec MergedWith(DeviceSpec dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        if (dev.IsEmpty) return this;
        if (IsEmpty) return dev;
        return new DeviceSpec(dev.Job ?? Job, dev.Replica ?? Replica, dev.Task ?? Task, dev.DeviceType ?? DeviceType, dev.DeviceIndex ?? DeviceIndex);
    }

    /// <summary>TF's <c>to_string</c>: <c>/job:J/replica:R/task:T/device:TYPE:I</c> with the unset fields left out (an unset index is <c>*</c>); "" when empty.</summary>
    public override string ToString() => _string;

    /// <inheritdoc/>
    public bool Equals(DeviceSpec? other) => other is not null && other._string == _string;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as DeviceSpec);

    /// <inheritdoc/>
    public override int GetHashCode() => _string.GetHashCode(StringComparison.Ordinal);

    private static string Format(string? job, int? replica, int? task, string? type, int? index)
    {
        var sb = new StringBuilder();
        if (job is not null) sb.Append("/job:").Append(job);
        if (replica is { } r) sb.Append("/replica:").Append(r.ToString(CultureInfo.InvariantCulture));
        if (task is { } t) sb.Append("/task:").Append(t.ToString(CultureInfo.InvariantCulture));
        if (type is not null) sb.Append("/device:").Append(type).Append(':').Append(index is { } i ? i.ToString(CultureInfo.InvariantCulture) : "*");
        return sb.ToString();
    }
}
