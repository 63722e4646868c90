using System.Diagnostics;
using System.Text;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

/// <summary>
/// Feeds randomly corrupted and truncated copies of real files to the readers: only
/// TensorGraphException subclasses may escape, and every input must finish quickly.
/// </summary>
public class MutationTests
{
    private const int Iterations = 3000;

    private static byte[] Mutate(byte[] src, Random rng)
    {
        var b = new List<byte>(src);
        int edits = 1 + rng.Next(4);
        for (int e = 0; e < edits && b.Count > 0; e++)
        {
            int at = rng.Next(b.Count);
            switch (rng.Next(6))
            {
                case 0: b[at] = (byte)rng.Next(256); break;
                case 1: b[at] ^= (byte)(1 << rng.Next(8)); break;
                case 2: b.RemoveAt(at); break;
                case 3: b.Insert(at, (byte)rng.Next(256)); break;
                case 4: b.RemoveRange(at, b.Count - at); break;
                default: b[at] = rng.Next(3) switch { 0 => 0xFF, 1 => 0x80, _ => 0 }; break;
            }
        }
        return [.. b];
    }

    private static string MutateText(string src, Random rng)
    {
        const string interesting = "{}<>[]:,;-#\"'\\\n 0123456789.xXeEfinatu_";
        var sb = new StringBuilder(src);
        int edits = 1 + rng.Next(4);
        for (int e = 0; e < edits && sb.Length > 0; e++)
        {
            int at = rng.Next(sb.Length);
            switch (rng.Next(5))
            {
                case 0: sb[at] = interesting[rng.Next(interesting.Length)]; break;
                case 1: sb.Remove(at, 1); break;
                case 2: sb.Insert(at, interesting[rng.Next(interesting.Length)]); break;
                case 3: sb.Length = at; break;
                default: sb[at] = (char)rng.Next(1, 0x300); break;
            }
        }
        return sb.ToString();
    }

    private static void Fuzz(string what, int seed, Action<Random> once)
    {
        var rng = new Random(seed);
        var sw = Stopwatch.StartNew();
        int done = 0, rejected = 0;
        for (; done < Iterations; done++)
        {
            try
            {
                once(rng);
            }
            catch (TensorGraphException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{what}: iteration {done} (seed {seed}) threw {e.GetType().Name}: {e}");
            }
        }
        TestContext.Out.WriteLine($"{what}: {done} inputs, {rejected} rejected with typed errors, {sw.Elapsed.TotalSeconds:F1} s");
    }

    [Test]
    public void BinaryGraphDefReader()
    {
        var sources = new[]
        {
            "tensorflow.cr_examples/graph.pb",
            "tfrust/examples/addition/model.pb",
            "tfrust/tensorflow-sys/examples/assets/multiplication.pb",
            "tf2onnx/tests/models/regression/graphdef/frozen.pb",
            "tfrust/examples/regression/model.pb",
        }.Select(r => File.ReadAllBytes(Fixtures.File_(r))).ToArray();
        Fuzz("binary GraphDef", 1234, rng =>
        {
            var bytes = Mutate(sources[rng.Next(sources.Length)], rng);
            var def = ProtoFiles.ParseBinary<GraphDef>(bytes, "mutant.pb");
            _ = Graph.FromGraphDef(def).ToGraphDef();
        });
    }

    [Test]
    public void TextFormatReader()
    {
        var text = File.ReadAllText(Fixtures.File_("tensorflow.cr_examples/graph.pbtxt"));
        var extra = TextFormat.Print(ProtoFiles.ReadBinary<GraphDef>(Fixtures.File_("tf2onnx/tests/models/regression/graphdef/frozen.pb")));
        var sources = new[] { text, extra };
        Fuzz("text GraphDef", 4321, rng =>
        {
            var t = MutateText(sources[rng.Next(sources.Length)], rng);
            var def = TextFormat.Parse<GraphDef>(t);
            _ = Graph.FromGraphDef(def).ToGraphDef();
        });
    }

    [Test]
    public void NpyReader()
    {
        var sources = new[]
        {
            File.ReadAllBytes(Fixtures.File_("tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/simple_model_from_auto_compile/bias0.npy")),
            Npy.ToBytes(Tensor.Create(new[] { true, false }, 2)),
            Npy.ToBytes(Tensor.Create(new long[] { 1, 2, 3, 4, 5, 6 }, 2, 3)),
        };
        Fuzz("npy", 99, rng =>
        {
            var bytes = Mutate(sources[rng.Next(sources.Length)], rng);
            // Corrupt header bytes more often: that is where parsing happens.
            if (rng.Next(2) == 0 && bytes.Length > 20) bytes[rng.Next(Math.Min(bytes.Length, 80))] = (byte)"{}(),:'\" 0123456789TrueFalse<>|fib"[rng.Next(34)];
            _ = Npy.Parse(bytes);
        });
    }
}
