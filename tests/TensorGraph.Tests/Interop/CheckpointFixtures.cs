using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace TensorGraph.Tests.Serialization;

/// <summary>Checkpoint-test helpers: fixture paths (through <see cref="Fixtures"/>), temporary folders and a minimal .npy reader.</summary>
internal static class CheckpointFixtures
{
    public static string RepoRoot => Fixtures.RepoRoot;

    public static string SharedDir => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>Path of a fixture file or folder under shared/fixtures/tensorflow; fails the test clearly when it is missing.</summary>
    public static string Tf(string relative) => Fixtures.Existing(relative);

    /// <summary>A fresh temporary directory, deleted by the caller's <c>using</c>.</summary>
    public static TempDir Temp() => new();

    internal sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tg-test-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string this[string name] => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Minimal .npy reader (version 1/2, little-endian float32/float64/int32/int64, C order).</summary>
    public static (int[] Shape, double[] Values) ReadNpy(string path)
    {
        var b = File.ReadAllBytes(path);
        Assert.That(b.AsSpan(0, 6).ToArray(), Is.EqualTo(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' }), "npy magic");
        int major = b[6];
        int headerLen = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8));
        int start = major == 1 ? 10 : 12;
        var header = Encoding.ASCII.GetString(b, start, headerLen);
        int dataStart = start + headerLen;
        Assert.That(header, Does.Contain("'fortran_order': False"));
        var descr = Between(header, "'descr': '", "'");
        var shapeText = Between(header, "'shape': (", ")");
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        var data = b.AsSpan(dataStart);
        double[] values = descr switch
        {
            "<f4" => MemoryMarshal.Cast<byte, float>(data).ToArray().Select(x => (double)x).ToArray(),
            "<f8" => MemoryMarshal.Cast<byte, double>(data).ToArray(),
            "<i4" => MemoryMarshal.Cast<byte, int>(data).ToArray().Select(x => (double)x).ToArray(),
            "<i8" => MemoryMarshal.Cast<byte, long>(data).ToArray().Select(x => (double)x).ToArray(),
            _ => throw new AssertionException($"unsupported npy dtype {descr}"),
        };
        return (shape, values);
    }

    private static string Between(string s, string a, string b)
    {
        int i = s.IndexOf(a, StringComparison.Ordinal);
        Assert.That(i, Is.GreaterThanOrEqualTo(0), $"npy header lacks {a}");
        i += a.Length;
        return s[i..s.IndexOf(b, i, StringComparison.Ordinal)];
    }
}
