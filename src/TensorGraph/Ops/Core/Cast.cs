using System.Numerics;
using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>Cast: converts element types (attrs SrcT, DstT, Truncate). Float → int truncates toward zero; bool ↔ number maps to 0/1.</summary>
internal sealed class CastSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList =
        [new("SrcT", "type"), new("DstT", "type"), new("Truncate", "bool", Attr.Bool(false))];

    public const string OpType = "Cast";

    public override string Type => OpType;

    /// <summary>TF 1.15's <c>_CastGrad</c>: a cast back between floating types, else no gradient.</summary>
    public override Output?[] Gradient(GradContext c)
    {
        var src = c.X.DType;
        var dst = c.Out().DType;
        return src.IsFloating() && dst.IsFloating() ? [c.Graph.Cast(c.Grad, src)] : [null];
    }

    protected override string[] InputArgs => ["x: SrcT"];

    protected override string[] OutputArgs => ["y: DstT"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        if (c.AttrType("SrcT") != c.InputType(0)) throw c.Error($"SrcT {c.AttrType("SrcT").Name()} does not match the input dtype {c.InputType(0).Name()}");
        var dst = c.AttrType("DstT");
        if ((c.InputType(0) == DType.String) != (dst == DType.String)) throw c.Error($"Cast from {c.InputType(0).Name()} to {dst.Name()} is not supported");
        c.AddOutput(dst, c.InputShape(0));
    }

    public override OpKernel CreateKernel(KernelBuilder b) =>
        new CastKernel(b.InputType(0), b.OutputType(0), b.Op.HasAttr("Truncate") && b.Op.GetAttrBool("Truncate"));

    private sealed class CastKernel(DType src, DType dst, bool truncate) : OpKernel
    {
        public override void Compute(OpContext ctx)
        {
            var x = ctx.Input(0);
            var o = ctx.AllocateOutput(0, dst, x.Dims);
            if (src == dst) { Array.Copy(x.Data, o.Data, x.Size); return; }
            if (truncate && src == DType.Float64 && dst == DType.Float32)
            {
                TruncateToFloat(x.Span<double>(), o.Span<float>());
                return;
            }
            switch (src)
            {
                case DType.Float32: From(x.Span<float>(), o); break;
                case DType.Float64: From(x.Span<double>(), o); break;
                case DType.Int32: From(x.Span<int>(), o); break;
                case DType.Int64: From(x.Span<long>(), o); break;
                case DType.Int16: From(x.Span<short>(), o); break;
                case DType.Int8: From(x.Span<sbyte>(), o); break;
                case DType.UInt8: From(x.Span<byte>(), o); break;
                case DType.UInt16: From(x.Span<ushort>(), o); break;
                case DType.Bool:
                    var bs = x.Span<bool>();
                    for (int i = 0; i < bs.Length; i++) Graph.SetFromDouble(o, i, bs[i] ? 1 : 0);
                    break;
                default: throw new UnimplementedException($"Cast from {src.Name()} is not supported");
            }
        }

        private static void From<T>(Span<T> s, Tensor o) where T : INumber<T>
        {
            switch (o.DType)
            {
                case DType.Float32: Conv(s, o.Span<float>()); break;
                case DType.Float64: Conv(s, o.Span<double>()); break;
                case DType.Int32: Conv(s, o.Span<int>()); break;
                case DType.Int64: Conv(s, o.Span<long>()); break;
                case DType.Int16: Conv(s, o.Span<short>()); break;
                case DType.Int8: Conv(s, o.Span<sbyte>()); break;
                case DType.UInt8: Conv(s, o.Span<byte>()); break;
                case DType.UInt16: Conv(s, o.Span<ushort>()); break;
                case DType.Bool:
                    var d = o.Span<bool>();
                    for (int i = 0; i < s.Length; i++) d[i] = !T.IsZero(s[i]);
                    break;
                default: throw new UnimplementedException($"Cast to {o.DType.Name()} is not supported");
            }
        }

        /// <summary>
        /// TF 1.15's <c>Truncate: true</c> for double → float (cast_op.h, <c>LSBZeroSetter</c>): the
        /// 29 mantissa bits a float lacks are cleared before the conversion, so the value is cut
        /// toward zero instead of rounded to nearest even; NaNs convert as usual. TF applies it
        /// only to narrowing float casts (double → float, and to half/bfloat16, which TensorGraph
        /// has not got); every other pair ignores the attr.
        /// </summary>
        private static void TruncateToFloat(Span<double> s, Span<float> d)
        {
            const int Bits = 52 - 23;
            for (int i = 0; i < s.Length; i++)
            {
                double v = s[i];
                if (!double.IsNaN(v)) v = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(v) & (-1L << Bits));
                d[i] = (float)v;
            }
        }

        private static void Conv<TS, TD>(Span<TS> s, Span<TD> d) where TS : INumber<TS> where TD : INumber<TD>
        {
            for (int i = 0; i < s.Length; i++) d[i] = TD.CreateTruncating(s[i]);
        }
    }
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.cast</c>: a <c>Cast</c> node, or <paramref name="x"/> itself when the dtype already matches.</summary>
    public Output Cast(Output x, DType dtype, string? name = null) => Cast(x, dtype, truncate: false, name);

    /// <summary>
    /// A <c>Cast</c> node with TF's <c>Truncate</c> attr: when true, a narrowing float cast
    /// (float64 → float32) cuts the mantissa toward zero instead of rounding to nearest even.
    /// Returns <paramref name="x"/> itself when the dtype already matches.
    /// </summary>
    public Output Cast(Output x, DType dtype, bool truncate, string? name = null)
    {
        if (x.DType == dtype) return x;
        return AddOp(CastSpec.OpType, [x], name, CastSpec.OpType, [NamedAttr("SrcT", Attr.Type(x.DType)), NamedAttr("DstT", Attr.Type(dtype)), NamedAttr("Truncate", Attr.Bool(truncate))])[0];
    }
}
