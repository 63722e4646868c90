using System.Text.Json;
using TensorGraph.Cli;
using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests.Cli;

public class CliTests
{
    private const string HalfPlusTwo = "serving/servables/tensorflow/testdata/saved_model_half_plus_two_cpu/00000123";

    private string _tmp = "";

    [SetUp]
    public void SetUp() => _tmp = Directory.CreateTempSubdirectory("tg-cli").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_tmp, true);

    private static string Fx(string relative)
    {
        // A checkpoint prefix names no file itself; its .index must exist.
        var p = Path.Combine(Fixtures.Root, relative);
        return File.Exists(p + ".index") ? p : Fixtures.Existing(relative);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static void AssertOneLineError((int Code, string Out, string Err) r, string mentions)
    {
        Assert.That(r.Code, Is.Not.EqualTo(0));
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), r.Err);
        Assert.That(lines[0], Does.Contain(mentions));
        Assert.That(r.Err, Does.Not.Contain("   at "));
    }

    [Test]
    public void RunHalfPlusTwoPrintsNumpyStyle()
    {
        var r = Run("run", Fx(HalfPlusTwo), "--feed", "x=[[1],[2],[5]]", "--fetch", "y");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.StartWith("y:0 = [[2.5]"));
        Assert.That(r.Out, Does.Contain("[3. ]").And.Contain("[4.5]]"));
    }

    [Test]
    public void RunTraceWritesAChromeTraceAndSummarizesOpTypes()
    {
        var path = Path.Combine(_tmp, "trace.json");
        var r = Run("run", Fx(HalfPlusTwo), "--feed", "x=[[1],[2],[5]]", "--fetch", "y", "--trace", path);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.StartWith("y:0 = [[2.5]"), "the run's output is unchanged");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var ops = doc.RootElement.GetProperty("traceEvents").EnumerateArray().Where(e => e.GetProperty("ph").GetString() == "X").ToList();
        var names = ops.Select(e => e.GetProperty("args").GetProperty("name").GetString()).ToList();
        Assert.That(names, Does.Contain("y"), "y = a * x + b: its last node");
        Assert.That(names, Has.None.EqualTo("x"), "the fed placeholder does not run");
        var types = ops.Select(e => e.GetProperty("name").GetString()!).Distinct().ToList();
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.StartWith("op type"));
        foreach (var t in types) Assert.That(lines.Any(l => l.StartsWith(t + " ", StringComparison.Ordinal)), $"summary row for {t}:\n{r.Err}");
        Assert.That(types, Does.Contain("Mul"));
        Assert.That(r.Err, Does.Contain("trace written to " + path));
    }

    [Test]
    public void RunAndInspectATf2SavedModel()
    {
        const string tf2 = "serving/servables/tensorflow/testdata/saved_model_half_plus_two_tf2_cpu/00000123";
        var r = Run("run", Fx(tf2), "--signature", "serving_default", "--feed", "x=[5.0]", "--fetch", "y", "--json");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        using (var doc = JsonDocument.Parse(r.Out))
            Assert.That(doc.RootElement.GetProperty("y").GetProperty("values").EnumerateArray().Select(e => e.GetSingle()), Is.EqualTo(new[] { 4.5f }));
        r = Run("inspect", Fx(tf2));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("Functions: 14 in the library; op types in their bodies TensorGraph lacks: none"));
        Assert.That(r.Out, Does.Contain("Unsupported op types: none"));
    }

    [Test]
    public void InspectPrintsATf2SavedModelsObjectGraph()
    {
        const string tf2 = "serving/servables/tensorflow/testdata/saved_model_half_plus_two_tf2_cpu/00000123";
        // The node count read straight from the wire: SavedModel.meta_graphs (2) → MetaGraphDef.object_graph_def (7) → nodes (1).
        var raw = File.ReadAllBytes(Path.Combine(Fx(tf2), "saved_model.pb"));
        var meta = Fields(raw, 2).Single();
        var objectGraph = Fields(meta, 7).Single();
        int nodes = Fields(objectGraph, 1).Count();
        Assert.That(nodes, Is.GreaterThan(3));

        var r = Run("inspect", Fx(tf2));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain($"Object graph: {nodes} nodes ("));
        Assert.That(r.Out, Does.Contain("variables: 3"));
        Assert.That(r.Out, Does.Contain("Object graph variables (names from the checkpoint's object graph):"));
        foreach (var v in new[] { "a", "b", "c" })
            Assert.That(r.Out, Does.Contain($"  {v}  float32  ()  (checkpoint key {v}/.ATTRIBUTES/VARIABLE_VALUE)"));

        // A TF1 SavedModel has no object graph.
        r = Run("inspect", Fx(HalfPlusTwo));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Not.Contain("Object graph"));
    }

    /// <summary>The payloads of the length-delimited fields numbered <paramref name="field"/> of a serialized message.</summary>
    private static IEnumerable<byte[]> Fields(byte[] message, int field)
    {
        var found = new List<byte[]>();
        var input = new Google.Protobuf.CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if ((int)(tag >> 3) == field && (tag & 7) == 2) found.Add(input.ReadBytes().ToByteArray());
            else input.SkipLastField();
        }
        return found;
    }

    [Test]
    public void RunJson()
    {
        var r = Run("run", Fx(HalfPlusTwo), "--feed", "x=[[1],[2],[5]]", "--fetch", "y:0", "--json");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        var y = doc.RootElement.GetProperty("y:0");
        Assert.That(y.GetProperty("dtype").GetString(), Is.EqualTo("float32"));
        Assert.That(y.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 3, 1 }));
        Assert.That(y.GetProperty("values").EnumerateArray().Select(e => e.GetSingle()), Is.EqualTo(new[] { 2.5f, 3.0f, 4.5f }));
    }

    [Test]
    public void RunOutWritesNpyAndFeedsFromNpy()
    {
        var r = Run("run", Fx(HalfPlusTwo), "--feed", "x=[[1],[2],[5]]", "--fetch", "y", "--out", _tmp);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        var y = Npy.Read(Path.Combine(_tmp, "y_0.npy"));
        Assert.That(y.ToArray<float>(), Is.EqualTo(new[] { 2.5f, 3.0f, 4.5f }));
        Assert.That(y.Dims.ToArray(), Is.EqualTo(new[] { 3, 1 }));

        var xPath = Path.Combine(_tmp, "x.npy");
        Npy.Write(xPath, new float[,] { { 4 } });
        r = Run("run", Fx(HalfPlusTwo), "--feed", "x=@" + xPath, "--fetch", "y", "--json");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("\"values\":[4]"));
    }

    [Test]
    public void RunWithSignature()
    {
        var r = Run("run", Fx(HalfPlusTwo), "--signature", "regress_x2_to_y3", "--feed", "inputs=[[2]]", "--json");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("\"outputs\"").And.Contain("\"values\":[4]"));
        AssertOneLineError(Run("run", Fx(HalfPlusTwo), "--signature", "regress_x_to_y", "--feed", "inputs=[\"\"]"), "ParseExample");
        AssertOneLineError(Run("run", Fx(HalfPlusTwo), "--signature", "nope"), "nope");
    }

    [Test]
    public void RunCounterAndRegressionModel()
    {
        var c = Fx("serving/servables/tensorflow/testdata/saved_model_counter/00000123");
        var r = Run("run", c, "--signature", "incr_counter_by", "--feed", "delta=3", "--json");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("\"values\":[3]"));
        r = Run("run", Fx("tfrust/test_resources/regression-model"), "--tag", "train,serve", "--feed", "x=2", "--feed", "y=4", "--fetch", "y_hat", "--json");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.That(doc.RootElement.GetProperty("y_hat:0").GetProperty("values")[0].GetSingle(), Is.EqualTo(-1.7157244f).Within(1e-5f));
    }

    [Test]
    public void RunGraphDefWithCheckpoint()
    {
        // Save the variables of the cr_examples graph (a = 5, b = 6) and run c = a·b from the checkpoint.
        var g = Graph.Load(Fx("tensorflow.cr_examples/graph.pb"));
        var prefix = Path.Combine(_tmp, "ckpt");
        using (var s = new Session(g))
        {
            s.Run(g.GetOperation("init"));
            var a = s.Run(g["a:0"]);
            var b = s.Run(g["b:0"]);
            using var w = new CheckpointWriter(prefix);
            w.Add("a", a);
            w.Add("b", b);
            w.Finish();
        }
        var r = Run("run", Fx("tensorflow.cr_examples/graph.pb"), "--checkpoint", prefix, "--fetch", "c", "--json");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("\"values\":[30]"));

        r = Run("ckpt", prefix);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("a").And.Contain("float32"));

        r = Run("freeze", Fx("tensorflow.cr_examples/graph.pb"), "--checkpoint", prefix, "--outputs", "c", Path.Combine(_tmp, "frozen.pb"));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        r = Run("run", Path.Combine(_tmp, "frozen.pb"), "--fetch", "c", "--json");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("\"values\":[30]"));
    }

    [Test]
    public void Tf2OnnxRegressionAgreesAcrossFrozenSavedModelAndMetaPlusCheckpoint()
    {
        const string R = "tf2onnx/tests/models/regression/";
        static string Values(string json, string key)
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.GetProperty(key).GetProperty("values").GetRawText();
        }
        var frozen = Run("run", Fx(R + "graphdef/frozen.pb"), "--feed", "X=[1,2]", "--fetch", "pred", "--json");
        Assert.That(frozen.Code, Is.EqualTo(0), frozen.Err);
        var saved = Run("run", Fx(R + "saved_model"), "--signature", "serving_default", "--feed", "X=[1,2]", "--json");
        Assert.That(saved.Code, Is.EqualTo(0), saved.Err);
        var meta = Run("run", Fx(R + "checkpoint/model.meta"), "--checkpoint", Fx(R + "checkpoint"), "--feed", "X=[1,2]", "--fetch", "pred", "--json");
        Assert.That(meta.Code, Is.EqualTo(0), meta.Err);
        var outPath = Path.Combine(_tmp, "fr.pb");
        Assert.That(Run("freeze", Fx(R + "checkpoint/model.meta"), "--checkpoint", Fx(R + "checkpoint/model"), "--outputs", "pred", outPath).Code, Is.EqualTo(0));
        var refrozen = Run("run", outPath, "--feed", "X=[1,2]", "--fetch", "pred", "--json");
        Assert.That(refrozen.Code, Is.EqualTo(0), refrozen.Err);
        var expected = Values(frozen.Out, "pred:0");
        Assert.That(Values(saved.Out, "pred"), Is.EqualTo(expected));
        Assert.That(Values(meta.Out, "pred:0"), Is.EqualTo(expected));
        Assert.That(Values(refrozen.Out, "pred:0"), Is.EqualTo(expected));
    }

    [Test]
    public void InspectEachModelKind()
    {
        var r = Run("inspect", Fx(HalfPlusTwo));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("SavedModel").And.Contain("SignatureDef key: \"serving_default\"").And.Contain("name: x:0")
            .And.Contain("VariableV2").And.Contain("ParseExample"));

        r = Run("inspect", Fx("tensorflow.cr_examples/graph.pb"));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("c:0  float32  (Mul)").And.Contain("Variables:"));

        r = Run("inspect", Fx("tensorflow.cr_examples/graph.pbtxt"));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("c:0"));

        r = Run("inspect", Fx("tfrust/examples/addition/model.pb"));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("x:0  int32"));

        r = Run("inspect", Fx("tfnet/graph/xor.meta"));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("MetaGraphDef").And.Contain("global_step").And.Contain("Collections:"));
    }

    [Test]
    public void ConvertRoundTrip()
    {
        var txt = Path.Combine(_tmp, "g.pbtxt");
        var bin = Path.Combine(_tmp, "g.pb");
        Assert.That(Run("convert", Fx("tensorflow.cr_examples/graph.pb"), txt).Code, Is.EqualTo(0));
        Assert.That(File.ReadAllText(txt), Does.Contain("node {"));
        Assert.That(Run("convert", txt, bin).Code, Is.EqualTo(0));
        var original = ProtoFiles.ReadBinary<GraphDef>(Fx("tensorflow.cr_examples/graph.pb"));
        Assert.That(ProtoFiles.ReadBinary<GraphDef>(bin), Is.EqualTo(original));
    }

    [Test]
    public void FreezeSavedModel()
    {
        var outPath = Path.Combine(_tmp, "frozen.pb");
        var r = Run("freeze", Fx(HalfPlusTwo), "--outputs", "y,y3", outPath);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        var def = ProtoFiles.ReadBinary<GraphDef>(outPath);
        Assert.That(def.Node.Select(n => n.Op), Has.None.EqualTo("VariableV2").And.None.EqualTo("RestoreV2"));
        r = Run("run", outPath, "--feed", "x=[[1],[2],[5]]", "--feed", "x2=[[2]]", "--fetch", "y", "--fetch", "y3", "--json");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("\"values\":[2.5,3,4.5]").And.Contain("\"values\":[4]"));
    }

    [Test]
    public void EventsOnTfWrittenFile()
    {
        var r = Run("events", Fx("tensorboard/tensorboard/functionaltests/testdata/events.out.tfevents.1476472047.localhost"));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("71 events").And.Contain("brain.Event:2"));
        var lines = r.Out.Split('\n');
        int loss = Array.FindIndex(lines, l => l.Trim() == "loss");
        Assert.That(loss, Is.GreaterThan(0), r.Out);
        Assert.That(lines[loss + 1], Does.Contain("step        1").And.Contain("0.693147"));
    }

    [Test]
    public void CkptOnFixture()
    {
        var r = Run("ckpt", Fx(HalfPlusTwo + "/variables/variables"));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("5 tensors").And.Contain("a2").And.Contain("float32"));
        r = Run("ckpt", Fx(HalfPlusTwo + "/variables/variables.index"));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        r = Run("ckpt", Fx(HalfPlusTwo));
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
    }

    [Test]
    public void UsageErrorsFailWithoutRunning()
    {
        var r = Run("freeze", Fx("tensorflow.cr_examples/graph.pb"), Path.Combine(_tmp, "f.pb"));
        Assert.That(r.Code, Is.EqualTo(1));
        Assert.That(r.Err, Does.Contain("--outputs"));
        Assert.That(File.Exists(Path.Combine(_tmp, "f.pb")), Is.False);
        AssertOneLineError(Run("run", Fx("tensorflow.cr_examples/graph.pb")), "--fetch");
        AssertOneLineError(Run("run", Fx("tensorflow.cr_examples/graph.pb"), "--fetch", "nope"), "nope");
        AssertOneLineError(Run("run", Fx("tensorflow.cr_examples/graph.pb"), "--feed", "novalue", "--fetch", "c"), "NAME=VALUE");
        Assert.That(Run("--help").Code, Is.EqualTo(0));
    }

    [Test]
    public void BadFilesGiveOneLineErrors()
    {
        var junk = Fx("tensorflow.cr_examples/graph2.pb");
        AssertOneLineError(Run("inspect", junk), "graph2.pb");
        AssertOneLineError(Run("run", junk, "--fetch", "c"), "graph2.pb");
        AssertOneLineError(Run("convert", junk, Path.Combine(_tmp, "x.pbtxt")), "graph2.pb");

        var truncPb = Path.Combine(_tmp, "trunc.pb");
        File.WriteAllBytes(truncPb, File.ReadAllBytes(Fx("tensorflow.cr_examples/graph.pb"))[..100]);
        AssertOneLineError(Run("inspect", truncPb), "trunc.pb");

        var truncIndex = Path.Combine(_tmp, "ck.index");
        File.WriteAllBytes(truncIndex, File.ReadAllBytes(Fx(HalfPlusTwo + "/variables/variables.index"))[..20]);
        AssertOneLineError(Run("ckpt", Path.Combine(_tmp, "ck")), "ck.index");

        var truncEvents = Path.Combine(_tmp, "events.out.tfevents.1");
        File.WriteAllBytes(truncEvents, File.ReadAllBytes(Fx("tensorboard/tensorboard/functionaltests/testdata/events.out.tfevents.1476472047.localhost"))[..50]);
        AssertOneLineError(Run("events", truncEvents), "events.out.tfevents.1");

        var npy = Path.Combine(_tmp, "x.npy");
        Npy.Write(npy, new float[,] { { 1 }, { 2 } });
        var bytes = File.ReadAllBytes(npy);
        File.WriteAllBytes(npy, bytes[..(bytes.Length - 3)]);
        AssertOneLineError(Run("run", Fx(HalfPlusTwo), "--feed", "x=@" + npy, "--fetch", "y"), "x.npy");

        AssertOneLineError(Run("inspect", Path.Combine(_tmp, "missing.pb")), "missing.pb");
        AssertOneLineError(Run("run", Fx(HalfPlusTwo), "--feed", "x=[[1],[2", "--fetch", "y"), "x");
        AssertOneLineError(Run("run", Fx(HalfPlusTwo), "--tag", "gpu", "--fetch", "y"), "serve");

        var verbose = Run("inspect", junk, "--verbose");
        Assert.That(verbose.Code, Is.Not.EqualTo(0));
        Assert.That(verbose.Err, Does.Contain("   at "));
    }

    [Test]
    public void BrokenSignaturesAreShownUnavailableAndRefusedByName()
    {
        var dir = BrokenSignatureModel.Create(Path.Combine(_tmp, "model"));
        var r = Run("inspect", dir);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        var lines = r.Out.Split('\n').Select(l => l.TrimEnd()).ToArray();
        foreach (var (key, reason) in BrokenSignatureModel.Broken)
        {
            int at = Array.IndexOf(lines, $"SignatureDef key: \"{key}\"");
            Assert.That(at, Is.GreaterThan(0), key);
            Assert.That(lines[at + 1], Does.StartWith("  Unavailable: ").And.Contain(reason));
        }
        int ok = Array.IndexOf(lines, "SignatureDef key: \"serving_default\"");
        Assert.That(lines[ok + 1], Does.Not.Contain("Unavailable"));

        r = Run("run", dir, "--signature", "serving_default", "--feed", "x=[[2]]", "--json");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("\"values\":[3]"));
        AssertOneLineError(Run("run", dir, "--signature", "missing_node", "--feed", "x=[[2]]"), "'missing_node' of SavedModel");
        AssertOneLineError(Run("run", dir, "--signature", "malformed_index"), "y:abc");
    }

    // ------------------------------------------------------------------ error categories

    private string CollidingGraph()
    {
        var g = new Graph();
        g.Constant(Tensor.Create(new[] { 1f, 2f }, 2), name: "a/b");
        g.Constant(Tensor.Create(new[] { 3f }, 1), name: "a_b");
        g.Constant(Tensor.Create(new[] { 4, 5 }, 2), name: "a");
        g.Constant(Tensor.Create(new[] { 6 }, 1), name: "a_0");
        var path = Path.Combine(_tmp, "colliding.pb");
        g.Save(path);
        return path;
    }

    private string[] Entries(string dir) =>
        Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Test]
    public void RunOutRejectsFetchesWhoseFileNamesCollide()
    {
        var graph = CollidingGraph();
        var outDir = Path.Combine(_tmp, "out");
        var r = Run("run", graph, "--fetch", "a/b:0", "--fetch", "a_b:0", "--out", outDir);
        AssertOneLineError(r, "--fetch a/b:0 and --fetch a_b:0");
        Assert.That(r.Code, Is.EqualTo(1));
        Assert.That(r.Err, Does.Contain("a_b_0.npy"));
        Assert.That(r.Out, Is.Empty, "nothing ran");
        Assert.That(Directory.Exists(outDir), Is.False);

        // The names are reported as typed: 'a_b' (a_b:0) and 'a/b' (a/b:0) both make a_b_0.npy.
        r = Run("run", graph, "--fetch", "a", "--fetch", "a_b", "--fetch", "a/b", "--out", outDir);
        AssertOneLineError(r, "--fetch a_b and --fetch a/b");
        Assert.That(Directory.Exists(outDir), Is.False);

        // Without --out nothing is written, so nothing collides; the same tensor twice is one file.
        Assert.That(Run("run", graph, "--fetch", "a/b:0", "--fetch", "a_b:0").Code, Is.EqualTo(0));
        r = Run("run", graph, "--fetch", "a", "--fetch", "a:0", "--fetch", "a_0", "--out", outDir);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(Entries(outDir), Is.EqualTo(new[] { "a_0.npy", "a_0_0.npy" }));
        Assert.That(Npy.Read(Path.Combine(outDir, "a_0.npy")).ToArray<int>(), Is.EqualTo(new[] { 4, 5 }));
        Assert.That(Npy.Read(Path.Combine(outDir, "a_0_0.npy")).ToArray<int>(), Is.EqualTo(new[] { 6 }));
    }

    [Test]
    public void RunOutWritesAllOrNothing()
    {
        var parent = Path.Combine(_tmp, "results");
        Directory.CreateDirectory(parent);
        var outDir = Path.Combine(parent, "out");

        // A run that fails creates no folder and leaves nothing behind.
        var r = Run("run", Fx(HalfPlusTwo), "--feed", "x=[1,2]", "--fetch", "y", "--fetch", "x", "--out", outDir);
        Assert.That(r.Code, Is.EqualTo(2), r.Err);
        Assert.That(Entries(parent), Is.Empty);

        // A new folder appears whole.
        r = Run("run", Fx(HalfPlusTwo), "--feed", "x=[[1],[2]]", "--fetch", "y", "--fetch", "x", "--out", outDir);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(Entries(parent), Is.EqualTo(new[] { "out" }));
        Assert.That(Entries(outDir), Is.EqualTo(new[] { "x_0.npy", "y_0.npy" }));
        var oldY = File.ReadAllBytes(Path.Combine(outDir, "y_0.npy"));

        // Into an existing folder: the second file cannot be written (a folder has its name), so
        // the first one, already moved in, is put back as it was.
        File.Delete(Path.Combine(outDir, "x_0.npy"));
        Directory.CreateDirectory(Path.Combine(outDir, "x_0.npy"));
        File.WriteAllText(Path.Combine(outDir, "keep.txt"), "mine");
        r = Run("run", Fx(HalfPlusTwo), "--feed", "x=[[7]]", "--fetch", "y", "--fetch", "x", "--out", outDir);
        AssertOneLineError(r, "x_0.npy");
        Assert.That(r.Code, Is.EqualTo(3));
        Assert.That(File.ReadAllBytes(Path.Combine(outDir, "y_0.npy")), Is.EqualTo(oldY), "the replaced file is restored");
        Assert.That(Entries(outDir), Is.EqualTo(new[] { "keep.txt", "x_0.npy", "y_0.npy" }));
        Assert.That(Entries(parent), Is.EqualTo(new[] { "out" }), "no staging folder is left");

        // Once the obstacle is gone the same run replaces both files and keeps the others.
        Directory.Delete(Path.Combine(outDir, "x_0.npy"));
        r = Run("run", Fx(HalfPlusTwo), "--feed", "x=[[7]]", "--fetch", "y", "--fetch", "x", "--out", outDir);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(Npy.Read(Path.Combine(outDir, "y_0.npy")).ToArray<float>(), Is.EqualTo(new[] { 5.5f }));
        Assert.That(Npy.Read(Path.Combine(outDir, "x_0.npy")).ToArray<float>(), Is.EqualTo(new[] { 7f }));
        Assert.That(Entries(outDir), Is.EqualTo(new[] { "keep.txt", "x_0.npy", "y_0.npy" }));
        Assert.That(Entries(parent), Is.EqualTo(new[] { "out" }));
    }

    [Test]
    public void RunOutRemovesStagingFoldersOfKilledRuns()
    {
        int dead = Serialization.AtomicWriteTests.DeadProcessId();
        var outDir = Path.Combine(_tmp, "out");
        var stale = $"{outDir}.tmp-{dead}-0123456789abcdef";
        var live = $"{outDir}.tmp-{Environment.ProcessId}-fedcba9876543210";
        Directory.CreateDirectory(stale);
        File.WriteAllText(Path.Combine(stale, "y_0.npy"), "partial");
        Directory.CreateDirectory(live);
        var r = Run("run", Fx(HalfPlusTwo), "--feed", "x=[[1]]", "--fetch", "y", "--out", outDir);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(Directory.Exists(stale), Is.False, "a dead run's staging folder is removed");
        Assert.That(Directory.Exists(live), Is.True, "a live run's staging folder is kept");
        Assert.That(Entries(outDir), Is.EqualTo(new[] { "y_0.npy" }));

        // Into an existing folder the staging folder is inside it.
        var staleInside = Path.Combine(outDir, $".tensorgraph-out.tmp-{dead}-00000000000000ab");
        Directory.CreateDirectory(staleInside);
        r = Run("run", Fx(HalfPlusTwo), "--feed", "x=[[3]]", "--fetch", "y", "--out", outDir);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(Entries(outDir), Is.EqualTo(new[] { "y_0.npy" }));
        Assert.That(Npy.Read(Path.Combine(outDir, "y_0.npy")).ToArray<float>(), Is.EqualTo(new[] { 3.5f }));
    }

    [Test]
    public void TypedErrorsAreOneLineWithExitCode2()
    {
        // A feed of the wrong shape fails in the session with an InvalidArgumentException.
        var r = Run("run", Fx(HalfPlusTwo), "--feed", "x=[1,2]", "--fetch", "y");
        AssertOneLineError(r, "x");
        Assert.That(r.Code, Is.EqualTo(2));
        Assert.That(r.Err, Does.StartWith("tensorgraph: error: invalid input: "));
    }

    [Test]
    public void TheSameKindOfErrorHasTheSameCodeAtLoadAndAtRun()
    {
        // Invalid input: a junk graph (load), a feed the model rejects (run).
        var load = Run("run", Fx("tensorflow.cr_examples/graph2.pb"), "--fetch", "c");
        var run = Run("run", Fx(HalfPlusTwo), "--feed", "x=[1,2]", "--fetch", "y");
        Assert.That((load.Code, run.Code), Is.EqualTo((2, 2)), load.Err + run.Err);
        Assert.That(load.Err, Does.StartWith("tensorgraph: error: invalid input: "));
        // I/O: a missing model (load), a missing @file feed, an unwritable --out (after the run).
        var missingModel = Run("run", Path.Combine(_tmp, "missing.pb"), "--fetch", "c");
        var missingFeed = Run("run", Fx(HalfPlusTwo), "--feed", "x=@" + Path.Combine(_tmp, "missing.npy"), "--fetch", "y");
        var file = Path.Combine(_tmp, "a-file");
        File.WriteAllText(file, "x");
        var badOut = Run("run", Fx(HalfPlusTwo), "--feed", "x=[[1]]", "--fetch", "y", "--out", file);
        var missingCkpt = Run("run", Fx(HalfPlusTwo), "--checkpoint", Path.Combine(_tmp, "nockpt"), "--feed", "x=[[1]]", "--fetch", "y");
        foreach (var r in new[] { missingModel, missingFeed, badOut, missingCkpt })
        {
            Assert.That(r.Code, Is.EqualTo(3), r.Err);
            Assert.That(r.Err, Does.StartWith("tensorgraph: error: I/O: "));
            Assert.That(r.Err.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        }
        // A corrupt checkpoint index is invalid input, whether listed or restored.
        var truncIndex = Path.Combine(_tmp, "ck.index");
        File.WriteAllBytes(truncIndex, File.ReadAllBytes(Fx(HalfPlusTwo + "/variables/variables.index"))[..20]);
        Assert.That(Run("ckpt", Path.Combine(_tmp, "ck")).Code, Is.EqualTo(2));
        Assert.That(Run("run", Fx(HalfPlusTwo), "--checkpoint", Path.Combine(_tmp, "ck"), "--feed", "x=[[1]]", "--fetch", "y").Code, Is.EqualTo(2));
    }

    [TestCase(new[] { "run" }, "MODEL")]
    [TestCase(new[] { "run", "m.pb", "--bogus" }, "--bogus")]
    [TestCase(new[] { "frobnicate" }, "frobnicate")]
    [TestCase(new string[0], "command")]
    [TestCase(new[] { "run", "m.pb", "--fetch" }, "--fetch")]
    [TestCase(new[] { "freeze", "m.pb", "out.pb" }, "--outputs")]
    [TestCase(new[] { "inspect", "a.pb", "b.pb" }, "b.pb")]
    public void ParserUsageErrorsAreOneLineWithExitCode1(string[] args, string mentions)
    {
        var r = Run(args);
        AssertOneLineError(r, mentions);
        Assert.That(r.Code, Is.EqualTo(1));
        Assert.That(r.Err, Does.StartWith("tensorgraph: error: usage: ").And.Contain("--help"));
        Assert.That(r.Out, Is.Empty, "no help text is printed on stdout for a usage error");
    }

    [Test]
    public void CliUsageErrorsHaveExitCode1()
    {
        var graph = Fx("tensorflow.cr_examples/graph.pb");
        foreach (var args in new[] { new[] { "run", graph }, ["run", graph, "--feed", "novalue", "--fetch", "c"], ["run", graph, "--signature", "s", "--fetch", "c"] })
        {
            var r = Run(args);
            Assert.That(r.Code, Is.EqualTo(1), r.Err);
            Assert.That(r.Err, Does.StartWith("tensorgraph: error: usage: "));
        }
    }

    [Test]
    public void HelpDocumentsTheExitCodes()
    {
        foreach (var args in new[] { new[] { "--help" }, ["run", "--help"] })
        {
            var r = Run(args);
            Assert.That(r.Code, Is.EqualTo(0), r.Err);
            Assert.That(r.Out, Does.Contain("Exit codes:").And.Contain("70  internal error").And.Contain("3   I/O error"));
            Assert.That(r.Out, Does.Contain("tensorgraph: error: <category>: <message>"));
        }
        Assert.That(Run("run", "--help").Out, Does.Contain("--fetch"));
    }

    [Test]
    public void ResourceExhaustionHasExitCode4()
    {
        var e = new StringWriter();
        Assert.That(CliApp.Guard(false, e, () => throw new ResourceExhaustedException("OOM when allocating tensor with shape [1000000000]")), Is.EqualTo(4));
        Assert.That(e.ToString().TrimEnd(), Is.EqualTo("tensorgraph: error: resource exhausted: OOM when allocating tensor with shape [1000000000]"));
        e = new StringWriter();
        Assert.That(CliApp.Guard(false, e, () => throw new OutOfMemoryException("Array dimensions exceeded supported range.")), Is.EqualTo(4));
        Assert.That(e.ToString(), Does.StartWith("tensorgraph: error: resource exhausted: "));
        // Wrapped while loading a file, it keeps its kind.
        Assert.That(CliApp.Guard(false, new StringWriter(), () => Models.Read<int>("big.pb", () => throw new ResourceExhaustedException("too big"))), Is.EqualTo(4));
    }

    [Test]
    public void FileErrorsAreOneLineNamingTheFile()
    {
        // Output into a folder that does not exist.
        var missingDir = Path.Combine(_tmp, "no", "such", "dir", "g.pbtxt");
        var r = Run("convert", Fx("tensorflow.cr_examples/graph.pb"), missingDir);
        AssertOneLineError(r, missingDir);
        Assert.That(r.Err, Does.Not.Contain("internal error"));
        // --out naming an existing file, not a folder.
        var file = Path.Combine(_tmp, "a-file");
        File.WriteAllText(file, "x");
        r = Run("run", Fx(HalfPlusTwo), "--feed", "x=[[1]]", "--fetch", "y", "--out", file);
        AssertOneLineError(r, file);
        Assert.That(r.Err, Does.Not.Contain("internal error"));
        // A missing @file feed.
        var npy = Path.Combine(_tmp, "missing.npy");
        AssertOneLineError(Run("run", Fx(HalfPlusTwo), "--feed", "x=@" + npy, "--fetch", "y"), npy);
        // IO errors that reach the top level unwrapped are still one line, exit code 3.
        var e = new StringWriter();
        Assert.That(CliApp.Guard(false, e, () => throw new FileNotFoundException($"Could not find file '{npy}'.", npy)), Is.EqualTo(3));
        Assert.That(e.ToString().TrimEnd(), Is.EqualTo($"tensorgraph: error: I/O: Could not find file '{npy}'."));
        e = new StringWriter();
        Assert.That(CliApp.Guard(false, e, () => throw new UnauthorizedAccessException($"Access to the path '{npy}' is denied.")), Is.EqualTo(3));
        Assert.That(e.ToString(), Does.Contain(npy).And.Not.Contain("internal error"));
    }

    [Test]
    public void FeedParseErrorsAreOneLineWithExitCode2()
    {
        var addition = Fx("tfrust/examples/addition/model.pb");
        var r = Run("run", addition, "--feed", "x=99999999999", "--feed", "y=1", "--fetch", "z");
        AssertOneLineError(r, "--feed x: a value is out of the range of int32");
        Assert.That(r.Code, Is.EqualTo(2));
        r = Run("run", addition, "--feed", "x=1.5", "--feed", "y=1", "--fetch", "z");
        AssertOneLineError(r, "expected an integer");
        Assert.That(r.Code, Is.EqualTo(2));
        r = Run("run", addition, "--feed", "x={", "--feed", "y=1", "--fetch", "z");
        AssertOneLineError(r, "not a JSON value");
        Assert.That(r.Code, Is.EqualTo(2));
        Assert.That(Run("run", addition, "--feed", "x=40", "--feed", "y=2", "--fetch", "z").Out, Does.Contain("42"));
    }

    private static readonly Exception[] Bugs =
    [
        new InvalidOperationException("state went wrong"),
        new ArgumentException("bad argument inside"),
        new OverflowException("overflowed inside"),
        new NullReferenceException("null inside"),
        new IndexOutOfRangeException("index inside"),
        new FormatException("format inside"),
        new System.Text.Json.JsonException("json inside"),
        new InternalException("invariant broken"),
    ];

    [TestCaseSource(nameof(Bugs))]
    public void OtherExceptionsAreInternalErrors(Exception bug)
    {
        var e = new StringWriter();
        int code = CliApp.Guard(false, e, () => throw bug);
        Assert.That(code, Is.EqualTo(70));
        Assert.That(e.ToString().TrimEnd(), Is.EqualTo($"tensorgraph: error: internal error: {bug.GetType().FullName}: {bug.Message}"));

        e = new StringWriter();
        Assert.That(CliApp.Guard(true, e, () => throw bug), Is.EqualTo(code));
        Assert.That(e.ToString(), Does.StartWith($"tensorgraph: error: internal error: {bug.GetType().FullName}: {bug.Message}").And.Contain("   at "));
    }

    [Test]
    public void ModelsReadWrapsOnlyTypedAndFileErrors()
    {
        Assert.That(Assert.Throws<CliException>(() => Models.Read<int>("f.pb", () => throw new DataLossException("corrupt")))!.Message,
            Is.EqualTo("f.pb: corrupt"));
        Assert.That(Assert.Throws<CliException>(() => Models.Read<int>("f.pb", () => throw new IOException("disk full")))!.Message,
            Is.EqualTo("f.pb: disk full"));
        Assert.Throws<ArgumentException>(() => Models.Read<int>("f.pb", () => throw new ArgumentException("bug")));
        Assert.Throws<OverflowException>(() => Models.Read<int>("f.pb", () => throw new OverflowException("bug")));
        Assert.Throws<InternalException>(() => Models.Read<int>("f.pb", () => throw new InternalException("bug")));
    }

    [Test]
    public void OpsPrintsTheOpListAsTextFormat()
    {
        var r = Run("ops");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.StartWith("op {\n  name: \""));
        var list = TextFormat.Parse<OpList>(r.Out);
        Assert.That(list.Op.Select(o => o.Name), Is.EqualTo(OpCatalog.OpTypes));
        Assert.That(list, Is.EqualTo(OpCatalog.ToOpList()));
    }

    [Test]
    public void OpsPrintsTheNamedOpsInOrder()
    {
        var r = Run("ops", "MatMul", "Placeholder");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        var list = TextFormat.Parse<OpList>(r.Out);
        Assert.That(list.Op.Select(o => o.Name), Is.EqualTo(new[] { "MatMul", "Placeholder" }));
        Assert.That(r.Out, Does.Contain("input_arg {\n    name: \"a\"\n    type_attr: \"T\"\n  }"));
    }

    [Test]
    public void OpsRejectsAnUnknownOpType()
    {
        var r = Run("ops", "MatMul", "NoSuchOp");
        Assert.That(r.Code, Is.EqualTo((int)ExitCode.Usage));
        AssertOneLineError(r, "'NoSuchOp' is not registered");
        Assert.That(r.Out, Is.Empty);
    }
}
