using TensorGraph.Training;

namespace TensorGraph.Tests.Queues;

/// <summary>
/// QueueRunner and Coordinator (TF's queue_runner_impl.py and coordinator.py), and the input.py
/// builders: batch, shuffle_batch, slice_input_producer, string_input_producer. Every join has a
/// grace period and every blocking run a timeout, so nothing can hang.
/// </summary>
[CancelAfter(60_000)]
public class QueueRunnerTests
{
    private static readonly RunOptions Generous = new() { TimeoutInMs = 20_000 };
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(20);

    private static string Str(byte[] b) => System.Text.Encoding.UTF8.GetString(b);

    [Test]
    public void QueueRunnerFeedsTrainingAndStopsCleanly()
    {
        var g = new Graph { Seed = 3 };
        var xs = Enumerable.Range(0, 64).Select(i => i / 64f).ToArray();
        var ys = xs.Select(x => 2 * x + 1).ToArray();
        var row = g.SliceInputProducer([g.Constant(xs), g.Constant(ys)], seed: 1);
        var batch = g.ShuffleBatch(row, batchSize: 16, capacity: 40, minAfterDequeue: 10, seed: 2);
        var w = g.Variable(Tensor.Scalar(0f), "w");
        var b = g.Variable(Tensor.Scalar(0f), "b");
        var loss = g.ReduceMean(g.Square(batch[0] * w + b - batch[1]));
        var train = new GradientDescentOptimizer(0.5).Minimize(loss);
        Assert.That(batch[0].Shape, Is.EqualTo(new Shape(16)));

        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var coord = new Coordinator();
        var threads = QueueRunner.StartQueueRunners(s, coord);
        Assert.That(threads, Has.Count.EqualTo(4), "an enqueue thread and a close-on-stop thread per runner");
        float first = 0, last = 0;
        for (int step = 0; step < 300; step++)
        {
            var l = s.Run([loss], null, [train], Generous)[0].Scalar<float>();
            if (step == 0) first = l;
            last = l;
        }
        coord.RequestStop();
        coord.Join(threads, Grace);
        Assert.That(threads.All(t => !t.IsAlive), Is.True, "no runner thread is left");
        Assert.That(last, Is.LessThan(first / 100));
        Assert.That(s.Run(w.Value).Scalar<float>(), Is.EqualTo(2f).Within(0.05f));
        Assert.That(s.Run(b.Value).Scalar<float>(), Is.EqualTo(1f).Within(0.05f));
        Assert.That(g.GetCollection<QueueRunner>(GraphKeys.QueueRunners), Has.Count.EqualTo(2));
    }

    [Test]
    public void AnEnqueueErrorStopsTheCoordinatorAndJoinRethrowsIt()
    {
        var g = new Graph();
        var q = g.FIFOQueue(4, [DType.Float32], [Shape.Scalar]);
        var ok = g.Assert(g.Constant(false), [g.Constant("input is broken")]);
        Operation enq;
        using (g.ControlDependencies(ok)) enq = q.Enqueue(g.Constant(1f));
        var qr = new QueueRunner(q, [enq]);
        using var s = new Session(g);
        var coord = new Coordinator();
        var threads = qr.CreateThreads(s, coord, start: true);
        Assert.That(coord.WaitForStop(Grace), Is.True);
        var e = Assert.Throws<InvalidArgumentException>(() => coord.Join(threads, Grace));
        Assert.That(e!.Message, Does.Contain("input is broken"));
        Assert.That(threads.All(t => !t.IsAlive), Is.True);
        Assert.That(s.Run(q.IsClosed()).Scalar<bool>(), Is.True, "the stop ran the cancel op");
    }

    [Test]
    public void WithoutACoordinatorErrorsAreKeptOnTheRunner()
    {
        var g = new Graph();
        var q = g.FIFOQueue(4, [DType.Float32], [Shape.Scalar]);
        var bad = g.Assert(g.Constant(false), [g.Constant("nope")]);
        Operation enq;
        using (g.ControlDependencies(bad)) enq = q.Enqueue(g.Constant(1f));
        var qr = new QueueRunner(q, [enq]);
        using var s = new Session(g);
        var threads = qr.CreateThreads(s, start: true);
        Assert.That(threads, Has.Count.EqualTo(1));
        Assert.That(threads[0].Join(Grace), Is.True);
        Assert.That(qr.Exceptions, Has.Count.EqualTo(1));
        Assert.That(qr.Exceptions[0], Is.TypeOf<InvalidArgumentException>());
    }

    [Test]
    public void CoordinatorRecordsOnlyTheFirstExceptionAndOutOfRangeIsACleanStop()
    {
        var coord = new Coordinator();
        coord.RequestStop(new OutOfRangeException("end of input"));
        Assert.That(coord.ShouldStop, Is.True);
        coord.Join(stopGracePeriod: Grace);
        coord.ClearStop();
        var t = new Thread(() => coord.StopOnException(() => throw new InvalidArgumentException("first")));
        coord.RegisterThread(t);
        t.Start();
        Assert.That(coord.WaitForStop(Grace), Is.True);
        coord.RequestStop(new InternalException("second"));
        var e = Assert.Throws<InvalidArgumentException>(() => coord.Join(stopGracePeriod: Grace));
        Assert.That(e!.Message, Is.EqualTo("first"));
    }

    [Test]
    public void JoinReportsThreadsThatDoNotStop()
    {
        var coord = new Coordinator();
        using var release = new ManualResetEventSlim();
        var t = new Thread(() => release.Wait(TimeSpan.FromSeconds(30))) { Name = "stubborn", IsBackground = true };
        coord.RegisterThread(t);
        t.Start();
        coord.RequestStop();
        var e = Assert.Throws<InvalidOperationException>(() => coord.Join(stopGracePeriod: TimeSpan.FromMilliseconds(10)));
        Assert.That(e!.Message, Is.EqualTo("Coordinator stopped with threads still running: stubborn"));
        release.Set();
        Assert.That(t.Join(Grace), Is.True);
    }

    [Test]
    public void StringInputProducerServesItsEpochsThenOutOfRange()
    {
        var g = new Graph();
        var q = g.StringInputProducer(["a.tfrecord", "b.tfrecord", "c.tfrecord"], numEpochs: 2, shuffle: false);
        Assert.Multiple(() =>
        {
            Assert.That(q.Op.Name, Is.EqualTo("input_producer"));
            Assert.That(g.GetOperation("input_producer/input_producer_EnqueueMany").Type, Is.EqualTo("QueueEnqueueManyV2"));
            Assert.That(g.GetOperation("input_producer/limit_epochs/epochs").Type, Is.EqualTo("VariableV2"));
            Assert.That(g.GetOperation("input_producer/limit_epochs/CountUpTo").Type, Is.EqualTo("CountUpTo"));
            Assert.That(g.GetOperation("input_producer/fraction_of_32_full").Type, Is.EqualTo("ScalarSummary"));
            Assert.That(g.LocalVariables.Select(v => v.Name), Is.EqualTo(new[] { "input_producer/limit_epochs/epochs" }));
            Assert.That(g.GlobalVariables, Is.Empty);
        });
        var name = q.Dequeue()[0];
        using var s = new Session(g);
        s.Run(g.LocalVariablesInitializer());
        var coord = new Coordinator();
        var threads = QueueRunner.StartQueueRunners(s, coord);
        var got = new List<string>();
        while (true)
        {
            try
            {
                got.Add(Str(s.Run(name, options: Generous).Scalar<byte[]>()));
            }
            catch (OutOfRangeException)
            {
                break;
            }
        }
        Assert.That(got, Is.EqualTo(new[] { "a.tfrecord", "b.tfrecord", "c.tfrecord", "a.tfrecord", "b.tfrecord", "c.tfrecord" }));
        coord.RequestStop();
        coord.Join(threads, Grace);
        Assert.That(threads.All(t => !t.IsAlive), Is.True);
    }

    [Test]
    public void ShuffledStringInputProducerPermutesEachEpoch()
    {
        var g = new Graph { Seed = 11 };
        var names = Enumerable.Range(0, 8).Select(i => $"f{i}").ToArray();
        var q = g.StringInputProducer(names, numEpochs: 2, seed: 4);
        var many = q.DequeueMany(8)[0];
        using var s = new Session(g);
        s.Run(g.LocalVariablesInitializer());
        var coord = new Coordinator();
        var threads = QueueRunner.StartQueueRunners(s, coord);
        var e1 = s.Run(many, options: Generous).ToArray<byte[]>().Select(Str).ToArray();
        var e2 = s.Run(many, options: Generous).ToArray<byte[]>().Select(Str).ToArray();
        Assert.Throws<OutOfRangeException>(() => s.Run(many, options: Generous));
        coord.RequestStop();
        coord.Join(threads, Grace);
        Assert.That(e1.Order(), Is.EqualTo(names));
        Assert.That(e2.Order(), Is.EqualTo(names));
        Assert.That(e1, Is.Not.EqualTo(names).Or.Not.EqualTo(e2), "shuffled");
    }

    [Test]
    public void BatchOfSliceInputProducerGivesRowsInOrderAndAFinalSmallBatch()
    {
        var g = new Graph();
        var images = g.Constant(new float[,] { { 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 3 }, { 4, 4 } });
        var labels = g.Constant(new[] { 10, 11, 12, 13, 14 });
        var row = g.SliceInputProducer([images, labels], numEpochs: 1, shuffle: false);
        Assert.That(row[0].Shape, Is.EqualTo(new Shape(2)));
        var batch = g.Batch(row, batchSize: 2, allowSmallerFinalBatch: true);
        Assert.Multiple(() =>
        {
            Assert.That(batch[0].Op.Name, Is.EqualTo("batch"));
            Assert.That(batch[0].Op.Type, Is.EqualTo("QueueDequeueUpToV2"));
            Assert.That(batch[0].Shape, Is.EqualTo(new Shape(-1, 2)));
            Assert.That(g.GetOperation("batch/fifo_queue").Type, Is.EqualTo("FIFOQueueV2"));
            Assert.That(g.GetOperation("batch/fifo_queue_enqueue").Type, Is.EqualTo("QueueEnqueueV2"));
            Assert.That(g.GetOperation("input_producer/input_producer").Type, Is.EqualTo("FIFOQueueV2"));
            Assert.That(g.GetOperation("input_producer/input_producer_Dequeue").Type, Is.EqualTo("QueueDequeueV2"));
        });
        using var s = new Session(g);
        s.Run(g.LocalVariablesInitializer());
        var coord = new Coordinator();
        var threads = QueueRunner.StartQueueRunners(s, coord);
        var sizes = new List<int>();
        var allLabels = new List<int>();
        var allImages = new List<float>();
        while (true)
        {
            try
            {
                var (im, lb) = s.Run(batch[0], batch[1], options: Generous);
                sizes.Add(lb.Size);
                Assert.That(im.Dims.ToArray(), Is.EqualTo(new[] { lb.Size, 2 }));
                allLabels.AddRange(lb.ToArray<int>());
                allImages.AddRange(im.ToArray<float>());
            }
            catch (OutOfRangeException)
            {
                break;
            }
        }
        coord.RequestStop();
        coord.Join(threads, Grace);
        Assert.That(sizes, Is.EqualTo(new[] { 2, 2, 1 }));
        Assert.That(allLabels, Is.EqualTo(new[] { 10, 11, 12, 13, 14 }));
        Assert.That(allImages, Is.EqualTo(new float[] { 0, 0, 1, 1, 2, 2, 3, 3, 4, 4 }));
    }

    [Test]
    public void ShuffleBatchOfEnqueueManyMixesRowsAndKeepsPairsTogether()
    {
        var g = new Graph();
        var x = g.Constant(Enumerable.Range(0, 20).Select(i => (float)i).ToArray());
        var y = g.Constant(Enumerable.Range(0, 20).Select(i => i * 10).ToArray());
        var batch = g.ShuffleBatch([x, y], batchSize: 5, capacity: 30, minAfterDequeue: 5, seed: 9, enqueueMany: true);
        Assert.Multiple(() =>
        {
            Assert.That(batch[0].Op.Name, Is.EqualTo("shuffle_batch"));
            Assert.That(batch[0].Op.Type, Is.EqualTo("QueueDequeueManyV2"));
            Assert.That(batch[0].Shape, Is.EqualTo(new Shape(5)));
            Assert.That(batch[1].Shape, Is.EqualTo(new Shape(5)));
            Assert.That(g.GetOperation("shuffle_batch/random_shuffle_queue").Type, Is.EqualTo("RandomShuffleQueueV2"));
            Assert.That(g.GetOperation("shuffle_batch/random_shuffle_queue_EnqueueMany").Type, Is.EqualTo("QueueEnqueueManyV2"));
            Assert.That(g.GetOperation("shuffle_batch/fraction_over_5_of_25_full").Type, Is.EqualTo("ScalarSummary"));
        });
        using var s = new Session(g);
        var coord = new Coordinator();
        var threads = QueueRunner.StartQueueRunners(s, coord);
        var seen = new List<float>();
        for (int i = 0; i < 8; i++)
        {
            var (a, b) = s.Run(batch[0], batch[1], options: Generous);
            var xa = a.ToArray<float>();
            var yb = b.ToArray<int>();
            for (int k = 0; k < 5; k++) Assert.That(yb[k], Is.EqualTo((int)xa[k] * 10), "components of one element stay together");
            seen.AddRange(xa);
        }
        coord.RequestStop();
        coord.Join(threads, Grace);
        Assert.That(threads.All(t => !t.IsAlive), Is.True);
        Assert.That(seen.All(v => v is >= 0 and < 20), Is.True);
        Assert.That(seen.Take(20), Is.Not.Ordered, "shuffled");
    }

    [Test]
    public void QueueRunnersRoundTripThroughAMetaGraph()
    {
        var g = new Graph();
        var row = g.SliceInputProducer([g.Constant(new[] { 1, 2, 3 })], numEpochs: 1, shuffle: false);
        var batch = g.Batch(row, batchSize: 3);
        var meta = g.ToMetaGraphDef();
        var col = meta.CollectionDef[GraphKeys.QueueRunners];
        Assert.That(col.BytesList.Value, Has.Count.EqualTo(2));
        var def = TensorGraph.Proto.QueueRunnerDef.Parser.ParseFrom(col.BytesList.Value[1]);
        Assert.Multiple(() =>
        {
            Assert.That(def.QueueName, Is.EqualTo("batch/fifo_queue"));
            Assert.That(def.EnqueueOpName, Is.EqualTo(new[] { "batch/fifo_queue_enqueue" }));
            Assert.That(def.CloseOpName, Is.EqualTo("batch/fifo_queue_Close"));
            Assert.That(def.CancelOpName, Is.EqualTo("batch/fifo_queue_Close_1"));
            Assert.That(def.QueueClosedExceptionTypes, Is.EqualTo(new[] { TensorGraph.Proto.Code.OutOfRange }));
        });

        var g2 = new Graph();
        g2.ImportMetaGraph(meta);
        var runners = g2.GetCollection<QueueRunner>(GraphKeys.QueueRunners);
        Assert.That(runners.Select(r => r.Name), Is.EqualTo(new[] { "input_producer/input_producer", "batch/fifo_queue" }));
        Assert.That(runners[1].Queue.DTypes, Is.EqualTo(new[] { DType.Int32 }));
        using var s = new Session(g2);
        s.Run(g2.LocalVariablesInitializer());
        var coord = new Coordinator();
        var threads = QueueRunner.StartQueueRunners(s, coord);
        Assert.That(s.Run(g2.GetTensor(batch[0].Name), options: Generous).ToArray<int>(), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.Throws<OutOfRangeException>(() => s.Run(g2.GetTensor(batch[0].Name), options: Generous));
        coord.RequestStop();
        coord.Join(threads, Grace);
    }

    [Test]
    public void DisposingTheSessionEndsRunnerThreadsBlockedOnAFullQueue()
    {
        var g = new Graph();
        var q = g.FIFOQueue(2, [DType.Float32], [Shape.Scalar]);
        var qr = new QueueRunner(q, [q.Enqueue(g.Constant(1f))]);
        var s = new Session(g);
        var threads = qr.CreateThreads(s, start: true);
        while (s.Run(q.Size()).Scalar<int>() < 2) Thread.Sleep(1);
        s.Dispose();
        Assert.That(threads[0].Join(Grace), Is.True);
        Assert.That(qr.Exceptions, Is.Empty);
    }
}
