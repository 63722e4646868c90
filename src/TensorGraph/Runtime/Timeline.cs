using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using TensorGraph.Proto;

namespace TensorGraph;

/// <summary>
/// The step statistics of a traced run as a Chrome trace (TF's
/// <c>tensorflow.python.client.timeline.Timeline</c>): open the JSON of
/// <see cref="GenerateChromeTraceFormat"/> in <c>chrome://tracing</c> or <c>ui.perfetto.dev</c>.
/// <see cref="OpTypeSummary"/> totals the same statistics by op type as a text table.
/// </summary>
/// <remarks>
/// The event layout is TF's: process metadata events (<c>"ph": "M"</c>) for an "Allocators"
/// process and, per device, a "Compute" and a "Tensors" process; one complete event
/// (<c>"ph": "X"</c>, category <c>Op</c>, named by the op type, <c>ts</c>/<c>dur</c> in µs, args
/// <c>name</c>, <c>op</c>, <c>input0</c>…) per recorded node, on a lane (<c>tid</c>) chosen as TF
/// chooses it (the first lane free at the node's start); and, with data flow shown, a flow
/// start/end pair (<c>"s"</c>/<c>"t"</c>) for each input that crosses lanes. Beyond TF, each
/// lane gets a thread-name metadata event ("lane N"). TF's memory view (<c>show_memory</c>) is not written.
/// </remarks>
public sealed partial class Timeline
{
    private readonly StepStats _stepStats;

    /// <summary>A timeline of <paramref name="stepStats"/> (a <c>RunMetadata.StepStats</c>); the proto is not changed.</summary>
    public Timeline(StepStats stepStats)
    {
        ArgumentNullException.ThrowIfNull(stepStats);
        _stepStats = stepStats;
    }

    [GeneratedRegex(@"^(.*) = (.*)\((.*)\)$", RegexOptions.Singleline)]
    private static partial Regex OpLabel();

    /// <summary>TF's <c>_parse_op_label</c>: the node name, op type and inputs of <c>name = Op(a, b)</c>; "unknown" when the label has another form.</summary>
    internal static (string Name, string Op, string[] Inputs) ParseOpLabel(string label)
    {
        var m = OpLabel().Match(label);
        if (!m.Success) return ("unknown", "unknown", []);
        string inputs = m.Groups[3].Value;
        return (m.Groups[1].Value, m.Groups[2].Value, inputs.Length == 0 ? [] : inputs.Split(", "));
    }

    /// <summary>
    /// The trace as Chrome Trace Format JSON (TF's <c>generate_chrome_trace_format</c>):
    /// <c>{"traceEvents": [...]}</c>, metadata events first.
    /// </summary>
    /// <param name="showDataflow">Add flow events from each input's producer to its consumer when they sit on different lanes.</param>
    /// <param name="pretty">Indent the JSON.</param>
    public string GenerateChromeTraceFormat(bool showDataflow = true, bool pretty = false)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = pretty }))
        {
            w.WriteStartObject();
            w.WriteStartArray("traceEvents");
            WriteEvents(w, showDataflow);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private void WriteEvents(Utf8JsonWriter w, bool showDataflow)
    {
        // Pids as TF allocates them: the allocators, then a compute and a tensors process per device.
        int nextPid = 0;
        WriteProcess(w, "Allocators", nextPid++);
        var devices = _stepStats.DevStats;
        var computePid = new int[devices.Count];
        var lanes = new int[devices.Count][];
        for (int d = 0; d < devices.Count; d++)
        {
            computePid[d] = nextPid++;
            int tensorsPid = nextPid++;
            WriteProcess(w, devices[d].Device + " Compute", computePid[d]);
            WriteProcess(w, devices[d].Device + " Tensors", tensorsPid);
        }
        for (int d = 0; d < devices.Count; d++)
        {
            lanes[d] = AssignLanes(devices[d]);
            foreach (int lane in lanes[d].Distinct().Order()) WriteThread(w, $"lane {lane}", computePid[d], lane);
        }

        // TF's _analyze_tensors: where each output was produced (the last production wins).
        var producedAt = new Dictionary<string, (long Time, int Pid, int Tid)>(StringComparer.Ordinal);
        for (int d = 0; d < devices.Count; d++)
        {
            var stats = devices[d].NodeStats;
            for (int i = 0; i < stats.Count; i++)
            {
                var ns = stats[i];
                for (int o = 0; o < ns.Output.Count; o++)
                {
                    string name = o == 0 ? ns.NodeName : $"{ns.NodeName}:{o}";
                    producedAt[name] = (ns.AllStartMicros + ns.AllEndRelMicros, computePid[d], lanes[d][i]);
                }
            }
        }

        // TF's _show_compute: one complete event per node, then the flows into it.
        long flowId = 0;
        for (int d = 0; d < devices.Count; d++)
        {
            var stats = devices[d].NodeStats;
            for (int i = 0; i < stats.Count; i++)
            {
                var ns = stats[i];
                var (_, op, inputs) = ParseOpLabel(ns.TimelineLabel);
                int pid = computePid[d], tid = lanes[d][i];
                w.WriteStartObject();
                w.WriteString("ph", "X");
                w.WriteString("cat", "Op");
                w.WriteString("name", op);
                w.WriteNumber("pid", pid);
                w.WriteNumber("tid", tid);
                w.WriteNumber("ts", ns.AllStartMicros);
                w.WriteNumber("dur", ns.AllEndRelMicros);
                w.WriteStartObject("args");
                w.WriteString("name", ns.NodeName);
                w.WriteString("op", op);
                for (int k = 0; k < inputs.Length; k++) w.WriteString("input" + k.ToString(CultureInfo.InvariantCulture), inputs[k]);
                w.WriteEndObject();
                w.WriteEndObject();
                if (!showDataflow) continue;
                foreach (var input in inputs)
                {
                    if (!producedAt.TryGetValue(input, out var from) || (from.Pid == pid && from.Tid == tid)) continue;
                    WriteFlow(w, "s", input, from.Time, from.Pid, from.Tid, flowId);
                    WriteFlow(w, "t", input, ns.AllStartMicros, pid, tid, flowId);
                    flowId++;
                }
            }
        }
    }

    /// <summary>TF's <c>_assign_lanes</c>: each node goes to the first lane whose last node ended before it started.</summary>
    private static int[] AssignLanes(DeviceStepStats device)
    {
        var ends = new List<long> { 0 };
        var lane = new int[device.NodeStats.Count];
        for (int i = 0; i < lane.Length; i++)
        {
            var ns = device.NodeStats[i];
            long end = ns.AllStartMicros + ns.AllEndRelMicros;
            int l = ends.FindIndex(e => ns.AllStartMicros > e);
            if (l < 0)
            {
                l = ends.Count;
                ends.Add(end);
            }
            else ends[l] = end;
            lane[i] = l;
        }
        return lane;
    }

    private static void WriteProcess(Utf8JsonWriter w, string name, int pid)
    {
        w.WriteStartObject();
        w.WriteString("name", "process_name");
        w.WriteString("ph", "M");
        w.WriteNumber("pid", pid);
        w.WriteStartObject("args");
        w.WriteString("name", name);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteThread(Utf8JsonWriter w, string name, int pid, int tid)
    {
        w.WriteStartObject();
        w.WriteString("name", "thread_name");
        w.WriteString("ph", "M");
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteStartObject("args");
        w.WriteString("name", name);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteFlow(Utf8JsonWriter w, string ph, string name, long ts, int pid, int tid, long id)
    {
        w.WriteStartObject();
        w.WriteString("ph", ph);
        w.WriteString("cat", "DataFlow");
        w.WriteString("name", name);
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteNumber("ts", ts);
        w.WriteNumber("id", id);
        w.WriteEndObject();
    }

    /// <summary>One row of <see cref="OpTypeTotals"/>: an op type's executions and time.</summary>
    /// <param name="OpType">The op type (from each node's timeline label).</param>
    /// <param name="Count">Executions recorded (a node in a while loop counts once per iteration).</param>
    /// <param name="TotalMicros">Sum of the executions' durations (<c>all_end_rel_micros</c>).</param>
    /// <param name="PercentOfStep">That sum as a share of the step: first start to last end over all nodes.</param>
    public readonly record struct OpTypeTotal(string OpType, int Count, long TotalMicros, double PercentOfStep)
    {
        /// <summary>Mean duration of one execution in µs.</summary>
        public double AverageMicros => Count == 0 ? 0 : (double)TotalMicros / Count;
    }

    /// <summary>The recorded time per op type, most time first (ties by name).</summary>
    public static IReadOnlyList<OpTypeTotal> OpTypeTotals(StepStats stepStats)
    {
        ArgumentNullException.ThrowIfNull(stepStats);
        var all = stepStats.DevStats.SelectMany(d => d.NodeStats).ToList();
        if (all.Count == 0) return [];
        long first = all.Min(n => n.AllStartMicros);
        long last = all.Max(n => n.AllStartMicros + n.AllEndRelMicros);
        double step = Math.Max(1, last - first);
        return all.GroupBy(n => ParseOpLabel(n.TimelineLabel).Op, StringComparer.Ordinal)
            .Select(g =>
            {
                long total = g.Sum(n => n.AllEndRelMicros);
                return new OpTypeTotal(g.Key, g.Count(), total, 100.0 * total / step);
            })
            .OrderByDescending(t => t.TotalMicros).ThenBy(t => t.OpType, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// <see cref="OpTypeTotals"/> as a text table: op type, count, total µs, % of step, avg µs,
    /// then a line with the step's length and the number of nodes executed.
    /// </summary>
    public static string OpTypeSummary(StepStats stepStats)
    {
        var rows = OpTypeTotals(stepStats);
        int width = Math.Max("op type".Length, rows.Count == 0 ? 0 : rows.Max(r => r.OpType.Length));
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(ci, $"{"op type".PadRight(width)}  {"count",7}  {"total us",10}  {"% of step",9}  {"avg us",10}\n");
        foreach (var r in rows)
            sb.Append(ci, $"{r.OpType.PadRight(width)}  {r.Count,7}  {r.TotalMicros,10}  {r.PercentOfStep,8:F1}%  {r.AverageMicros,10:F1}\n");
        var all = stepStats.DevStats.SelectMany(d => d.NodeStats).ToList();
        long span = all.Count == 0 ? 0 : all.Max(n => n.AllStartMicros + n.AllEndRelMicros) - all.Min(n => n.AllStartMicros);
        sb.Append(ci, $"step: {span} us, {all.Count} node executions\n");
        return sb.ToString();
    }
}
