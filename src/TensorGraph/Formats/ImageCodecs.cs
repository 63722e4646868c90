using System.Buffers.Binary;
using System.IO.Compression;
using StbImageSharp;

namespace TensorGraph.Serialization;

/// <summary>The container formats an encoded image may have, told apart by their first bytes (TF's <c>ClassifyFileFormat</c>).</summary>
internal enum ImageFormat
{
    /// <summary>None of the others.</summary>
    Unknown,

    /// <summary>JPEG (<c>FF D8 FF</c>).</summary>
    Jpeg,

    /// <summary>PNG (<c>89 50 4E 47 0D 0A 1A 0A</c>).</summary>
    Png,

    /// <summary>GIF (<c>GIF8</c>).</summary>
    Gif,

    /// <summary>BMP (<c>BM</c>).</summary>
    Bmp,
}

/// <summary>A PNG whose signature or IHDR is missing or invalid (TF's "Invalid PNG header").</summary>
internal sealed class PngHeaderException(string message) : IOException(message);

/// <summary>One decoded image: interleaved 8-bit samples, row-major, <see cref="Channels"/> per pixel.</summary>
internal readonly record struct DecodedImage(int Width, int Height, int Channels, byte[] Pixels);

/// <summary>
/// Image decoding with StbImageSharp (pure managed) and PNG encoding, for the image ops. Every
/// decode reads the header first and checks the declared size against the tensor budget
/// (<see cref="MemoryLimits.MaxTensorBytes"/>) before any pixel storage is allocated; any failure
/// of the decoder itself comes back as <see cref="InvalidDataException"/>, which the ops turn into
/// TF's InvalidArgument messages.
/// </summary>
internal static class ImageCodecs
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>TF's <c>ClassifyFileFormat</c> (and BMP's <c>BM</c>).</summary>
    public static ImageFormat Classify(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith(PngSignature)) return ImageFormat.Png;
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat.Jpeg;
        if (data.StartsWith("GIF8"u8)) return ImageFormat.Gif;
        if (data.StartsWith("BM"u8)) return ImageFormat.Bmp;
        return ImageFormat.Unknown;
    }

    /// <summary>The bit depth a PNG's IHDR declares (0 when the header is not there).</summary>
    public static int PngBitDepth(ReadOnlySpan<byte> data) =>
        data.Length >= 25 && data.StartsWith(PngSignature) && data[12..16].SequenceEqual("IHDR"u8) ? data[24] : 0;

    /// <summary>
    /// Decodes a still image (the first frame of a GIF) to 8-bit samples with
    /// <paramref name="channels"/> per pixel (0: as many as the image has). 16-bit PNG samples keep
    /// their high byte, as libpng's <c>png_set_strip_16</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">The data is not a complete image the decoder can read.</exception>
    /// <exception cref="ResourceExhaustedException">The declared size is beyond the tensor budget.</exception>
    public static DecodedImage Decode(byte[] data, int channels)
    {
        var info = Header(data);
        int c = channels == 0 ? (int)info.ColorComponents : channels;
        CheckBudget(info.Width, info.Height, c, frames: 1);
        ImageResult r;
        try
        {
            r = ImageResult.FromMemory(data, channels == 0 ? ColorComponents.Default : (ColorComponents)channels);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException(e.Message, e);
        }
        if (r is null || r.Data is null || r.Width != info.Width || r.Height != info.Height)
            throw new InvalidDataException("the decoder returned no image");
        int outC = (int)r.Comp;
        if ((long)r.Width * r.Height * outC != r.Data.Length) throw new InvalidDataException("the decoder returned a short image");
        return new DecodedImage(r.Width, r.Height, outC, r.Data);
    }

    /// <summary>Decodes every frame of a GIF, composed as a viewer shows them, as RGB.</summary>
    /// <exception cref="InvalidDataException">The data is not a GIF the decoder can read.</exception>
    /// <exception cref="ResourceExhaustedException">The frames together are beyond the tensor budget.</exception>
    public static List<DecodedImage> DecodeGifFrames(byte[] data)
    {
        var info = Header(data);
        CheckBudget(info.Width, info.Height, 3, frames: 1);
        var frames = new List<DecodedImage>();
        try
        {
            using var stream = new MemoryStream(data, writable: false);
            foreach (var f in ImageResult.AnimatedGifFramesFromStream(stream, ColorComponents.RedGreenBlueAlpha))
            {
                if (f.Width != info.Width || f.Height != info.Height) throw new InvalidDataException("frames of different sizes");
                CheckBudget(f.Width, f.Height, 3, frames.Count + 1);
                // Asked as RGBA (StbImageSharp lays frames out as RGBA whatever is asked): keep RGB.
                int fc = (int)f.Comp;
                if (fc < 3 || f.Data.Length != f.Width * f.Height * fc) throw new InvalidDataException("unexpected frame layout");
                var rgb = new byte[f.Width * f.Height * 3];
                for (int p = 0, q = 0; q < rgb.Length; p += fc, q += 3)
                {
                    rgb[q] = f.Data[p];
                    rgb[q + 1] = f.Data[p + 1];
                    rgb[q + 2] = f.Data[p + 2];
                }
                frames.Add(new DecodedImage(f.Width, f.Height, 3, rgb));
            }
        }
        catch (Exception e) when (e is not (OutOfMemoryException or ResourceExhaustedException or InvalidDataException))
        {
            throw new InvalidDataException(e.Message, e);
        }
        if (frames.Count == 0) throw new InvalidDataException("the GIF has no frames");
        return frames;
    }

    /// <summary>
    /// Decodes a PNG as TF 1.15's <c>png::CommonInitDecode</c> does: <paramref name="channels"/> 0
    /// means the image's own count (gray 1, gray+alpha 2, RGB 3, RGBA 4; a palette gives RGB, or
    /// RGBA when it has transparency); an even count wants alpha (from the alpha channel, from tRNS,
    /// or opaque), an odd count drops it; color to gray is libpng's <c>png_set_rgb_to_gray(1,
    /// 0.299, 0.587)</c> in fixed point, gray to color replicates. 16-bit samples come back as
    /// they are for <paramref name="bits"/> 16 and keep their high byte for 8; 8-bit (and lower)
    /// samples are widened by ×257 for 16. Samples are native-endian, 1 or 2 bytes each.
    /// </summary>
    public static DecodedImage DecodePng(byte[] data, int channels, int bits)
    {
        var h = PngHeader.Read(data);
        int auto = h.ColorType switch { 0 => 1, 2 => 3, 3 => h.HasTrns ? 4 : 3, 4 => 2, _ => 4 };
        int want = channels == 0 ? auto : channels;
        CheckBudget(h.Width, h.Height, want * (bits / 8), frames: 1);
        ushort[] src;
        int srcC;
        if (h.BitDepth == 16)
        {
            (src, srcC) = Png16.Decode(data, h);
        }
        else
        {
            var img = Decode(data, 0);
            srcC = img.Channels;
            src = new ushort[img.Pixels.Length];
            for (int i = 0; i < src.Length; i++) src[i] = img.Pixels[i];
        }
        int max = h.BitDepth == 16 ? 65535 : 255;
        var samples = Convert(src, srcC, want, h.Width * h.Height, max);
        byte[] pixels;
        if (bits == 8)
        {
            pixels = new byte[samples.Length];
            for (int i = 0; i < samples.Length; i++) pixels[i] = (byte)(h.BitDepth == 16 ? samples[i] >> 8 : samples[i]);
        }
        else
        {
            pixels = new byte[samples.Length * 2];
            var dst = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(pixels.AsSpan());
            for (int i = 0; i < samples.Length; i++) dst[i] = h.BitDepth == 16 ? samples[i] : (ushort)(samples[i] * 257);
        }
        return new DecodedImage(h.Width, h.Height, want, pixels);
    }

    /// <summary>libpng's channel conversions (see <see cref="DecodePng"/>) from <paramref name="srcC"/> to <paramref name="want"/> samples per pixel.</summary>
    private static ushort[] Convert(ushort[] src, int srcC, int want, int pixels, int max)
    {
        if (srcC == want) return src;
        var dst = new ushort[(long)pixels * want];
        bool srcColor = srcC >= 3, srcAlpha = srcC is 2 or 4, wantColor = want >= 3, wantAlpha = want is 2 or 4;
        for (int p = 0, s = 0, d = 0; p < pixels; p++, s += srcC, d += want)
        {
            if (wantColor)
            {
                if (srcColor)
                {
                    dst[d] = src[s];
                    dst[d + 1] = src[s + 1];
                    dst[d + 2] = src[s + 2];
                }
                else
                {
                    dst[d] = dst[d + 1] = dst[d + 2] = src[s];
                }
            }
            else if (srcColor)
            {
                int r = src[s], g = src[s + 1], b = src[s + 2];
                dst[d] = r == g && r == b ? (ushort)r : (ushort)((9797 * r + 19234 * g + 3737 * b) >> 15);
            }
            else
            {
                dst[d] = src[s];
            }
            if (wantAlpha) dst[d + want - 1] = srcAlpha ? src[s + srcC - 1] : (ushort)max;
        }
        return dst;
    }

    /// <summary>What a PNG's IHDR says, and whether it has a tRNS chunk.</summary>
    private readonly record struct PngHeader(int Width, int Height, int BitDepth, int ColorType, int Interlace, bool HasTrns)
    {
        public static PngHeader Read(byte[] data)
        {
            var d = data.AsSpan();
            if (d.Length < 33 || !d.StartsWith(PngSignature) || !d[12..16].SequenceEqual("IHDR"u8) || BinaryPrimitives.ReadInt32BigEndian(d[8..]) != 13)
                throw new PngHeaderException("not a PNG header");
            int w = BinaryPrimitives.ReadInt32BigEndian(d[16..]), h = BinaryPrimitives.ReadInt32BigEndian(d[20..]);
            int depth = d[24], type = d[25], interlace = d[28];
            if (w <= 0 || h <= 0) throw new PngHeaderException("invalid dimensions");
            bool ok = type switch
            {
                0 => depth is 1 or 2 or 4 or 8 or 16,
                3 => depth is 1 or 2 or 4 or 8,
                2 or 4 or 6 => depth is 8 or 16,
                _ => false,
            };
            if (!ok || interlace > 1 || d[26] != 0 || d[27] != 0) throw new PngHeaderException("invalid IHDR");
            bool trns = false;
            foreach (var (t, _) in Png16.Chunks(data))
                if (t == "tRNS") trns = true;
            return new PngHeader(w, h, depth, type, interlace, trns);
        }
    }

    /// <summary>A PNG reader for 16-bit images (which StbImageSharp's public API reads only as 8-bit).</summary>
    private static class Png16
    {
        /// <summary>The chunks after the signature (type, data), stopping at IEND; a chunk that runs past the end or has a bad CRC is an error.</summary>
        public static IEnumerable<(string Type, ArraySegment<byte> Data)> Chunks(byte[] data)
        {
            int pos = 8;
            while (true)
            {
                if (pos + 12 > data.Length) throw new InvalidDataException("truncated PNG");
                long len = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(pos));
                if (len > data.Length - pos - 12) throw new InvalidDataException("truncated PNG chunk");
                var type = System.Text.Encoding.ASCII.GetString(data, pos + 4, 4);
                var body = new ArraySegment<byte>(data, pos + 8, (int)len);
                uint crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, data.AsSpan(pos + 4, 4)), body) ^ 0xFFFFFFFFu;
                if (crc != BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(pos + 8 + (int)len))) throw new InvalidDataException($"bad CRC in chunk {type}");
                yield return (type, body);
                if (type == "IEND") yield break;
                pos += 12 + (int)len;
            }
        }

        /// <summary>The samples (gray 1, gray+alpha 2, RGB 3, RGBA 4 per pixel; tRNS as alpha) of a 16-bit PNG.</summary>
        public static (ushort[] Samples, int Channels) Decode(byte[] data, PngHeader h)
        {
            int c = h.ColorType switch { 0 => 1, 2 => 3, 4 => 2, _ => 4 };
            ushort[]? trns = null;
            var idat = new MemoryStream();
            foreach (var (t, body) in Chunks(data))
            {
                if (t == "IDAT") idat.Write(body);
                else if (t == "tRNS" && h.ColorType is 0 or 2 && body.Count == c * 2)
                {
                    trns = new ushort[c];
                    for (int i = 0; i < c; i++) trns[i] = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(2 * i));
                }
            }
            int bpp = c * 2;
            long total = 0;
            var passes = h.Interlace == 1 ? Adam7 : [(0, 0, 1, 1)];
            foreach (var (x0, y0, dx, dy) in passes)
            {
                long pw = (h.Width - x0 + dx - 1) / dx, ph = (h.Height - y0 + dy - 1) / dy;
                if (pw > 0 && ph > 0) total += ph * (1 + pw * bpp);
            }
            if (total > Array.MaxLength) throw new InvalidDataException("PNG too large");
            var raw = new byte[total];
            idat.Position = 0;
            try
            {
                using var z = new ZLibStream(idat, CompressionMode.Decompress);
                z.ReadExactly(raw);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException("bad or short image data: " + e.Message, e);
            }
            int outC = trns is null ? c : c + 1;
            var samples = new ushort[(long)h.Width * h.Height * outC];
            int off = 0;
            foreach (var (x0, y0, dx, dy) in passes)
            {
                int pw = (h.Width - x0 + dx - 1) / dx, ph = (h.Height - y0 + dy - 1) / dy;
                if (pw <= 0 || ph <= 0) continue;
                int stride = pw * bpp;
                var prev = new byte[stride];
                var cur = new byte[stride];
                for (int y = 0; y < ph; y++)
                {
                    int f = raw[off];
                    Array.Copy(raw, off + 1, cur, 0, stride);
                    off += 1 + stride;
                    Unfilter(f, cur, prev, bpp);
                    for (int x = 0; x < pw; x++)
                    {
                        long o = ((long)(y0 + y * dy) * h.Width + x0 + x * dx) * outC;
                        bool opaque = false;
                        for (int k = 0; k < c; k++)
                        {
                            ushort v = BinaryPrimitives.ReadUInt16BigEndian(cur.AsSpan(x * bpp + 2 * k));
                            samples[o + k] = v;
                            if (trns is not null && v != trns[k]) opaque = true;
                        }
                        if (trns is not null) samples[o + c] = opaque ? (ushort)65535 : (ushort)0;
                    }
                    (prev, cur) = (cur, prev);
                }
            }
            return (samples, outC);
        }

        private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
            [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

        private static void Unfilter(int filter, byte[] cur, byte[] prev, int bpp)
        {
            for (int i = 0; i < cur.Length; i++)
            {
                int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                int p = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) >> 1,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"bad filter type {filter}"),
                };
                cur[i] = (byte)(cur[i] + p);
            }
        }
    }

    private static ImageInfo Header(byte[] data)
    {
        ImageInfo? info;
        try
        {
            using var stream = new MemoryStream(data, writable: false);
            info = ImageInfo.FromStream(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException(e.Message, e);
        }
        if (info is not { } i || i.Width <= 0 || i.Height <= 0) throw new InvalidDataException("no image header");
        return i;
    }

    private static void CheckBudget(int width, int height, int channels, int frames)
    {
        ReadOnlySpan<int> dims = frames == 1 ? [height, width, channels] : [frames, height, width, channels];
        TensorSize.CheckBudget(DType.UInt8, TensorSize.Elements(dims), dims);
    }

    /// <summary>
    /// A PNG of <paramref name="height"/> × <paramref name="width"/> pixels with
    /// <paramref name="channels"/> (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) samples of
    /// <paramref name="bitDepth"/> 8 or 16 bits (16-bit samples big-endian, as PNG stores them),
    /// each row filtered with the filter of least absolute sum (libpng's heuristic) and deflated at
    /// zlib <paramref name="level"/> −1 (default), 0 (none) … 9 (smallest).
    /// </summary>
    public static byte[] EncodePng(ReadOnlySpan<byte> samples, int width, int height, int channels, int bitDepth, int level)
    {
        int bpp = channels * bitDepth / 8;
        int stride = width * bpp;
        if ((long)stride * height != samples.Length) throw new ArgumentException("sample count does not match the image size", nameof(samples));
        var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevelOf(level), leaveOpen: true))
        {
            var prev = new byte[stride];
            var best = new byte[stride + 1];
            var trial = new byte[stride + 1];
            for (int y = 0; y < height; y++)
            {
                var row = samples.Slice(y * stride, stride);
                long bestSum = long.MaxValue;
                for (int f = 0; f < 5; f++)
                {
                    trial[0] = (byte)f;
                    long sum = 0;
                    for (int i = 0; i < stride; i++)
                    {
                        int a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                        int p = f switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) >> 1, _ => Paeth(a, b, c) };
                        byte v = (byte)(row[i] - p);
                        trial[i + 1] = v;
                        sum += v < 128 ? v : 256 - v;
                    }
                    if (sum < bestSum)
                    {
                        bestSum = sum;
                        trial.CopyTo(best, 0);
                    }
                    if (level == 0) break;
                }
                z.Write(best);
                row.CopyTo(prev);
            }
        }
        var png = new MemoryStream();
        png.Write(PngSignature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 };
        ihdr[10] = ihdr[11] = ihdr[12] = 0;
        Chunk(png, "IHDR"u8, ihdr);
        Chunk(png, "IDAT"u8, raw.GetBuffer().AsSpan(0, (int)raw.Length));
        Chunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static CompressionLevel CompressionLevelOf(int level) => level switch
    {
        0 => CompressionLevel.NoCompression,
        1 or 2 or 3 => CompressionLevel.Fastest,
        7 or 8 or 9 => CompressionLevel.SmallestSize,
        _ => CompressionLevel.Optimal,
    };

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void Chunk(Stream s, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        s.Write(type);
        s.Write(data);
        uint crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, type), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(len, crc);
        s.Write(len);
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320).</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = Build();

        private static uint[] Build()
        {
            var t = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                t[n] = c;
            }
            return t;
        }

        public static uint Update(uint crc, ReadOnlySpan<byte> data)
        {
            foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }
    }
}
