using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace TensorGraph.Serialization;

/// <summary>Protobuf text format could not be parsed; carries the 1-based line and column.</summary>
public sealed class TextFormatException : TensorGraphException
{
    /// <summary>Creates a parse error at a position.</summary>
    public TextFormatException(string message, int line, int column, Exception? inner = null, string? source = null)
        : base(ErrorCode.InvalidArgument, (source is null ? "" : source + ":") + (line > 0 ? $"{line}:{column}: {message}" : message), inner)
    {
        Line = line;
        Column = column;
        Detail = message;
        SourceName = source;
    }

    /// <summary>The error without position or file name.</summary>
    public string Detail { get; }

    /// <summary>The file (or other source) that failed to parse, when known.</summary>
    public string? SourceName { get; }

    /// <summary>1-based line of the error (0 when unknown).</summary>
    public int Line { get; }

    /// <summary>1-based column of the error (0 when unknown).</summary>
    public int Column { get; }
}

/// <summary>
/// Protobuf text format (the <c>.pbtxt</c> syntax TensorFlow writes) for any Google.Protobuf
/// message: a printer in TensorFlow's style and a parser accepting the full text syntax.
/// </summary>
public static class TextFormat
{
    private const int MaxDepth = 100;

    private static readonly Lazy<TypeRegistry> Registry = new(() => TypeRegistry.FromFiles(
        Proto.GraphReflection.Descriptor, Proto.MetaGraphReflection.Descriptor, Proto.SavedModelReflection.Descriptor,
        Proto.VariableReflection.Descriptor, Proto.SaverReflection.Descriptor));

    // ------------------------------------------------------------------ printing

    /// <summary>
    /// Prints <paramref name="message"/> like TensorFlow/C++ <c>TextFormat::PrintToString</c>:
    /// two-space indentation, <c>key: value</c> lines, <c>name {</c> blocks, map entries sorted by
    /// key, enums by name, shortest round-trip floats (Python spelling, e.g. <c>5.0</c>) and C-escaped bytes.
    /// </summary>
    public static string Print(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sb = new StringBuilder();
        PrintMessage(sb, message, 0);
        return sb.ToString();
    }

    private static void PrintMessage(StringBuilder sb, IMessage message, int indent)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                var dict = (IDictionary)value;
                var keyField = field.MessageType.FindFieldByNumber(1);
                var valueField = field.MessageType.FindFieldByNumber(2);
                var entries = new List<DictionaryEntry>();
                foreach (DictionaryEntry e in dict) entries.Add(e);
                entries.Sort((a, b) => CompareKeys(a.Key, b.Key));
                foreach (var e in entries)
                {
                    Indent(sb, indent).Append(field.Name).Append(" {\n");
                    PrintField(sb, keyField, e.Key, indent + 1);
                    PrintField(sb, valueField, e.Value!, indent + 1);
                    Indent(sb, indent).Append("}\n");
                }
            }
            else if (field.IsRepeated)
            {
                foreach (var v in (IList)value) PrintField(sb, field, v!, indent);
            }
            else if (IsPresent(message, field, value))
            {
                PrintField(sb, field, value, indent);
            }
        }
    }

    private static int CompareKeys(object a, object b) => a switch
    {
        string s => string.CompareOrdinal(s, (string)b),
        bool x => x.CompareTo((bool)b),
        IComparable c => c.CompareTo(b),
        _ => 0,
    };

    private static bool IsPresent(IMessage message, FieldDescriptor field, object? value)
    {
        if (field.ContainingOneof is { } oneof && !oneof.IsSynthetic)
            return oneof.Accessor.GetCaseFieldDescriptor(message)?.FieldNumber == field.FieldNumber;
        if (field.FieldType is FieldType.Message or FieldType.Group) return value is not null;
        if (field.HasPresence) return field.Accessor.HasValue(message);
        return value switch
        {
            null => false,
            string s => s.Length != 0,
            ByteString b => !b.IsEmpty,
            bool b => b,
            float f => BitConverter.SingleToInt32Bits(f) != 0,
            double d => BitConverter.DoubleToInt64Bits(d) != 0,
            System.Enum e => Convert.ToInt64(e, CultureInfo.InvariantCulture) != 0,
            int i => i != 0,
            long l => l != 0,
            uint u => u != 0,
            ulong u => u != 0,
            _ => true,
        };
    }

    private static StringBuilder Indent(StringBuilder sb, int indent) => sb.Append(' ', indent * 2);

    private static void PrintField(StringBuilder sb, FieldDescriptor field, object value, int indent)
    {
        Indent(sb, indent).Append(field.Name);
        if (field.FieldType is FieldType.Message or FieldType.Group)
        {
            sb.Append(" {\n");
            PrintMessage(sb, (IMessage)value, indent + 1);
            Indent(sb, indent).Append("}\n");
            return;
        }
        sb.Append(": ");
        AppendScalar(sb, field, value);
        sb.Append('\n');
    }

    private static void AppendScalar(StringBuilder sb, FieldDescriptor field, object value)
    {
        switch (field.FieldType)
        {
            case FieldType.String:
                sb.Append('"').Append(Escape(Encoding.UTF8.GetBytes((string)value))).Append('"');
                break;
            case FieldType.Bytes:
                sb.Append('"').Append(Escape(((ByteString)value).Span)).Append('"');
                break;
            case FieldType.Bool:
                sb.Append((bool)value ? "true" : "false");
                break;
            case FieldType.Float:
                sb.Append(FormatFloat((float)value));
                break;
            case FieldType.Double:
                sb.Append(FormatDouble((double)value));
                break;
            case FieldType.Enum:
                int number = Convert.ToInt32(value, CultureInfo.InvariantCulture);
                var ev = field.EnumType.FindValueByNumber(number);
                sb.Append(ev is null ? number.ToString(CultureInfo.InvariantCulture) : ev.Name);
                break;
            default:
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>
    /// Shortest text that parses back to the same float, spelled as TensorFlow's Python writer
    /// does (<c>5.0</c>, <c>0.1</c>, <c>1e-05</c>, <c>inf</c>, <c>nan</c>).
    /// </summary>
    public static string FormatFloat(float f)
    {
        if (float.IsNaN(f)) return "nan";
        if (float.IsPositiveInfinity(f)) return "inf";
        if (float.IsNegativeInfinity(f)) return "-inf";
        return PythonRepr(f.ToString("R", CultureInfo.InvariantCulture));
    }

    /// <summary>Shortest text that parses back to the same double.</summary>
    public static string FormatDouble(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        return PythonRepr(d.ToString("R", CultureInfo.InvariantCulture));
    }

    // Rewrites .NET's shortest round-trip text ("5", "1E-05", "1E+16") the way Python's repr
    // (and so TensorFlow's Python text writer) spells the same digits: "5.0", "1e-05", "1e+16".
    private static string PythonRepr(string r)
    {
        bool neg = r.StartsWith('-');
        if (neg) r = r[1..];
        int exp = 0;
        int e = r.IndexOf('E', StringComparison.Ordinal);
        if (e >= 0)
        {
            exp = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }
        int dot = r.IndexOf('.', StringComparison.Ordinal);
        string digits = dot < 0 ? r : r.Remove(dot, 1);
        int point = (dot < 0 ? r.Length : dot) + exp;
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') lead++;
        digits = digits[lead..];
        point -= lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) return (neg ? "-" : "") + "0.0";
        int sci = point - 1;
        string body;
        if (sci is >= -4 and < 16)
        {
            if (point <= 0) body = "0." + new string('0', -point) + digits;
            else if (point >= digits.Length) body = digits + new string('0', point - digits.Length) + ".0";
            else body = digits[..point] + "." + digits[point..];
        }
        else
        {
            body = digits[..1] + (digits.Length > 1 ? "." + digits[1..] : "") + "e" + (sci < 0 ? "-" : "+")
                + Math.Abs(sci).ToString("00", CultureInfo.InvariantCulture);
        }
        return (neg ? "-" : "") + body;
    }

    /// <summary>C-style escaping as TensorFlow/C++ <c>CEscape</c>: <c>\n \r \t \" \' \\</c>, octal for other non-printables.</summary>
    public static string Escape(ReadOnlySpan<byte> bytes) => CEscape.Bytes(bytes);

    // ------------------------------------------------------------------ parsing

    /// <summary>Parses text format into a new <typeparamref name="T"/>.</summary>
    public static T Parse<T>(string text) where T : IMessage<T>, new()
    {
        var m = new T();
        Merge(text, m);
        return m;
    }

    /// <summary>Parses text format into a new message of the given type.</summary>
    public static IMessage Parse(string text, MessageDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var m = descriptor.Parser.ParseFrom(ByteString.Empty);
        Merge(text, m);
        return m;
    }

    /// <summary>Parses text format into <paramref name="message"/> (fields already set stay unless given again).</summary>
    public static void Merge(string text, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(message);
        var p = new Parser(text);
        p.ParseFields(message, null, 0);
        if (!p.AtEnd) throw p.Error("Expected a field name");
    }

    private enum Tok { End, Ident, Number, String, Punct }

    private sealed class Parser
    {
        private static readonly UTF8Encoding StrictUtf8 = new(false, true);
        private readonly string _s;
        private int _pos;
        private int _line = 1;
        private int _lineStart;

        // current token
        private Tok _kind;
        private string _text = "";
        private byte[]? _bytes;
        private int _tokLine;
        private int _tokCol;

        public Parser(string s)
        {
            _s = s;
            Next();
        }

        public bool AtEnd => _kind == Tok.End;

        public TextFormatException Error(string message) => new(message, _tokLine, _tokCol);

        private string Describe() => _kind switch
        {
            Tok.End => "end of input",
            Tok.String => "a string",
            _ => $"'{_text}'",
        };

        // -------------------------------------------------- lexer

        private void Next()
        {
            SkipSpaceAndComments();
            _tokLine = _line;
            _tokCol = _pos - _lineStart + 1;
            _bytes = null;
            if (_pos >= _s.Length)
            {
                _kind = Tok.End;
                _text = "";
                return;
            }
            char c = _s[_pos];
            int start = _pos;
            if (char.IsAsciiLetter(c) || c == '_')
            {
                while (_pos < _s.Length && (char.IsAsciiLetterOrDigit(_s[_pos]) || _s[_pos] == '_')) _pos++;
                _kind = Tok.Ident;
                _text = _s[start.._pos];
                return;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && _pos + 1 < _s.Length && char.IsAsciiDigit(_s[_pos + 1])))
            {
                LexNumber();
                return;
            }
            if (c is '"' or '\'')
            {
                _kind = Tok.String;
                _bytes = LexString(c);
                _text = "";
                return;
            }
            _pos++;
            _kind = Tok.Punct;
            _text = c.ToString();
            if ("{}<>[]:,;-/.".IndexOf(c, StringComparison.Ordinal) < 0)
                throw Error($"Unexpected character '{(char.IsControl(c) ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c.ToString())}'");
        }

        private void SkipSpaceAndComments()
        {
            while (_pos < _s.Length)
            {
                char c = _s[_pos];
                if (c == '\n')
                {
                    _pos++;
                    _line++;
                    _lineStart = _pos;
                }
                else if (c is ' ' or '\t' or '\r' or '\v' or '\f') _pos++;
                else if (c == '#')
                {
                    while (_pos < _s.Length && _s[_pos] != '\n') _pos++;
                }
                else break;
            }
        }

        private void LexNumber()
        {
            int start = _pos;
            if (_s[_pos] == '0' && _pos + 1 < _s.Length && (_s[_pos + 1] is 'x' or 'X'))
            {
                _pos += 2;
                while (_pos < _s.Length && char.IsAsciiHexDigit(_s[_pos])) _pos++;
                if (_pos == start + 2) throw Error("'0x' must be followed by hex digits");
            }
            else
            {
                while (_pos < _s.Length && char.IsAsciiDigit(_s[_pos])) _pos++;
                if (_pos < _s.Length && _s[_pos] == '.')
                {
                    _pos++;
                    while (_pos < _s.Length && char.IsAsciiDigit(_s[_pos])) _pos++;
                }
                if (_pos < _s.Length && (_s[_pos] is 'e' or 'E'))
                {
                    int save = _pos;
                    _pos++;
                    if (_pos < _s.Length && (_s[_pos] is '+' or '-')) _pos++;
                    if (_pos < _s.Length && char.IsAsciiDigit(_s[_pos]))
                    {
                        while (_pos < _s.Length && char.IsAsciiDigit(_s[_pos])) _pos++;
                    }
                    else
                    {
                        _pos = save;
                        throw Error("Exponent must be followed by digits");
                    }
                }
                if (_pos < _s.Length && (_s[_pos] is 'f' or 'F')) _pos++;
            }
            if (_pos < _s.Length && (char.IsAsciiLetterOrDigit(_s[_pos]) || _s[_pos] == '_'))
                throw Error($"Invalid number '{_s[start..(_pos + 1)]}'");
            _kind = Tok.Number;
            _text = _s[start.._pos];
        }

        private byte[] LexString(char quote)
        {
            var buf = new List<byte>();
            _pos++;
            Span<byte> utf8 = stackalloc byte[4];
            while (true)
            {
                if (_pos >= _s.Length || _s[_pos] == '\n') throw Error("Unterminated string literal");
                char c = _s[_pos++];
                if (c == quote) break;
                if (c != '\\')
                {
                    if (char.IsHighSurrogate(c) && _pos < _s.Length && char.IsLowSurrogate(_s[_pos]))
                    {
                        var rune = new Rune(c, _s[_pos++]);
                        int n = rune.EncodeToUtf8(utf8);
                        for (int i = 0; i < n; i++) buf.Add(utf8[i]);
                    }
                    else if (c < 0x80) buf.Add((byte)c);
                    else
                    {
                        if (!Rune.TryCreate(c, out var rune)) throw Error("Invalid character in string literal");
                        int n = rune.EncodeToUtf8(utf8);
                        for (int i = 0; i < n; i++) buf.Add(utf8[i]);
                    }
                    continue;
                }
                if (_pos >= _s.Length) throw Error("Unterminated string literal");
                char e = _s[_pos++];
                switch (e)
                {
                    case 'a': buf.Add(7); break;
                    case 'b': buf.Add(8); break;
                    case 'f': buf.Add(12); break;
                    case 'n': buf.Add(10); break;
                    case 'r': buf.Add(13); break;
                    case 't': buf.Add(9); break;
                    case 'v': buf.Add(11); break;
                    case '?': buf.Add((byte)'?'); break;
                    case '\\': buf.Add((byte)'\\'); break;
                    case '\'': buf.Add((byte)'\''); break;
                    case '"': buf.Add((byte)'"'); break;
                    case >= '0' and <= '7':
                        {
                            int v = e - '0';
                            for (int k = 0; k < 2 && _pos < _s.Length && _s[_pos] is >= '0' and <= '7'; k++) v = v * 8 + (_s[_pos++] - '0');
                            if (v > 255) throw Error("Octal escape out of range");
                            buf.Add((byte)v);
                            break;
                        }
                    case 'x' or 'X':
                        {
                            int v = 0, k = 0;
                            for (; k < 2 && _pos < _s.Length && char.IsAsciiHexDigit(_s[_pos]); k++) v = v * 16 + HexValue(_s[_pos++]);
                            if (k == 0) throw Error("'\\x' must be followed by hex digits");
                            buf.Add((byte)v);
                            break;
                        }
                    case 'u' or 'U':
                        {
                            int digits = e == 'u' ? 4 : 8;
                            if (_pos + digits > _s.Length) throw Error("Truncated unicode escape");
                            int v = 0;
                            for (int k = 0; k < digits; k++)
                            {
                                char h = _s[_pos++];
                                if (!char.IsAsciiHexDigit(h)) throw Error("Invalid unicode escape");
                                v = v * 16 + HexValue(h);
                            }
                            if (!Rune.IsValid(v)) throw Error("Invalid unicode code point in escape");
                            int n = new Rune(v).EncodeToUtf8(utf8);
                            for (int i = 0; i < n; i++) buf.Add(utf8[i]);
                            break;
                        }
                    default:
                        throw Error($"Invalid escape sequence '\\{e}' in string literal");
                }
            }
            return [.. buf];
        }

        private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

        // -------------------------------------------------- grammar

        private bool IsPunct(char c) => _kind == Tok.Punct && _text[0] == c;

        private bool TryConsume(char c)
        {
            if (!IsPunct(c)) return false;
            Next();
            return true;
        }

        private void Expect(char c)
        {
            if (!TryConsume(c)) throw Error($"Expected '{c}', found {Describe()}");
        }

        public void ParseFields(IMessage message, char? close, int depth)
        {
            if (depth > MaxDepth) throw Error("Message nesting is too deep");
            var seen = new HashSet<int>();
            while (true)
            {
                if (close is { } cl)
                {
                    if (TryConsume(cl)) return;
                    if (_kind == Tok.End) throw Error($"Expected '{cl}', found end of input");
                }
                else if (_kind == Tok.End) return;
                ParseField(message, seen, depth);
                if (!TryConsume(';')) TryConsume(',');
            }
        }

        private void ParseField(IMessage message, HashSet<int> seen, int depth)
        {
            var d = message.Descriptor;
            int line = _tokLine, col = _tokCol;
            if (IsPunct('['))
            {
                ParseAnyExpansion(message, depth, line, col);
                return;
            }
            if (_kind != Tok.Ident) throw Error($"Expected a field name, found {Describe()}");
            var name = _text;
            var field = d.FindFieldByName(name);
            if (field is null)
                throw new TextFormatException($"Message type \"{d.FullName}\" has no field named \"{name}\"", line, col);
            Next();
            if (!field.IsRepeated)
            {
                if (!seen.Add(field.FieldNumber))
                    throw new TextFormatException($"Non-repeated field \"{name}\" is specified multiple times", line, col);
                if (field.ContainingOneof is { IsSynthetic: false } oneof)
                {
                    foreach (var other in oneof.Fields)
                    {
                        if (other.FieldNumber != field.FieldNumber && seen.Contains(other.FieldNumber))
                            throw new TextFormatException($"Field \"{name}\" is specified along with field \"{other.Name}\", another member of oneof \"{oneof.Name}\"", line, col);
                    }
                }
            }
            bool isMessage = field.FieldType is FieldType.Message or FieldType.Group;
            if (isMessage)
            {
                TryConsume(':');
                if (IsPunct('['))
                {
                    if (!field.IsRepeated) throw Error($"List syntax is only allowed for repeated fields (\"{name}\")");
                    Next();
                    if (TryConsume(']')) return;
                    do ParseMessageValue(message, field, depth);
                    while (TryConsume(','));
                    Expect(']');
                    return;
                }
                ParseMessageValue(message, field, depth);
                return;
            }
            Expect(':');
            if (IsPunct('['))
            {
                if (!field.IsRepeated) throw Error($"List syntax is only allowed for repeated fields (\"{name}\")");
                Next();
                if (TryConsume(']')) return;
                do ((IList)field.Accessor.GetValue(message)).Add(ParseScalar(field));
                while (TryConsume(','));
                Expect(']');
                return;
            }
            var v = ParseScalar(field);
            if (field.IsRepeated) ((IList)field.Accessor.GetValue(message)).Add(v);
            else field.Accessor.SetValue(message, v);
        }

        private char OpenBlock()
        {
            if (TryConsume('{')) return '}';
            if (TryConsume('<')) return '>';
            throw Error($"Expected '{{' or '<', found {Describe()}");
        }

        private static IMessage NewMessage(MessageDescriptor d) => d.Parser.ParseFrom(ByteString.Empty);

        private void ParseMessageValue(IMessage message, FieldDescriptor field, int depth)
        {
            if (field.IsMap)
            {
                ParseMapEntry(message, field, depth);
                return;
            }
            char close = OpenBlock();
            if (field.IsRepeated)
            {
                var m = NewMessage(field.MessageType);
                ParseFields(m, close, depth + 1);
                ((IList)field.Accessor.GetValue(message)).Add(m);
            }
            else
            {
                var m = field.Accessor.GetValue(message) as IMessage ?? NewMessage(field.MessageType);
                ParseFields(m, close, depth + 1);
                field.Accessor.SetValue(message, m);
            }
        }

        private void ParseMapEntry(IMessage message, FieldDescriptor field, int depth)
        {
            char close = OpenBlock();
            var keyField = field.MessageType.FindFieldByNumber(1);
            var valueField = field.MessageType.FindFieldByNumber(2);
            object? key = null, value = null;
            while (!TryConsume(close))
            {
                if (_kind == Tok.End) throw Error($"Expected '{close}', found end of input");
                if (_kind != Tok.Ident) throw Error($"Expected \"key\" or \"value\", found {Describe()}");
                int line = _tokLine, col = _tokCol;
                var which = _text switch
                {
                    "key" => keyField,
                    "value" => valueField,
                    _ => throw Error($"Map entry of field \"{field.Name}\" has no field named \"{_text}\""),
                };
                if ((which == keyField ? key : value) is not null)
                    throw new TextFormatException($"Non-repeated field \"{which.Name}\" is specified multiple times", line, col);
                Next();
                if (which.FieldType is FieldType.Message)
                {
                    TryConsume(':');
                    char c2 = OpenBlock();
                    var m = NewMessage(which.MessageType);
                    ParseFields(m, c2, depth + 2);
                    value = m;
                }
                else
                {
                    Expect(':');
                    var v = ParseScalar(which);
                    if (which == keyField) key = v;
                    else value = v;
                }
                if (!TryConsume(';')) TryConsume(',');
            }
            key ??= DefaultScalar(keyField);
            value ??= valueField.FieldType is FieldType.Message ? NewMessage(valueField.MessageType) : DefaultScalar(valueField);
            ((IDictionary)field.Accessor.GetValue(message))[key] = value;
        }

        private static object DefaultScalar(FieldDescriptor f) => f.FieldType switch
        {
            FieldType.String => "",
            FieldType.Bytes => ByteString.Empty,
            FieldType.Bool => false,
            FieldType.Float => 0f,
            FieldType.Double => 0d,
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => 0,
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => 0L,
            FieldType.UInt32 or FieldType.Fixed32 => 0u,
            FieldType.UInt64 or FieldType.Fixed64 => 0UL,
            FieldType.Enum => System.Enum.ToObject(f.EnumType.ClrType, 0),
            _ => throw new InternalException($"No default for field type {f.FieldType}"),
        };

        private void ParseAnyExpansion(IMessage message, int depth, int line, int col)
        {
            Next();
            var sb = new StringBuilder();
            while (!IsPunct(']'))
            {
                if (_kind is Tok.Ident or Tok.Punct or Tok.Number) sb.Append(_text);
                else throw Error($"Expected a type URL, found {Describe()}");
                Next();
            }
            Next();
            var url = sb.ToString();
            if (message is not Any any)
                throw new TextFormatException($"Extension or Any expansion \"[{url}]\" is not supported in message type \"{message.Descriptor.FullName}\"", line, col);
            int slash = url.LastIndexOf('/');
            var typeName = slash >= 0 ? url[(slash + 1)..] : url;
            var d = Registry.Value.Find(typeName)
                ?? throw new TextFormatException($"Unknown type \"{typeName}\" in Any expansion", line, col);
            TryConsume(':');
            char close = OpenBlock();
            var inner = NewMessage(d);
            ParseFields(inner, close, depth + 1);
            any.TypeUrl = url;
            any.Value = inner.ToByteString();
        }

        // -------------------------------------------------- scalars

        private object ParseScalar(FieldDescriptor f)
        {
            switch (f.FieldType)
            {
                case FieldType.String:
                    {
                        var b = ParseStringBytes();
                        try
                        {
                            return StrictUtf8.GetString(b);
                        }
                        catch (DecoderFallbackException e)
                        {
                            throw new TextFormatException($"Field \"{f.Name}\" is a string but the value is not valid UTF-8", _tokLine, _tokCol, e);
                        }
                    }
                case FieldType.Bytes:
                    return ByteString.CopyFrom(ParseStringBytes());
                case FieldType.Bool:
                    return ParseBool();
                case FieldType.Float:
                    {
                        double d = ParseFloating();
                        return (float)d;
                    }
                case FieldType.Double:
                    return ParseFloating();
                case FieldType.Enum:
                    return ParseEnum(f);
                case FieldType.Int32:
                case FieldType.SInt32:
                case FieldType.SFixed32:
                    return (int)ParseInteger(int.MinValue, int.MaxValue);
                case FieldType.Int64:
                case FieldType.SInt64:
                case FieldType.SFixed64:
                    return (long)ParseInteger(long.MinValue, long.MaxValue);
                case FieldType.UInt32:
                case FieldType.Fixed32:
                    return (uint)ParseInteger(0, uint.MaxValue);
                case FieldType.UInt64:
                case FieldType.Fixed64:
                    return (ulong)ParseInteger(0, ulong.MaxValue);
                default:
                    throw Error($"Unsupported field type {f.FieldType}");
            }
        }

        private byte[] ParseStringBytes()
        {
            if (_kind != Tok.String) throw Error($"Expected a string, found {Describe()}");
            var first = _bytes!;
            Next();
            if (_kind != Tok.String) return first;
            var all = new List<byte>(first);
            while (_kind == Tok.String)
            {
                all.AddRange(_bytes!);
                Next();
            }
            return [.. all];
        }

        private bool ParseBool()
        {
            if (_kind == Tok.Ident)
            {
                bool? r = _text switch
                {
                    "true" or "True" or "t" => true,
                    "false" or "False" or "f" => false,
                    _ => null,
                };
                if (r is null) throw Error($"Invalid value for boolean field: {Describe()}");
                Next();
                return r.Value;
            }
            if (_kind == Tok.Number)
            {
                var v = ParseInteger(0, 1);
                return v == 1;
            }
            throw Error($"Expected a boolean, found {Describe()}");
        }

        private object ParseEnum(FieldDescriptor f)
        {
            if (_kind == Tok.Ident)
            {
                var ev = f.EnumType.FindValueByName(_text) ?? throw Error($"Unknown enumeration value \"{_text}\" for field \"{f.Name}\"");
                Next();
                return System.Enum.ToObject(f.EnumType.ClrType, ev.Number);
            }
            if (_kind == Tok.Number || IsPunct('-'))
            {
                int n = (int)ParseInteger(int.MinValue, int.MaxValue);
                return System.Enum.ToObject(f.EnumType.ClrType, n);
            }
            throw Error($"Expected an enum value, found {Describe()}");
        }

        private Int128 ParseInteger(Int128 min, Int128 max)
        {
            bool neg = TryConsume('-');
            if (_kind != Tok.Number) throw Error($"Expected an integer, found {Describe()}");
            var t = _text;
            Int128 v = 0;
            try
            {
                if (t.Length > 2 && t[0] == '0' && (t[1] is 'x' or 'X'))
                {
                    foreach (var c in t.AsSpan(2)) v = checked(v * 16 + HexValue(c));
                }
                else if (t.Length > 1 && t[0] == '0' && t.All(char.IsAsciiDigit))
                {
                    foreach (var c in t.AsSpan(1))
                    {
                        if (c > '7') throw Error($"Invalid octal integer '{t}'");
                        v = checked(v * 8 + (c - '0'));
                    }
                }
                else
                {
                    if (!t.All(char.IsAsciiDigit)) throw Error($"Expected an integer, found '{t}'");
                    foreach (var c in t) v = checked(v * 10 + (c - '0'));
                }
            }
            catch (OverflowException)
            {
                throw Error($"Integer out of range: '{t}'");
            }
            if (neg) v = -v;
            if (v < min || v > max) throw Error($"Integer out of range: '{(neg ? "-" : "")}{t}'");
            Next();
            return v;
        }

        private double ParseFloating()
        {
            bool neg = TryConsume('-');
            double v;
            if (_kind == Tok.Ident)
            {
                var lower = _text.ToLowerInvariant();
                v = lower switch
                {
                    "inf" or "infinity" => double.PositiveInfinity,
                    "nan" => double.NaN,
                    _ => throw Error($"Expected a number, found {Describe()}"),
                };
            }
            else if (_kind == Tok.Number)
            {
                var t = _text;
                if (t.Length > 1 && t[0] == '0' && (t[1] is 'x' or 'X' || t.All(char.IsAsciiDigit)))
                {
                    v = (double)ParseIntegerNoSign(t);
                }
                else
                {
                    if (t[^1] is 'f' or 'F') t = t[..^1];
                    if (!double.TryParse(t, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out v))
                        throw Error($"Invalid number '{_text}'");
                }
            }
            else throw Error($"Expected a number, found {Describe()}");
            Next();
            return neg ? -v : v;
        }

        private UInt128 ParseIntegerNoSign(string t)
        {
            UInt128 v = 0;
            try
            {
                if (t[1] is 'x' or 'X') foreach (var c in t.AsSpan(2)) v = checked(v * 16 + (uint)HexValue(c));
                else foreach (var c in t.AsSpan(1))
                    {
                        if (c > '7') throw Error($"Invalid octal integer '{t}'");
                        v = checked(v * 8 + (uint)(c - '0'));
                    }
            }
            catch (OverflowException)
            {
                throw Error($"Integer out of range: '{t}'");
            }
            return v;
        }
    }
}
