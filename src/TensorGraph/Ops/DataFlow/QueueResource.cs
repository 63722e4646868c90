using TensorGraph.Kernels;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// A queue of tuples of tensors that lives as long as its session (TF's <c>QueueBase</c>,
/// core/kernels/queue_base.cc and the typed queues): bounded by <see cref="Capacity"/>, many
/// producers and consumers, exactly-once delivery. Enqueue and dequeue attempts are served in the
/// order they arrive, as TF's attempt lists serve them: the first pending enqueue fills free slots
/// (an EnqueueMany a few elements at a time), the first pending dequeue takes elements as they come
/// (a DequeueMany keeps a partial batch). A waiting attempt polls its run's stop conditions
/// (<see cref="OpContext.CheckStop"/>: cancellation, deadline, a closed session), so a blocked run can
/// always be stopped; a close or any change of the queue wakes every waiter at once.
/// </summary>
internal abstract class QueueResource : IDisposable
{
    private const int PollMs = 10;

    private readonly object _sync = new();
    private readonly LinkedList<Attempt> _enqueues = new();
    private readonly LinkedList<Attempt> _dequeues = new();
    private bool _closed;
    private bool _disposed;

    private sealed class Attempt
    {
        public bool Cancelled;
        public string? CancelReason;
    }

    protected QueueResource(string opType, string name, DType[] types, Shape[] shapes, int capacity)
    {
        OpType = opType;
        Name = name;
        Types = types;
        Shapes = shapes;
        Capacity = capacity < 0 ? int.MaxValue : capacity;
    }

    /// <summary>The op type that created the queue (checked when a shared queue is looked up again).</summary>
    public string OpType { get; }

    /// <summary>The queue's name: its shared name, or <c>_N_node</c> as TF's resource manager names an unshared one.</summary>
    public string Name { get; }

    /// <summary>TF's class name in messages: FIFOQueue, RandomShuffleQueue, PaddingFIFOQueue, PriorityQueue.</summary>
    public abstract string Kind { get; }

    /// <summary>The dtypes of an element's components.</summary>
    public DType[] Types { get; }

    /// <summary>The components' shapes (empty: not specified; a padding queue's may be partial).</summary>
    public Shape[] Shapes { get; }

    /// <summary>The most elements the queue holds (int.MaxValue for unbounded).</summary>
    public int Capacity { get; }

    /// <summary>Whether every component has a declared shape (DequeueMany needs them).</summary>
    public bool SpecifiedShapes => Shapes.Length > 0;

    /// <summary>Elements a dequeue must leave behind while the queue is open (RandomShuffleQueue's min_after_dequeue).</summary>
    protected virtual int MinAfterDequeue => 0;

    /// <summary>Number of elements held (called under the queue's lock).</summary>
    protected abstract int Count { get; }

    /// <summary>Adds one element (under the lock).</summary>
    protected abstract void Push(Tensor[] element);

    /// <summary>Removes the next element in the queue's order (under the lock; <see cref="Count"/> &gt; 0).</summary>
    protected abstract Tensor[] Pop();

    /// <summary>Puts back an element a partial DequeueMany had taken (under the lock), where TF puts it.</summary>
    protected abstract void Restore(Tensor[] element);

    /// <summary>Drops every element (under the lock).</summary>
    protected abstract void Clear();

    /// <summary>QueueSize: the number of elements.</summary>
    public int Size
    {
        get
        {
            lock (_sync) return Count;
        }
    }

    /// <summary>QueueIsClosed.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_sync) return _closed;
        }
    }

    // ------------------------------------------------------------------ validation

    /// <summary>TF's <c>ValidateTupleCommon</c>: component count and dtypes.</summary>
    protected void ValidateCommon(Tensor[] tuple)
    {
        if (tuple.Length != Types.Length)
            throw new InvalidArgumentException($"Wrong number of components in tuple. Expected {Types.Length}, got {tuple.Length}");
        for (int i = 0; i < tuple.Length; i++)
        {
            if (tuple[i].DType != Types[i])
                throw new InvalidArgumentException($"Type mismatch in tuple component {i}. Expected {ArgSpec.TfName(Types[i])}, got {ArgSpec.TfName(tuple[i].DType)}");
        }
    }

    /// <summary>TF's <c>ValidateTuple</c> for QueueEnqueue: one element.</summary>
    public virtual void ValidateTuple(Tensor[] tuple)
    {
        ValidateCommon(tuple);
        if (!SpecifiedShapes) return;
        for (int i = 0; i < tuple.Length; i++)
        {
            if (!Shapes[i].IsCompatibleWith(tuple[i].Dims) || (Shapes[i].IsFullyDefined && Shapes[i].Rank != tuple[i].Rank))
                throw new InvalidArgumentException($"Shape mismatch in tuple component {i}. Expected {DebugString(Shapes[i])}, got {DebugString(tuple[i].Shape)}");
        }
    }

    /// <summary>TF's <c>ValidateManyTuple</c> for QueueEnqueueMany: a batch along dimension 0.</summary>
    public virtual void ValidateManyTuple(Tensor[] tuple)
    {
        ValidateCommon(tuple);
        for (int i = 0; i < tuple.Length; i++)
        {
            if (tuple[i].Rank == 0)
                throw new InvalidArgumentException($"Shape must be at least rank 1 but is rank 0 for component {i} of the batch to enqueue");
        }
        int batch = tuple[0].Dims[0];
        for (int i = 0; i < tuple.Length; i++)
        {
            if (SpecifiedShapes)
            {
                var expected = new Shape([batch, .. Shapes[i].ToArray()]);
                if (!expected.IsCompatibleWith(tuple[i].Dims) || expected.Rank != tuple[i].Rank)
                    throw new InvalidArgumentException($"Shape mismatch in tuple component {i}. Expected {DebugString(expected)}, got {DebugString(tuple[i].Shape)}");
            }
            else if (tuple[i].Dims[0] != batch)
            {
                throw new InvalidArgumentException(
                    $"All input tensors must have the same size in the 0th dimension. Component {i} has {tuple[i].Dims[0]}, and should have {batch}");
            }
        }
    }

    /// <summary>A shape as TF's <c>DebugString</c> prints it: <c>[2,3]</c>, <c>[?,3]</c>, <c>&lt;unknown&gt;</c>.</summary>
    public static string DebugString(Shape s) =>
        !s.IsRankKnown ? "<unknown>" : "[" + string.Join(",", s.ToArray().Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";

    // ------------------------------------------------------------------ enqueue

    /// <summary>
    /// Enqueues <paramref name="elements"/> (already validated and copied) in order, waiting for
    /// room when the queue is full. A closed queue is Cancelled "FIFOQueue 'q' is closed."; a close
    /// with cancel_pending_enqueues cancels the wait ("Enqueue operation was cancelled"). An empty
    /// batch returns at once, as in TF.
    /// </summary>
    public void Enqueue(IReadOnlyList<Tensor[]> elements, OpContext ctx)
    {
        if (elements.Count == 0) return;
        lock (_sync)
        {
            var a = new Attempt();
            var node = _enqueues.AddLast(a);
            try
            {
                int next = 0;
                while (true)
                {
                    if (a.Cancelled) throw new CancelledException(a.CancelReason ?? "Enqueue operation was cancelled");
                    if (_enqueues.First == node)
                    {
                        if (_closed) throw new CancelledException($"{Kind} '{Name}' is closed.");
                        bool progress = false;
                        while (next < elements.Count && Count < Capacity)
                        {
                            Push(elements[next++]);
                            progress = true;
                        }
                        if (progress) Monitor.PulseAll(_sync);
                        if (next == elements.Count) return;
                    }
                    Wait(ctx);
                }
            }
            finally
            {
                _enqueues.Remove(node);
                Monitor.PulseAll(_sync);
            }
        }
    }

    // ------------------------------------------------------------------ dequeue

    /// <summary>
    /// Takes <paramref name="n"/> elements, waiting until they are there (and, for a random
    /// shuffle queue, until <c>min_after_dequeue</c> would remain). On a closed queue with too few
    /// elements the elements taken so far go back, and the dequeue fails with TF's OutOfRange
    /// "FIFOQueue 'q' is closed and has insufficient elements (requested n, current size m)" —
    /// unless <paramref name="allowSmallBatch"/> (DequeueUpTo), which returns what is left when
    /// that is more than zero.
    /// </summary>
    public List<Tensor[]> Dequeue(int n, bool allowSmallBatch, OpContext ctx)
    {
        var taken = new List<Tensor[]>(Math.Min(n, 1024));
        if (n == 0) return taken;
        lock (_sync)
        {
            var a = new Attempt();
            var node = _dequeues.AddLast(a);
            int requested = n;
            bool done = false;
            try
            {
                while (true)
                {
                    if (a.Cancelled) throw new CancelledException(a.CancelReason ?? "Dequeue operation was cancelled");
                    if (_dequeues.First == node)
                    {
                        int size = Count;
                        if (_closed && size < requested - taken.Count)
                        {
                            int remaining = requested - taken.Count;
                            for (int i = taken.Count - 1; i >= 0; i--) Restore(taken[i]);
                            taken.Clear();
                            if (allowSmallBatch && Count > 0)
                            {
                                requested = Count;
                            }
                            else if (allowSmallBatch && _enqueues.Count > 0)
                            {
                                // Pending enqueues (blocked behind a close) may still add elements.
                                requested = n;
                                Wait(ctx);
                                continue;
                            }
                            else
                            {
                                throw new OutOfRangeException(
                                    $"{Kind} '{Name}' is closed and has insufficient elements (requested {remaining}, current size {size})");
                            }
                        }
                        int available = _closed ? Count : Count - MinAfterDequeue;
                        bool progress = false;
                        while (available > 0 && taken.Count < requested)
                        {
                            taken.Add(Pop());
                            available--;
                            progress = true;
                        }
                        if (progress) Monitor.PulseAll(_sync);
                        if (taken.Count == requested)
                        {
                            done = true;
                            return taken;
                        }
                    }
                    Wait(ctx);
                }
            }
            finally
            {
                if (!done)
                {
                    // A stopped or failed dequeue gives back what it had taken.
                    for (int i = taken.Count - 1; i >= 0; i--) Restore(taken[i]);
                }
                _dequeues.Remove(node);
                Monitor.PulseAll(_sync);
            }
        }
    }

    // ------------------------------------------------------------------ close

    /// <summary>
    /// QueueClose. With <paramref name="cancelPendingEnqueues"/> the queue closes now and every
    /// waiting enqueue fails with Cancelled; without it the close waits its turn behind the pending
    /// enqueues, as TF queues it as an enqueue attempt. Closing a closed queue is Cancelled
    /// "Queue 'q' is already closed." (without cancel_pending_enqueues).
    /// </summary>
    public void Close(bool cancelPendingEnqueues, OpContext ctx)
    {
        lock (_sync)
        {
            if (cancelPendingEnqueues)
            {
                _closed = true;
                foreach (var a in _enqueues) a.Cancelled = true;
                Monitor.PulseAll(_sync);
                return;
            }
            var me = new Attempt();
            var node = _enqueues.AddLast(me);
            try
            {
                while (true)
                {
                    if (me.Cancelled) throw new CancelledException(me.CancelReason ?? "Enqueue operation was cancelled");
                    if (_enqueues.First == node)
                    {
                        if (_closed) throw new CancelledException($"Queue '{Name}' is already closed.");
                        _closed = true;
                        return;
                    }
                    Wait(ctx);
                }
            }
            finally
            {
                _enqueues.Remove(node);
                Monitor.PulseAll(_sync);
            }
        }
    }

    /// <summary>The session is closing: close the queue, cancel every waiter and drop the elements.</summary>
    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed) return;
            _disposed = true;
            _closed = true;
            foreach (var a in _enqueues)
            {
                a.Cancelled = true;
                a.CancelReason = "Enqueue operation was cancelled: the session was closed";
            }
            foreach (var a in _dequeues)
            {
                a.Cancelled = true;
                a.CancelReason = "Dequeue operation was cancelled: the session was closed";
            }
            Clear();
            Monitor.PulseAll(_sync);
        }
    }

    private void Wait(OpContext ctx)
    {
        Monitor.Wait(_sync, PollMs);
        ctx.CheckStop();
    }

    // ------------------------------------------------------------------ batches

    /// <summary>
    /// The DequeueMany outputs of <paramref name="elements"/>: component i stacked along a new
    /// dimension 0. Elements of a component must agree in shape (the padding queue overrides this).
    /// An empty batch has shape [0] + the component's shape.
    /// </summary>
    public virtual Tensor[] Batch(List<Tensor[]> elements, OpContext ctx)
    {
        var outs = new Tensor[Types.Length];
        for (int c = 0; c < Types.Length; c++)
        {
            int[] elemDims = elements.Count > 0 ? elements[0][c].DimsArray : [.. Shapes[c].ToArray().Select(d => Math.Max(d, 0))];
            var o = ctx.AllocateToKeep(Types[c], [elements.Count, .. elemDims]);
            int size = elements.Count > 0 ? elements[0][c].Size : 0;
            for (int j = 0; j < elements.Count; j++)
            {
                var e = elements[j][c];
                if (e.Size != size || !e.Dims.SequenceEqual(elemDims))
                    throw new InvalidArgumentException(
                        $"Shape mismatch in tuple component {c}: element {j} of the batch has shape {DebugString(e.Shape)}, element 0 has {DebugString(Shape.FromSpan(elemDims))}");
                Array.Copy(e.Data, 0, o.Data, (long)j * size, size);
            }
            outs[c] = o;
        }
        return outs;
    }

    /// <summary>Row <paramref name="row"/> of a batch tensor as a new tensor the queue keeps.</summary>
    public static Tensor Slice(Tensor batch, int row, OpContext ctx)
    {
        int[] dims = batch.DimsArray[1..];
        var t = ctx.AllocateToKeep(batch.DType, dims);
        Array.Copy(batch.Data, (long)row * t.Size, t.Data, 0, t.Size);
        return t;
    }

    /// <summary>The queue a handle tensor refers to.</summary>
    public static QueueResource Resolve(Tensor handle)
    {
        if (handle.DType != DType.Resource || handle.Size != 1 || handle.Data.GetValue(0) is not QueueResource q)
            throw new InvalidArgumentException($"Expected a handle to a queue, got a {handle.DType.Name()} tensor of shape {Shape.Format(handle.Dims)}");
        return q;
    }
}

/// <summary>TF's <c>FIFOQueue</c>: first in, first out.</summary>
internal class FifoQueueResource(string opType, string name, DType[] types, Shape[] shapes, int capacity)
    : QueueResource(opType, name, types, shapes, capacity)
{
    private readonly LinkedList<Tensor[]> _items = new();

    public override string Kind => "FIFOQueue";

    protected override int Count => _items.Count;

    protected override void Push(Tensor[] element) => _items.AddLast(element);

    protected override Tensor[] Pop()
    {
        var e = _items.First!.Value;
        _items.RemoveFirst();
        return e;
    }

    /// <summary>Back to the front, as TF's FIFOQueue restores a partial batch.</summary>
    protected override void Restore(Tensor[] element) => _items.AddFirst(element);

    protected override void Clear() => _items.Clear();
}

/// <summary>
/// TF's <c>PaddingFIFOQueue</c>: a FIFO queue whose component shapes may have unknown
/// dimensions; DequeueMany pads every element of a batch with zeros (empty strings) to the largest
/// size in each dimension.
/// </summary>
internal sealed class PaddingFifoQueueResource(string opType, string name, DType[] types, Shape[] shapes, int capacity)
    : FifoQueueResource(opType, name, types, shapes, capacity)
{
    public override string Kind => "PaddingFIFOQueue";

    public override void ValidateTuple(Tensor[] tuple)
    {
        ValidateCommon(tuple);
        for (int i = 0; i < tuple.Length; i++)
        {
            if (!Shapes[i].IsCompatibleWith(tuple[i].Dims))
                throw new InvalidArgumentException($"Shape mismatch in tuple component {i}. Expected {DebugString(Shapes[i])}, got {DebugString(tuple[i].Shape)}");
        }
    }

    public override void ValidateManyTuple(Tensor[] tuple)
    {
        ValidateCommon(tuple);
        int batch = tuple[0].Rank > 0 ? tuple[0].Dims[0] : -1;
        for (int i = 0; i < tuple.Length; i++)
        {
            var expected = Shapes[i].IsRankKnown ? new Shape([batch, .. Shapes[i].ToArray()]) : Shape.Unknown;
            if (tuple[i].Rank == 0 || !expected.IsCompatibleWith(tuple[i].Dims))
                throw new InvalidArgumentException($"Shape mismatch in tuple component {i}. Expected {DebugString(expected)}, got {DebugString(tuple[i].Shape)}");
        }
    }

    public override Tensor[] Batch(List<Tensor[]> elements, OpContext ctx)
    {
        var outs = new Tensor[Types.Length];
        for (int c = 0; c < Types.Length; c++)
        {
            int rank = elements.Count > 0 ? elements[0][c].Rank : Shapes[c].Rank;
            var max = new int[rank];
            if (elements.Count == 0)
            {
                for (int d = 0; d < rank; d++) max[d] = Math.Max(Shapes[c][d], 0);
            }
            foreach (var e in elements)
            {
                if (e[c].Rank != rank)
                    throw new InvalidArgumentException($"Shape mismatch in tuple component {c}: elements of rank {rank} and {e[c].Rank} in one batch");
                for (int d = 0; d < rank; d++) max[d] = Math.Max(max[d], e[c].Dims[d]);
            }
            var o = ctx.AllocateToKeep(Types[c], [elements.Count, .. max]);
            int slot = 1;
            foreach (var d in max) slot *= d;
            for (int j = 0; j < elements.Count; j++) CopyPadded(elements[j][c], o.Data, (long)j * slot, max);
            outs[c] = o;
        }
        return outs;
    }

    /// <summary>Copies <paramref name="e"/> into the corner of a zero-filled block of dims <paramref name="block"/> starting at <paramref name="offset"/>.</summary>
    private static void CopyPadded(Tensor e, Array dst, long offset, int[] block)
    {
        int rank = block.Length;
        if (e.Size == 0) return;
        if (rank == 0)
        {
            Array.Copy(e.Data, 0, dst, offset, 1);
            return;
        }
        var dims = e.Dims;
        int row = dims[rank - 1];
        int rows = e.Size / row;
        var idx = new int[rank - 1];
        for (int r = 0; r < rows; r++)
        {
            long at = 0;
            for (int d = 0; d < rank - 1; d++) at = at * block[d] + idx[d];
            Array.Copy(e.Data, (long)r * row, dst, offset + at * block[rank - 1], row);
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++idx[d] < dims[d]) break;
                idx[d] = 0;
            }
        }
    }
}

/// <summary>
/// TF's <c>RandomShuffleQueue</c>: a dequeue takes a uniformly chosen element (swapped with the
/// last, then removed, as TF does) once more than <c>min_after_dequeue</c> elements are held; after
/// close, min_after_dequeue no longer applies. The choice comes from a stream seeded by (seed,
/// seed2), random when both are 0.
/// </summary>
internal sealed class RandomShuffleQueueResource(string opType, string name, DType[] types, Shape[] shapes, int capacity, int minAfterDequeue, long seed, long seed2)
    : QueueResource(opType, name, types, shapes, capacity)
{
    private readonly List<Tensor[]> _items = [];
    private readonly RandomStream _rng = new(seed, seed2);

    public override string Kind => "RandomShuffleQueue";

    protected override int MinAfterDequeue { get; } = minAfterDequeue;

    protected override int Count => _items.Count;

    protected override void Push(Tensor[] element) => _items.Add(element);

    protected override Tensor[] Pop()
    {
        int n = _items.Count;
        int i = n == 1 ? 0 : (int)(_rng.NextUInt64() % (ulong)n);
        var e = _items[i];
        _items[i] = _items[n - 1];
        _items.RemoveAt(n - 1);
        return e;
    }

    protected override void Restore(Tensor[] element) => _items.Add(element);

    protected override void Clear() => _items.Clear();
}

/// <summary>
/// TF's <c>PriorityQueue</c>: component 0 of every element is an int64 scalar priority; dequeues
/// take the smallest priority first (equal priorities in the order they were enqueued).
/// </summary>
internal sealed class PriorityQueueResource(string opType, string name, DType[] types, Shape[] shapes, int capacity)
    : QueueResource(opType, name, types, shapes, capacity)
{
    private readonly PriorityQueue<Tensor[], (long Priority, long Order)> _items = new();
    private long _order;
    private long _restored;

    public override string Kind => "PriorityQueue";

    protected override int Count => _items.Count;

    protected override void Push(Tensor[] element) => _items.Enqueue(element, (element[0].Scalar<long>(), _order++));

    protected override Tensor[] Pop() => _items.Dequeue();

    protected override void Restore(Tensor[] element) => _items.Enqueue(element, (element[0].Scalar<long>(), long.MinValue + _restored++));

    protected override void Clear() => _items.Clear();

    public override void ValidateTuple(Tensor[] tuple)
    {
        base.ValidateTuple(tuple);
        if (tuple[0].Rank != 0)
            throw new InvalidArgumentException($"Expected the priority element to be a scalar, but received shape: {DebugString(tuple[0].Shape)}");
    }

    public override void ValidateManyTuple(Tensor[] tuple)
    {
        base.ValidateManyTuple(tuple);
        if (tuple[0].Rank != 1)
            throw new InvalidArgumentException($"Expected the priority element to be a vector, but received shape: {DebugString(tuple[0].Shape)}");
    }
}
