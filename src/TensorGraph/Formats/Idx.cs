using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using TensorGraph.Serialization;

namespace TensorGraph.Data;

/// <summary>
/// Reads and writes IDX files, the format of the MNIST and Fashion-MNIST distributions: a
/// big-endian header (two zero bytes, a type code, the number of dimensions, then each dimension
/// as a 32-bit integer) followed by the row-major elements. Files may be raw or gzip-compressed
/// (detected from the content, not the name). A truncated, corrupt or inconsistent file raises
/// <see cref="DataLossException"/> naming the file and the problem; nothing is ever loaded
/// partially.
/// </summary>
public static class Idx
{
    /// <summary>Magic number of an MNIST image file (unsigned bytes, 3 dimensions).</summary>
    public const int ImagesMagic = 0x0803; // 2051

    /// <summary>Magic number of an MNIST label file (unsigned bytes, 1 dimension).</summary>
    public const int LabelsMagic = 0x0801; // 2049

    private const int MaxRank = 16;

    // Chunk size for data whose size the header claims but nothing confirms (a gzip stream of unknown length).
    private const int GrowChunk = 1 << 20;

    /// <summary>Deflate's largest expansion, zlib's documented limit of 1032:1.</summary>
    private const long MaxDeflateRatio = 1032;

    // ------------------------------------------------------------------ reading

    /// <summary>
    /// Reads any IDX file into a tensor of the file's element type (uint8, int8, int16, int32,
    /// float32 or float64) and dimensions.
    /// </summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="DataLossException">The file is corrupt, truncated or has trailing data.</exception>
    public static Tensor Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ReadFile(path, expectedMagic: null, "IDX file");
    }

    /// <summary>
    /// Reads an MNIST-style image file (magic 2051): a uint8 tensor of shape [count, rows, cols].
    /// When <paramref name="expectedCount"/> is given, a different image count is an error.
    /// </summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="DataLossException">Bad magic number, truncated or corrupt file, trailing
    /// data, or an image count other than <paramref name="expectedCount"/>.</exception>
    public static Tensor ReadImages(string path, int? expectedCount = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var t = ReadFile(path, ImagesMagic, "image file");
        CheckCount(path, "image", t.Dims[0], expectedCount);
        return t;
    }

    /// <summary>
    /// Reads an MNIST-style label file (magic 2049): a uint8 tensor of shape [count].
    /// When <paramref name="expectedCount"/> is given, a different label count is an error.
    /// </summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="DataLossException">Bad magic number, truncated or corrupt file, trailing
    /// data, or a label count other than <paramref name="expectedCount"/>.</exception>
    public static Tensor ReadLabels(string path, int? expectedCount = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var t = ReadFile(path, LabelsMagic, "label file");
        CheckCount(path, "label", t.Dims[0], expectedCount);
        return t;
    }

    /// <summary>
    /// Reads an IDX stream (raw or gzip). <paramref name="name"/> is used in error messages;
    /// <paramref name="expectedMagic"/>, when given, is the required magic number.
    /// </summary>
    public static Tensor Read(Stream stream, string name, int? expectedMagic = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        long? remaining = stream.CanSeek ? stream.Length - stream.Position : null;
        return ReadStream(stream, name, expectedMagic, KindOf(expectedMagic), remaining);
    }

    private static string KindOf(int? magic) => magic switch
    {
        ImagesMagic => "image file",
        LabelsMagic => "label file",
        _ => "IDX file",
    };

    private static void CheckCount(string path, string what, int count, int? expected)
    {
        if (expected is int e && e != count)
            throw new DataLossException($"MNIST {what} file '{path}' holds {count} {what}s, expected {e}");
    }

    private static Tensor ReadFile(string path, int? expectedMagic, string kind)
    {
        FileStream fs;
        try
        {
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"IDX {kind} '{path}' does not exist", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataLossException($"Cannot open IDX {kind} '{path}': {e.Message}", e);
        }
        using (fs)
        {
            return ReadStream(fs, path, expectedMagic, kind, fs.Length);
        }
    }

    private static Tensor ReadStream(Stream raw, string name, int? expectedMagic, string kind, long? knownLength)
    {
        // Detect gzip from the first two bytes (1F 8B); a raw IDX file starts with two zeros.
        Span<byte> head = stackalloc byte[2];
        int got = raw.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        if (got < 2)
            throw new DataLossException($"{Cap(kind)} '{name}' is truncated: it has {got} byte(s), an IDX header needs at least 4");
        bool gz = head[0] == 0x1F && head[1] == 0x8B;
        Stream body = new PrefixedStream(head.ToArray(), raw);
        long? inflatedAtMost = null;
        if (gz)
        {
            body = new GZipStream(body, CompressionMode.Decompress);
            // Deflate expands at most 1032:1, so a compressed length bounds what can come out.
            if (knownLength is long compressed) inflatedAtMost = compressed * MaxDeflateRatio;
            knownLength = null;
        }
        try
        {
            using (body)
            {
                return ReadIdx(body, name, expectedMagic, kind, knownLength, gz, inflatedAtMost);
            }
        }
        catch (InvalidDataException e)
        {
            throw new DataLossException($"{Cap(kind)} '{name}' is not a valid gzip file (corrupt or truncated): {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new DataLossException($"Cannot read {kind} '{name}': {e.Message}", e);
        }
    }

    private static Tensor ReadIdx(Stream s, string name, int? expectedMagic, string kind, long? knownLength, bool gz, long? inflatedAtMost)
    {
        string what = gz ? $"{kind} '{name}' (gzip)" : $"{kind} '{name}'";
        Span<byte> h = stackalloc byte[4];
        int got = s.ReadAtLeast(h, 4, throwOnEndOfStream: false);
        if (got < 4)
            throw new DataLossException($"{Cap(what)} is truncated: it ends after {got} byte(s), inside the 4-byte magic number");
        int magic = BinaryPrimitives.ReadInt32BigEndian(h);
        if (expectedMagic is int em && magic != em)
            throw new DataLossException(
                $"{Cap(what)} has bad magic number {magic} (0x{magic:X8}); expected {em} (0x{em:X8}){WrongKindHint(magic, em)}");
        if (h[0] != 0 || h[1] != 0)
            throw new DataLossException($"{Cap(what)} is not an IDX file: bad magic number 0x{magic:X8} (must start with two zero bytes)");
        DType dtype = h[2] switch
        {
            0x08 => DType.UInt8,
            0x09 => DType.Int8,
            0x0B => DType.Int16,
            0x0C => DType.Int32,
            0x0D => DType.Float32,
            0x0E => DType.Float64,
            _ => throw new DataLossException($"{Cap(what)} has unknown IDX element type code 0x{h[2]:X2} in magic number 0x{magic:X8}"),
        };
        int rank = h[3];
        if (rank > MaxRank)
            throw new DataLossException($"{Cap(what)} declares {rank} dimensions; at most {MaxRank} are supported");
        var dimBytes = new byte[rank * 4];
        got = s.ReadAtLeast(dimBytes, dimBytes.Length, throwOnEndOfStream: false);
        if (got < dimBytes.Length)
            throw new DataLossException($"{Cap(what)} is truncated: it ends inside the header ({4 + got} of {4 + dimBytes.Length} header bytes)");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(dimBytes.AsSpan(i * 4));
            if (d > int.MaxValue)
                throw new DataLossException($"{Cap(what)} has an impossible dimension {d} at index {i}");
            dims[i] = (int)d;
            count *= d;
            if (count > Array.MaxLength)
                throw new DataLossException($"{Cap(what)} declares shape {Shape.Format(dims.AsSpan(0, i + 1))}..., too many elements to load");
        }
        int esize = dtype.Size();
        long dataBytes = count * esize;
        long headerBytes = 4 + dimBytes.Length;
        string shapeText = Shape.Format(dims);
        if (knownLength is long len && len != headerBytes + dataBytes)
        {
            if (len < headerBytes + dataBytes)
                throw new DataLossException(
                    $"{Cap(what)} is truncated: header says shape {shapeText} of {dtype.Name()} ({dataBytes} data bytes) but the file has only {len - headerBytes} data bytes");
            throw new DataLossException(
                $"{Cap(what)} has {len - headerBytes - dataBytes} unexpected byte(s) after the data of shape {shapeText} (corrupt header or wrong count)");
        }
        if (dataBytes > Array.MaxLength)
            throw new DataLossException($"{Cap(what)} declares shape {shapeText} of {dtype.Name()}, too large to load");

        Array data;
        long read;
        if (knownLength is not null || dataBytes <= GrowChunk || headerBytes + dataBytes <= inflatedAtMost)
        {
            // The size was checked against the file length, is small, or is no more than the
            // compressed file can inflate to: allocate it at once and read straight into it.
            TensorSize.CheckBudget(dtype, count, dims);
            data = Array.CreateInstance(dtype.ClrType(), (int)count);
            read = s.ReadAtLeast(AsBytes(data, dtype), (int)dataBytes, throwOnEndOfStream: false);
        }
        else
        {
            // A stream of unknown length: the header's claim is unverified, so the data is read in
            // chunks that follow what actually arrives (a lying header costs no more than the real
            // data), then copied once into the tensor's storage.
            var chunks = ReadChunks(s, dataBytes, out read);
            data = Array.Empty<byte>();
            if (read == dataBytes)
            {
                TensorSize.CheckBudget(dtype, count, dims);
                data = Array.CreateInstance(dtype.ClrType(), (int)count);
                var dst = AsBytes(data, dtype);
                foreach (var c in chunks)
                {
                    c.AsSpan(0, Math.Min(c.Length, dst.Length)).CopyTo(dst);
                    dst = dst[Math.Min(c.Length, dst.Length)..];
                }
            }
        }
        if (read < dataBytes)
            throw new DataLossException(
                $"{Cap(what)} is truncated: header says shape {shapeText} of {dtype.Name()} ({dataBytes} data bytes) but the data ends after {read} bytes");
        Span<byte> extra = stackalloc byte[1];
        if (s.Read(extra) > 0)
        {
            long more = 1;
            var buf = new byte[8192];
            int n;
            while ((n = s.Read(buf)) > 0) more += n;
            throw new DataLossException(
                $"{Cap(what)} has {more} unexpected byte(s) after the data of shape {shapeText} (corrupt header or wrong count)");
        }
        if (BitConverter.IsLittleEndian)
        {
            switch (dtype)
            {
                case DType.Int16: BinaryPrimitives.ReverseEndianness((short[])data, (short[])data); break;
                case DType.Int32: BinaryPrimitives.ReverseEndianness((int[])data, (int[])data); break;
                case DType.Float32:
                    var fi = MemoryMarshal.Cast<float, int>(((float[])data).AsSpan());
                    BinaryPrimitives.ReverseEndianness(fi, fi);
                    break;
                case DType.Float64:
                    var dl = MemoryMarshal.Cast<double, long>(((double[])data).AsSpan());
                    BinaryPrimitives.ReverseEndianness(dl, dl);
                    break;
            }
        }
        return new Tensor(dtype, data, dims, (int)count);
    }

    /// <summary>The bytes of <paramref name="data"/>, a tensor storage array of <paramref name="dtype"/>.</summary>
    private static Span<byte> AsBytes(Array data, DType dtype) => dtype switch
    {
        DType.UInt8 => (byte[])data,
        DType.Int8 => MemoryMarshal.AsBytes(((sbyte[])data).AsSpan()),
        DType.Int16 => MemoryMarshal.AsBytes(((short[])data).AsSpan()),
        DType.Int32 => MemoryMarshal.AsBytes(((int[])data).AsSpan()),
        DType.Float32 => MemoryMarshal.AsBytes(((float[])data).AsSpan()),
        _ => MemoryMarshal.AsBytes(((double[])data).AsSpan()),
    };

    // Reads up to total bytes into chunks of GrowChunk bytes (the last one shorter), so what is
    // allocated follows the data actually present.
    private static List<byte[]> ReadChunks(Stream s, long total, out long read)
    {
        var chunks = new List<byte[]>();
        read = 0;
        while (read < total)
        {
            var c = new byte[(int)Math.Min(GrowChunk, total - read)];
            int n = s.ReadAtLeast(c, c.Length, throwOnEndOfStream: false);
            read += n;
            if (n < c.Length)
            {
                if (n > 0) chunks.Add(c);
                break;
            }
            chunks.Add(c);
        }
        return chunks;
    }

    private static string WrongKindHint(int magic, int expected) => (magic, expected) switch
    {
        (LabelsMagic, ImagesMagic) => " — this looks like a label file, not an image file",
        (ImagesMagic, LabelsMagic) => " — this looks like an image file, not a label file",
        _ => "",
    };

    private static string Cap(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    // ------------------------------------------------------------------ writing

    /// <summary>
    /// Writes <paramref name="tensor"/> (uint8, int8, int16, int32, float32 or float64) as an IDX
    /// file; gzip-compressed when <paramref name="path"/> ends with <c>.gz</c>. The file is
    /// replaced atomically (temporary file, then rename): a failure leaves any previous file unchanged.
    /// </summary>
    public static void Write(string path, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensor);
        bool gzip = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        Serialization.AtomicFile.Write(path, fs =>
        {
            if (gzip)
            {
                using var gz = new GZipStream(fs, CompressionLevel.Fastest, leaveOpen: true);
                Write(gz, tensor);
            }
            else
            {
                Write(fs, tensor);
            }
        });
    }

    /// <summary>Writes <paramref name="tensor"/> as an uncompressed IDX stream.</summary>
    public static void Write(Stream stream, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensor);
        byte code = tensor.DType switch
        {
            DType.UInt8 => 0x08,
            DType.Int8 => 0x09,
            DType.Int16 => 0x0B,
            DType.Int32 => 0x0C,
            DType.Float32 => 0x0D,
            DType.Float64 => 0x0E,
            _ => throw new InvalidArgumentException($"IDX files cannot hold dtype {tensor.DType.Name()}"),
        };
        if (tensor.Rank > MaxRank)
            throw new InvalidArgumentException($"IDX files hold at most {MaxRank} dimensions, got {tensor.Rank}");
        var header = new byte[4 + 4 * tensor.Rank];
        header[2] = code;
        header[3] = (byte)tensor.Rank;
        for (int i = 0; i < tensor.Rank; i++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), tensor.Dims[i]);
        stream.Write(header);
        switch (tensor.DType)
        {
            case DType.UInt8: stream.Write(tensor.AsSpan<byte>()); break;
            case DType.Int8: stream.Write(MemoryMarshal.AsBytes(tensor.AsSpan<sbyte>())); break;
            case DType.Int16:
                var s16 = tensor.AsSpan<short>().ToArray();
                if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(s16, s16);
                stream.Write(MemoryMarshal.AsBytes(s16.AsSpan()));
                break;
            case DType.Int32:
                var s32 = tensor.AsSpan<int>().ToArray();
                if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(s32, s32);
                stream.Write(MemoryMarshal.AsBytes(s32.AsSpan()));
                break;
            case DType.Float32:
                var f32 = MemoryMarshal.Cast<float, int>(tensor.AsSpan<float>()).ToArray();
                if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(f32, f32);
                stream.Write(MemoryMarshal.AsBytes(f32.AsSpan()));
                break;
            default:
                var f64 = MemoryMarshal.Cast<double, long>(tensor.AsSpan<double>()).ToArray();
                if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(f64, f64);
                stream.Write(MemoryMarshal.AsBytes(f64.AsSpan()));
                break;
        }
    }

    /// <summary>
    /// Writes MNIST-style images (magic 2051): <paramref name="pixels"/> holds
    /// <paramref name="count"/> × <paramref name="rows"/> × <paramref name="cols"/> bytes.
    /// </summary>
    public static void WriteImages(string path, byte[] pixels, int count, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        Write(path, Tensor.Create(pixels, count, rows, cols));
    }

    /// <summary>Writes MNIST-style labels (magic 2049), one byte per example.</summary>
    public static void WriteLabels(string path, byte[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        Write(path, Tensor.Create(labels, labels.Length));
    }

    /// <summary>A read-only stream that yields a few already-read bytes, then the rest of another stream.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream inner) : ReadOnlyForwardStream
    {
        private int _pos;

        public override int Read(Span<byte> buffer)
        {
            if (_pos < prefix.Length)
            {
                int n = Math.Min(buffer.Length, prefix.Length - _pos);
                prefix.AsSpan(_pos, n).CopyTo(buffer);
                _pos += n;
                return n;
            }
            return inner.Read(buffer);
        }
    }
}
