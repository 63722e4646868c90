using System.Buffers.Binary;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;
using TensorGraph.Serialization;

namespace TensorGraph;

/// <summary>
/// EncodePng (<c>tf.image.encode_png</c>): a [height, width, channels] uint8 or uint16 image
/// (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) as PNG bytes in a string scalar, deflated at zlib
/// level <c>compression</c> (−1 default … 9). The bytes are a valid PNG of the same pixels, not
/// byte-for-byte libpng's.
/// </summary>
internal sealed class EncodePngSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("compression", "int", Attr.Int(-1)),
        new("T", "type", Attr.Type(DType.UInt8), AllowedTypes: [DType.UInt8, DType.UInt16]),
    ];

    public const string OpType = "EncodePng";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["image: T"];

    protected override string[] OutputArgs => ["contents: string"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    private static int Compression(IDictionary<string, AttrValue> attrs)
    {
        int level = attrs.TryGetValue("compression", out var a) ? (int)a.I : -1;
        if (level < -1 || level > 9) throw new InvalidArgumentException($"compression should be in [-1,9], got {level}");
        return level;
    }

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.UInt8, DType.UInt16);
        Compression(c.Attrs);
        var s = c.InputShape(0);
        if (s.IsRankKnown && s.Rank != 3) throw c.Error($"Shape must be rank 3 but is rank {s.Rank} for image {s}");
        c.AddOutput(DType.String, Shape.Scalar);
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        int level = Compression(b.Op.AttrMap);
        return new LambdaKernel(ctx =>
        {
            var image = ctx.Input(0);
            if (image.Rank != 3) throw new InvalidArgumentException($"image must be 3-dimensional{Shape.Format(image.Dims)}");
            if (image.Size >= int.MaxValue) throw new InvalidArgumentException("image cannot have >= int32 max elements");
            int h = image.Dims[0], w = image.Dims[1], ch = image.Dims[2];
            if (ch is < 1 or > 4) throw new InvalidArgumentException($"image must have 1, 2, 3, or 4 channels, got {ch}");
            byte[] png;
            if (image.DType == DType.UInt8)
            {
                png = ImageCodecs.EncodePng(image.Span<byte>(), w, h, ch, 8, level);
            }
            else
            {
                var src = image.Span<ushort>();
                var be = new byte[checked(src.Length * 2)];
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(be.AsSpan(2 * i), src[i]);
                png = ImageCodecs.EncodePng(be, w, h, ch, 16, level);
            }
            ctx.SetOutput(0, Tensor.Scalar(png));
        }, OutputKind.External);
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.image.encode_png</c>: the [height, width, channels] uint8 or uint16
    /// <paramref name="image"/> (1–4 channels) as a PNG in a string scalar, at zlib level
    /// <paramref name="compression"/> (−1 for the default, 0–9).
    /// </summary>
    public Output EncodePng(Output image, int compression = -1, string? name = null) =>
        AddOp(EncodePngSpec.OpType, [image], name, EncodePngSpec.OpType,
            [NamedAttr("compression", Attr.Int(compression)), NamedAttr("T", Attr.Type(image.DType))])[0];
}
