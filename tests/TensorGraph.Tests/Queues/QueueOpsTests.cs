
namespace TensorGraph.Tests.Queues;

/// <summary>
/// The TF1 queue ops in TF 1.15's semantics (core/kernels/fifo_queue.cc, random_shuffle_queue_op.cc,
/// padding_fifo_queue.cc, priority_queue.cc, queue_base.cc). Every run that could block has a
/// timeout or a token, so a bug fails instead of hanging.
/// </summary>
[CancelAfter(60_000)]
public class QueueOpsTests
{
    private static readonly RunOptions Generous = new() { TimeoutInMs = 20_000 };

    private static RunOptions Within(int ms) => new() { TimeoutInMs = ms };

    private static float[] Floats(Tensor t) => t.ToArray<float>();

    [Test]
    public void FifoQueueHandsOutElementsInEnqueueOrder()
    {
        var g = new Graph();
        var q = g.FIFOQueue(10, [DType.Float32, DType.Int32], [Shape.Scalar, Shape.Scalar]);
        var enq = q.EnqueueMany([g.Constant(new float[] { 1, 2, 3, 4, 5 }), g.Constant(new[] { 10, 20, 30, 40, 50 })]);
        var one = q.Dequeue();
        var two = q.DequeueMany(2);
        using var s = new Session(g);
        s.Run(enq, options: Generous);
        Assert.That(s.Run(q.Size()).Scalar<int>(), Is.EqualTo(5));
        var (x, y) = s.Run(one[0], one[1], options: Generous);
        Assert.That((x.Scalar<float>(), y.Scalar<int>()), Is.EqualTo((1f, 10)));
        var (bx, by) = s.Run(two[0], two[1], options: Generous);
        Assert.That(Floats(bx), Is.EqualTo(new float[] { 2, 3 }));
        Assert.That(by.ToArray<int>(), Is.EqualTo(new[] { 20, 30 }));
        Assert.That(bx.Dims.ToArray(), Is.EqualTo(new[] { 2 }));
        Assert.That(two[0].Shape, Is.EqualTo(new Shape(2)), "the batch dimension is the constant n");
        Assert.That(s.Run(q.Size()).Scalar<int>(), Is.EqualTo(2));
    }

    [Test]
    public void OpsAreNamedAsTfNamesThem()
    {
        var g = new Graph();
        var q = g.FIFOQueue(10, [DType.Float32], [Shape.Scalar]);
        Assert.Multiple(() =>
        {
            Assert.That(q.Op.Name, Is.EqualTo("fifo_queue"));
            Assert.That(q.Op.Type, Is.EqualTo("FIFOQueueV2"));
            Assert.That(q.Handle.DType, Is.EqualTo(DType.Resource));
            Assert.That(q.Enqueue(g.Constant(1f)).Name, Is.EqualTo("fifo_queue_enqueue"));
            Assert.That(q.EnqueueMany(g.Constant(new[] { 1f })).Name, Is.EqualTo("fifo_queue_EnqueueMany"));
            Assert.That(q.Dequeue()[0].Op.Name, Is.EqualTo("fifo_queue_Dequeue"));
            Assert.That(q.DequeueMany(3)[0].Op.Name, Is.EqualTo("fifo_queue_DequeueMany"));
            Assert.That(g.GetOperation("fifo_queue_DequeueMany/n").Type, Is.EqualTo("Const"));
            Assert.That(q.DequeueUpTo(3)[0].Op.Name, Is.EqualTo("fifo_queue_DequeueUpTo"));
            Assert.That(q.Close().Name, Is.EqualTo("fifo_queue_Close"));
            Assert.That(q.Close(true).Name, Is.EqualTo("fifo_queue_Close_1"));
            Assert.That(q.Size().Op.Name, Is.EqualTo("fifo_queue_Size"));
            Assert.That(q.IsClosed().Op.Name, Is.EqualTo("fifo_queue_IsClosed"));
            Assert.That(g.RandomShuffleQueue(5, 1, [DType.Float32]).Op.Name, Is.EqualTo("random_shuffle_queue"));
        });
    }

    [Test]
    public void BuildTimeChecksNameTheNode()
    {
        var g = new Graph();
        var q = g.FIFOQueue(10, [DType.Float32], [new Shape(2)]);
        var e = Assert.Throws<InvalidArgumentException>(() => q.Enqueue(g.Constant(new[] { 1, 2 })));
        Assert.That(e!.Message, Does.Contain("holds float32").And.Contain("fifo_queue_enqueue"));
        var e2 = Assert.Throws<InvalidArgumentException>(() => q.Enqueue(g.Constant(new[] { 1f, 2, 3 })));
        Assert.That(e2!.Message, Does.Contain("incompatible"));
        Assert.Throws<InvalidArgumentException>(() => g.RandomShuffleQueue(5, 5, [DType.Float32]));
        Assert.Throws<InvalidArgumentException>(() => g.FIFOQueue(5, [DType.Float32], [new Shape(-1)]));
    }

    [Test]
    public void DequeueWaitsForAnEnqueueFromAnotherThread()
    {
        var g = new Graph();
        var q = g.FIFOQueue(10, [DType.Float32], [Shape.Scalar]);
        var x = g.Placeholder(DType.Float32, Shape.Scalar);
        var enq = q.Enqueue(x);
        var deq = q.Dequeue()[0];
        using var s = new Session(g);
        var consumer = Task.Run(() => s.Run(deq, options: Generous));
        // The queue is empty, so the consumer cannot have finished.
        Assert.That(consumer.Wait(100), Is.False);
        s.Run(enq, new FeedDict { [x] = Tensor.Scalar(7f) }, Generous);
        Assert.That(consumer.Wait(20_000), Is.True);
        Assert.That(consumer.Result.Scalar<float>(), Is.EqualTo(7f));
    }

    [Test]
    public void BlockedDequeueStopsAtTheRunTimeoutOrItsToken()
    {
        var g = new Graph();
        var q = g.FIFOQueue(10, [DType.Float32], [Shape.Scalar]);
        var deq = q.Dequeue()[0];
        using var s = new Session(g);
        Assert.Throws<DeadlineExceededException>(() => s.Run(deq, options: Within(50)));
        using var cts = new CancellationTokenSource();
        var t = Task.Run(() => s.Run(deq, options: Generous, cancellationToken: cts.Token));
        cts.CancelAfter(50);
        var ex = Assert.Throws<AggregateException>(() => t.Wait(20_000));
        Assert.That(ex!.InnerException, Is.TypeOf<CancelledException>());
        // A stopped dequeue leaves the queue usable.
        s.Run(q.Enqueue(g.Constant(3f)), options: Generous);
        Assert.That(s.Run(deq, options: Generous).Scalar<float>(), Is.EqualTo(3f));
    }

    [Test]
    public void ClosedQueueDrainsThenFailsWithOutOfRangeNamingTheNode()
    {
        var g = new Graph();
        var q = g.FIFOQueue(10, [DType.Float32], [Shape.Scalar]);
        var enq = q.EnqueueMany(g.Constant(new float[] { 1, 2 }));
        var many = q.DequeueMany(5);
        var one = q.Dequeue();
        using var s = new Session(g);
        s.Run(enq, options: Generous);
        s.Run(q.Close(), options: Generous);
        Assert.That(s.Run(q.IsClosed()).Scalar<bool>(), Is.True);
        var e = Assert.Throws<OutOfRangeException>(() => s.Run(many[0], options: Generous));
        Assert.That(e!.Message, Does.StartWith("FIFOQueue '_0_fifo_queue' is closed and has insufficient elements (requested 5, current size 2)"));
        Assert.That(e.NodeName, Is.EqualTo("fifo_queue_DequeueMany"));
        Assert.That(s.Run(q.Size()).Scalar<int>(), Is.EqualTo(2), "a failed DequeueMany leaves the elements");
        Assert.That(s.Run(one[0], options: Generous).Scalar<float>(), Is.EqualTo(1f));
        Assert.That(s.Run(one[0], options: Generous).Scalar<float>(), Is.EqualTo(2f));
        var e2 = Assert.Throws<OutOfRangeException>(() => s.Run(one[0], options: Generous));
        Assert.That(e2!.Message, Does.StartWith("FIFOQueue '_0_fifo_queue' is closed and has insufficient elements (requested 1, current size 0)"));
        var e3 = Assert.Throws<CancelledException>(() => s.Run(enq, options: Generous));
        Assert.That(e3!.Message, Does.StartWith("FIFOQueue '_0_fifo_queue' is closed."));
        Assert.That(e3.NodeName, Is.EqualTo("fifo_queue_EnqueueMany"));
        var e4 = Assert.Throws<CancelledException>(() => s.Run(q.Close(), options: Generous));
        Assert.That(e4!.Message, Does.StartWith("Queue '_0_fifo_queue' is already closed."));
    }

    [Test]
    public void CloseWakesABlockedDequeueMany()
    {
        var g = new Graph();
        var q = g.FIFOQueue(10, [DType.Float32], [Shape.Scalar]);
        var many = q.DequeueMany(3)[0];
        using var s = new Session(g);
        s.Run(q.Enqueue(g.Constant(1f)), options: Generous);
        var consumer = Task.Run(() => s.Run(many, options: Generous));
        Assert.That(consumer.Wait(100), Is.False);
        s.Run(q.Close(), options: Generous);
        var ex = Assert.Throws<AggregateException>(() => consumer.Wait(20_000));
        Assert.That(ex!.InnerException, Is.TypeOf<OutOfRangeException>());
        Assert.That(s.Run(q.Size()).Scalar<int>(), Is.EqualTo(1), "the element a partial batch had taken went back");
    }

    [Test]
    public void EnqueueWaitsOnAFullQueueAndCancelPendingEnqueuesCancelsIt()
    {
        var g = new Graph();
        var q = g.FIFOQueue(2, [DType.Float32], [Shape.Scalar]);
        var enq = q.EnqueueMany(g.Constant(new float[] { 1, 2, 3 }));
        using var s = new Session(g);
        Assert.Throws<DeadlineExceededException>(() => s.Run(enq, options: Within(50)));
        Assert.That(s.Run(q.Size()).Scalar<int>(), Is.EqualTo(2), "the rows that fitted were enqueued");
        var producer = Task.Run(() => s.Run(q.Enqueue(g.Constant(9f)), options: Generous));
        Assert.That(producer.Wait(100), Is.False);
        s.Run(q.Close(cancelPendingEnqueues: true), options: Generous);
        var ex = Assert.Throws<AggregateException>(() => producer.Wait(20_000));
        Assert.That(ex!.InnerException, Is.TypeOf<CancelledException>());
        Assert.That(ex.InnerException!.Message, Does.StartWith("Enqueue operation was cancelled"));
        var deq = q.DequeueUpTo(10)[0];
        Assert.That(Floats(s.Run(deq, options: Generous)), Is.EqualTo(new float[] { 1, 2 }));
    }

    [Test]
    public void EnqueueWaitsForRoomMadeByAnotherThread()
    {
        var g = new Graph();
        var q = g.FIFOQueue(1, [DType.Int32], [Shape.Scalar]);
        var enq = q.EnqueueMany(g.Constant(new[] { 1, 2, 3, 4 }));
        var deq = q.Dequeue()[0];
        using var s = new Session(g);
        var producer = Task.Run(() => s.Run(enq, options: Generous));
        var got = new List<int>();
        for (int i = 0; i < 4; i++) got.Add(s.Run(deq, options: Generous).Scalar<int>());
        Assert.That(producer.Wait(20_000), Is.True);
        Assert.That(got, Is.EqualTo(new[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void ManyProducersAndConsumersOnOneSessionDeliverEveryElementOnce()
    {
        var g = new Graph();
        var q = g.FIFOQueue(5, [DType.Int32], [Shape.Scalar]);
        var x = g.Placeholder(DType.Int32, [-1]);
        var enq = q.EnqueueMany(x);
        var deq = q.DequeueMany(10)[0];
        using var s = new Session(g);
        var producers = Enumerable.Range(0, 4).Select(p => Task.Run(() =>
            s.Run(enq, new FeedDict { [x] = Enumerable.Range(p * 100, 100).ToArray() }, Generous))).ToArray();
        var consumers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var mine = new List<int>();
            for (int i = 0; i < 20; i++) mine.AddRange(s.Run(deq, options: Generous).ToArray<int>());
            return mine;
        })).ToArray();
        Assert.That(Task.WaitAll([.. producers, .. consumers], 30_000), Is.True);
        var all = consumers.SelectMany(c => c.Result).Order().ToArray();
        Assert.That(all, Is.EqualTo(Enumerable.Range(0, 400).ToArray()));
    }

    [Test]
    public void DequeueUpToReturnsAPartialBatchAfterClose()
    {
        var g = new Graph();
        var q = g.FIFOQueue(10, [DType.Float32, DType.String], [new Shape(2), Shape.Scalar]);
        var enq = q.EnqueueMany([g.Constant(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }), g.Constant(new[] { "a", "b", "c" })]);
        var upTo = q.DequeueUpTo(2);
        Assert.That(upTo[0].Shape, Is.EqualTo(new Shape(-1, 2)));
        using var s = new Session(g);
        s.Run(enq, options: Generous);
        s.Run(q.Close(), options: Generous);
        var (a, b) = s.Run(upTo[0], upTo[1], options: Generous);
        Assert.That(a.Dims.ToArray(), Is.EqualTo(new[] { 2, 2 }));
        var (c, d) = s.Run(upTo[0], upTo[1], options: Generous);
        Assert.That(c.Dims.ToArray(), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(Floats(c), Is.EqualTo(new float[] { 5, 6 }));
        Assert.That(d.ToArray<byte[]>().Select(System.Text.Encoding.UTF8.GetString), Is.EqualTo(new[] { "c" }));
        Assert.Throws<OutOfRangeException>(() => s.Run(upTo[0], options: Generous));
    }

    [Test]
    public void DequeueManyNeedsShapes()
    {
        var g = new Graph();
        var q = g.FIFOQueue(10, [DType.Float32]);
        var many = q.DequeueMany(1)[0];
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(many, options: Generous));
        Assert.That(e!.Message, Does.Contain("DequeueMany and DequeueUpTo require the components to have specified shapes"));
    }

    private static int[] ShuffledOrder(int seed)
    {
        var g = new Graph();
        var q = g.RandomShuffleQueue(20, 0, [DType.Int32], [Shape.Scalar], seed: seed);
        var enq = q.EnqueueMany(g.Constant(Enumerable.Range(0, 10).ToArray()));
        var deq = q.DequeueMany(10)[0];
        using var s = new Session(g);
        s.Run(enq, options: Generous);
        return s.Run(deq, options: Generous).ToArray<int>();
    }

    [Test]
    public void SeededRandomShuffleQueueOrderIsAReproduciblePermutation()
    {
        var a = ShuffledOrder(42);
        Assert.That(ShuffledOrder(42), Is.EqualTo(a), "same seeds, same order");
        Assert.That(a.Order(), Is.EqualTo(Enumerable.Range(0, 10)), "every element exactly once");
        Assert.That(a, Is.Not.EqualTo(Enumerable.Range(0, 10).ToArray()), "shuffled");
        Assert.That(ShuffledOrder(43), Is.Not.EqualTo(a), "another seed, another order");
    }

    [Test]
    public void RandomShuffleQueueSeedsFollowTf()
    {
        var g = new Graph { Seed = 1 };
        // A graph seed and a shared name without an op seed: seed2 = md5("1q")[:8] & 0x7FFFFFFF (TF 1.15's data_flow_ops.py).
        var shared = g.RandomShuffleQueue(10, 0, [DType.Float32], sharedName: "q");
        Assert.That((shared.Op.GetAttrInt("seed"), shared.Op.GetAttrInt("seed2")), Is.EqualTo((1L, 86180321L)));
        var seeded = g.RandomShuffleQueue(10, 0, [DType.Float32], seed: 5);
        Assert.That((seeded.Op.GetAttrInt("seed"), seeded.Op.GetAttrInt("seed2")), Is.EqualTo((1L, 5L)));
        var none = new Graph().RandomShuffleQueue(10, 0, [DType.Float32]);
        Assert.That((none.Op.GetAttrInt("seed"), none.Op.GetAttrInt("seed2")), Is.EqualTo((0L, 0L)));
    }

    [Test]
    public void RandomShuffleQueueKeepsMinAfterDequeueUntilClosed()
    {
        var g = new Graph();
        var q = g.RandomShuffleQueue(10, 3, [DType.Int32], [Shape.Scalar], seed: 1);
        var enq = q.EnqueueMany(g.Constant(new[] { 1, 2, 3, 4 }));
        var deq = q.Dequeue()[0];
        var many = q.DequeueMany(2)[0];
        using var s = new Session(g);
        s.Run(enq, options: Generous);
        int first = s.Run(deq, options: Generous).Scalar<int>();
        // 3 left = min_after_dequeue: the next dequeue must wait.
        Assert.Throws<DeadlineExceededException>(() => s.Run(deq, options: Within(50)));
        Assert.That(s.Run(q.Size()).Scalar<int>(), Is.EqualTo(3));
        s.Run(q.Close(), options: Generous);
        var rest = s.Run(many, options: Generous).ToArray<int>().Append(s.Run(deq, options: Generous).Scalar<int>()).Append(first);
        Assert.That(rest.Order(), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        var e = Assert.Throws<OutOfRangeException>(() => s.Run(deq, options: Generous));
        Assert.That(e!.Message, Does.StartWith("RandomShuffleQueue '_0_random_shuffle_queue' is closed and has insufficient elements"));
    }

    [Test]
    public void PaddingQueuePadsEachBatchToItsLongestElement()
    {
        var g = new Graph();
        var q = g.PaddingFIFOQueue(10, [DType.Float32, DType.Int32], [new Shape(-1), Shape.Scalar]);
        var x = g.Placeholder(DType.Float32, [-1]);
        var enq = q.Enqueue([x, g.Constant(5)]);
        var many = q.DequeueMany(3);
        Assert.That(many[0].Shape, Is.EqualTo(new Shape(3, -1)));
        using var s = new Session(g);
        foreach (var v in new[] { new float[] { 1, 2 }, [3], [4, 5, 6] })
            s.Run(enq, new FeedDict { [x] = v }, Generous);
        var (p, k) = s.Run(many[0], many[1], options: Generous);
        Assert.That(p.Dims.ToArray(), Is.EqualTo(new[] { 3, 3 }));
        Assert.That(Floats(p), Is.EqualTo(new float[] { 1, 2, 0, 3, 0, 0, 4, 5, 6 }));
        Assert.That(k.ToArray<int>(), Is.EqualTo(new[] { 5, 5, 5 }));
        var wrong = g.Placeholder(DType.Float32, Shape.Unknown);
        var bad = q.Enqueue([wrong, g.Constant(1)]);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(bad, new FeedDict { [wrong] = new float[,] { { 1 } } }, Generous));
        Assert.That(e!.Message, Does.Contain("Shape mismatch in tuple component 0. Expected [?], got [1,1]"));
    }

    [Test]
    public void PaddingQueuePadsTwoDimensionalStrings()
    {
        var g = new Graph();
        var q = g.PaddingFIFOQueue(10, [DType.String], [new Shape(-1, -1)]);
        var x = g.Placeholder(DType.String, [-1, -1]);
        var enq = q.Enqueue(x);
        var many = q.DequeueMany(2)[0];
        using var s = new Session(g);
        s.Run(enq, new FeedDict { [x] = Tensor.FromArray(new[,] { { "a" }, { "b" } }) }, Generous);
        s.Run(enq, new FeedDict { [x] = Tensor.FromArray(new[,] { { "c", "d" } }) }, Generous);
        var t = s.Run(many, options: Generous);
        Assert.That(t.Dims.ToArray(), Is.EqualTo(new[] { 2, 2, 2 }));
        Assert.That(t.ToArray<byte[]>().Select(System.Text.Encoding.UTF8.GetString), Is.EqualTo(new[] { "a", "", "b", "", "c", "d", "", "" }));
    }

    [Test]
    public void PriorityQueueDequeuesTheSmallestPriorityFirst()
    {
        var g = new Graph();
        var q = g.PriorityQueue(10, [DType.String], [Shape.Scalar]);
        Assert.That(q.DTypes, Is.EqualTo(new[] { DType.Int64, DType.String }));
        var enq = q.EnqueueMany([g.Constant(new long[] { 5, 1, 3 }), g.Constant(new[] { "e", "a", "c" })]);
        var one = q.Dequeue();
        var two = q.DequeueMany(2);
        using var s = new Session(g);
        s.Run(enq, options: Generous);
        var (p, v) = s.Run(one[0], one[1], options: Generous);
        Assert.That(p.Scalar<long>(), Is.EqualTo(1L));
        Assert.That(System.Text.Encoding.UTF8.GetString(v.Scalar<byte[]>()), Is.EqualTo("a"));
        var (ps, vs) = s.Run(two[0], two[1], options: Generous);
        Assert.That(ps.ToArray<long>(), Is.EqualTo(new long[] { 3, 5 }));
        Assert.That(vs.ToArray<byte[]>().Select(System.Text.Encoding.UTF8.GetString), Is.EqualTo(new[] { "c", "e" }));
    }

    [Test]
    public void QueuesAreSharedByNameAndCheckedAgainstTheirDeclaration()
    {
        var g = new Graph();
        var a = g.FIFOQueue(10, [DType.Float32], [Shape.Scalar], sharedName: "shared");
        var b = g.FIFOQueue(10, [DType.Float32], [Shape.Scalar], sharedName: "shared");
        var c = g.FIFOQueue(11, [DType.Float32], [Shape.Scalar], sharedName: "shared");
        using var s = new Session(g);
        s.Run(a.Enqueue(g.Constant(4f)), options: Generous);
        Assert.That(s.Run(b.Dequeue()[0], options: Generous).Scalar<float>(), Is.EqualTo(4f));
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(c.Size()));
        Assert.That(e!.Message, Does.Contain("Shared queue 'shared' has capacity 10 but requested capacity was 11"));
        // Another session has its own queue.
        using var s2 = new Session(g);
        Assert.That(s2.Run(b.Size()).Scalar<int>(), Is.EqualTo(0));
    }

    [Test]
    public void DisposingTheSessionStopsABlockedRun()
    {
        var g = new Graph();
        var q = g.FIFOQueue(10, [DType.Float32], [Shape.Scalar]);
        var deq = q.Dequeue()[0];
        var s = new Session(g);
        var consumer = Task.Run(() => s.Run(deq));
        Assert.That(consumer.Wait(100), Is.False);
        s.Dispose();
        var ex = Assert.Throws<AggregateException>(() => consumer.Wait(20_000));
        Assert.That(ex!.InnerException, Is.TypeOf<CancelledException>());
    }

    [Test]
    public void QueueGraphsRoundTripThroughAGraphDef()
    {
        var g = new Graph();
        var q = g.RandomShuffleQueue(10, 0, [DType.Float32], [new Shape(2)], seed: 7);
        q.EnqueueMany(g.Constant(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }));
        q.DequeueMany(3);
        q.Close(true);
        var def = g.ToGraphDef();
        var g2 = new Graph();
        g2.Import(def);
        Assert.That(g2.ToGraphDef(), Is.EqualTo(def));
        using var s = new Session(g2);
        s.Run(g2.GetOperation("random_shuffle_queue_EnqueueMany"), options: Generous);
        var batch = s.Run(g2.GetTensor("random_shuffle_queue_DequeueMany:0"), options: Generous);
        Assert.That(g2.GetTensor("random_shuffle_queue_DequeueMany:0").Shape, Is.EqualTo(new Shape(3, 2)));
        var rows = Enumerable.Range(0, 3).Select(i => (batch.ToArray<float>()[2 * i], batch.ToArray<float>()[2 * i + 1])).Order().ToArray();
        Assert.That(rows, Is.EqualTo(new[] { (1f, 2f), (3f, 4f), (5f, 6f) }));
        s.Run(g2.GetOperation("random_shuffle_queue_Close"), options: Generous);
        Assert.Throws<OutOfRangeException>(() => s.Run(g2.GetTensor("random_shuffle_queue_DequeueMany:0"), options: Generous));
    }
}
