using System.Diagnostics;
using System.Globalization;
using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Tests.Serialization;

/// <summary>
/// Re-saving a checkpoint prefix switches from the complete old checkpoint to the complete new one,
/// whatever step fails or is killed; temporary files of dead writers are removed by the next save.
/// </summary>
public class CheckpointReplaceTests
{
    /// <summary>A variable of <paramref name="n"/> floats, and an assignment of a fed value to it.</summary>
    private sealed class Model : IDisposable
    {
        public Model(int n = 1000)
        {
            N = n;
            G = new Graph();
            V = G.Variable(new float[n], name: "v");
            P = G.Placeholder(DType.Float32, new Shape(n), name: "p");
            Set = G.Assign(V, P);
            Session = new Session(G);
            Session.Run(G.GlobalVariablesInitializer());
            Saver = new Saver(G, maxToKeep: 0);
        }

        public int N { get; }
        public Graph G { get; }
        public Variable V { get; }
        public Output P { get; }
        public Output Set { get; }
        public Session Session { get; }
        public Saver Saver { get; }

        public void Fill(float value)
        {
            var feeds = new FeedDict { [P] = Tensor.Create(Enumerable.Repeat(value, N).ToArray(), N) };
            Session.Run([], feeds, [Set.Op]);
        }

        public void Dispose() => Session.Dispose();
    }

    /// <summary>The one value every element of the checkpoint's 'v' holds (fails if they differ).</summary>
    private static float Stored(string prefix)
    {
        using var r = new CheckpointReader(prefix);
        var values = r.GetTensor("v").ToArray<float>();
        Assert.That(values.Distinct().Count(), Is.EqualTo(1), "the checkpoint holds one save's values, not a mix");
        return values[0];
    }

    private static string[] Files(string dir) =>
        Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private static string[] Temps(string dir) => Files(dir).Where(f => f.Contains(".tmp", StringComparison.Ordinal) || f.Contains("tempstate", StringComparison.Ordinal)).ToArray();

    [Test]
    public void ResavingAlternatesTheShardFilesTheIndexNames()
    {
        using var dir = CheckpointFixtures.Temp();
        using var m = new Model();
        var prefix = dir["model"];
        var expected = new[]
        {
            new[] { "model.data-00000-of-00001", "model.index" },
            ["model.data-00000-of-00002", "model.data-00001-of-00002", "model.index"],
        };
        for (int i = 1; i <= 4; i++)
        {
            m.Fill(i);
            m.Saver.Save(m.Session, prefix, writeState: false);
            Assert.That(Files(dir.Path), Is.EqualTo(expected[(i - 1) % 2]), $"save {i}");
            Assert.That(Stored(prefix), Is.EqualTo(i));
            Assert.That(new FileInfo(CheckpointFiles.DataFile(prefix, 0, (i - 1) % 2 + 1)).Length, Is.EqualTo(4 * m.N));
        }
        // The two-shard form restores through the Saver too.
        using var m2 = new Model();
        m2.Saver.Restore(m2.Session, prefix);
        Assert.That(m2.Session.Run(m2.V.Value).ToArray<float>()[999], Is.EqualTo(4f));
    }

    [TestCase("data", false)]
    [TestCase("index", false)]
    [TestCase("rename", false)]
    [TestCase("commit", false)]
    [TestCase("cleanup", true)]
    public void AFailureAtAnyStepLeavesTheOldOrTheNewCheckpoint(string stage, bool committed)
    {
        using var m = new Model();
        foreach (var before in new[] { 1, 2 })
        {
            // Replacing the one-shard form (one save before), then the two-shard form (two saves).
            using var dir = CheckpointFixtures.Temp();
            var prefix = dir["model"];
            for (int k = 1; k <= before; k++)
            {
                m.Fill(before);
                m.Saver.Save(m.Session, prefix, writeState: false);
            }
            Assert.That(CheckpointFiles.ShardCount(prefix), Is.EqualTo(before));
            m.Fill(before + 10);
            CheckpointWriter.FaultInjection = s => { if (s == stage) throw new IOException("simulated crash at " + s); };
            try
            {
                Assert.Throws<IOException>(() => m.Saver.Save(m.Session, prefix, writeState: false));
            }
            finally
            {
                CheckpointWriter.FaultInjection = null;
            }
            Assert.That(Temps(dir.Path), Is.Empty, "temporary files are removed");
            Assert.That(Stored(prefix), Is.EqualTo(committed ? before + 10 : before));
            // The next save succeeds and leaves exactly one checkpoint's files.
            m.Saver.Save(m.Session, prefix, writeState: false);
            Assert.That(Stored(prefix), Is.EqualTo(before + 10));
            int shards = CheckpointFiles.ShardCount(prefix);
            Assert.That(Files(dir.Path).Count(f => f.Contains(".data-", StringComparison.Ordinal)), Is.EqualTo(shards));
        }
    }

    private static void WritePart(string prefix, string name, float value)
    {
        using var w = new CheckpointWriter(prefix);
        w.Add(name, Tensor.Create(new[] { value, value }, 2));
        w.Finish();
    }

    [Test]
    public void MergingOverAnExistingCheckpointAddsAShardInsteadOfReplacingItsData()
    {
        using var dir = CheckpointFixtures.Temp();
        var dest = dir["merged"];
        string[] Parts(int round)
        {
            var a = dir[$"tmp{round}/part-0"];
            var b = dir[$"tmp{round}/part-1"];
            WritePart(a, "a", round);
            WritePart(b, "b", round + 0.5f);
            return [a, b];
        }
        CheckpointMerger.Merge(Parts(1), dest);
        Assert.That(CheckpointFiles.ShardCount(dest), Is.EqualTo(2));
        Assert.That(Files(dir.Path), Is.EqualTo(new[] { "merged.data-00000-of-00002", "merged.data-00001-of-00002", "merged.index" }));

        CheckpointMerger.Merge(Parts(2), dest);
        Assert.That(CheckpointFiles.ShardCount(dest), Is.EqualTo(3));
        Assert.That(Files(dir.Path), Is.EqualTo(new[] { "merged.data-00000-of-00003", "merged.data-00001-of-00003", "merged.data-00002-of-00003", "merged.index" }));
        Assert.That(new FileInfo(CheckpointFiles.DataFile(dest, 2, 3)).Length, Is.Zero);
        using (var r = new CheckpointReader(dest))
        {
            Assert.That(r.GetTensor("a").ToArray<float>(), Is.EqualTo(new[] { 2f, 2f }));
            Assert.That(r.GetTensor("b").ToArray<float>(), Is.EqualTo(new[] { 2.5f, 2.5f }));
        }

        CheckpointMerger.Merge(Parts(3), dest);
        Assert.That(Files(dir.Path), Is.EqualTo(new[] { "merged.data-00000-of-00002", "merged.data-00001-of-00002", "merged.index" }));
        using (var r = new CheckpointReader(dest)) Assert.That(r.GetTensor("b").ToArray<float>(), Is.EqualTo(new[] { 3.5f, 3.5f }));
    }

    [Test]
    public void ANewWriterRemovesCheckpointTempsOfDeadWritersOnly()
    {
        using var dir = CheckpointFixtures.Temp();
        using var m = new Model();
        var prefix = dir["model"];
        int dead = AtomicWriteTests.DeadProcessId();
        string[] stale =
        [
            $"model.data-00000-of-00001.tmp-{dead}-0000000000000001",
            $"model.index.tmp-{dead}-0000000000000002",
            $"model.data-00001-of-00002.tmp-{dead}-0000000000000003",
            $"checkpoint.tmp-{dead}-0000000000000004",
            "model.data-00000-of-00001.tempstate5a5a5a5a",
            $"model-7.index.tmp-{dead}-0000000000000006",
            $"model-7.data-00000-of-00001.tmp-{dead}-0000000000000007",
        ];
        string[] kept =
        [
            $"model.data-00000-of-00001.tmp-{Environment.ProcessId}-0000000000000005",
            $"graph.pb.tmp-{dead}-0000000000000008",
            "model.index.tempstate77",
            $"model.index.tmp-{dead}-notatemp",
        ];
        foreach (var f in stale.Concat(kept)) File.WriteAllText(dir[f], "partial");
        File.SetLastWriteTimeUtc(dir["model.data-00000-of-00001.tempstate5a5a5a5a"], DateTime.UtcNow - AtomicFile.StaleAge - TimeSpan.FromMinutes(1));
        m.Fill(3);
        m.Saver.Save(m.Session, prefix);
        Assert.That(Files(dir.Path), Is.EqualTo(kept.Concat(["checkpoint", "model.data-00000-of-00001", "model.index"]).Order(StringComparer.Ordinal).ToArray()));
        Assert.That(Stored(prefix), Is.EqualTo(3f));
    }

    [Test]
    public void ReadersDuringResavesSeeWholeCheckpoints()
    {
        using var dir = CheckpointFixtures.Temp();
        using var m = new Model(20_000);
        var prefix = dir["model"];
        m.Fill(0);
        m.Saver.Save(m.Session, prefix, writeState: false);
        const int saves = 60;
        var writer = Task.Run(() =>
        {
            for (int i = 1; i <= saves; i++)
            {
                m.Fill(i);
                m.Saver.Save(m.Session, prefix, writeState: false);
            }
        });
        float last = 0;
        int reads = 0;
        while (!writer.IsCompleted || reads == 0)
        {
            float v = Stored(prefix);
            Assert.That(v, Is.GreaterThanOrEqualTo(last), "a reader never goes back to an older checkpoint");
            last = v;
            reads++;
        }
        writer.GetAwaiter().GetResult();
        Assert.That(Stored(prefix), Is.EqualTo(saves));
    }

    // ------------------------------------------------------------------ killed writers

    /// <summary>
    /// The child side of <see cref="KilledSaversLeaveTheOldOrTheNewCheckpoint"/>: saves
    /// <c>base + i</c> for i = 1, 2, … to <paramref name="prefix"/>, printing "saved i" after each.
    /// </summary>
    internal static int SaveLoop(string prefix, int baseValue)
    {
        using var m = new Model(1 << 20);
        for (int i = 1; ; i++)
        {
            m.Fill(baseValue + i);
            m.Saver.Save(m.Session, prefix);
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"saved {i}"));
            Console.Out.Flush();
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p
        : "dotnet";

    [Test]
    public void KilledSaversLeaveTheOldOrTheNewCheckpoint()
    {
        using var dir = CheckpointFixtures.Temp();
        var prefix = dir["model"];
        var assembly = typeof(CheckpointReplaceTests).Assembly.Location;
        var rng = new Random(1234);
        const int rounds = 6;
        for (int round = 0; round < rounds; round++)
        {
            int baseValue = (round + 1) * 1000;
            var psi = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "exec", assembly, "save-loop", prefix, baseValue.ToString(CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
            using var child = Process.Start(psi)!;
            var stderr = child.StandardError.ReadToEndAsync();
            int acked = 0, killAfter = 1 + round % 3;
            while (acked < killAfter)
            {
                var line = child.StandardOutput.ReadLine();
                if (line is null)
                {
                    child.WaitForExit();
                    Assert.Fail($"the child exited ({child.ExitCode}) before saving: {stderr.Result}");
                }
                if (line!.StartsWith("saved ", StringComparison.Ordinal)) acked = int.Parse(line[6..], CultureInfo.InvariantCulture);
            }
            // Let it get somewhere into the next save, then SIGKILL it.
            Thread.Sleep(rng.Next(0, 40));
            child.Kill();
            child.WaitForExit();
            foreach (var line in child.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
                if (line.StartsWith("saved ", StringComparison.Ordinal)) acked = int.Parse(line[6..], CultureInfo.InvariantCulture);

            float stored = Stored(prefix);
            Assert.That(stored, Is.EqualTo(baseValue + acked).Or.EqualTo(baseValue + acked + 1), $"round {round}: the last acknowledged save or the one in progress");
            Assert.That(Saver.LatestCheckpoint(dir.Path), Is.EqualTo(prefix), "the state file is whole");
            using var m = new Model(1 << 20);
            m.Saver.Restore(m.Session, prefix);
            Assert.That(m.Session.Run(m.V.Value).ToArray<float>()[12345], Is.EqualTo(stored));
        }

        // The next save removes whatever the killed writers left.
        using (var m = new Model(1 << 20))
        {
            m.Fill(7);
            m.Saver.Save(m.Session, prefix);
        }
        Assert.That(Temps(dir.Path), Is.Empty);
        Assert.That(Files(dir.Path).Count(f => f.Contains(".data-", StringComparison.Ordinal)), Is.EqualTo(CheckpointFiles.ShardCount(prefix)));
        Assert.That(Stored(prefix), Is.EqualTo(7f));
    }
}
