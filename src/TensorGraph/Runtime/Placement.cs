using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace TensorGraph.Runtime;

/// <summary>
/// Device placement of a plan's nodes (TF's <c>Placer</c> and <c>ColocationGraph::GetDevicesForNode</c>
/// over a device set of one CPU). Every node runs on <see cref="CpuDevice"/>; what placement checks is
/// that each node's requested device (<see cref="Operation.Device"/>) names it. A device string is
/// read as TF's C++ runtime reads it (<c>DeviceNameUtils::ParseFullName</c>: <c>/job:</c>,
/// <c>/replica:</c>, <c>/task:</c>, <c>/device:TYPE:N</c>, the legacy <c>/cpu:N</c> and
/// <c>/gpu:N</c>, <c>*</c> for any). A node explicitly assigned to a device there is not (a GPU,
/// <c>CPU:1</c>, another job) fails the plan with TF's InvalidArgument text unless soft placement is on,
/// which keeps the node's job, replica and task and drops its device type and index, as TF's soft
/// device name does. It knows no op: a generator (no inputs, one output that is not a reference) is
/// only logged after the others, as TF's placer assigns generators in a second pass.
/// </summary>
internal static class Placement
{
    /// <summary>The one device of this process (TF's local CPU device name).</summary>
    public const string CpuDevice = "/job:localhost/replica:0/task:0/device:CPU:0";

    private static readonly ConcurrentDictionary<string, ParsedName?> Names = new(StringComparer.Ordinal);

    /// <summary>A device name as the C++ runtime parses it; a field is null when the name leaves it open.</summary>
    internal readonly record struct ParsedName(string? Job, int? Replica, int? Task, string? Type, int? Id)
    {
        /// <summary>True when the CPU device matches every field the name sets (TF's <c>IsCompleteSpecification</c>).</summary>
        public bool MatchesCpu => AddressMatchesCpu && (Type is null || Type == "CPU") && (Id is null or 0);

        /// <summary>TF's soft device name: the address (job, replica, task) without device type and index.</summary>
        public bool AddressMatchesCpu => (Job is null || Job == "localhost") && (Replica is null or 0) && (Task is null or 0);
    }

    /// <summary>
    /// Checks where every node of <paramref name="order"/> may run and, when the session logs device
    /// placement, writes TF's <c>name: (Op): device</c> line for each of them (non-generators first).
    /// Throws an <see cref="InvalidArgumentException"/> naming the first node that cannot be placed.
    /// </summary>
    public static void Place(Session session, IReadOnlyList<Operation> order)
    {
        foreach (var op in order)
        {
            var device = op.Device;
            if (device.Length == 0) continue;
            if (Parse(device) is not { } name)
                throw Graph.NodeError(new InvalidArgumentException($"Malformed device specification '{device}' in node: {op.Name}"), op.Name, op.Type, op.Location);
            if (name.MatchesCpu || (session.AllowSoftPlacement && name.AddressMatchesCpu)) continue;
            string gpu = string.Equals(name.Type, "gpu", StringComparison.OrdinalIgnoreCase)
                ? " The requested device appears to be a GPU, but CUDA is not enabled." : "";
            throw Graph.NodeError(new InvalidArgumentException(
                $"Cannot assign a device for operation {op.Name}: node {op.Name} was explicitly assigned to {device} but available devices are [ {CpuDevice} ]. " +
                $"Make sure the device specification refers to a valid device.{gpu}"), op.Name, op.Type, op.Location);
        }
        if (session.DevicePlacementLog is { } log) Log(log, order);
    }

    private static void Log(TextWriter log, IReadOnlyList<Operation> order)
    {
        var sb = new StringBuilder();
        foreach (var op in order) if (!IsGenerator(op)) Line(sb, op);
        foreach (var op in order) if (IsGenerator(op)) Line(sb, op);
        lock (log) log.Write(sb.ToString());

        static void Line(StringBuilder sb, Operation op) => sb.Append(op.Name).Append(": (").Append(op.Type).Append("): ").Append(CpuDevice).Append('\n');
    }

    /// <summary>TF's <c>IsGeneratorNode</c>: no data inputs and one output that is not a reference.</summary>
    private static bool IsGenerator(Operation op) => op.NumInputs == 0 && op.NumOutputs == 1 && !op.Spec.IsRefOutput(0);

    /// <summary>TF's <c>DeviceNameUtils::ParseFullName</c>; null when the name is malformed.</summary>
    internal static ParsedName? Parse(string name)
    {
        if (Names.TryGetValue(name, out var cached)) return cached;
        var parsed = ParseCore(name);
        if (Names.Count < 4096) Names.TryAdd(name, parsed);
        return parsed;
    }

    private static ParsedName? ParseCore(string fullname)
    {
        string? job = null, type = null;
        int? replica = null, task = null, id = null;
        if (fullname == "/") return new ParsedName(null, null, null, null, null);
        var s = fullname.AsSpan();
        while (!s.IsEmpty)
        {
            bool progress = false;
            if (Consume(ref s, "/job:"))
            {
                if (!Consume(ref s, "*"))
                {
                    if (!ConsumeName(ref s, stopAtColon: false, out var j)) return null;
                    job = j;
                }
                else job = null;
                progress = true;
            }
            if (Consume(ref s, "/replica:"))
            {
                replica = null;
                if (!Consume(ref s, "*") && !ConsumeNumber(ref s, out replica)) return null;
                progress = true;
            }
            if (Consume(ref s, "/task:"))
            {
                task = null;
                if (!Consume(ref s, "*") && !ConsumeNumber(ref s, out task)) return null;
                progress = true;
            }
            if (Consume(ref s, "/device:"))
            {
                type = null;
                if (!Consume(ref s, "*"))
                {
                    if (!ConsumeName(ref s, stopAtColon: true, out var t)) return null;
                    type = t;
                }
                id = null;
                if (Consume(ref s, ":") && !Consume(ref s, "*") && !ConsumeNumber(ref s, out id)) return null;
                progress = true;
            }
            foreach (var (prefix, legacy) in Legacy)
            {
                if (!Consume(ref s, prefix)) continue;
                type = legacy;
                id = null;
                if (!Consume(ref s, "*") && !ConsumeNumber(ref s, out id)) return null;
                progress = true;
            }
            if (!progress) return null;
        }
        return new ParsedName(job, replica, task, type, id);
    }

    private static readonly (string Prefix, string Type)[] Legacy = [("/cpu:", "CPU"), ("/CPU:", "CPU"), ("/gpu:", "GPU"), ("/GPU:", "GPU")];

    private static bool Consume(ref ReadOnlySpan<char> s, string prefix)
    {
        if (!s.StartsWith(prefix, StringComparison.Ordinal)) return false;
        s = s[prefix.Length..];
        return true;
    }

    // A job name or device type: a letter, then letters, digits and '_' up to '/' (or ':' for a type).
    private static bool ConsumeName(ref ReadOnlySpan<char> s, bool stopAtColon, out string name)
    {
        name = "";
        if (s.IsEmpty || !char.IsAsciiLetter(s[0])) return false;
        int i = 1;
        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '/' || (stopAtColon && c == ':')) break;
            if (!char.IsAsciiLetterOrDigit(c) && c != '_') return false;
        }
        name = s[..i].ToString();
        s = s[i..];
        return true;
    }

    private static bool ConsumeNumber(ref ReadOnlySpan<char> s, out int? value)
    {
        value = null;
        int i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i == 0) return false;
        value = int.TryParse(s[..i], NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : int.MaxValue;
        s = s[i..];
        return true;
    }
}
