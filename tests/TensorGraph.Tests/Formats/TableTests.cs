using System.Text;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

/// <summary>The LevelDB-style table writer and reader.</summary>
public class TableTests
{
    [Test]
    public void ManyEntries_SpanSeveralBlocksAndRoundTrip()
    {
        var ms = new MemoryStream();
        var w = new TableWriter(ms);
        var keys = Enumerable.Range(0, 6000).Select(i => "layer/" + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        foreach (var k in keys) w.Add(Encoding.UTF8.GetBytes(k), Encoding.UTF8.GetBytes(new string('v', 90) + k));
        w.Finish();
        var bytes = ms.ToArray();
        Assert.That(bytes.Length, Is.GreaterThan(2 * 262144), "more than two data blocks");
        var back = TableReader.ReadAll(bytes, "mem");
        Assert.That(back.Select(e => Encoding.UTF8.GetString(e.Key)), Is.EqualTo(keys));
        Assert.That(Encoding.UTF8.GetString(back[4321].Value), Is.EqualTo(new string('v', 90) + keys[4321]));
    }

    [Test]
    public void EmptyTable_HasTheDocumentedMetaindexBytes()
    {
        var ms = new MemoryStream();
        new TableWriter(ms).Finish();
        var b = ms.ToArray();
        // Empty metaindex block (one restart at 0) and its trailer, as in tf-formats §4.2.
        Assert.That(b.AsSpan(0, 13).ToArray(), Is.EqualTo(new byte[] { 0, 0, 0, 0, 1, 0, 0, 0, 0x00, 0xc0, 0xf2, 0xa1, 0xb0 }));
        Assert.That(b.AsSpan(b.Length - 8).ToArray(), Is.EqualTo(new byte[] { 0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb }));
        Assert.That(TableReader.ReadAll(b, "mem"), Is.Empty);
    }

    [Test]
    public void KeysOutOfOrder_AreRejected()
    {
        var w = new TableWriter(new MemoryStream());
        w.Add("b"u8, []);
        Assert.Throws<InvalidArgumentException>(() => w.Add("a"u8, []));
        Assert.Throws<InvalidArgumentException>(() => w.Add("b"u8, []));
    }

    [Test]
    public void BadMagicAndShortFile_AreDataLoss()
    {
        Assert.Throws<DataLossException>(() => TableReader.ReadAll(new byte[10], "short"));
        Assert.Throws<DataLossException>(() => TableReader.ReadAll(new byte[100], "zeros"));
    }

    [Test]
    public void HeaderAndEntry_MatchTfBytes()
    {
        // BundleHeaderProto{num_shards: 1, version{producer: 1}} = 08 01 1a 02 08 01 (tf-formats §4.3).
        using var dir = CheckpointFixtures.Temp();
        using (var w = new CheckpointWriter(dir["c"]))
        {
            w.Add("x", new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
            w.Finish();
        }
        var entries = TableReader.ReadAll(dir["c.index"]);
        Assert.That(entries[0].Key, Is.Empty);
        Assert.That(entries[0].Value, Is.EqualTo(new byte[] { 0x08, 0x01, 0x1a, 0x02, 0x08, 0x01 }));
        // BundleEntryProto of float [2,3] {1..6} at offset 0 (tf-formats §4.5), masked crc included.
        Assert.That(entries[1].Value, Is.EqualTo(new byte[] { 0x08, 0x01, 0x12, 0x08, 0x12, 0x02, 0x08, 0x02, 0x12, 0x02, 0x08, 0x03, 0x28, 0x18, 0x35, 0x7a, 0xeb, 0xf5, 0xab }));
    }
}
