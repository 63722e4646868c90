namespace TensorGraph;

/// <summary>
/// A queue in a graph, shaped like TF's Python <c>QueueBase</c> (<c>tf.FIFOQueue</c>,
/// <c>tf.RandomShuffleQueue</c>, <c>tf.PaddingFIFOQueue</c>, <c>tf.PriorityQueue</c>): the
/// resource handle of the queue-creating node and builders for the ops that use it, named as TF
/// names them after the queue node's last name component (<c>fifo_queue_enqueue</c>,
/// <c>fifo_queue_EnqueueMany</c>, <c>fifo_queue_Dequeue</c>, <c>fifo_queue_DequeueMany</c>,
/// <c>fifo_queue_DequeueUpTo</c>, <c>fifo_queue_Close</c>, <c>fifo_queue_Size</c>,
/// <c>fifo_queue_IsClosed</c>). The queue itself lives in each session that runs the node.
/// </summary>
public sealed class Queue
{
    internal Queue(Graph graph, Output handle, DType[] dtypes, Shape[] shapes)
    {
        Graph = graph;
        Handle = handle;
        DTypes = dtypes;
        Shapes = shapes;
        Name = handle.Op.Name[(handle.Op.Name.LastIndexOf('/') + 1)..];
    }

    /// <summary>The graph the queue is in.</summary>
    public Graph Graph { get; }

    /// <summary>The queue's resource handle (TF's <c>queue_ref</c>).</summary>
    public Output Handle { get; }

    /// <summary>The queue-creating operation.</summary>
    public Operation Op => Handle.Op;

    /// <summary>The last component of the node's name (TF's <c>QueueBase.name</c> prefix of its ops).</summary>
    public string Name { get; }

    /// <summary>The element components' dtypes (a priority queue's start with its int64 priority).</summary>
    public IReadOnlyList<DType> DTypes { get; }

    /// <summary>The components' shapes (empty when none were given).</summary>
    public IReadOnlyList<Shape> Shapes { get; }

    /// <summary>TF's <c>enqueue(vals)</c>: a QueueEnqueueV2 named <c>&lt;queue&gt;_enqueue</c>.</summary>
    public Operation Enqueue(Output[] vals, string? name = null) =>
        Graph.QueueEnqueueV2(Handle, vals, Scope(name, Name + "_enqueue"));

    /// <summary>Enqueues a single-component element.</summary>
    public Operation Enqueue(Output val, string? name = null) => Enqueue([val], name);

    /// <summary>TF's <c>enqueue_many(vals)</c>: a QueueEnqueueManyV2 named <c>&lt;queue&gt;_EnqueueMany</c>, rows along dimension 0.</summary>
    public Operation EnqueueMany(Output[] vals, string? name = null) =>
        Graph.QueueEnqueueManyV2(Handle, vals, Scope(name, Name + "_EnqueueMany"));

    /// <summary>Enqueues the rows of a single-component batch.</summary>
    public Operation EnqueueMany(Output val, string? name = null) => EnqueueMany([val], name);

    /// <summary>TF's <c>dequeue()</c>: a QueueDequeueV2 named <c>&lt;queue&gt;_Dequeue</c>; one output per component.</summary>
    public Output[] Dequeue(string? name = null) => Graph.QueueDequeueV2(Handle, [.. DTypes], name ?? Name + "_Dequeue");

    /// <summary>TF's <c>dequeue_many(n)</c>: a QueueDequeueManyV2 named <c>&lt;queue&gt;_DequeueMany</c>; each output has n rows.</summary>
    public Output[] DequeueMany(Output n, string? name = null) =>
        Graph.QueueDequeueManyV2(Handle, n, [.. DTypes], name ?? Name + "_DequeueMany");

    /// <summary><c>dequeue_many</c> with a constant count (the Const is <c>&lt;op&gt;/n</c>, as TF converts it).</summary>
    public Output[] DequeueMany(int n, string? name = null)
    {
        var exact = Scope(name, Name + "_DequeueMany");
        return Graph.QueueDequeueManyV2(Handle, CountConst(exact, n), [.. DTypes], exact);
    }

    /// <summary>TF's <c>dequeue_up_to(n)</c>: a QueueDequeueUpToV2 named <c>&lt;queue&gt;_DequeueUpTo</c>; fewer rows after close.</summary>
    public Output[] DequeueUpTo(Output n, string? name = null) =>
        Graph.QueueDequeueUpToV2(Handle, n, [.. DTypes], name ?? Name + "_DequeueUpTo");

    /// <summary><c>dequeue_up_to</c> with a constant count.</summary>
    public Output[] DequeueUpTo(int n, string? name = null)
    {
        var exact = Scope(name, Name + "_DequeueUpTo");
        return Graph.QueueDequeueUpToV2(Handle, CountConst(exact, n), [.. DTypes], exact);
    }

    /// <summary>TF's <c>close(cancel_pending_enqueues)</c>: a QueueCloseV2 named <c>&lt;queue&gt;_Close</c>.</summary>
    public Operation Close(bool cancelPendingEnqueues = false, string? name = null) =>
        Graph.QueueCloseV2(Handle, cancelPendingEnqueues, name ?? Name + "_Close");

    /// <summary>TF's <c>size()</c>: a QueueSizeV2 named <c>&lt;queue&gt;_Size</c>.</summary>
    public Output Size(string? name = null) => Graph.QueueSizeV2(Handle, name ?? Name + "_Size");

    /// <summary>TF's <c>is_closed()</c>: a QueueIsClosedV2 named <c>&lt;queue&gt;_IsClosed</c>.</summary>
    public Output IsClosed(string? name = null) => Graph.QueueIsClosedV2(Handle, name ?? Name + "_IsClosed");

    /// <summary>TF's <c>name_scope(name, default)</c> whose scope name the op takes exactly.</summary>
    private string Scope(string? name, string defaultName)
    {
        using (Graph.NameScope(name ?? defaultName)) return Graph.CurrentNameScope + "/";
    }

    private Output CountConst(string exactScope, int n)
    {
        using (Graph.NameScope(exactScope)) return Graph.Constant(n, name: "n");
    }

    /// <inheritdoc/>
    public override string ToString() => $"<{Op.Type} '{Op.Name}' components={DTypes.Count}>";
}

public sealed partial class Graph
{
    /// <summary>
    /// The <see cref="Queue"/> of an existing queue-creating node (one built here or imported),
    /// with its dtypes and shapes from the node's attrs; null when <paramref name="queueOp"/> does
    /// not create a queue.
    /// </summary>
    public Queue? QueueOf(Operation queueOp)
    {
        ArgumentNullException.ThrowIfNull(queueOp);
        if (queueOp.Spec is not QueueOpSpec spec || !ReferenceEquals(queueOp.Graph, this)) return null;
        return new Queue(this, queueOp[0], spec.ComponentTypes(queueOp), spec.ComponentShapes(queueOp));
    }
}
