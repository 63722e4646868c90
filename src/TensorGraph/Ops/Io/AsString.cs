using System.Globalization;
using System.Text;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// AsString: each element formatted as TF's kernel formats it, with C's printf: the format is
/// <c>%</c>, then <c>fill</c> and <c>width</c> when width &gt; −1, <c>.precision</c> when
/// precision &gt; −1, then <c>d</c> for integers, and for floats <c>g</c> (shortest), <c>e</c>
/// (scientific) or <c>f</c>; bools are "true"/"false". Integers take neither precision nor
/// scientific/shortest; fill is at most one character (a printf flag: "", " ", "0", "-", "+", "#").
/// </summary>
internal sealed class AsStringSpec : OpSpec
{
    private static readonly DType[] Allowed = [DType.Int8, DType.Int16, DType.Int32, DType.Int64, DType.Float32, DType.Float64, DType.Bool];

    private static readonly IReadOnlyList<AttrSpec> AttrList =
    [
        new("T", "type", AllowedTypes: Allowed), new("precision", "int", Attr.Int(-1)), new("scientific", "bool", Attr.Bool(false)),
        new("shortest", "bool", Attr.Bool(false)), new("width", "int", Attr.Int(-1)), new("fill", "string", Attr.String("")),
    ];

    public const string OpType = "AsString";

    public override string Type => OpType;

    /// <summary>A string output carries no gradient (TF 1.15 registers AsString as not differentiable).</summary>
    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input: T"];

    protected override string[] OutputArgs => ["output: string"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, Allowed);
        bool isFloat = c.InputType(0).IsFloating();
        bool scientific = c.Attr("scientific").B, shortest = c.Attr("shortest").B;
        if (!isFloat && (scientific || shortest)) throw c.Error($"scientific and shortest format not supported for datatype {c.InputType(0).Name()}");
        if (!isFloat && c.Attr("precision").I >= 0) throw c.Error($"precision not supported for datatype {c.InputType(0).Name()}");
        var fill = c.Attr("fill").S.ToStringUtf8();
        if (fill.Length > 1) throw c.Error("Fill string must be one or fewer characters");
        if (scientific && shortest) throw c.Error("Cannot select both scientific and shortest notation");
        if (fill.Length == 1 && "0 -+#".IndexOf(fill[0], StringComparison.Ordinal) < 0)
            throw c.Error($"Fill character '{fill}' is not a printf flag (one of '0', ' ', '-', '+', '#')");
        c.AddOutput(DType.String, c.InputShape(0));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var op = b.Op;
        var f = new Format(op.GetAttr("fill").S.ToStringUtf8(), (int)op.GetAttrInt("width"), (int)op.GetAttrInt("precision"),
            op.GetAttrBool("shortest") ? 'g' : op.GetAttrBool("scientific") ? 'e' : 'f');
        return new LambdaKernel(ctx =>
        {
            var x = ctx.Input(0);
            var o = ctx.AllocateOutput(0, DType.String, x.Dims);
            var y = o.Span<byte[]>();
            for (int i = 0; i < y.Length; i++)
            {
                string s = x.DType switch
                {
                    DType.Bool => x.Span<bool>()[i] ? "true" : "false",
                    DType.Float32 => f.Real(x.Span<float>()[i]),
                    DType.Float64 => f.Real(x.Span<double>()[i]),
                    _ => f.Integer(x.GetInt64(i)),
                };
                y[i] = Encoding.UTF8.GetBytes(s);
            }
        });
    }

    /// <summary>The subset of printf that AsString's formats use.</summary>
    internal readonly record struct Format(string Fill, int Width, int Precision, char Conversion)
    {
        // The fill character is a printf flag only when a width is given (TF writes it before the width).
        private bool Left => Width > -1 && Fill == "-";
        private bool Zero => Width > -1 && Fill == "0";
        private bool Plus => Width > -1 && Fill == "+";
        private bool Space => Width > -1 && Fill == " ";
        private bool Alt => Width > -1 && Fill == "#";

        public string Integer(long v)
        {
            string digits = v < 0 ? ((ulong)(-(v + 1)) + 1UL).ToString(CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture);
            return Pad(v < 0 ? "-" : Plus ? "+" : Space ? " " : "", digits, zeroAllowed: true);
        }

        public string Real(double v)
        {
            string sign = double.IsNegative(v) && !double.IsNaN(v) ? "-" : Plus ? "+" : Space ? " " : "";
            double a = Math.Abs(v);
            if (double.IsNaN(v)) return Pad(sign, "nan", zeroAllowed: false);
            if (double.IsInfinity(v)) return Pad(sign, "inf", zeroAllowed: false);
            int p = Precision < 0 ? 6 : Precision;
            string body = Conversion switch
            {
                'f' => Fixed(a, p),
                'e' => Exponent(a, p),
                _ => General(a, p),
            };
            return Pad(sign, body, zeroAllowed: true);
        }

        private string Fixed(double a, int p)
        {
            var s = a.ToString("F" + p.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            return Alt && p == 0 ? s + "." : s;
        }

        private string Exponent(double a, int p)
        {
            // .NET's "E" is exact but writes three exponent digits; printf writes at least two.
            var s = a.ToString("E" + p.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            int e = s.IndexOf('E', StringComparison.Ordinal);
            int exp = int.Parse(s[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            string mant = s[..e];
            if (Alt && p == 0) mant += ".";
            return mant + (exp < 0 ? "e-" : "e+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }

        private string General(double a, int p)
        {
            if (p == 0) p = 1;
            int x = 0;
            if (a != 0)
            {
                // The exponent of the value as %e with p − 1 digits would print it (rounding may carry).
                var e = a.ToString("E" + (p - 1).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
                x = int.Parse(e[(e.IndexOf('E', StringComparison.Ordinal) + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            }
            string s = p > x && x >= -4 ? Fixed(a, p - 1 - x) : Exponent(a, p - 1);
            if (Alt) return s;
            int ePos = s.IndexOf('e', StringComparison.Ordinal);
            string mant = ePos < 0 ? s : s[..ePos], exp = ePos < 0 ? "" : s[ePos..];
            if (mant.Contains('.', StringComparison.Ordinal)) mant = mant.TrimEnd('0').TrimEnd('.');
            return mant + exp;
        }

        private string Pad(string sign, string body, bool zeroAllowed)
        {
            int n = sign.Length + body.Length;
            if (Width <= n) return sign + body;
            if (Left) return sign + body + new string(' ', Width - n);
            if (Zero && zeroAllowed) return sign + new string('0', Width - n) + body;
            return new string(' ', Width - n) + sign + body;
        }
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill='')</c>:
    /// an <c>AsString</c> node formatting each element as a string.
    /// </summary>
    public Output AsString(Output input, int precision = -1, bool scientific = false, bool shortest = false, int width = -1, string fill = "", string? name = null)
    {
        ArgumentNullException.ThrowIfNull(fill);
        return AddOp(AsStringSpec.OpType, [input], name, attrs:
        [
            NamedAttr("T", Attr.Type(input.DType)), NamedAttr("precision", Attr.Int(precision)), NamedAttr("scientific", Attr.Bool(scientific)),
            NamedAttr("shortest", Attr.Bool(shortest)), NamedAttr("width", Attr.Int(width)), NamedAttr("fill", Attr.String(fill)),
        ])[0];
    }
}
