using System.Text;
using Google.Protobuf;
using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Summaries;

namespace TensorGraph.Tests.Serialization;

/// <summary>Summary ops, FileWriter and the event-file reader.</summary>
public class EventFileTests
{
    [Test]
    public void RecordFraming_MatchesWorkedExample()
    {
        var ms = new MemoryStream();
        var data = new Event { WallTime = 1500000000.0, FileVersion = "brain.Event:2" }.ToByteArray();
        new RecordWriter(ms).Write(data);
        var b = ms.ToArray();
        Assert.That(b.AsSpan(0, 12).ToArray(), Is.EqualTo(new byte[] { 0x18, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0x7f, 0x4b, 0x22 }));
        Assert.That(b.AsSpan(b.Length - 4).ToArray(), Is.EqualTo(new byte[] { 0x4c, 0xa9, 0xa4, 0x64 }));
    }

    [Test]
    public void ScalarSummaryOp_ProducesSummaryProto()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        Output loss;
        using (g.NameScope("train")) loss = g.ScalarSummary("loss", x);
        var h = g.HistogramSummary("weights", g.Constant(new float[] { -1, 0, 0, 2.5f, 1e-13f }));
        var merged = g.MergeAllSummaries()!.Value;
        Assert.That(loss.Op.Name, Is.EqualTo("train/loss"));
        using var s = new Session(g);
        var bytes = s.Run(merged, new FeedDict { [x] = 0.25f }).AsSpan<byte[]>()[0];
        var summary = Summary.Parser.ParseFrom(bytes);
        Assert.That(summary.Value.Select(v => v.Tag), Is.EqualTo(new[] { "train/loss", "weights" }));
        Assert.That(summary.Value[0].SimpleValue, Is.EqualTo(0.25f));
        var histo = summary.Value[1].Histo;
        Assert.Multiple(() =>
        {
            Assert.That(histo.Min, Is.EqualTo(-1));
            Assert.That(histo.Max, Is.EqualTo(2.5));
            Assert.That(histo.Num, Is.EqualTo(5));
            Assert.That(histo.Sum, Is.EqualTo(1.5 + (double)1e-13f).Within(1e-12));
            Assert.That(histo.SumSquares, Is.EqualTo(1 + 6.25).Within(1e-9));
            Assert.That(histo.Bucket.Sum(), Is.EqualTo(5));
            Assert.That(histo.BucketLimit, Is.Ordered.Ascending);
            Assert.That(histo.BucketLimit[^1], Is.EqualTo(double.MaxValue));
        });
        // Each value lands in the bucket whose limit is the first one above it.
        for (int i = 0, seen = 0; i < histo.Bucket.Count; i++)
        {
            if (histo.Bucket[i] == 0) continue;
            seen += (int)histo.Bucket[i];
            Assert.That(seen, Is.LessThanOrEqualTo(5));
        }
    }

    [Test]
    public void Histogram_DefaultBucketsFollowTf()
    {
        var l = Histogram.DefaultBucketLimits;
        int mid = l.Count / 2;
        Assert.That(l[mid], Is.EqualTo(0.0));
        Assert.That(l[mid + 1], Is.EqualTo(1e-12));
        Assert.That(l[mid - 1], Is.EqualTo(-1e-12));
        Assert.That(l[mid + 2], Is.EqualTo(1.1e-12).Within(1e-24));
        Assert.That(l[0], Is.EqualTo(-double.MaxValue));
        Assert.That(l[^2], Is.LessThan(1e20 * 1.1).And.GreaterThanOrEqualTo(1e20 / 1.1));
        Assert.That(l, Has.Count.EqualTo(1551));
    }

    [Test]
    public void HistogramSummary_RejectsNaN()
    {
        var g = new Graph();
        var h = g.HistogramSummary("h", g.Constant(new[] { 1f, float.NaN }));
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(h));
        Assert.That(e!.Message, Does.Contain("Nan in summary histogram for: h"));
    }

    [Test]
    public void SummaryTagsAreCleanedAsTfCleansThem()
    {
        // TF 1.15: tf.summary.scalar(w.name, ...) with w.name == "W1:0" logs "Summary name W1:0 is
        // illegal; using W1_0 instead." and makes node and tag W1_0; leading slashes are dropped.
        var g = new Graph();
        var w = g.Variable(new float[] { 1, 2 }, name: "W1");
        var a = g.ScalarSummary(w.Value.Name, g.ReduceSum(w.Value));
        var b = g.HistogramSummary("/weights (layer 1)", w.Value);
        Output c;
        using (g.NameScope("train")) c = g.ScalarSummary("loss:0", g.Constant(3f));
        Assert.That(a.Op.Name, Is.EqualTo("W1/read_0"));
        Assert.That(b.Op.Name, Is.EqualTo("weights__layer_1_"));
        Assert.That(c.Op.Name, Is.EqualTo("train/loss_0"));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var summary = Summary.Parser.ParseFrom(s.Run(g.MergeAllSummaries()!.Value).AsSpan<byte[]>()[0]);
        Assert.That(summary.Value.Select(v => v.Tag), Is.EqualTo(new[] { "W1/read_0", "weights__layer_1_", "train/loss_0" }));
        Assert.That(summary.Value[0].SimpleValue, Is.EqualTo(3f));
    }

    [Test]
    public void MergeSummary_DuplicateTagIsError()
    {
        var g = new Graph();
        var m = g.MergeSummary([g.ScalarSummary("a", g.Constant(1f)), g.ScalarSummary("a", g.Constant(2f), name: "other")]);
        using var s = new Session(g);
        Assert.Throws<InvalidArgumentException>(() => s.Run(m));
    }

    private static string WriteRun(string logdir)
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        var loss = g.ScalarSummary("loss", x * 2f);
        var acc = g.ScalarSummary("accuracy", x);
        var merged = g.MergeAllSummaries()!.Value;
        using var s = new Session(g);
        using var w = new FileWriter(logdir, g);
        for (int step = 0; step < 5; step++)
        {
            var bytes = s.Run(merged, new FeedDict { [x] = step * 0.5f }).AsSpan<byte[]>()[0];
            w.AddSummary(bytes, step);
        }
        w.AddEvent(new Event { Step = 5, SessionLog = new SessionLog { Status = SessionLog.Types.SessionStatus.Stop } });
        _ = loss;
        _ = acc;
        return w.FilePath;
    }

    [Test]
    public void FileWriter_WritesReadableEventFile()
    {
        using var dir = CheckpointFixtures.Temp();
        var path = WriteRun(dir.Path);
        Assert.That(Path.GetFileName(path), Does.Match(@"^events\.out\.tfevents\.\d{10}\." + System.Text.RegularExpressions.Regex.Escape(Environment.MachineName) + "$"));
        var events = EventFileReader.ReadEvents(path).ToList();
        Assert.That(events[0].FileVersion, Is.EqualTo("brain.Event:2"));
        Assert.That(events[0].WallTime, Is.GreaterThan(1.5e9));
        Assert.That(events[0].WallTime, Is.EqualTo(Math.Floor(events[0].WallTime)));
        var gd = GraphDef.Parser.ParseFrom(events[1].GraphDef);
        Assert.That(gd.Node.Select(n => n.Name), Does.Contain("loss"));
        var scalars = events.Where(e => e.Summary is not null).ToList();
        Assert.That(scalars.Select(e => e.Step), Is.EqualTo(new long[] { 0, 1, 2, 3, 4 }));
        Assert.That(scalars.Select(e => e.Summary.Value.Single(v => v.Tag == "loss").SimpleValue), Is.EqualTo(new[] { 0f, 1f, 2f, 3f, 4f }));
        Assert.That(events[^1].SessionLog.Status, Is.EqualTo(SessionLog.Types.SessionStatus.Stop));
    }

    [Test]
    public void FileWriter_OutputVerifiedByIndependentReader()
    {
        using var dir = CheckpointFixtures.Temp();
        var path = WriteRun(dir.Path);
        var tool = Path.Combine(CheckpointFixtures.SharedDir, "tools", "tfinspect.py");
        if (!File.Exists(tool)) Assert.Fail($"Independent decoder '{tool}' is missing");
        var (code, output) = SaverTests.Run("python3", tool, "events", path);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("records=8 bad_crc=0"));
        Assert.That(output, Does.Contain("file_version=brain.Event:2"));
        Assert.That(output, Does.Match(@"loss\s+simple_value\s+n=5\s+0:0, 1:1, 2:2, 3:3"));
        Assert.That(output, Does.Match(@"accuracy\s+simple_value\s+n=5\s+0:0, 1:0\.5, 2:1, 3:1\.5"));
    }

    [Test]
    public void FileWriter_FlushesOnIntervalAndDispose()
    {
        using var dir = CheckpointFixtures.Temp();
        using var w = new FileWriter(dir.Path, flushInterval: TimeSpan.FromMilliseconds(50));
        long initial = new FileInfo(w.FilePath).Length;
        Assert.That(initial, Is.GreaterThan(0), "the file_version event is flushed at once");
        w.AddSummary(new Summary { Value = { new Summary.Types.Value { Tag = "t", SimpleValue = 1 } } }, 1);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (new FileInfo(w.FilePath).Length == initial && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.That(new FileInfo(w.FilePath).Length, Is.GreaterThan(initial), "the timer flushed the buffered event");
        using var dir2 = CheckpointFixtures.Temp();
        string p2;
        using (var w2 = new FileWriter(dir2.Path, flushInterval: TimeSpan.FromHours(1)))
        {
            p2 = w2.FilePath;
            w2.AddSummary(new Summary { Value = { new Summary.Types.Value { Tag = "t", SimpleValue = 1 } } }, 1);
        }
        Assert.That(EventFileReader.ReadEvents(p2).Count(), Is.EqualTo(2));
    }

    [Test]
    public void TfWrittenEventFiles_ReadWithValidCrcs()
    {
        var functional = CheckpointFixtures.Tf("tensorboard/tensorboard/functionaltests/testdata/events.out.tfevents.1476472047.localhost");
        var events = EventFileReader.ReadEvents(functional).ToList();
        Assert.That(events, Has.Count.EqualTo(71));
        Assert.That(events[0].FileVersion, Is.EqualTo("brain.Event:2"));
        var loss = events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value.Where(v => v.Tag == "loss").Select(v => (e.Step, v.SimpleValue))).ToList();
        Assert.That(loss, Has.Count.EqualTo(30));
        Assert.That(loss[0].Step, Is.EqualTo(1));
        Assert.That(loss[0].SimpleValue, Is.EqualTo(0.693147f).Within(1e-6f));
        Assert.That(events.Count(e => e.GraphDef.Length > 0), Is.EqualTo(3));
        Assert.That(events.Count(e => e.MetaGraphDef.Length > 0), Is.EqualTo(3));
        Assert.That(events.Count(e => e.SessionLog is not null), Is.EqualTo(6));
        foreach (var e in events.Where(e => e.GraphDef.Length > 0)) Assert.That(GraphDef.Parser.ParseFrom(e.GraphDef).Node, Is.Not.Empty);

        Assert.That(EventFileReader.ReadEvents(CheckpointFixtures.Tf("tensorboard/tensorboard/plugins/profile/end_2_end.tfevents")).Count(), Is.EqualTo(25));
        Assert.That(EventFileReader.ReadEvents(CheckpointFixtures.Tf("tensorboard/tensorboard/functionaltests/testdata/eval/events.out.tfevents.1476472058.localhost")).Count(), Is.GreaterThan(0));
        foreach (var run in new[] { "train/events.out.tfevents.1515280092.tayo-glaptop", "test/events.out.tfevents.1515280094.tayo-glaptop" })
        {
            var ev = EventFileReader.ReadEvents(CheckpointFixtures.Tf("tensorboard/log_tayo/" + run)).ToList();
            Assert.That(ev[0].FileVersion, Is.EqualTo("brain.Event:2"), run);
            var values = ev.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value).ToList();
            Assert.That(values.Any(v => v.ValueCase == Summary.Types.Value.ValueOneofCase.SimpleValue), Is.True, run);
            if (run.StartsWith("train", StringComparison.Ordinal))
            {
                Assert.That(ev.Any(e => e.GraphDef.Length > 0), Is.True);
                Assert.That(values.Any(v => v.Histo is not null && v.Histo.Bucket.Count > 0), Is.True);
                Assert.That(values.Any(v => v.Image is not null), Is.True);
            }
        }
    }

    [Test]
    public void Reader_CorruptAndTruncatedFilesNameFileAndOffset()
    {
        using var dir = CheckpointFixtures.Temp();
        var path = WriteRun(dir.Path);
        var bytes = File.ReadAllBytes(path);
        var corrupt = dir["corrupt.tfevents"];
        var copy = (byte[])bytes.Clone();
        copy[^3] ^= 0x40;
        File.WriteAllBytes(corrupt, copy);
        var e = Assert.Throws<DataLossException>(() => EventFileReader.ReadEvents(corrupt).ToList());
        Assert.That(e!.Message, Does.Contain(corrupt).And.Contain("offset"));
        var truncated = dir["trunc.tfevents"];
        File.WriteAllBytes(truncated, bytes[..^2]);
        e = Assert.Throws<DataLossException>(() => EventFileReader.ReadEvents(truncated).ToList());
        Assert.That(e!.Message, Does.Contain("Truncated").And.Contain(truncated));
        _ = Encoding.UTF8;
    }
}
