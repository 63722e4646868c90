using System.Buffers.Binary;
using System.IO.Compression;
using TensorGraph.Data;

namespace TensorGraph.Tests.Data;

/// <summary>IDX files whose header lies about the size: the reader must fail fast, with little memory.</summary>
public class IdxTests
{
    private const long MemoryLimit = 64L << 20;

    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "tg-idx-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>An IDX header with type code <paramref name="code"/> and <paramref name="dims"/>, then <paramref name="dataBytes"/> bytes of data.</summary>
    private static byte[] Forged(byte code, int[] dims, int dataBytes)
    {
        var b = new byte[4 + 4 * dims.Length + dataBytes];
        b[2] = code;
        b[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
        for (int i = 4 + 4 * dims.Length; i < b.Length; i++) b[i] = (byte)i;
        return b;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    private static (DataLossException Error, long Allocated) Fail(Func<Tensor> read)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataLossException>(() => read())!;
        return (e, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static readonly object[] HugeHeaders =
    [
        new object[] { (byte)0x08, new[] { 60000, 28, 28, 1000 } }, // more elements than an array can hold
        new object[] { (byte)0x08, new[] { 60000, 28, 28, 40 } },   // ~1.9 GB of bytes: loadable in principle
        new object[] { (byte)0x0C, new[] { 500_000_000 } },         // 2 GB of int32
        new object[] { (byte)0x0D, new[] { 20000, 20000 } },        // 1.6 GB of float32
    ];

    [TestCaseSource(nameof(HugeHeaders))]
    public void GzipWithHugeClaimedShapeIsDataLossWithLittleMemory(byte code, int[] dims)
    {
        string p = Path.Combine(_dir, "forged.gz");
        File.WriteAllBytes(p, Gzip(Forged(code, dims, 1000)));
        var (e, allocated) = Fail(() => Idx.Read(p));
        Assert.That(e.Message, Does.Contain(p));
        Assert.That(e.Message, Does.Contain("truncated").Or.Contain("too many elements").Or.Contain("too large"));
        Assert.That(allocated, Is.LessThan(MemoryLimit));
    }

    [TestCaseSource(nameof(HugeHeaders))]
    public void RawFileWithHugeClaimedShapeIsDataLossWithLittleMemory(byte code, int[] dims)
    {
        string p = Path.Combine(_dir, "forged");
        File.WriteAllBytes(p, Forged(code, dims, 1000));
        var (e, allocated) = Fail(() => Idx.Read(p));
        Assert.That(e.Message, Does.Contain(p));
        Assert.That(e.Message, Does.Contain("truncated").Or.Contain("too many elements").Or.Contain("too large"));
        Assert.That(allocated, Is.LessThan(MemoryLimit));
    }

    [Test]
    public void StreamsWithHugeClaimedShapeAreDataLossWithLittleMemory()
    {
        var data = Forged(0x08, [60000, 28, 28, 40], 5000);
        // Seekable: the length is checked before allocating.
        var (e, allocated) = Fail(() => Idx.Read(new MemoryStream(data), "seekable"));
        Assert.That(e.Message, Does.Contain("seekable").And.Contain("truncated"));
        Assert.That(allocated, Is.LessThan(MemoryLimit));
        // Not seekable: the buffer grows only with the data.
        (e, allocated) = Fail(() => Idx.Read(new ForwardOnlyStream(data), "forward-only"));
        Assert.That(e.Message, Does.Contain("forward-only").And.Contain("truncated").And.Contain("5000 bytes"));
        Assert.That(allocated, Is.LessThan(MemoryLimit));
    }

    [Test]
    public void TruncatedLargeGzipReportsHowMuchDataArrived()
    {
        // More data than the first read buffer, so the buffer has to grow before the data ends.
        string p = Path.Combine(_dir, "big.gz");
        File.WriteAllBytes(p, Gzip(Forged(0x08, [100, 1000, 1000], 3_000_000)));
        var (e, allocated) = Fail(() => Idx.Read(p));
        Assert.That(e.Message, Does.Contain(p).And.Contain("100000000 data bytes").And.Contain("after 3000000 bytes"));
        Assert.That(allocated, Is.LessThan(MemoryLimit));
    }

    [Test]
    public void LargeGzipFilesRoundTripThroughTheGrowingBuffer()
    {
        var floats = new float[700_000];
        for (int i = 0; i < floats.Length; i++) floats[i] = i * 0.5f - 1000;
        string pf = Path.Combine(_dir, "floats.gz");
        Idx.Write(pf, Tensor.Create(floats, 700, 1000));
        var back = Idx.Read(pf);
        Assert.That(back.Dims.ToArray(), Is.EqualTo(new[] { 700, 1000 }));
        Assert.That(back.ToArray<float>(), Is.EqualTo(floats));

        var bytes = new byte[3_000_001];
        new Random(3).NextBytes(bytes);
        string pb = Path.Combine(_dir, "bytes.gz");
        Idx.Write(pb, Tensor.Create(bytes, bytes.Length));
        Assert.That(Idx.Read(pb).ToArray<byte>(), Is.EqualTo(bytes));
        using var fs = File.OpenRead(pb);
        using var z = new GZipStream(fs, CompressionMode.Decompress);
        Assert.That(Idx.Read(z, "stream").ToArray<byte>(), Is.EqualTo(bytes));
    }

    /// <summary>
    /// Reading a gzip IDX file allocates about its payload once: the compressed file's length bounds
    /// what it can inflate to, so the storage is allocated at once and filled in place. A gzip stream
    /// of unknown length is read in chunks and copied once (about twice the payload).
    /// </summary>
    [Test]
    public void GzipReadsAllocateAboutThePayload()
    {
        var floats = new float[1_000_000];
        for (int i = 0; i < floats.Length; i++) floats[i] = MathF.Sin(i) * 100;
        string p = Path.Combine(_dir, "payload.gz");
        Idx.Write(p, Tensor.Create(floats, 1000, 1000));
        long payload = floats.Length * sizeof(float);

        Idx.Read(p); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        var back = Idx.Read(p);
        long fromFile = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(back.ToArray<float>(), Is.EqualTo(floats));
        Assert.That(fromFile, Is.LessThan(payload * 1.15), "bytes allocated reading a gzip file");

        before = GC.GetAllocatedBytesForCurrentThread();
        using (var fs = File.OpenRead(p))
        using (var z = new GZipStream(fs, CompressionMode.Decompress))
            back = Idx.Read(z, "stream");
        long fromStream = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(back.ToArray<float>(), Is.EqualTo(floats));
        Assert.That(fromStream, Is.LessThan(payload * 2.15), "bytes allocated reading a gzip stream of unknown length");
    }

    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
