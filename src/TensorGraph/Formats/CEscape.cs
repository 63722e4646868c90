using System.Text;

namespace TensorGraph.Serialization;

/// <summary>
/// C-style escaping as TensorFlow/C++ <c>CEscape</c>: <c>\n \r \t \" \' \\</c>, three-digit octal
/// for the other bytes below 0x20 or from 0x7F. Used by the text format and by the messages that
/// print string tensors (<c>Assert</c>).
/// </summary>
internal static class CEscape
{
    /// <summary>The escaped form of <paramref name="bytes"/>.</summary>
    public static string Bytes(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            switch (b)
            {
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\'': sb.Append("\\'"); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                default:
                    if (b < 0x20 || b >= 0x7F)
                    {
                        sb.Append('\\').Append((char)('0' + (b >> 6))).Append((char)('0' + ((b >> 3) & 7))).Append((char)('0' + (b & 7)));
                    }
                    else sb.Append((char)b);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>The escaped form of <paramref name="s"/>'s UTF-8 bytes.</summary>
    public static string Utf8(string s) => Bytes(Encoding.UTF8.GetBytes(s));
}
