using System.Text;
using System.Text.RegularExpressions;
using TensorGraph.Ops;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// TensorFlow's regular expressions are RE2's; this maps one onto a .NET <see cref="Regex"/> that
/// must match the whole string. RE2 guarantees linear time and has no backreferences or
/// lookaround, which is what .NET's non-backtracking engine offers, so that engine is used and a
/// pattern RE2 would reject is rejected here too. Where the two syntaxes differ in meaning the
/// pattern is rewritten (see <see cref="Translate"/>); RE2 script names such as <c>\p{Greek}</c>
/// are not known to .NET and are rejected as invalid patterns.
/// </summary>
internal static class Re2
{
    public static Regex FullMatch(string pattern)
    {
        try
        {
            return new Regex(@"\A(?:" + Translate(pattern) + @")\z", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new InvalidArgumentException($"Invalid pattern: {pattern}, error: {e.Message}");
        }
    }

    public static void Match(Regex regex, Tensor input, Tensor output)
    {
        var src = input.Span<byte[]>();
        var dst = output.Span<bool>();
        for (int i = 0; i < src.Length; i++) dst[i] = regex.IsMatch(Encoding.UTF8.GetString(src[i]));
    }

    /// <summary>A surrogate pair: one code point outside the BMP, which RE2 counts as one character.</summary>
    private const string Astral = @"[\uD800-\uDBFF][\uDC00-\uDFFF]";

    /// <summary>RE2's POSIX classes (ASCII), as the inside of a .NET character class.</summary>
    private static readonly Dictionary<string, string> Posix = new(StringComparer.Ordinal)
    {
        ["alnum"] = "0-9A-Za-z", ["alpha"] = "A-Za-z", ["ascii"] = @"\x00-\x7F", ["blank"] = @"\t ",
        ["cntrl"] = @"\x00-\x1F\x7F", ["digit"] = "0-9", ["graph"] = @"!-~", ["lower"] = "a-z",
        ["print"] = @" -~", ["punct"] = @"!-/:-@\[-`{-~", ["space"] = @"\t\n\v\f\r ", ["upper"] = "A-Z",
        ["word"] = "0-9A-Za-z_", ["xdigit"] = "0-9A-Fa-f",
    };

    /// <summary>Complements (within the BMP) of RE2's ASCII \d \w \s, for use inside a class.</summary>
    private static readonly Dictionary<char, string> NegatedInClass = new()
    {
        ['D'] = @"\x00-/:-\uFFFF",
        ['W'] = @"\x00-/:-@\[-\^`{-\uFFFF",
        ['S'] = @"\x00-\x08\x0B\x0E-\x1F!-\uFFFF",
    };

    /// <summary>
    /// Rewrites the RE2 constructs whose .NET spelling or meaning differs: ASCII \d \w \s and
    /// their negations (also inside classes), POSIX classes, <c>\pL</c>, <c>\x{...}</c>,
    /// <c>\Q...\E</c>, <c>(?P&lt;name&gt;</c>, <c>$</c>, and <c>.</c> / negated classes matching
    /// one code point (a surrogate pair is one character in RE2). Constructs whose meaning cannot be
    /// kept (word boundaries, which are ASCII in RE2 and Unicode in .NET) are rejected rather than
    /// answered differently.
    /// </summary>
    internal static string Translate(string p)
    {
        bool multiline = Regex.IsMatch(p, @"\(\?[a-zA-Z]*m[a-zA-Z-]*[:)]");
        bool dotAll = Regex.IsMatch(p, @"\(\?[a-zA-Z]*s[a-zA-Z-]*[:)]");
        var sb = new StringBuilder(p.Length + 16);
        bool inClass = false, negatedClass = false;
        int classStart = -1;
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            if (c == '\\' && i + 1 < p.Length)
            {
                char n = p[++i];
                if (n == 'Q')
                {
                    int end = p.IndexOf(@"\E", i + 1, StringComparison.Ordinal);
                    var quoted = end < 0 ? p[(i + 1)..] : p[(i + 1)..end];
                    foreach (char q in quoted) sb.Append(inClass && char.IsLetterOrDigit(q) ? q.ToString() : Regex.Escape(q.ToString()).Replace("]", @"\]", StringComparison.Ordinal));
                    i = end < 0 ? p.Length : end + 1;
                    continue;
                }
                if (n is 'b' or 'B')
                    throw new InvalidArgumentException(@"Word boundaries (\b, \B) are not supported: RE2's are ASCII-only and .NET's are Unicode");
                if (n is 'p' or 'P' && i + 1 < p.Length && p[i + 1] != '{')
                {
                    sb.Append('\\').Append(n).Append('{').Append(p[++i]).Append('}');
                    continue;
                }
                if (n == 'x' && i + 1 < p.Length && p[i + 1] == '{')
                {
                    int end = p.IndexOf('}', i + 2);
                    if (end < 0) throw new InvalidArgumentException($"Missing '}}' in \\x{{...}} in pattern {p}");
                    if (!int.TryParse(p.AsSpan(i + 2, end - i - 2), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out int cp)
                        || cp < 0 || cp > 0x10FFFF || cp is >= 0xD800 and <= 0xDFFF)
                        throw new InvalidArgumentException($"Invalid code point in \\x{{...}} in pattern {p}");
                    var text = char.ConvertFromUtf32(cp);
                    if (text.Length == 2 && inClass) throw new InvalidArgumentException($"Code points above U+FFFF inside a character class are not supported: {p}");
                    foreach (char u in text) sb.Append(@"\u").Append(((int)u).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
                    i = end;
                    continue;
                }
                string? r = (n, inClass) switch
                {
                    ('d', false) => "[0-9]",
                    ('D', false) => "(?:" + Astral + @"|[^0-9\uD800-\uDFFF])",
                    ('w', false) => "[0-9A-Za-z_]",
                    ('W', false) => "(?:" + Astral + @"|[^0-9A-Za-z_\uD800-\uDFFF])",
                    ('s', false) => @"[\t\n\f\r ]",
                    ('S', false) => "(?:" + Astral + @"|[^\t\n\f\r \uD800-\uDFFF])",
                    ('d', true) => "0-9",
                    ('w', true) => "0-9A-Za-z_",
                    ('s', true) => @"\t\n\f\r ",
                    ('D' or 'W' or 'S', true) => NegatedInClass[n],
                    _ => null,
                };
                if (r is null) sb.Append('\\').Append(n);
                else sb.Append(r);
                continue;
            }
            if (inClass)
            {
                if (c == '[' && i + 1 < p.Length && p[i + 1] == ':')
                {
                    int end = p.IndexOf(":]", i + 2, StringComparison.Ordinal);
                    if (end > 0)
                    {
                        var name = p[(i + 2)..end];
                        bool neg = name.StartsWith('^');
                        if (neg) name = name[1..];
                        if (!Posix.TryGetValue(name, out var set)) throw new InvalidArgumentException($"Unknown POSIX class [:{name}:] in pattern {p}");
                        if (neg) throw new InvalidArgumentException($"Negated POSIX classes ([:^{name}:]) are not supported: {p}");
                        sb.Append(set);
                        i = end + 1;
                        continue;
                    }
                }
                if (c == ']')
                {
                    inClass = false;
                    // A negated class matches a whole code point outside the BMP, as in RE2, never half of one.
                    if (negatedClass) sb.Append(@"\uD800-\uDFFF]").Insert(classStart, "(?:" + Astral + "|").Append(')');
                    else sb.Append(c);
                    continue;
                }
                sb.Append(c);
                continue;
            }
            if (c == '[')
            {
                inClass = true;
                classStart = sb.Length;
                sb.Append(c);
                negatedClass = i + 1 < p.Length && p[i + 1] == '^';
                // A ']' first in a class (after an optional '^') is a literal.
                if (negatedClass) sb.Append(p[++i]);
                if (i + 1 < p.Length && p[i + 1] == ']')
                {
                    sb.Append(@"\]");
                    i++;
                }
                continue;
            }
            if (c == '(' && string.CompareOrdinal(p, i, "(?P<", 0, 4) == 0)
            {
                sb.Append("(?<");
                i += 3;
                continue;
            }
            if (c == '$' && !multiline)
            {
                sb.Append(@"\z");
                continue;
            }
            if (c == '.')
            {
                // One code point, as in RE2: a surrogate pair counts as one character, never half of one.
                sb.Append("(?:" + Astral + (dotAll ? @"|[^\uD800-\uDFFF])" : @"|[^\n\uD800-\uDFFF])"));
                continue;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>StaticRegexFullMatch: whether each string wholly matches the RE2 pattern attr (bool, same shape).</summary>
internal sealed class StaticRegexFullMatchSpec : OpSpec
{
    private static readonly IReadOnlyList<AttrSpec> AttrList = [new("pattern", "string")];

    public const string OpType = "StaticRegexFullMatch";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input: string"];

    protected override string[] OutputArgs => ["output: bool"];

    public override IReadOnlyList<AttrSpec> Attrs => AttrList;

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.String);
        Re2.FullMatch(c.Attr("pattern").S.ToStringUtf8());
        c.AddOutput(DType.Bool, c.InputShape(0));
    }

    public override OpKernel CreateKernel(KernelBuilder b)
    {
        var regex = Re2.FullMatch(b.Op.GetAttr("pattern").S.ToStringUtf8());
        return new LambdaKernel(ctx =>
        {
            var input = ctx.Input(0);
            Re2.Match(regex, input, ctx.AllocateOutput(0, DType.Bool, input.Dims));
        });
    }
}

/// <summary>RegexFullMatch: as StaticRegexFullMatch with the pattern a scalar string input.</summary>
internal sealed class RegexFullMatchSpec : OpSpec
{
    public const string OpType = "RegexFullMatch";

    public override string Type => OpType;

    public override bool NotDifferentiable => true;

    protected override string[] InputArgs => ["input: string", "pattern: string"];

    protected override string[] OutputArgs => ["output: bool"];

    public override void Infer(InferContext c)
    {
        c.RequireType(0, DType.String);
        c.RequireType(1, DType.String);
        if (c.InputShape(1).Rank > 0) throw c.Error($"pattern must be a scalar, got shape {c.InputShape(1)}");
        c.AddOutput(DType.Bool, c.InputShape(0));
    }

    public override OpKernel CreateKernel(KernelBuilder b) => new LambdaKernel(ctx =>
    {
        var input = ctx.Input(0);
        var pattern = Encoding.UTF8.GetString(ctx.Input(1).ScalarValue<byte[]>("pattern"));
        Re2.Match(Re2.FullMatch(pattern), input, ctx.AllocateOutput(0, DType.Bool, input.Dims));
    });
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.strings.regex_full_match</c> with a constant pattern (op <c>StaticRegexFullMatch</c>):
    /// true where the whole string matches the RE2 <paramref name="pattern"/>.
    /// </summary>
    public Output StaticRegexFullMatch(Output input, string pattern, string? name = null) =>
        AddOp(StaticRegexFullMatchSpec.OpType, [input], name, StaticRegexFullMatchSpec.OpType, [NamedAttr("pattern", Attr.String(pattern))])[0];

    /// <summary>TF's <c>RegexFullMatch</c>: as <see cref="StaticRegexFullMatch"/> with the pattern a scalar string tensor.</summary>
    public Output RegexFullMatch(Output input, Output pattern, string? name = null) =>
        AddOp(RegexFullMatchSpec.OpType, [input, pattern], name, RegexFullMatchSpec.OpType)[0];
}
