using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Tests.Serialization;

/// <summary>Saver save/restore, checkpoint state, max_to_keep and atomic writes.</summary>
public class SaverTests
{
    private sealed class Model
    {
        public Model()
        {
            G = new Graph();
            using (G.NameScope("hidden1"))
            {
                W = G.Variable(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }, name: "weights");
            }
            Steps = G.Variable(new long[] { 10, long.MaxValue, -3 }, name: "steps");
            Words = G.Variable(new[] { "héllo", "", "world\0x" }, name: "words");
            Flag = G.Variable(new[] { true, false }, name: "flag");
            D = G.Variable(new double[] { Math.PI, -0.0 }, name: "d");
            Session = new Session(G);
            Session.Run(G.GlobalVariablesInitializer());
        }

        public Graph G { get; }
        public Variable W { get; }
        public Variable Steps { get; }
        public Variable Words { get; }
        public Variable Flag { get; }
        public Variable D { get; }
        public Session Session { get; }

        public Tensor Read(Variable v) => Session.Run(v.Value);
    }

    [Test]
    public void SaveRestore_RoundTripsAllDTypes()
    {
        using var dir = CheckpointFixtures.Temp();
        var m = new Model();
        var saver = new Saver(m.G);
        var path = saver.Save(m.Session, dir["model.ckpt"]);
        Assert.That(path, Is.EqualTo(dir["model.ckpt"]));
        using (var r = new CheckpointReader(path))
            Assert.That(r.TensorNames, Is.EqualTo(new[] { "d", "flag", "hidden1/weights", "steps", "words" }));

        var m2 = new Model();
        m2.Session.Run(m2.G.Assign(m2.W, m2.G.Constant(new float[,] { { 0, 0, 0 }, { 0, 0, 0 } })).Op);
        m2.Session.Run(m2.G.Assign(m2.Words, m2.G.Constant(new[] { "a", "b", "c" })).Op);
        new Saver(m2.G).Restore(m2.Session, path);
        Assert.Multiple(() =>
        {
            Assert.That(m2.Read(m2.W).ValueEquals(m.Read(m.W)), Is.True);
            Assert.That(m2.Read(m2.Steps).ToArray<long>(), Is.EqualTo(new[] { 10, long.MaxValue, -3 }));
            Assert.That(m2.Read(m2.Words).ValueEquals(m.Read(m.Words)), Is.True);
            Assert.That(m2.Read(m2.Flag).ToArray<bool>(), Is.EqualTo(new[] { true, false }));
            Assert.That(m2.Read(m2.D).ToArray<double>(), Is.EqualTo(new[] { Math.PI, -0.0 }));
        });
    }

    [Test]
    public void Save_WithGlobalStep_WritesStateFileAndKeepsMaxToKeep()
    {
        using var dir = CheckpointFixtures.Temp();
        var m = new Model();
        var saver = new Saver(m.G, maxToKeep: 2);
        for (long step = 1; step <= 4; step++) Assert.That(saver.Save(m.Session, dir["model"], step), Is.EqualTo(dir["model-" + step]));
        Assert.Multiple(() =>
        {
            Assert.That(CheckpointFiles.Exists(dir["model-1"]), Is.False);
            Assert.That(CheckpointFiles.Exists(dir["model-2"]), Is.False);
            Assert.That(File.Exists(CheckpointFiles.DataFile(dir["model-2"], 0, 1)), Is.False);
            Assert.That(CheckpointFiles.Exists(dir["model-3"]), Is.True);
            Assert.That(CheckpointFiles.Exists(dir["model-4"]), Is.True);
            Assert.That(Saver.LatestCheckpoint(dir.Path), Is.EqualTo(dir["model-4"]));
            Assert.That(saver.LastCheckpoints, Is.EqualTo(new[] { dir["model-3"], dir["model-4"] }));
            Assert.That(File.ReadAllText(dir["checkpoint"]), Is.EqualTo(
                "model_checkpoint_path: \"model-4\"\nall_model_checkpoint_paths: \"model-3\"\nall_model_checkpoint_paths: \"model-4\"\n"));
            Assert.That(Directory.GetFiles(dir.Path, "*.tmp-*"), Is.Empty);
        });
    }

    [Test]
    public void Restore_InitializesVariablesOfAFreshSession()
    {
        using var dir = CheckpointFixtures.Temp();
        var m = new Model();
        var path = new Saver(m.G).Save(m.Session, dir["model"], 7);
        var g = new Graph();
        Variable w;
        using (g.NameScope("hidden1")) w = g.Variable(new float[,] { { 0, 0, 0 }, { 0, 0, 0 } }, name: "weights");
        using var s = new Session(g);
        new Saver([w]).Restore(s, Saver.LatestCheckpoint(dir.Path)!);
        Assert.That(path, Is.EqualTo(dir["model-7"]));
        Assert.That(s.Run(w.Value).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));
        Assert.Throws<InvalidArgumentException>(() => new Saver(new Graph()));
    }

    [Test]
    public void LatestCheckpoint_NoStateFileIsNull()
    {
        using var dir = CheckpointFixtures.Temp();
        Assert.That(Saver.LatestCheckpoint(dir.Path), Is.Null);
    }

    [Test]
    public void CheckpointState_TextRoundTripsAndToleratesTimestamps()
    {
        var text = "model_checkpoint_path: \"/a/b\\\"c\\303\\251\"\nall_model_checkpoint_paths: 'x' \"y\"\nall_model_checkpoint_timestamps: 1.5e9\nlast_preserved_timestamp: 1500000000.25\n";
        var s = CheckpointStateFile.Parse(text);
        Assert.That(s.ModelCheckpointPath, Is.EqualTo("/a/b\"cé"));
        Assert.That(s.AllModelCheckpointPaths, Is.EqualTo(new[] { "xy" }));
        Assert.That(s.AllModelCheckpointTimestamps, Is.EqualTo(new[] { 1.5e9 }));
        Assert.That(CheckpointStateFile.Parse(CheckpointStateFile.Format(s)), Is.EqualTo(s));
        Assert.Throws<DataLossException>(() => CheckpointStateFile.Parse("bogus: \"x\""));
        Assert.Throws<DataLossException>(() => CheckpointStateFile.Parse("model_checkpoint_path: \"x"));
    }

    [Test]
    public void Restore_MissingTensorIsNotFoundNamingIt()
    {
        using var dir = CheckpointFixtures.Temp();
        var m = new Model();
        var path = new Saver([m.W]).Save(m.Session, dir["partial"]);
        var e = Assert.Throws<NotFoundException>(() => new Saver(m.G).Restore(m.Session, path));
        Assert.That(e!.Message, Does.Contain("steps").Or.Contain("flag"));
        Assert.Throws<NotFoundException>(() => new Saver(m.G).Restore(m.Session, dir["nothing-here"]));
    }

    [Test]
    public void Restore_DTypeOrShapeMismatchIsInvalidArgument()
    {
        using var dir = CheckpointFixtures.Temp();
        var a = new Graph();
        var v = a.Variable(new float[] { 1, 2, 3 }, name: "v");
        using var sa = new Session(a);
        sa.Run(a.GlobalVariablesInitializer());
        var path = new Saver(a).Save(sa, dir["ckpt"]);

        var b = new Graph();
        b.Variable(new int[] { 1, 2, 3 }, name: "v");
        using var sb = new Session(b);
        var e = Assert.Throws<InvalidArgumentException>(() => new Saver(b).Restore(sb, path));
        Assert.That(e!.Message, Does.Contain("v"));

        var c = new Graph();
        c.Variable(new float[] { 1, 2 }, name: "v");
        using var sc = new Session(c);
        Assert.Throws<InvalidArgumentException>(() => new Saver(c).Restore(sc, path));
        _ = v;
    }

    [Test]
    public void Save_UninitializedVariableIsFailedPrecondition()
    {
        using var dir = CheckpointFixtures.Temp();
        var g = new Graph();
        g.Variable(1f, name: "v");
        using var s = new Session(g);
        Assert.Throws<FailedPreconditionException>(() => new Saver(g).Save(s, dir["x"]));
    }

    [Test]
    public void Save_FailureMidSaveKeepsPreviousCheckpoint([Values("data", "index", "rename")] string stage)
    {
        using var dir = CheckpointFixtures.Temp();
        var m = new Model();
        var saver = new Saver(m.G);
        var path = saver.Save(m.Session, dir["model"]);
        m.Session.Run(m.G.Assign(m.W, m.G.Constant(new float[,] { { 9, 9, 9 }, { 9, 9, 9 } })).Op);
        CheckpointWriter.FaultInjection = s => { if (s == stage) throw new IOException("simulated crash at " + s); };
        try
        {
            Assert.Throws<IOException>(() => saver.Save(m.Session, dir["model"]));
        }
        finally
        {
            CheckpointWriter.FaultInjection = null;
        }
        Assert.That(Directory.GetFiles(dir.Path, "*.tmp-*"), Is.Empty, "temporary files are removed");
        var m2 = new Model();
        m2.Session.Run(m2.G.Assign(m2.W, m2.G.Constant(new float[,] { { 0, 0, 0 }, { 0, 0, 0 } })).Op);
        new Saver(m2.G).Restore(m2.Session, path);
        Assert.That(m2.Read(m2.W).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));
    }

    [Test]
    public void WrittenIndex_DecodesWithIndependentTool()
    {
        using var dir = CheckpointFixtures.Temp();
        var m = new Model();
        var path = new Saver(m.G).Save(m.Session, dir["model"]);
        var tool = Path.Combine(CheckpointFixtures.SharedDir, "tools", "tfinspect.py");
        if (!File.Exists(tool)) Assert.Fail($"Independent decoder '{tool}' is missing");
        var (code, output) = Run("python3", tool, "ckpt", path + ".index", CheckpointFiles.DataFile(path, 0, 1));
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("num_shards=1"));
        Assert.That(output, Does.Match(@"hidden1/weights\s+float\s+\[2, 3\].*\[1\.0, 2\.0, 3\.0, 4\.0, 5\.0, 6\.0\]"));
        Assert.That(output, Does.Match(@"steps\s+int64\s+\[3\].*\[10, 9223372036854775807, -3\]"));
    }

    internal static (int, string) Run(string exe, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30000))
        {
            p.Kill();
            Assert.Fail($"{exe} timed out");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
