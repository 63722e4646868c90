using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;
using TensorGraph.Serialization;

namespace TensorGraph;

/// <summary>
/// The image decoders, one kernel for all as TF 1.15's <c>DecodeImageOp</c>: DecodeJpeg,
/// DecodePng and DecodeGif each read whichever of JPEG, PNG and GIF the bytes hold (told apart
/// by their magic numbers), so <c>tf.image.decode_png</c> also decodes a JPEG; DecodeBmp reads
/// BMP. Pixels come from StbImageSharp (pure managed). Bad data is InvalidArgument with TF's
/// message; a declared size beyond the tensor budget is ResourceExhausted before anything is
/// allocated.
/// </summary>
internal abstract class DecodeImageSpec : OpSpec
{
    protected override string[] InputArgs => ["contents: string"];

    /// <summary>The dtype attr's value (uint8 unless DecodePng asks for uint16).</summary>
    protected virtual DType OutputType(IDictionary<string, AttrValue> attrs) => DType.UInt8;

    /// <summary>The channels attr (0 when the op has none).</summary>
    protected static int Channels(IDictionary<string, AttrValue> attrs) => attrs.TryGetValue("channels", out var c) ? (int)c.I : 0;

    /// <summary>Checks the attrs as TF's kernel constructor does.</summary>
    protected virtual void CheckAttrs(IDictionary<string, AttrValue> attrs)
    {
        int ch = Channels(attrs);
        if (ch is not (0 or 1 or 3 or 4)) throw new InvalidArgumentException($"channels must be 0, 1, 3, or 4, got {ch}");
    }

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.String);
        var s = c.InputShape(0);
        if (s.IsRankKnown && s.Rank != 0) throw c.Error($"Shape must be rank 0 but is rank {s.Rank} for contents {s}");
        CheckAttrs(c.Attrs);
        int ch = Channels(c.Attrs);
        c.AddOutput(OutputType(c.Attrs), Type == DecodeGifSpec.OpType ? new Shape(-1, -1, -1, 3) : new Shape(-1, -1, ch == 0 ? -1 : ch));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var attrs = b.Op.AttrMap;
        CheckAttrs(attrs);
        int channels = Type == DecodeGifSpec.OpType ? 3 : Channels(attrs);
        var dtype = OutputType(attrs);
        bool gifOp = Type == DecodeGifSpec.OpType, bmpOp = Type == DecodeBmpSpec.OpType;
        bool recoverTruncated = attrs.TryGetValue("try_recover_truncated", out var rt) && rt.B;
        return new LambdaKernel(ctx =>
        {
            var contents = ctx.Input(0);
            if (contents.Rank != 0) throw new InvalidArgumentException($"contents must be scalar, got shape {Shape.Format(contents.Dims)}");
            var data = contents.Span<byte[]>()[0];
            var format = ImageCodecs.Classify(data);
            if (bmpOp)
            {
                if (format != ImageFormat.Bmp) throw new InvalidArgumentException($"Expected BMP, got {FormatString(format, data)}");
                Still(ctx, data, channels, "Invalid BMP data, size", dtype);
                return;
            }
            if (format is not (ImageFormat.Jpeg or ImageFormat.Png or ImageFormat.Gif))
                throw new InvalidArgumentException($"Expected image (JPEG, PNG, or GIF), got {FormatString(format, data)}");
            if (format != ImageFormat.Png && dtype != DType.UInt8)
                throw new InvalidArgumentException($"{FormatString(format, data)} does not support uint16 output");
            switch (format)
            {
                case ImageFormat.Jpeg:
                    if (channels is not (0 or 1 or 3)) throw new InvalidArgumentException($"channels must be 0, 1, or 3 for JPEG, got {channels}");
                    // libjpeg stops at a missing end: without try_recover_truncated TF fails there.
                    if (!recoverTruncated && data.AsSpan().LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) < 0)
                        throw new InvalidArgumentException($"Invalid JPEG data or crop window, data size {data.Length}");
                    Still(ctx, data, channels, "Invalid JPEG data or crop window, data size", dtype, batch: gifOp);
                    break;
                case ImageFormat.Png:
                    Png(ctx, data, channels, dtype, gifOp);
                    break;
                default:
                    if (channels is not (0 or 3)) throw new InvalidArgumentException($"channels must be 0 or 3 for GIF, got {channels}");
                    Gif(ctx, data, gifOp);
                    break;
            }
        });
    }

    private static string FormatString(ImageFormat f, byte[] data) => f switch
    {
        ImageFormat.Png => "PNG",
        ImageFormat.Jpeg => "JPEG",
        ImageFormat.Gif => "GIF",
        ImageFormat.Bmp => "BMP",
        _ => data.Length == 0 ? "empty file" : $"unknown format starting with '{CEscape.Bytes(data.AsSpan(0, Math.Min(16, data.Length)))}'",
    };

    private static void Still(OpContext ctx, byte[] data, int channels, string invalid, DType dtype, bool batch = false)
    {
        DecodedImage img;
        try
        {
            img = ImageCodecs.Decode(data, channels);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidArgumentException($"{invalid} {data.Length}", e);
        }
        int[] dims = batch ? [1, img.Height, img.Width, img.Channels] : [img.Height, img.Width, img.Channels];
        var output = ctx.AllocateOutput(0, dtype, dims);
        img.Pixels.CopyTo(output.Span<byte>());
    }

    private static void Png(OpContext ctx, byte[] data, int channels, DType dtype, bool batch)
    {
        DecodedImage img;
        try
        {
            img = ImageCodecs.DecodePng(data, channels, dtype == DType.UInt16 ? 16 : 8);
        }
        catch (PngHeaderException e)
        {
            throw new InvalidArgumentException($"Invalid PNG header, data size {data.Length}", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidArgumentException($"Invalid PNG data, size {data.Length}", e);
        }
        int[] dims = batch ? [1, img.Height, img.Width, img.Channels] : [img.Height, img.Width, img.Channels];
        var output = ctx.AllocateOutput(0, dtype, dims);
        if (dtype == DType.UInt16) System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(img.Pixels).CopyTo(output.Span<ushort>());
        else img.Pixels.CopyTo(output.Span<byte>());
    }

    private static void Gif(OpContext ctx, byte[] data, bool gifOp)
    {
        List<DecodedImage> frames;
        try
        {
            frames = ImageCodecs.DecodeGifFrames(data);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidArgumentException($"Invalid GIF data (size {data.Length}), {e.Message}", e);
        }
        var f0 = frames[0];
        if (!gifOp && frames.Count != 1)
            throw new InvalidArgumentException($"Got {frames.Count} frames, but animated gifs can only be decoded by tf.image.decode_gif or tf.image.decode_image");
        int[] dims = gifOp ? [frames.Count, f0.Height, f0.Width, 3] : [f0.Height, f0.Width, 3];
        var output = ctx.AllocateOutput(0, DType.UInt8, dims).Span<byte>();
        int n = f0.Pixels.Length;
        for (int i = 0; i < frames.Count; i++) frames[i].Pixels.CopyTo(output.Slice(i * n, n));
    }
}

/// <summary>DecodePng (<c>tf.image.decode_png</c>): a PNG (or JPEG or GIF) to a [height, width, channels] uint8 tensor.</summary>
internal sealed class DecodePngSpec : DecodeImageSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("channels", "int", Attr.Int(0)),
        new("dtype", "type", Attr.Type(DType.UInt8), AllowedTypes: [DType.UInt8, DType.UInt16]),
    ];

    public const string OpType = "DecodePng";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] OutputArgs => ["image: dtype"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override DType OutputType(IDictionary<string, AttrValue> attrs) =>
        attrs.TryGetValue("dtype", out var d) ? DTypes.FromProto(d.Type) : DType.UInt8;

    protected override void CheckAttrs(IDictionary<string, AttrValue> attrs)
    {
        base.CheckAttrs(attrs);
        var t = OutputType(attrs);
        if (t is not (DType.UInt8 or DType.UInt16)) throw new InvalidArgumentException($"Type must be uint8 or uint16, got {t.Name()}");
    }
}

/// <summary>
/// DecodeJpeg (<c>tf.image.decode_jpeg</c>): a JPEG (or PNG or GIF) to a [height, width,
/// channels] uint8 tensor. TF's attrs are accepted and checked; only ratio 1 decodes (a
/// downscaled decode is Unimplemented), and fancy_upscaling, try_recover_truncated,
/// acceptable_fraction and dct_method do not change the decoder (StbImageSharp's own IDCT and
/// upsampling), so pixels may differ from libjpeg's by a few levels.
/// </summary>
internal sealed class DecodeJpegSpec : DecodeImageSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("channels", "int", Attr.Int(0)),
        new("ratio", "int", Attr.Int(1)),
        new("fancy_upscaling", "bool", Attr.Bool(true)),
        new("try_recover_truncated", "bool", Attr.Bool(false)),
        new("acceptable_fraction", "float", Attr.Float(1)),
        new("dct_method", "string", Attr.String("")),
    ];

    public const string OpType = "DecodeJpeg";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] OutputArgs => ["image: uint8"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override void CheckAttrs(IDictionary<string, AttrValue> attrs)
    {
        base.CheckAttrs(attrs);
        int ratio = attrs.TryGetValue("ratio", out var r) ? (int)r.I : 1;
        if (ratio is not (1 or 2 or 4 or 8)) throw new InvalidArgumentException($"ratio must be 1, 2, 4, or 8, got {ratio}");
        if (ratio != 1) throw new UnimplementedException($"DecodeJpeg with ratio {ratio} is not supported (only ratio 1)");
        var dct = attrs.TryGetValue("dct_method", out var d) ? d.S.ToStringUtf8() : "";
        if (dct is not ("" or "INTEGER_FAST" or "INTEGER_ACCURATE"))
            throw new InvalidArgumentException("dct_method must be one of {'', 'INTEGER_FAST', 'INTEGER_ACCURATE'}");
    }
}

/// <summary>DecodeGif (<c>tf.image.decode_gif</c>): every frame of a GIF, composed, as a [frames, height, width, 3] uint8 tensor.</summary>
internal sealed class DecodeGifSpec : DecodeImageSpec
{
    public const string OpType = "DecodeGif";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] OutputArgs => ["image: uint8"];

    protected override void CheckAttrs(IDictionary<string, AttrValue> attrs)
    {
    }
}

/// <summary>DecodeBmp (<c>tf.image.decode_bmp</c>): a BMP to a [height, width, channels] uint8 tensor, channels 0, 3 or 4.</summary>
internal sealed class DecodeBmpSpec : DecodeImageSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("channels", "int", Attr.Int(0))];

    public const string OpType = "DecodeBmp";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] OutputArgs => ["image: uint8"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    protected override void CheckAttrs(IDictionary<string, AttrValue> attrs)
    {
        int ch = Channels(attrs);
        if (ch is not (0 or 3 or 4)) throw new InvalidArgumentException($"channels attribute {ch} not supported");
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.image.decode_png</c>: the PNG (or JPEG, or one-frame GIF) in the string scalar
    /// <paramref name="contents"/> as a [height, width, channels] tensor; <paramref name="channels"/>
    /// 0 keeps the image's, 1/3/4 converts (libpng's rules); <paramref name="dtype"/> uint8 or uint16.
    /// </summary>
    public Output DecodePng(Output contents, int channels = 0, DType dtype = DType.UInt8, string? name = null) =>
        AddOp(DecodePngSpec.OpType, [contents], name, DecodePngSpec.OpType,
            [NamedAttr("channels", Attr.Int(channels)), NamedAttr("dtype", Attr.Type(dtype))])[0];

    /// <summary>
    /// TF's <c>tf.image.decode_jpeg</c>: the JPEG (or PNG, or one-frame GIF) in the string scalar
    /// <paramref name="contents"/> as a [height, width, channels] uint8 tensor; <paramref name="channels"/>
    /// 0 keeps the image's, 1/3 converts. The other attrs are TF's; only <paramref name="ratio"/> 1 decodes.
    /// </summary>
    public Output DecodeJpeg(Output contents, int channels = 0, int ratio = 1, bool fancyUpscaling = true,
        bool tryRecoverTruncated = false, float acceptableFraction = 1, string dctMethod = "", string? name = null) =>
        AddOp(DecodeJpegSpec.OpType, [contents], name, DecodeJpegSpec.OpType,
        [
            NamedAttr("channels", Attr.Int(channels)), NamedAttr("ratio", Attr.Int(ratio)),
            NamedAttr("fancy_upscaling", Attr.Bool(fancyUpscaling)), NamedAttr("try_recover_truncated", Attr.Bool(tryRecoverTruncated)),
            NamedAttr("acceptable_fraction", Attr.Float(acceptableFraction)), NamedAttr("dct_method", Attr.String(dctMethod)),
        ])[0];

    /// <summary>TF's <c>tf.image.decode_gif</c>: every frame of the GIF in <paramref name="contents"/> as [frames, height, width, 3] uint8.</summary>
    public Output DecodeGif(Output contents, string? name = null) =>
        AddOp(DecodeGifSpec.OpType, [contents], name, DecodeGifSpec.OpType)[0];

    /// <summary>TF's <c>tf.image.decode_bmp</c>: the BMP in <paramref name="contents"/> as [height, width, channels] uint8 (channels 0, 3 or 4).</summary>
    public Output DecodeBmp(Output contents, int channels = 0, string? name = null) =>
        AddOp(DecodeBmpSpec.OpType, [contents], name, DecodeBmpSpec.OpType, [NamedAttr("channels", Attr.Int(channels))])[0];
}
