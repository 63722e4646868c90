using System.Buffers.Binary;
using System.Diagnostics;
using Google.Protobuf;
using TensorGraph.Cli;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Cli;

/// <summary>Tiny malicious files against the CLI: typed one-line errors, bounded memory, no aborts.</summary>
[NonParallelizable]
public class CliLimitsTests
{
    private string _tmp = "";

    [SetUp]
    public void SetUp() => _tmp = Directory.CreateTempSubdirectory("tg-cli-limits").FullName;

    [TearDown]
    public void TearDown()
    {
        MemoryLimits.Reset();
        Directory.Delete(_tmp, true);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static TensorProto Splat(DataType dtype, params int[] dims)
    {
        var p = new TensorProto { Dtype = dtype, TensorShape = new TensorShapeProto() };
        foreach (var d in dims) p.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        if (dtype == DataType.DtFloat) p.FloatVal.Add(1f);
        else p.IntVal.Add(1);
        return p;
    }

    /// <summary>An event file of about a hundred bytes whose one tensor summary claims 20000×20000 floats.</summary>
    private string GiantSummaryEvents()
    {
        var path = Path.Combine(_tmp, "events.out.tfevents.1.giant");
        using (var fs = File.Create(path))
        {
            var w = new RecordWriter(fs);
            var big = new Event { Step = 3, Summary = new Summary() };
            big.Summary.Value.Add(new Summary.Types.Value { Tag = "giant", Tensor = Splat(DataType.DtFloat, 20000, 20000) });
            w.Write(big.ToByteArray());
            var scalar = new Event { Step = 4, Summary = new Summary() };
            scalar.Summary.Value.Add(new Summary.Types.Value { Tag = "loss", Tensor = Splat(DataType.DtFloat) });
            w.Write(scalar.ToByteArray());
        }
        return path;
    }

    [Test]
    public void EventsDescribesGiantTensorSummariesWithoutDecodingThem()
    {
        var path = GiantSummaryEvents();
        Assert.That(new FileInfo(path).Length, Is.LessThan(110));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var r = Run("events", path);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(32 << 20));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("2 events").And.Contain("1 scalars").And.Contain("1 tensors"));
        var lines = r.Out.Split('\n');
        int giant = Array.FindIndex(lines, l => l.Trim() == "giant");
        Assert.That(giant, Is.GreaterThan(0), r.Out);
        Assert.That(lines[giant + 1], Does.Contain("step        3").And.Contain("float32 (20000, 20000)"));
        int loss = Array.FindIndex(lines, l => l.Trim() == "loss");
        Assert.That(lines[loss + 1], Does.Contain("step        4").And.EndWith("1"));
    }

    [Test]
    public void RecordLengthBeyondTheFileIsDataLossBeforeAllocating()
    {
        var path = Path.Combine(_tmp, "events.out.tfevents.1.claim");
        var head = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(head, 1UL << 40);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(8), Crc32C.Masked(head.AsSpan(0, 8)));
        File.WriteAllBytes(path, [.. head, .. new byte[20]]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataLossException>(() => EventFileReader.ReadEvents(path).ToList())!;
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1 << 20));
        Assert.That(e.Message, Does.Contain("runs past the end of the file"));
        var r = Run("events", path);
        Assert.That(r.Code, Is.EqualTo(2), "a typed error about the input (invalid input), not an internal one");
        Assert.That(r.Err, Does.Contain("events.out.tfevents.1.claim"));
    }

    [Test]
    public void RunOfHugeSplatConstIsOneLineOomError()
    {
        MemoryLimits.MaxTensorBytes = 1L << 30;
        var gd = new GraphDef();
        var n = new NodeDef { Name = "splat", Op = "Const" };
        n.Attr["value"] = new AttrValue { Tensor = Splat(DataType.DtFloat, 20000, 20000) };
        n.Attr["dtype"] = new AttrValue { Type = DataType.DtFloat };
        gd.Node.Add(n);
        var pb = Path.Combine(_tmp, "splat.pb");
        File.WriteAllBytes(pb, gd.ToByteArray());
        Assert.That(new FileInfo(pb).Length, Is.LessThan(100));
        var r = Run("run", pb, "--fetch", "splat");
        Assert.That(r.Code, Is.EqualTo(4), r.Err);
        Assert.That(r.Err, Does.StartWith("tensorgraph: error: resource exhausted: "));
        Assert.That(r.Err, Does.Contain("OOM when allocating tensor with shape[20000,20000] and type float").And.Contain("node 'splat'"));
        Assert.That(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1));
    }

    // ------------------------------------------------------------------ a 2 GB heap, in a child process

    private static (int Code, string Out, string Err) RunChild(params string[] args)
    {
        var cli = Path.Combine(TestContext.CurrentContext.TestDirectory, "TensorGraph.Cli.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_GCHeapHardLimit"] = "0x80000000";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(true);
            Assert.Fail("the CLI did not finish");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Test]
    public void TwoGigabyteHeapGivesTypedErrorsNotAborts()
    {
        var gd = new GraphDef();
        void Const(string name, TensorProto v)
        {
            var n = new NodeDef { Name = name, Op = "Const" };
            n.Attr["value"] = new AttrValue { Tensor = v };
            n.Attr["dtype"] = new AttrValue { Type = v.Dtype };
            gd.Node.Add(n);
        }
        Const("splat", Splat(DataType.DtFloat, 20000, 20000)); // 1.6 GB > half of a 2 GB heap
        Const("huge", Splat(DataType.DtFloat, int.MaxValue));
        var zero = Splat(DataType.DtInt32);
        zero.IntVal[0] = 0;
        Const("start", zero);
        var limit = Splat(DataType.DtInt32);
        limit.IntVal[0] = int.MaxValue;
        Const("limit", limit);
        Const("delta", Splat(DataType.DtInt32));
        var range = new NodeDef { Name = "range", Op = "Range", Input = { "start", "limit", "delta" } };
        range.Attr["Tidx"] = new AttrValue { Type = DataType.DtInt32 };
        gd.Node.Add(range);
        var pb = Path.Combine(_tmp, "limits.pb");
        File.WriteAllBytes(pb, gd.ToByteArray());

        foreach (var (fetch, shape) in new[] { ("splat", "[20000,20000]"), ("huge", "[2147483647]"), ("range", "[2147483647]") })
        {
            var r = RunChild("run", pb, "--fetch", fetch);
            Assert.That(r.Code, Is.EqualTo(4), $"{fetch}: {r.Err}");
            Assert.That(r.Err, Does.Contain($"OOM when allocating tensor with shape{shape}").And.Contain($"node '{fetch}'"));
        }

        // Three constants of 800 MB each pass the per-tensor budget but not the heap: the
        // runtime's OutOfMemoryException becomes ResourceExhausted naming the constant.
        foreach (var c in new[] { "a", "b", "c" }) Const(c, Splat(DataType.DtFloat, 10000, 20000));
        var sum = new NodeDef { Name = "sum", Op = "AddN", Input = { "a", "b", "c" } };
        sum.Attr["N"] = new AttrValue { I = 3 };
        sum.Attr["T"] = new AttrValue { Type = DataType.DtFloat };
        gd.Node.Add(sum);
        File.WriteAllBytes(pb, gd.ToByteArray());
        var oom = RunChild("run", pb, "--fetch", "sum");
        Assert.That(oom.Code, Is.EqualTo(4), oom.Err);
        Assert.That(oom.Err, Does.Contain("OOM when allocating tensor with shape[10000,20000] and type float").And.Contain("out of memory"));

        var ev = RunChild("events", GiantSummaryEvents());
        Assert.That(ev.Code, Is.EqualTo(0), ev.Err);
        Assert.That(ev.Out, Does.Contain("float32 (20000, 20000)"));
    }
}
