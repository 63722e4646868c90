using System.Diagnostics;
using TensorGraph.Proto;

namespace TensorGraph.Runtime;

/// <summary>
/// Records one traced run (TF's <c>StepStatsCollector</c>): a <c>NodeExecStats</c> per executed
/// node, in the order the nodes ran, on the one CPU device. A run that is not traced has no
/// collector, and the executor then does nothing extra per node.
/// </summary>
/// <remarks>
/// Times are microseconds since the Unix epoch (TF's <c>Env::NowMicros</c>), taken from one wall-clock
/// reading at the start of the run plus a monotonic <see cref="Stopwatch"/>, so they never go
/// backwards within a run. A node inside a while loop is recorded once per iteration it ran in,
/// with the same name; a node skipped as dead (an untaken conditional branch) is not recorded.
/// </remarks>
internal sealed class StepStatsCollector
{
    /// <summary>The device name TF gives the local CPU.</summary>
    public const string CpuDevice = "/job:localhost/replica:0/task:0/device:CPU:0";

    /// <summary>TF's name for the CPU allocator.</summary>
    public const string CpuAllocator = "cpu";

    private readonly long _originTimestamp = Stopwatch.GetTimestamp();
    private readonly long _originMicros = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
    private readonly DeviceStepStats _device = new() { Device = CpuDevice };

    /// <summary>Now, in microseconds since the Unix epoch, monotonic within the run.</summary>
    public long NowMicros() => _originMicros + (long)Stopwatch.GetElapsedTime(_originTimestamp).TotalMicroseconds;

    /// <summary>Number of nodes recorded so far.</summary>
    public int Count
    {
        get
        {
            lock (_device) return _device.NodeStats.Count;
        }
    }

    /// <summary>
    /// Records one execution of <paramref name="node"/>: its times (absolute start, then offsets
    /// from it), its live outputs as <paramref name="values"/> holds them, and the running thread.
    /// </summary>
    public void Record(PlanNode node, Tensor?[] values, bool[] dead, long allStart, long opStart, long opEnd, long allEnd)
    {
        var stats = new NodeExecStats
        {
            NodeName = node.Op.Name,
            AllStartMicros = allStart,
            ScheduledMicros = allStart,
            OpStartRelMicros = opStart - allStart,
            OpEndRelMicros = opEnd - allStart,
            AllEndRelMicros = allEnd - allStart,
            TimelineLabel = node.TimelineLabel,
            ThreadId = (uint)Environment.CurrentManagedThreadId,
        };
        var ids = node.OutputIds;
        for (int i = 0; i < ids.Length; i++)
        {
            if (dead.Length > 0 && dead[ids[i]]) continue;
            if (values[ids[i]] is not { } t) continue;
            stats.Output.Add(new NodeOutput { Slot = i, TensorDescription = Describe(t) });
        }
        lock (_device) _device.NodeStats.Add(stats);
    }

    /// <summary>TF's <c>TensorDescription</c> of a value: dtype, shape, and the bytes it takes.</summary>
    internal static TensorDescription Describe(Tensor t)
    {
        long bytes = TensorSize.Bytes(t.DType, t.Size);
        long allocated = Math.Max(bytes, TensorSize.Bytes(t.DType, t.Capacity));
        return new TensorDescription
        {
            Dtype = t.DType.ToProto(),
            Shape = Shape.FromSpan(t.Dims).ToProto(),
            AllocationDescription = new AllocationDescription
            {
                RequestedBytes = bytes,
                AllocatedBytes = allocated,
                AllocatorName = CpuAllocator,
            },
        };
    }

    /// <summary>The statistics of the run: one device, the local CPU.</summary>
    public StepStats Finish() => new() { DevStats = { _device } };

    /// <summary>
    /// TF's timeline label of a node, <c>name = Op(input, input:1, ^control)</c> with the inputs
    /// as its NodeDef lists them. A fused plan node names the chain it runs, <c>MatMul+BiasAdd+Relu</c>,
    /// and the fused kernel's inputs.
    /// </summary>
    internal static string Label(PlanNode node)
    {
        var op = node.Op;
        var inputs = new List<string>();
        string type = op.Type;
        if (node.Fusion is { } f)
        {
            type = string.Join("+", f.Absorbed.Append(op).OrderBy(o => o.Id).Select(o => o.Type));
            foreach (var i in f.Inputs) inputs.Add(InputName(i));
        }
        else foreach (var i in op.Inputs) inputs.Add(InputName(i));
        foreach (var c in op.ControlInputs) inputs.Add("^" + c.Name);
        return $"{op.Name} = {type}({string.Join(", ", inputs)})";
    }

    private static string InputName(Output o) => o.Index == 0 ? o.Op.Name : $"{o.Op.Name}:{o.Index}";
}
