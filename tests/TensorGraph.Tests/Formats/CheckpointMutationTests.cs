using System.Diagnostics;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

/// <summary>
/// Randomly corrupted or truncated index, data and event files must only ever raise
/// <see cref="TensorGraphException"/> subclasses (deterministic seeds, bounded time).
/// </summary>
public class CheckpointMutationTests
{
    private static byte[] Mutate(byte[] original, Random rnd, out string what)
    {
        var b = (byte[])original.Clone();
        switch (rnd.Next(5))
        {
            case 0:
                int len = rnd.Next(original.Length);
                what = $"truncate to {len}";
                return b[..len];
            case 1:
            {
                int n = rnd.Next(1, 4);
                what = "flip bits at";
                for (int i = 0; i < n; i++)
                {
                    int p = rnd.Next(b.Length);
                    b[p] ^= (byte)(1 << rnd.Next(8));
                    what += " " + p;
                }
                return b;
            }
            case 2:
            {
                int p = rnd.Next(b.Length);
                byte v = (byte)rnd.Next(256);
                what = $"set [{p}] = {v}";
                b[p] = v;
                return b;
            }
            case 3:
            {
                int p = rnd.Next(b.Length);
                int n = Math.Min(rnd.Next(1, 9), b.Length - p);
                what = $"0xFF x{n} at {p}";
                for (int i = 0; i < n; i++) b[p + i] = 0xFF;
                return b;
            }
            default:
            {
                int p = rnd.Next(b.Length);
                what = $"delete byte {p}";
                return [.. b[..p], .. b[(p + 1)..]];
            }
        }
    }

    private static void ReadCheckpointFully(string prefix)
    {
        using var r = new CheckpointReader(prefix);
        foreach (var info in r.Tensors) r.GetTensor(info.Name);
    }

    private static void Fuzz(byte[] original, string target, int iterations, int seed, Action read)
    {
        var rnd = new Random(seed);
        var sw = Stopwatch.StartNew();
        int failures = 0;
        for (int i = 0; i < iterations; i++)
        {
            var bytes = Mutate(original, rnd, out var what);
            File.WriteAllBytes(target, bytes);
            try
            {
                read();
            }
            catch (TensorGraphException)
            {
                failures++;
            }
            catch (Exception e)
            {
                Assert.Fail($"Iteration {i} ({what}) raised {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        Assert.That(failures, Is.GreaterThan(iterations / 4), "most mutations are detected");
    }

    [Test]
    public void CorruptedSnappyIndex_OnlyTypedErrors()
    {
        using var dir = CheckpointFixtures.Temp();
        var src = CheckpointFixtures.Tf("serving/servables/tensorflow/testdata/saved_model_half_plus_two_cpu/00000123/variables/variables.index")[..^".index".Length];
        var prefix = dir["v"];
        File.Copy(CheckpointFiles.DataFile(src, 0, 1), CheckpointFiles.DataFile(prefix, 0, 1));
        Fuzz(File.ReadAllBytes(src + ".index"), prefix + ".index", 2000, 11, () => ReadCheckpointFully(prefix));
    }

    private static string WriteMixed(string prefix)
    {
        using var w = new CheckpointWriter(prefix);
        w.Add("f", new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        w.Add("i", new long[] { 1, -2, long.MaxValue });
        w.Add("s", new[] { "alpha", "", "gamma délta" });
        w.Add("b", new[] { true, false, true });
        for (int k = 0; k < 40; k++) w.Add("layer" + k.ToString("D2", System.Globalization.CultureInfo.InvariantCulture) + "/w", new[] { (float)k });
        w.Finish();
        return prefix;
    }

    [Test]
    public void CorruptedUncompressedIndex_OnlyTypedErrors()
    {
        using var dir = CheckpointFixtures.Temp();
        var good = WriteMixed(dir["good"]);
        var prefix = dir["v"];
        File.Copy(CheckpointFiles.DataFile(good, 0, 1), CheckpointFiles.DataFile(prefix, 0, 1));
        Fuzz(File.ReadAllBytes(good + ".index"), prefix + ".index", 1500, 12, () => ReadCheckpointFully(prefix));
    }

    [Test]
    public void CorruptedDataFile_OnlyTypedErrors()
    {
        using var dir = CheckpointFixtures.Temp();
        var good = WriteMixed(dir["good"]);
        var prefix = dir["v"];
        File.Copy(good + ".index", prefix + ".index");
        Fuzz(File.ReadAllBytes(CheckpointFiles.DataFile(good, 0, 1)), CheckpointFiles.DataFile(prefix, 0, 1), 1500, 13, () => ReadCheckpointFully(prefix));
    }

    [Test]
    public void CorruptedEventFile_OnlyTypedErrors()
    {
        using var dir = CheckpointFixtures.Temp();
        var src = File.ReadAllBytes(CheckpointFixtures.Tf("tensorboard/tensorboard/plugins/profile/end_2_end.tfevents"));
        var target = dir["events.out.tfevents.1.x"];
        Fuzz(src, target, 2000, 14, () => _ = EventFileReader.ReadEvents(target).Count());
    }
}
