using System.Text;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

/// <summary>CRC32C, masking, varints and the snappy decoder.</summary>
public class FormatTests
{
    [Test]
    public void Crc32C_MatchesTensorFlowVectors()
    {
        var zeros = new byte[32];
        var ones = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        var up = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var down = Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(Crc32C.Compute(zeros), Is.EqualTo(0x8A9136AAu));
            Assert.That(Crc32C.Compute(ones), Is.EqualTo(0x62A8AB43u));
            Assert.That(Crc32C.Compute(up), Is.EqualTo(0x46DD794Eu));
            Assert.That(Crc32C.Compute(down), Is.EqualTo(0x113FDB5Cu));
            Assert.That(Crc32C.Compute("123456789"u8), Is.EqualTo(0xE3069283u));
            Assert.That(Crc32C.Compute([]), Is.EqualTo(0u));
        });
    }

    [Test]
    public void Crc32C_ExtendEqualsWholeAndSlicingMatchesBytewise()
    {
        var rnd = new Random(7);
        var data = new byte[1000];
        rnd.NextBytes(data);
        for (int split = 0; split <= 40; split += 3)
            Assert.That(Crc32C.Extend(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)), Is.EqualTo(Crc32C.Compute(data)));
        // Bytewise reference.
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        }
        Assert.That(Crc32C.Compute(data), Is.EqualTo(~c));
    }

    [Test]
    public void Crc32C_MaskRoundTripsAndDiffers()
    {
        foreach (var v in new uint[] { 0, 1, 0x8A9136AA, 0xFFFFFFFF, 0x12345678 })
        {
            Assert.That(Crc32C.Unmask(Crc32C.Mask(v)), Is.EqualTo(v));
            Assert.That(Crc32C.Mask(v), Is.Not.EqualTo(v));
        }
        // tf-formats §3.2 worked example: the first record of an event file.
        byte[] data = [0x09, 0, 0, 0, 0xc0, 0x0b, 0x5a, 0xd6, 0x41, 0x1a, 0x0d, .. Encoding.ASCII.GetBytes("brain.Event:2")];
        Assert.That(Crc32C.Masked(data), Is.EqualTo(0x64a4a94cu));
        Assert.That(Crc32C.Masked(new byte[] { 0x18, 0, 0, 0, 0, 0, 0, 0 }), Is.EqualTo(0x224b7fa3u));
    }

    [Test]
    public void Varint_RoundTripsAndRejectsOverlong()
    {
        var buf = new byte[10];
        foreach (var v in new ulong[] { 0, 1, 127, 128, 300, uint.MaxValue, ulong.MaxValue })
        {
            int n = Varint.Encode(buf, v);
            int pos = 0;
            Assert.That(Varint.TryRead64(buf.AsSpan(0, n), ref pos, out var back), Is.True);
            Assert.That(back, Is.EqualTo(v));
            Assert.That(pos, Is.EqualTo(n));
        }
        int p = 0;
        Assert.That(Varint.TryRead64(new byte[] { 0x80, 0x80 }, ref p, out _), Is.False, "truncated");
        Assert.That(Varint.TryRead64(Enumerable.Repeat((byte)0xFF, 11).ToArray(), ref p, out _), Is.False, "overlong");
        Assert.That(Varint.TryRead32(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x1F }, ref p, out _), Is.False, "over 32 bits");
    }

    [Test]
    public void Snappy_DecodesLiteralsAndCopies()
    {
        // "abc" literal, then a 1-byte-offset copy of 9 bytes at offset 3.
        Assert.That(Encoding.ASCII.GetString(Snappy.Decompress([0x0c, 0x08, (byte)'a', (byte)'b', (byte)'c', 0x15, 0x03])), Is.EqualTo("abcabcabcabc"));
        // Literal "ab" then a 2-byte-offset copy of 6 (overlapping) bytes at offset 2.
        Assert.That(Encoding.ASCII.GetString(Snappy.Decompress([0x08, 0x04, (byte)'a', (byte)'b', 0x16, 0x02, 0x00])), Is.EqualTo("abababab"));
        // 4-byte-offset copy.
        Assert.That(Encoding.ASCII.GetString(Snappy.Decompress([0x04, 0x00, (byte)'z', 0x0b, 0x01, 0, 0, 0])), Is.EqualTo("zzzz"));
        // Long literal (length in one extra byte).
        var text = new string('q', 70) + "end";
        var block = new List<byte> { 73, 60 << 2, 72 };
        block.AddRange(Encoding.ASCII.GetBytes(text));
        Assert.That(Encoding.ASCII.GetString(Snappy.Decompress(block.ToArray())), Is.EqualTo(text));
        Assert.That(Snappy.Decompress([0x00]), Is.Empty);
    }

    [TestCase(new byte[] { }, TestName = "Snappy_Malformed_Empty")]
    [TestCase(new byte[] { 0x05, 0x08, 0x61 }, TestName = "Snappy_Malformed_TruncatedLiteral")]
    [TestCase(new byte[] { 0x04, 0x15, 0x03 }, TestName = "Snappy_Malformed_CopyBeforeData")]
    [TestCase(new byte[] { 0x08, 0x00, 0x61, 0x15, 0x00 }, TestName = "Snappy_Malformed_ZeroOffset")]
    [TestCase(new byte[] { 0x02, 0x08, 0x61, 0x62, 0x63 }, TestName = "Snappy_Malformed_LongerThanDeclared")]
    [TestCase(new byte[] { 0x05, 0x00, 0x61 }, TestName = "Snappy_Malformed_ShorterThanDeclared")]
    [TestCase(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00 }, TestName = "Snappy_Malformed_HugeLength")]
    [TestCase(new byte[] { 0x80, 0x80 }, TestName = "Snappy_Malformed_BadHeader")]
    [TestCase(new byte[] { 0x10, 0x04, 0x61, 0x62, 0x16 }, TestName = "Snappy_Malformed_TruncatedCopy")]
    public void Snappy_MalformedInputRaisesDataLoss(byte[] block) =>
        Assert.Throws<DataLossException>(() => Snappy.Decompress(block));

    [Test]
    public void Snappy_DecodesTheCompressedFixtureIndexBlock()
    {
        var prefix = CheckpointFixtures.Tf("serving/servables/tensorflow/testdata/saved_model_half_plus_two_cpu/00000123/variables/variables.index");
        var file = File.ReadAllBytes(prefix);
        // The first data block starts at 0; find its handle through the index block.
        var entries = TableReader.ReadAll(file, "fixture");
        Assert.That(entries.Select(e => Encoding.UTF8.GetString(e.Key)), Is.EqualTo(new[] { "", "a", "a2", "b", "c", "c2" }));
        // The block really is compressed: its trailer type byte is 1.
        int footer = file.Length - 48;
        int pos = footer;
        Varint.TryRead64(file, ref pos, out _);
        Varint.TryRead64(file, ref pos, out _);
        Varint.TryRead64(file, ref pos, out var indexOff);
        Varint.TryRead64(file, ref pos, out var indexSize);
        var indexEntries = TableReader.ParseBlock(file.AsSpan((int)indexOff, (int)indexSize).ToArray(), "index", (long)indexOff);
        int hp = 0;
        Varint.TryRead64(indexEntries[0].Value, ref hp, out var dataOff);
        Varint.TryRead64(indexEntries[0].Value, ref hp, out var dataSize);
        Assert.That(file[(int)(dataOff + dataSize)], Is.EqualTo(1), "compression type byte of the data block");
    }
}
