using System.Text;
using TensorGraph.Runtime;
using TensorGraph.Serialization;

namespace TensorGraph;

/// <summary>
/// A record reader living in the session (TF's <c>ReaderBase</c>, core/framework/reader_base.cc):
/// it works through "work items" (file names) taken one at a time from a queue of strings, and
/// each read returns the next record of the current file, moving to the next file at the end of
/// one. Reads of one reader are serialized; one waiting for the queue polls its run's stop
/// conditions, so it can be cancelled. A closed, empty work queue ends the input with the queue's
/// OutOfRange error.
/// </summary>
internal abstract class ReaderResource(string name) : IDisposable
{
    private readonly object _sync = new();
    private string? _work;

    /// <summary>The reader's name in messages.</summary>
    public string Name { get; } = name;

    /// <summary>Records produced so far (TF's <c>num_records_produced</c>).</summary>
    public long RecordsProduced { get; private set; }

    /// <summary>Work items finished so far (TF's <c>num_work_units_completed</c>).</summary>
    public long WorkUnitsCompleted { get; private set; }

    /// <summary>Starts reading <paramref name="work"/> (opens the file).</summary>
    protected abstract void OnWorkStarted(string work);

    /// <summary>The next record of the current work item, or false at its end.</summary>
    protected abstract bool ReadNext(string work, out string key, out byte[] value);

    /// <summary>Done with the current work item (closes the file).</summary>
    protected abstract void OnWorkFinished();

    /// <summary>TF's <c>ReaderBase::Read</c>: the next (key, value), taking work from <paramref name="queue"/> as needed.</summary>
    public (string Key, byte[] Value) Read(QueueResource queue, OpContext ctx)
    {
        while (!Monitor.TryEnter(_sync, 10)) ctx.CheckStop();
        try
        {
            while (true)
            {
                if (_work is null)
                {
                    if (queue.Types.Length != 1 || queue.Types[0] != DType.String)
                        throw new InvalidArgumentException($"Expected a queue of one-element string tuples for reader {Name}, got {queue.Kind} '{queue.Name}' of {QueueOps.TypeList(queue.Types)}");
                    var t = queue.Dequeue(1, false, ctx)[0][0];
                    if (t.Size != 1) throw new InvalidArgumentException($"Expected to dequeue a one-element string tensor, got {Shape.Format(t.Dims)}");
                    var work = Encoding.UTF8.GetString(t.Span<byte[]>()[0]);
                    OnWorkStarted(work);
                    _work = work;
                }
                if (ReadNext(_work, out var key, out var value))
                {
                    RecordsProduced++;
                    return (key, value);
                }
                OnWorkFinished();
                _work = null;
                WorkUnitsCompleted++;
            }
        }
        finally
        {
            Monitor.Exit(_sync);
        }
    }

    /// <summary>The session is closing: drop the open file.</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            if (_work is not null) OnWorkFinished();
            _work = null;
        }
    }

    /// <summary>The reader a handle tensor refers to.</summary>
    public static ReaderResource Resolve(Tensor handle)
    {
        if (handle.DType != DType.Resource || handle.Size != 1 || handle.Data.GetValue(0) is not ReaderResource r)
            throw new InvalidArgumentException($"Expected a handle to a reader, got a {handle.DType.Name()} tensor of shape {Shape.Format(handle.Dims)}");
        return r;
    }
}

/// <summary>TF's <c>TFRecordReader</c>: the records of TFRecord files, keyed <c>file:offset</c> (the record's byte offset).</summary>
internal sealed class TfRecordReaderResource(string name) : ReaderResource(name)
{
    private IEnumerator<(long Offset, byte[] Data)>? _records;

    protected override void OnWorkStarted(string work) => _records = RecordReader.ReadRecordsWithOffsets(work).GetEnumerator();

    protected override bool ReadNext(string work, out string key, out byte[] value)
    {
        if (_records!.MoveNext())
        {
            var (offset, data) = _records.Current;
            key = work + ":" + offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
            value = data;
            return true;
        }
        key = "";
        value = [];
        return false;
    }

    protected override void OnWorkFinished()
    {
        _records?.Dispose();
        _records = null;
    }
}
