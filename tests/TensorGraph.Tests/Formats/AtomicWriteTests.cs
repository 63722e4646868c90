using Google.Protobuf;
using Google.Protobuf.Reflection;
using TensorGraph.Data;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

/// <summary>File writers replace their target atomically: a failed write leaves the old file and no temporary files.</summary>
public class AtomicWriteTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "tg-atomic-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown()
    {
        AtomicFile.FaultInjection = null;
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static GraphDef SmallGraph(string name)
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 27 } };
        g.Node.Add(new NodeDef { Name = name, Op = "NoOp" });
        return g;
    }

    private string[] Files() => Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    /// <summary>Writes the file once, then checks that a write failing after its content went to disk changes nothing.</summary>
    private void CheckFailedWriteKeepsOldFile(string name, Action<string> write, Action<string> overwrite)
    {
        var path = Path.Combine(_dir, name);
        write(path);
        var before = File.ReadAllBytes(path);
        Assert.That(Files(), Is.EqualTo(new[] { name }), "a successful write leaves no temporary file");

        string? temp = null;
        AtomicFile.FaultInjection = t =>
        {
            temp = t;
            Assert.That(File.Exists(t) && new FileInfo(t).Length > 0, "the content is written before the rename");
            throw new IOException("injected failure before the rename");
        };
        var e = Assert.Throws<IOException>(() => overwrite(path))!;
        AtomicFile.FaultInjection = null;
        Assert.That(e.Message, Does.Contain("injected"));
        Assert.That(temp, Is.Not.Null);
        Assert.That(Path.GetDirectoryName(temp), Is.EqualTo(Path.GetDirectoryName(path)), "the temporary file is in the target's folder");
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before), "the previous file is unchanged");
        Assert.That(Files(), Is.EqualTo(new[] { name }), "the temporary file was deleted");

        overwrite(path);
        Assert.That(File.ReadAllBytes(path), Is.Not.EqualTo(before), "without the fault the new content replaces the old");
        Assert.That(Files(), Is.EqualTo(new[] { name }));
    }

    [TestCase("graph.pb")]
    [TestCase("graph.pbtxt")]
    public void ProtoFilesWrite(string name) =>
        CheckFailedWriteKeepsOldFile(name, p => ProtoFiles.Write(p, SmallGraph("a")), p => ProtoFiles.Write(p, SmallGraph("bbbb")));

    [Test]
    public void GraphSave() =>
        CheckFailedWriteKeepsOldFile("g.pb", p => new Graph().Save(p), p =>
        {
            var g = new Graph();
            g.Constant(Tensor.Scalar(1f), name: "c");
            g.Save(p);
        });

    [Test]
    public void NpyWrite() =>
        CheckFailedWriteKeepsOldFile("x.npy", p => Npy.Write(p, Tensor.Create(new[] { 1f, 2f }, 2)), p => Npy.Write(p, Tensor.Create(new[] { 3, 4, 5 }, 3)));

    [TestCase("labels")]
    [TestCase("labels.gz")]
    public void IdxWrite(string name) =>
        CheckFailedWriteKeepsOldFile(name, p => Idx.WriteLabels(p, [1, 2, 3]), p => Idx.WriteLabels(p, [9, 8, 7, 6, 5]));

    [Test]
    public void CheckpointStateWrite()
    {
        var state = new CheckpointState { ModelCheckpointPath = "model.ckpt-1" };
        CheckFailedWriteKeepsOldFile(CheckpointStateFile.FileName, p => CheckpointStateFile.Write(_dir, state),
            p => CheckpointStateFile.Write(_dir, new CheckpointState { ModelCheckpointPath = "model.ckpt-22" }));
    }

    [Test]
    public void MessageFailingMidwayThroughSerializationKeepsOldFile()
    {
        var path = Path.Combine(_dir, "model.pb");
        ProtoFiles.Write(path, SmallGraph("original"));
        var before = File.ReadAllBytes(path);
        var e = Assert.Throws<IOException>(() => ProtoFiles.Write(path, new FailingMessage()))!;
        Assert.That(e.Message, Does.Contain("midway"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(Files(), Is.EqualTo(new[] { "model.pb" }));
        Assert.That(ProtoFiles.ReadBinary<GraphDef>(path).Node[0].Name, Is.EqualTo("original"));
    }

    [Test]
    public void FailingWriteOfANewFileLeavesNothing()
    {
        var path = Path.Combine(_dir, "new.pb");
        Assert.Throws<IOException>(() => ProtoFiles.Write(path, new FailingMessage()));
        Assert.That(Files(), Is.Empty);
    }

    /// <summary>The id of a process that has exited (started and waited for here).</summary>
    internal static int DeadProcessId()
    {
        var psi = OperatingSystem.IsWindows()
            ? new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c exit 0")
            : new System.Diagnostics.ProcessStartInfo("true");
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.WaitForExit();
        int id = p.Id;
        Assert.That(AtomicFile.IsProcessAlive(id), Is.False, "the process has exited");
        return id;
    }

    [Test]
    public void TempNamesCarryTheWriterProcessId()
    {
        var path = Path.Combine(_dir, "g.pb");
        Assert.That(Path.GetFileName(AtomicFile.TempPathFor(path)), Does.Match($@"^g\.pb\.tmp-{Environment.ProcessId}-[0-9a-f]{{16}}$"));
        string? seen = null;
        AtomicFile.FaultInjection = t => seen = t;
        ProtoFiles.Write(path, SmallGraph("a"));
        Assert.That(Path.GetFileName(seen), Does.StartWith($"g.pb.tmp-{Environment.ProcessId}-"));
    }

    [Test]
    public void WriteRemovesStaleTempsOfDeadWritersOnly()
    {
        var path = Path.Combine(_dir, "model.pb");
        int dead = DeadProcessId();
        var deadTemp = $"{path}.tmp-{dead}-00000000000000aa";
        var liveTemp = $"{path}.tmp-{Environment.ProcessId}-00000000000000bb";
        var oldLegacy = $"{path}.tmp1f2e3d";
        var freshLegacy = $"{path}.tmp4c5b6a";
        var oldLive = $"{path}.tmp-{Environment.ProcessId}-00000000000000cc";
        var otherTarget = Path.Combine(_dir, "other.pb") + $".tmp-{dead}-00000000000000dd";
        var lookalike = $"{path}.tmp-{dead}-notatemp";
        foreach (var f in new[] { deadTemp, liveTemp, oldLegacy, freshLegacy, oldLive, otherTarget, lookalike }) File.WriteAllText(f, "partial");
        var old = DateTime.UtcNow - AtomicFile.StaleAge - TimeSpan.FromHours(1);
        File.SetLastWriteTimeUtc(oldLegacy, old);
        File.SetLastWriteTimeUtc(oldLive, old);

        ProtoFiles.Write(path, SmallGraph("a"));
        Assert.That(Files(), Is.EqualTo(new[]
        {
            "model.pb", Path.GetFileName(freshLegacy), Path.GetFileName(lookalike), Path.GetFileName(liveTemp), "other.pb" + $".tmp-{dead}-00000000000000dd",
        }.Order(StringComparer.Ordinal).ToArray()));
    }

    /// <summary>A message that writes part of its encoding (flushed to the file) and then fails.</summary>
    private sealed class FailingMessage : IMessage
    {
        public MessageDescriptor Descriptor => GraphDef.Descriptor;

        public int CalculateSize() => 200_000;

        public void MergeFrom(CodedInputStream input) => throw new NotSupportedException();

        public void WriteTo(CodedOutputStream output)
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(new byte[100_000]));
            output.Flush();
            throw new IOException("serialization failed midway");
        }
    }
}
