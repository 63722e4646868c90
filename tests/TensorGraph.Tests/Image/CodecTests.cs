using System.Buffers.Binary;

namespace TensorGraph.Tests.Image;

/// <summary>
/// EncodePng/DecodePng round trips, decoding the fixture files against their source formulas
/// and against libjpeg-turbo's decode, hostile inputs, and ReadFile/WriteFile.
/// </summary>
public class CodecTests
{
    private static Tensor Run(Func<Graph, Output> build)
    {
        var g = new Graph();
        var y = build(g);
        using var s = new Session(g);
        return s.Run(y);
    }

    private static Tensor Decode(string op, byte[] data, int channels = 0, DType dtype = DType.UInt8, bool recover = false) => Run(g =>
    {
        var c = g.Constant(Tensor.Scalar(data));
        return op switch
        {
            "png" => g.DecodePng(c, channels, dtype, name: "decode"),
            "jpeg" => g.DecodeJpeg(c, channels, tryRecoverTruncated: recover, name: "decode"),
            "gif" => g.DecodeGif(c, name: "decode"),
            _ => g.DecodeBmp(c, channels, name: "decode"),
        };
    });

    private static byte[] Encode(Tensor image, int compression = -1) =>
        Run(g => g.EncodePng(g.Constant(image), compression)).Span<byte[]>()[0];

    private static Tensor Pattern8(int h, int w, int c)
    {
        var v = new byte[h * w * c];
        for (int i = 0; i < v.Length; i++) v[i] = (byte)(i * 37 + i / 7);
        return Tensor.Create(v, h, w, c);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void PngRoundTripUint8(int channels)
    {
        var image = Pattern8(7, 5, channels);
        foreach (int level in new[] { -1, 0, 9 })
        {
            var png = Encode(image, level);
            Assert.That(png.AsSpan(0, 8).ToArray(), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
            var back = Decode("png", png);
            Assert.That(back.Dims.ToArray(), Is.EqualTo(new[] { 7, 5, channels }));
            Assert.That(back.ToArray<byte>(), Is.EqualTo(image.ToArray<byte>()), $"compression {level}");
            // tf.image.decode_png also decodes with an explicit, equal channel count.
            Assert.That(Decode("png", png, channels: channels == 2 ? 0 : channels).ToArray<byte>(), Is.EqualTo(image.ToArray<byte>()));
        }
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(4)]
    public void PngRoundTripUint16(int channels)
    {
        var v = new ushort[6 * 4 * channels];
        for (int i = 0; i < v.Length; i++) v[i] = (ushort)(i * 2731 + 17);
        var image = Tensor.Create(v, 6, 4, channels);
        var png = Encode(image);
        Assert.That(png[24], Is.EqualTo(16), "IHDR bit depth");
        var back = Decode("png", png, dtype: DType.UInt16);
        Assert.That(back.DType, Is.EqualTo(DType.UInt16));
        Assert.That(back.ToArray<ushort>(), Is.EqualTo(v));
        // As uint8: libpng's png_set_strip_16 keeps the high byte.
        Assert.That(Decode("png", png).ToArray<byte>(), Is.EqualTo(v.Select(x => (byte)(x >> 8)).ToArray()));
    }

    [Test]
    public void EightBitPngAsUint16IsWidenedBy257()
    {
        var image = Pattern8(3, 2, 3);
        var back = Decode("png", Encode(image), dtype: DType.UInt16);
        Assert.That(back.ToArray<ushort>(), Is.EqualTo(image.ToArray<byte>().Select(b => (ushort)(b * 257)).ToArray()));
    }

    [Test]
    public void PaletteWithTransparency()
    {
        var png = ImageFixtures.Bytes("palette_trns.png");
        byte[][] palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]];
        int Index(int x, int y) => (x + y) % 4;
        var rgba = Decode("png", png);
        Assert.That(rgba.Dims.ToArray(), Is.EqualTo(new[] { 3, 4, 4 }));
        var rgb = Decode("png", png, 3);
        var gray = Decode("png", png, 1);
        // TF accepts channels 0, 1, 3 and 4 only.
        Assert.That(() => Decode("png", png, 2), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("channels must be 0, 1, 3, or 4, got 2"));
        // libpng's rgb_to_gray(1, 0.299, 0.587): (9797 r + 19234 g + 3737 b) >> 15.
        byte[] grays = [76, 149, 29, 18];
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++)
            {
                int i = Index(x, y), p = y * 4 + x;
                Assert.That(rgba.ToArray<byte>()[(p * 4)..(p * 4 + 4)], Is.EqualTo(palette[i].Append(i == 3 ? (byte)0 : (byte)255).ToArray()));
                Assert.That(rgb.ToArray<byte>()[(p * 3)..(p * 3 + 3)], Is.EqualTo(palette[i]));
                Assert.That(gray.ToArray<byte>()[p], Is.EqualTo(grays[i]));
            }
    }

    [Test]
    public void SixteenBitGrayFixture()
    {
        var png = ImageFixtures.Bytes("gray16.png");
        var v = Decode("png", png, dtype: DType.UInt16);
        Assert.That(v.Dims.ToArray(), Is.EqualTo(new[] { 3, 5, 1 }));
        var expected = Enumerable.Range(0, 15).Select(p => (ushort)(4000 * (p % 5) + 17 * (p / 5) + 1)).ToArray();
        Assert.That(v.ToArray<ushort>(), Is.EqualTo(expected));
        Assert.That(Decode("png", png).ToArray<byte>(), Is.EqualTo(expected.Select(e => (byte)(e >> 8)).ToArray()));
        var rgba = Decode("png", png, 4, DType.UInt16).ToArray<ushort>();
        Assert.That(rgba[4..8], Is.EqualTo(new ushort[] { expected[1], expected[1], expected[1], 65535 }));
    }

    [Test]
    public void JpegMatchesLibjpegWithinTolerance()
    {
        var jpg = ImageFixtures.Bytes("rgb.jpg");
        var (w, h, c, reference) = ImageFixtures.Pnm("rgb_libjpeg_ifast.ppm");
        var ours = Decode("jpeg", jpg);
        Assert.That(ours.Dims.ToArray(), Is.EqualTo(new[] { h, w, c }));
        var o = ours.ToArray<byte>();
        double mean = o.Zip(reference, (a, b) => (double)Math.Abs(a - b)).Average();
        int max = o.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        TestContext.Out.WriteLine($"JPEG vs libjpeg-turbo (IFAST): mean |diff| {mean:F3}, max {max}");
        Assert.That(mean, Is.LessThan(2.0), "mean absolute difference from libjpeg-turbo");
        Assert.That(max, Is.LessThanOrEqualTo(8), "largest difference from libjpeg-turbo");
        // Also close to the encoded source: (10x, 15y, 3xy mod 256) at quality 90.
        Assert.That(Math.Abs(o[(5 * w + 7) * 3] - 70), Is.LessThanOrEqualTo(8));
        Assert.That(Math.Abs(o[(5 * w + 7) * 3 + 1] - 75), Is.LessThanOrEqualTo(8));
        // decode_png reads a JPEG too (one kernel for all formats, as TF's DecodeImageOp).
        Assert.That(Decode("png", jpg, 3).ToArray<byte>(), Is.EqualTo(o));
        // channels 1 of a color JPEG is libjpeg's luma plane: close to 0.299 r + 0.587 g + 0.114 b.
        var gray = Decode("jpeg", jpg, 1).ToArray<byte>();
        double lumaErr = Enumerable.Range(0, w * h).Average(p => Math.Abs(gray[p] - (0.299 * o[3 * p] + 0.587 * o[3 * p + 1] + 0.114 * o[3 * p + 2])));
        Assert.That(lumaErr, Is.LessThan(2.5));
    }

    [Test]
    public void GrayJpegMatchesLibjpeg()
    {
        var (w, h, _, reference) = ImageFixtures.Pnm("gray_libjpeg_ifast.pgm");
        var ours = Decode("jpeg", ImageFixtures.Bytes("gray.jpg"));
        Assert.That(ours.Dims.ToArray(), Is.EqualTo(new[] { h, w, 1 }));
        int max = ours.ToArray<byte>().Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        Assert.That(max, Is.LessThanOrEqualTo(4));
        var rgb = Decode("jpeg", ImageFixtures.Bytes("gray.jpg"), 3).ToArray<byte>();
        Assert.That(rgb[0], Is.EqualTo(rgb[1]).And.EqualTo(rgb[2]));
    }

    [Test]
    public void GifFramesAndBmp()
    {
        var gif = Decode("gif", ImageFixtures.Bytes("two_frames.gif"));
        Assert.That(gif.Dims.ToArray(), Is.EqualTo(new[] { 2, 2, 3, 3 }));
        byte[][] palette = [[0, 0, 0], [255, 255, 255], [200, 100, 50]];
        byte[] Frame(params int[] idx) => idx.SelectMany(i => palette[i]).ToArray();
        Assert.That(gif.ToArray<byte>(), Is.EqualTo(Frame(0, 1, 2, 2, 1, 0).Concat(Frame(1, 1, 1, 2, 2, 2)).ToArray()));
        Assert.That(() => Decode("png", ImageFixtures.Bytes("two_frames.gif")),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Got 2 frames, but animated gifs can only be decoded by tf.image.decode_gif"));

        var bmp = Decode("bmp", ImageFixtures.Bytes("rgb24.bmp"));
        Assert.That(bmp.Dims.ToArray(), Is.EqualTo(new[] { 3, 5, 3 }));
        var expected = Enumerable.Range(0, 15).SelectMany(p => new[] { (byte)(50 * (p % 5)), (byte)(80 * (p / 5)), (byte)(200 - 10 * (p % 5)) }).ToArray();
        Assert.That(bmp.ToArray<byte>(), Is.EqualTo(expected));
        Assert.That(Decode("bmp", ImageFixtures.Bytes("rgb24.bmp"), 4).Dims.ToArray(), Is.EqualTo(new[] { 3, 5, 4 }));
    }

    [Test]
    public void ShapesAndAttrsAsTf()
    {
        var g = new Graph();
        var c = g.Placeholder(DType.String, Shape.Scalar);
        Assert.That(g.DecodePng(c, 3).Shape, Is.EqualTo(new Shape(-1, -1, 3)));
        Assert.That(g.DecodePng(c).Shape, Is.EqualTo(new Shape(-1, -1, -1)));
        Assert.That(g.DecodeGif(c).Shape, Is.EqualTo(new Shape(-1, -1, -1, 3)));
        Assert.That(g.DecodePng(c, dtype: DType.UInt16).DType, Is.EqualTo(DType.UInt16));
        var jpeg = g.DecodeJpeg(c, 3);
        Assert.That(jpeg.Op.GetAttr("fancy_upscaling").B, Is.True);
        Assert.That(jpeg.Op.GetAttr("acceptable_fraction").F, Is.EqualTo(1f));
        Assert.That(jpeg.Op.GetAttr("dct_method").S.ToStringUtf8(), Is.EqualTo(""));
        Assert.That(() => g.DecodePng(c, 2 + 3), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("channels must be 0, 1, 3, or 4, got 5"));
        Assert.That(() => g.DecodeJpeg(c, ratio: 3), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("ratio must be 1, 2, 4, or 8, got 3"));
        Assert.That(() => g.DecodeJpeg(c, dctMethod: "FLOAT"), Throws.TypeOf<InvalidArgumentException>());
        Assert.That(() => g.EncodePng(g.Constant(Pattern8(2, 2, 3)), compression: 10), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("compression should be in [-1,9], got 10"));
        Assert.That(() => g.EncodePng(g.Constant(Tensor.Create(new byte[] { 1, 2 }, 2))), Throws.TypeOf<InvalidArgumentException>());
        Assert.That(() => Run(gg => gg.EncodePng(gg.Constant(Pattern8(2, 2, 5)))),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("image must have 1, 2, 3, or 4 channels, got 5"));
        Assert.That(() => Decode("jpeg", ImageFixtures.Bytes("rgb.jpg"), 4),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("channels must be 0, 1, or 3 for JPEG, got 4"));
        Assert.That(() => Decode("png", ImageFixtures.Bytes("rgb.jpg"), dtype: DType.UInt16),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("JPEG does not support uint16 output"));
    }

    [Test]
    public void HostileInputsAreInvalidArgumentNamingTheNode()
    {
        var random = new byte[300];
        new Random(7).NextBytes(random);
        random[0] = 0x10;
        Assert.That(() => Decode("png", random), Throws.TypeOf<InvalidArgumentException>()
            .With.Message.Contains("Expected image (JPEG, PNG, or GIF), got unknown format starting with '\\020").And.Message.Contains("[node 'decode' (DecodePng)"));
        Assert.That(() => Decode("png", []), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("got empty file"));

        var png = Encode(Pattern8(20, 20, 3));
        byte[] Corrupt(params byte[] prefix) => [.. prefix, .. random];
        // A PNG signature followed by garbage: no IHDR.
        Assert.That(() => Decode("png", Corrupt(png[..8])), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Invalid PNG header, data size 308"));
        // A truncated PNG, and one with its image data scrambled.
        foreach (int keep in new[] { 40, png.Length / 2, png.Length - 13 })
            Assert.That(() => Decode("png", png[..keep]), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains($"Invalid PNG data, size {keep}").And.Message.Contains("[node 'decode'"), $"keep {keep}");
        var scrambled = (byte[])png.Clone();
        for (int i = 45; i < scrambled.Length - 20; i++) scrambled[i] ^= 0x5A;
        Assert.That(() => Decode("png", scrambled), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Invalid PNG data"));
        Assert.That(() => Decode("png", scrambled, dtype: DType.UInt16), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Invalid PNG data"));

        // JPEG: random data after the SOI marker, and a truncated file.
        var jpg = ImageFixtures.Bytes("rgb.jpg");
        Assert.That(() => Decode("jpeg", Corrupt(0xFF, 0xD8, 0xFF)), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Invalid JPEG data or crop window, data size 303"));
        Assert.That(() => Decode("jpeg", jpg[..(jpg.Length / 2)]), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains($"Invalid JPEG data or crop window, data size {jpg.Length / 2}"));
        Assert.That(() => Decode("jpeg", jpg[..12]), Throws.TypeOf<InvalidArgumentException>());
        // With try_recover_truncated the decoder returns what it has.
        Assert.That(Decode("jpeg", jpg[..(jpg.Length - 2)], recover: true).Dims.ToArray(), Is.EqualTo(new[] { 16, 24, 3 }));

        // GIF and BMP garbage.
        Assert.That(() => Decode("gif", Corrupt([.. "GIF89a"u8, 4, 0, 4, 0])), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Invalid GIF data (size 310)"));
        Assert.That(() => Decode("bmp", Corrupt((byte)'B', (byte)'M')), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Invalid BMP data, size 302"));
        Assert.That(() => Decode("bmp", png), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Expected BMP, got PNG"));
    }

    [Test]
    public void MutatedFilesLoadOrFailWithATypedError()
    {
        // Bit flips, truncations and byte runs over every fixture (and a 16-bit and an interlace-free
        // 8-bit PNG of our own): each decode either succeeds or raises InvalidArgument/ResourceExhausted.
        var sources = new List<(string Op, byte[] Data, DType Dtype)>
        {
            ("jpeg", ImageFixtures.Bytes("rgb.jpg"), DType.UInt8),
            ("jpeg", ImageFixtures.Bytes("gray.jpg"), DType.UInt8),
            ("png", ImageFixtures.Bytes("palette_trns.png"), DType.UInt8),
            ("png", ImageFixtures.Bytes("gray16.png"), DType.UInt16),
            ("png", Encode(Pattern8(9, 7, 4)), DType.UInt8),
            ("png", Encode(Tensor.Create(Enumerable.Range(0, 60).Select(i => (ushort)(i * 999)).ToArray(), 5, 4, 3)), DType.UInt16),
            ("gif", ImageFixtures.Bytes("two_frames.gif"), DType.UInt8),
            ("bmp", ImageFixtures.Bytes("rgb24.bmp"), DType.UInt8),
        };
        var g = new Graph();
        var c = g.Placeholder(DType.String, Shape.Scalar);
        var ops = new Dictionary<(string, DType), Output>
        {
            [("jpeg", DType.UInt8)] = g.DecodeJpeg(c),
            [("png", DType.UInt8)] = g.DecodePng(c, 4),
            [("png", DType.UInt16)] = g.DecodePng(c, 0, DType.UInt16),
            [("gif", DType.UInt8)] = g.DecodeGif(c),
            [("bmp", DType.UInt8)] = g.DecodeBmp(c),
        };
        using var s = new Session(g);
        var r = new Random(11);
        int ok = 0, failed = 0;
        MemoryLimits.MaxTensorBytes = 64 << 20;
        try
        {
            for (int n = 0; n < 3000; n++)
            {
                var (op, data, dtype) = sources[n % sources.Count];
                var m = (byte[])data.Clone();
                switch (r.Next(3))
                {
                    case 0:
                        for (int k = r.Next(1, 4); k > 0; k--) m[r.Next(m.Length)] ^= (byte)(1 << r.Next(8));
                        break;
                    case 1:
                        m = m[..r.Next(1, m.Length)];
                        break;
                    default:
                        int at = r.Next(m.Length), len = Math.Min(m.Length - at, r.Next(1, 16));
                        byte v = (byte)r.Next(256);
                        for (int i = 0; i < len; i++) m[at + i] = v;
                        break;
                }
                try
                {
                    s.Run(ops[(op, dtype)], new FeedDict { [c] = Tensor.Scalar(m) });
                    ok++;
                }
                catch (Exception e) when (e is InvalidArgumentException or ResourceExhaustedException)
                {
                    failed++;
                }
            }
        }
        finally
        {
            MemoryLimits.Reset();
        }
        TestContext.Out.WriteLine($"mutated images: {ok} decoded, {failed} rejected");
        Assert.That(ok + failed, Is.EqualTo(3000));
    }

    /// <summary>A PNG whose IHDR (with a valid CRC) declares <paramref name="w"/> × <paramref name="h"/> RGBA pixels, followed by a tiny IDAT.</summary>
    private static byte[] HugePng(int w, int h, int depth = 8)
    {
        var png = Encode(Pattern8(1, 1, 4));
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), w);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), h);
        png[24] = (byte)depth;
        uint crc = Crc(png.AsSpan(12, 17));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), crc);
        return png;
    }

    private static uint Crc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFF;
    }

    [Test]
    public void HugeDeclaredDimensionsAreRefusedBeforeAllocating()
    {
        MemoryLimits.MaxTensorBytes = 1 << 20;
        try
        {
            Assert.That(() => Decode("png", HugePng(30000, 30000)), Throws.TypeOf<ResourceExhaustedException>()
                .With.Message.Contains("OOM when allocating tensor with shape[30000,30000,4]").And.Message.Contains("[node 'decode'"));
            Assert.That(() => Decode("png", HugePng(30000, 30000, 16), dtype: DType.UInt16), Throws.TypeOf<ResourceExhaustedException>());
            // JPEG: a SOF0 marker declaring 65000 × 65000.
            var jpg = ImageFixtures.Bytes("rgb.jpg");
            int sof = jpg.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xC0]);
            Assert.That(sof, Is.GreaterThan(0));
            BinaryPrimitives.WriteUInt16BigEndian(jpg.AsSpan(sof + 5), 65000);
            BinaryPrimitives.WriteUInt16BigEndian(jpg.AsSpan(sof + 7), 65000);
            Assert.That(() => Decode("jpeg", jpg), Throws.TypeOf<ResourceExhaustedException>().With.Message.Contains("shape[65000,65000,3]"));
        }
        finally
        {
            MemoryLimits.Reset();
        }
        // Within the default budget a small declared image with missing data is invalid data, not a crash.
        Assert.That(() => Decode("png", HugePng(64, 64)), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Invalid PNG data"));
        Assert.That(() => Decode("png", HugePng(64, 64, 16), dtype: DType.UInt16), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Invalid PNG data"));
    }

    [Test]
    public void ConcurrentDecodesAgree()
    {
        // tf.data's parallel map runs decoders on several threads at once.
        string[] files = ["rgb.jpg", "gray.jpg", "palette_trns.png", "gray16.png", "two_frames.gif", "rgb24.bmp"];
        var g = new Graph();
        var c = g.Placeholder(DType.String, Shape.Scalar);
        var png = g.DecodePng(c, 3);
        var gif = g.DecodeGif(c);
        var bmp = g.DecodeBmp(c);
        using var s = new Session(g);
        Output Pick(string f) => f.EndsWith(".gif", StringComparison.Ordinal) ? gif : f.EndsWith(".bmp", StringComparison.Ordinal) ? bmp : png;
        var expected = files.Select(f => s.Run(Pick(f), new FeedDict { [c] = Tensor.Scalar(ImageFixtures.Bytes(f)) }).ToArray<byte>()).ToArray();
        var bytes = files.Select(ImageFixtures.Bytes).ToArray();
        Parallel.For(0, 96, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            int k = i % files.Length;
            var got = s.Run(Pick(files[k]), new FeedDict { [c] = Tensor.Scalar(bytes[k]) }).ToArray<byte>();
            if (!got.SequenceEqual(expected[k])) throw new InvalidOperationException($"{files[k]} decoded differently on a concurrent run");
        });
    }

    [Test]
    public void ReadFileAndWriteFile()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"tg-images-{Guid.NewGuid():N}");
        try
        {
            var path = Path.Combine(dir, "sub", "image.png");
            var g = new Graph();
            var name = g.Placeholder(DType.String, Shape.Scalar, name: "filename");
            var png = g.EncodePng(g.Constant(Pattern8(4, 3, 3)));
            var write = g.WriteFile(name, png);
            var read = g.ReadFile(name, name: "read");
            var decoded = g.DecodePng(read, 3);
            using var s = new Session(g);
            s.Run([write], new FeedDict { [name] = Tensor.Scalar(path) });
            Assert.That(File.Exists(path), Is.True);
            Assert.That(s.Run(decoded, new FeedDict { [name] = Tensor.Scalar(path) }).ToArray<byte>(), Is.EqualTo(Pattern8(4, 3, 3).ToArray<byte>()));
            var missing = Path.Combine(dir, "missing.png");
            Assert.That(() => s.Run(read, new FeedDict { [name] = Tensor.Scalar(missing) }),
                Throws.TypeOf<NotFoundException>().With.Message.Contains(missing).And.Message.Contains("[node 'read' (ReadFile)"));
            Assert.That(g.ReadFile(g.Constant(Tensor.Scalar("x"))).Shape, Is.EqualTo(Shape.Scalar));
            Assert.That(() => g.ReadFile(g.Constant(new[] { "a", "b" })), Throws.TypeOf<InvalidArgumentException>());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
