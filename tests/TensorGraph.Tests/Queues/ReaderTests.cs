using Google.Protobuf;
using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Tests.Queues;

/// <summary>
/// TFRecordReaderV2 + ReaderReadV2 over a queue of file names, ParseSingleExample, and the ops the
/// input producers use (CountUpTo, RandomShuffle): TF's whole file-reading input pipeline.
/// </summary>
[CancelAfter(60_000)]
public class ReaderTests
{
    private static readonly RunOptions Generous = new() { TimeoutInMs = 20_000 };
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "tg-reader-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    internal static byte[] ExampleBytes(float[] x, long label)
    {
        var f = new Features();
        var fx = new Feature { FloatList = new FloatList() };
        fx.FloatList.Value.AddRange(x);
        var fl = new Feature { Int64List = new Int64List() };
        fl.Int64List.Value.Add(label);
        f.Feature.Add("x", fx);
        f.Feature.Add("label", fl);
        return new Example { Features = f }.ToByteArray();
    }

    internal static string WriteRecords(string path, IEnumerable<byte[]> records)
    {
        using (var fs = File.Create(path))
        {
            var w = new RecordWriter(fs);
            foreach (var r in records) w.Write(r);
        }
        return path;
    }

    private static string Str(Tensor t) => System.Text.Encoding.UTF8.GetString(t.Scalar<byte[]>());

    [Test]
    public void ReaderReadsEveryRecordOfEveryQueuedFileThenOutOfRange()
    {
        var a = WriteRecords(Path.Combine(_dir, "a.tfrecord"), ["r0"u8.ToArray(), "r1-longer"u8.ToArray()]);
        var b = WriteRecords(Path.Combine(_dir, "b.tfrecord"), ["s0"u8.ToArray()]);
        var empty = WriteRecords(Path.Combine(_dir, "empty.tfrecord"), []);
        var g = new Graph();
        var files = g.FIFOQueue(10, [DType.String], [Shape.Scalar]);
        var enq = files.EnqueueMany(g.Constant(new[] { a, empty, b }));
        var reader = g.TFRecordReader();
        Assert.That(reader.Op.Name, Is.EqualTo("TFRecordReaderV2"));
        var (key, value) = g.ReaderRead(reader, files);
        using var s = new Session(g);
        s.Run(enq, options: Generous);
        s.Run(files.Close(), options: Generous);
        var got = new List<(string, string)>();
        for (int i = 0; i < 3; i++)
        {
            var (k, v) = s.Run(key, value, options: Generous);
            got.Add((Str(k), Str(v)));
        }
        // Each record is framed by 12 header bytes and 4 CRC bytes, so the second starts at 12 + 2 + 4.
        Assert.That(got, Is.EqualTo(new[] { ($"{a}:0", "r0"), ($"{a}:18", "r1-longer"), ($"{b}:0", "s0") }));
        var e = Assert.Throws<OutOfRangeException>(() => s.Run(value, options: Generous));
        Assert.That(e!.Message, Does.Contain("is closed and has insufficient elements (requested 1, current size 0)"));
        Assert.That(e.NodeName, Is.EqualTo("ReaderReadV2"));
    }

    [Test]
    public void ReaderWaitsForAFileNameAndCanBeStopped()
    {
        var g = new Graph();
        var files = g.FIFOQueue(10, [DType.String], [Shape.Scalar]);
        var (_, value) = g.ReaderRead(g.TFRecordReader(), files);
        using var s = new Session(g);
        Assert.Throws<DeadlineExceededException>(() => s.Run(value, options: new RunOptions { TimeoutInMs = 50 }));
    }

    [Test]
    public void ParseSingleExampleReadsDenseFeaturesWithDefaults()
    {
        var g = new Graph();
        var ser = g.Placeholder(DType.String, Shape.Scalar);
        var parsed = g.ParseSingleExample(ser, ["x", "label", "weight"],
            [g.Constant(Array.Empty<float>()), g.Constant(Array.Empty<long>()), g.Constant(new[] { 0.5f })], [new Shape(2), Shape.Scalar, new Shape(1)]);
        Assert.That(parsed[0].Op.Name, Is.EqualTo("ParseSingleExample/ParseSingleExample"));
        Assert.That(parsed[0].Shape, Is.EqualTo(new Shape(2)));
        Assert.That(parsed[1].Shape, Is.EqualTo(Shape.Scalar));
        using var s = new Session(g);
        var r = s.Run(parsed, new FeedDict { [ser] = Tensor.Scalar(ExampleBytes([1.5f, -2f], 7)) });
        Assert.That(r[0].ToArray<float>(), Is.EqualTo(new[] { 1.5f, -2f }));
        Assert.That(r[1].Scalar<long>(), Is.EqualTo(7L));
        Assert.That(r[2].ToArray<float>(), Is.EqualTo(new[] { 0.5f }), "a missing feature takes its default");
        var wrong = ExampleBytes([1f, 2f, 3f], 1);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(parsed, new FeedDict { [ser] = Tensor.Scalar(wrong) }));
        Assert.That(e!.Message, Does.Contain("Key: x").And.Contain("values size: 3"));
    }

    [Test]
    public void FilesToBatchesThroughTheWholeQueuePipeline()
    {
        var f1 = WriteRecords(Path.Combine(_dir, "part-0"), Enumerable.Range(0, 3).Select(i => ExampleBytes([i, 10 * i], i)));
        var f2 = WriteRecords(Path.Combine(_dir, "part-1"), Enumerable.Range(3, 2).Select(i => ExampleBytes([i, 10 * i], i)));
        var g = new Graph();
        var names = g.StringInputProducer([f1, f2], numEpochs: 1, shuffle: false);
        var (_, record) = g.ReaderRead(g.TFRecordReader(), names);
        var parsed = g.ParseSingleExample(record, ["x", "label"], [g.Constant(Array.Empty<float>()), g.Constant(Array.Empty<long>())], [new Shape(2), Shape.Scalar]);
        var batch = g.Batch(parsed, batchSize: 2, allowSmallerFinalBatch: true);
        using var s = new Session(g);
        s.Run(g.LocalVariablesInitializer());
        var coord = new Coordinator();
        var threads = QueueRunner.StartQueueRunners(s, coord);
        var labels = new List<long>();
        var xs = new List<float>();
        while (true)
        {
            try
            {
                var (x, l) = s.Run(batch[0], batch[1], options: Generous);
                xs.AddRange(x.ToArray<float>());
                labels.AddRange(l.ToArray<long>());
            }
            catch (OutOfRangeException)
            {
                break;
            }
        }
        coord.RequestStop();
        coord.Join(threads, TimeSpan.FromSeconds(20));
        Assert.That(labels, Is.EqualTo(new long[] { 0, 1, 2, 3, 4 }));
        Assert.That(xs, Is.EqualTo(new float[] { 0, 0, 1, 10, 2, 20, 3, 30, 4, 40 }));
    }

    [Test]
    public void CountUpToCountsThenFailsWithOutOfRange()
    {
        var g = new Graph();
        var v = g.Variable(Tensor.Scalar(0), "counter");
        var next = g.CountUpTo(v, 3);
        using var s = new Session(g);
        s.Run(v.Initializer);
        Assert.That(Enumerable.Range(0, 3).Select(_ => s.Run(next).Scalar<int>()), Is.EqualTo(new[] { 0, 1, 2 }));
        var e = Assert.Throws<OutOfRangeException>(() => s.Run(next));
        Assert.That(e!.Message, Does.StartWith("Reached limit of 3"));
        Assert.That(s.Run(v.Value).Scalar<int>(), Is.EqualTo(3));
    }

    [Test]
    public void RandomShufflePermutesRowsReproducibly()
    {
        static float[][] Run(int seed)
        {
            var g = new Graph();
            var x = g.Constant(Enumerable.Range(0, 12).Select(i => (float)i).ToArray());
            var m = g.Reshape(x, g.Constant(new[] { 6, 2 }));
            var sh = g.RandomShuffle(m, seed);
            using var s = new Session(g);
            return [s.Run(sh).ToArray<float>(), s.Run(sh).ToArray<float>()];
        }
        var a = Run(5);
        Assert.That(Run(5), Is.EqualTo(a));
        foreach (var run in a)
        {
            var rows = Enumerable.Range(0, 6).Select(i => (run[2 * i], run[2 * i + 1])).ToArray();
            Assert.That(rows.All(r => r.Item2 == r.Item1 + 1 && (int)r.Item1 % 2 == 0), Is.True, "rows move whole");
            Assert.That(rows.Select(r => r.Item1).Order(), Is.EqualTo(new float[] { 0, 2, 4, 6, 8, 10 }));
        }
        Assert.That(a[0], Is.Not.EqualTo(a[1]), "successive runs continue the stream");
    }
}
