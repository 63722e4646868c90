using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace TensorGraph.Serialization;

/// <summary>
/// NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0): little-endian, C-ordered arrays of
/// float32/64, int8/16/32/64, uint8/16 and bool.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a <c>.npy</c> file into a tensor.</summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="DataLossException">The file is not a valid or complete .npy file.</exception>
    /// <exception cref="UnimplementedException">Fortran order, big-endian or an unsupported dtype.</exception>
    public static Tensor Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"File not found: '{path}'", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Decodes the bytes of a <c>.npy</c> file; <paramref name="source"/> names it in errors.</summary>
    public static Tensor Parse(ReadOnlySpan<byte> data, string source = "<bytes>")
    {
        if (data.Length < 10 || !data[..6].SequenceEqual(Magic))
            throw new DataLossException($"'{source}' is not a .npy file (bad magic string)");
        int major = data[6];
        int headerLen, headerStart;
        Encoding enc;
        switch (major)
        {
            case 1:
                headerLen = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
                headerStart = 10;
                enc = Encoding.Latin1;
                break;
            case 2:
            case 3:
                if (data.Length < 12) throw new DataLossException($"'{source}': truncated .npy header");
                uint len = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
                if (len > int.MaxValue) throw new DataLossException($"'{source}': .npy header length {len} is too large");
                headerLen = (int)len;
                headerStart = 12;
                enc = major == 2 ? Encoding.Latin1 : Encoding.UTF8;
                break;
            default:
                throw new UnimplementedException($"'{source}': .npy format version {major}.{data[7]} is not supported");
        }
        if ((long)headerStart + headerLen > data.Length)
            throw new DataLossException($"'{source}': truncated .npy header ({headerLen} bytes announced, {data.Length - headerStart} present)");
        var header = enc.GetString(data.Slice(headerStart, headerLen));
        var (descr, fortran, dims) = ParseHeader(header, source);
        if (fortran) throw new UnimplementedException($"'{source}': Fortran-ordered .npy arrays are not supported");
        var dtype = ParseDescr(descr, source);
        long count = 1;
        foreach (var d in dims)
        {
            count *= d;
            if (count > int.MaxValue) throw new DataLossException($"'{source}': array of shape ({string.Join(", ", dims)}) is too large");
        }
        var body = data[(headerStart + headerLen)..];
        long need = count * dtype.Size();
        if (body.Length != need)
            throw new DataLossException($"'{source}': .npy data has {body.Length} bytes; shape ({string.Join(", ", dims)}) of {dtype.Name()} needs {need}");
        var t = Tensor.Zeros(dtype, dims);
        switch (dtype)
        {
            case DType.Float32: MemoryMarshal.Cast<byte, float>(body).CopyTo(t.Span<float>()); break;
            case DType.Float64: MemoryMarshal.Cast<byte, double>(body).CopyTo(t.Span<double>()); break;
            case DType.Int32: MemoryMarshal.Cast<byte, int>(body).CopyTo(t.Span<int>()); break;
            case DType.Int64: MemoryMarshal.Cast<byte, long>(body).CopyTo(t.Span<long>()); break;
            case DType.Int16: MemoryMarshal.Cast<byte, short>(body).CopyTo(t.Span<short>()); break;
            case DType.UInt16: MemoryMarshal.Cast<byte, ushort>(body).CopyTo(t.Span<ushort>()); break;
            case DType.Int8: MemoryMarshal.Cast<byte, sbyte>(body).CopyTo(t.Span<sbyte>()); break;
            case DType.UInt8: body.CopyTo(t.Span<byte>()); break;
            case DType.Bool:
                var b = t.Span<bool>();
                for (int i = 0; i < b.Length; i++) b[i] = body[i] != 0;
                break;
            default: throw new InternalException($"Unhandled npy dtype {dtype}");
        }
        return t;
    }

    /// <summary>
    /// Writes <paramref name="tensor"/> as a <c>.npy</c> file, replacing it atomically (temporary
    /// file, then rename): a failure leaves any previous file unchanged.
    /// </summary>
    public static void Write(string path, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.WriteAllBytes(path, ToBytes(tensor));
    }

    /// <summary>
    /// Encodes a tensor as <c>.npy</c> bytes: format 1.0 (2.0 if the header needs it), header padded
    /// with spaces and a newline to a multiple of 64 bytes as NumPy does.
    /// </summary>
    public static byte[] ToBytes(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var descr = tensor.DType switch
        {
            DType.Float32 => "<f4",
            DType.Float64 => "<f8",
            DType.Int32 => "<i4",
            DType.Int64 => "<i8",
            DType.Int16 => "<i2",
            DType.UInt16 => "<u2",
            DType.Int8 => "|i1",
            DType.UInt8 => "|u1",
            DType.Bool => "|b1",
            _ => throw new UnimplementedException($"dtype {tensor.DType.Name()} cannot be written to .npy"),
        };
        var dims = tensor.Dims.ToArray();
        var shape = dims.Length switch
        {
            0 => "()",
            1 => $"({dims[0].ToString(CultureInfo.InvariantCulture)},)",
            _ => "(" + string.Join(", ", dims.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int major = 1;
        int prefix = 10;
        int total = prefix + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        if (padded - prefix > ushort.MaxValue)
        {
            major = 2;
            prefix = 12;
            total = prefix + dict.Length + 1;
            padded = (total + 63) / 64 * 64;
        }
        var header = dict + new string(' ', padded - total) + "\n";
        var body = TensorProtos.RawBytes(tensor);
        var result = new byte[prefix + header.Length + body.Length];
        Magic.CopyTo(result, 0);
        result[6] = (byte)major;
        result[7] = 0;
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)header.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)header.Length);
        Encoding.Latin1.GetBytes(header, result.AsSpan(prefix));
        body.CopyTo(result, prefix + header.Length);
        return result;
    }

    private static DType ParseDescr(string descr, string source)
    {
        if (descr.Length < 2) throw new DataLossException($"'{source}': invalid .npy dtype descriptor '{descr}'");
        char order = descr[0];
        var code = descr[1..];
        if (order == '>' && code is not ("i1" or "u1" or "b1"))
            throw new UnimplementedException($"'{source}': big-endian .npy data ('{descr}') is not supported");
        if (order is not ('<' or '|' or '=' or '>'))
            throw new UnimplementedException($"'{source}': unsupported .npy dtype descriptor '{descr}'");
        return code switch
        {
            "f4" => DType.Float32,
            "f8" => DType.Float64,
            "i1" => DType.Int8,
            "i2" => DType.Int16,
            "i4" => DType.Int32,
            "i8" => DType.Int64,
            "u1" => DType.UInt8,
            "u2" => DType.UInt16,
            "b1" => DType.Bool,
            _ => throw new UnimplementedException($"'{source}': .npy dtype '{descr}' is not supported"),
        };
    }

    // Parses NumPy's header: a Python dict literal with 'descr', 'fortran_order' and 'shape'.
    private static (string Descr, bool Fortran, int[] Dims) ParseHeader(string h, string source)
    {
        int p = 0;
        DataLossException Bad(string what) => new($"'{source}': malformed .npy header ({what}): {h.Trim()}");
        void Ws()
        {
            while (p < h.Length && char.IsWhiteSpace(h[p])) p++;
        }
        void Expect(char c)
        {
            Ws();
            if (p >= h.Length || h[p] != c) throw Bad($"expected '{c}'");
            p++;
        }
        bool TryChar(char c)
        {
            Ws();
            if (p < h.Length && h[p] == c)
            {
                p++;
                return true;
            }
            return false;
        }
        string Str()
        {
            Ws();
            if (p >= h.Length || h[p] is not ('\'' or '"')) throw Bad("expected a string");
            char q = h[p++];
            int s = p;
            while (p < h.Length && h[p] != q) p++;
            if (p >= h.Length) throw Bad("unterminated string");
            return h[s..p++];
        }
        string? descr = null;
        bool? fortran = null;
        int[]? dims = null;
        Expect('{');
        while (!TryChar('}'))
        {
            var key = Str();
            Expect(':');
            Ws();
            switch (key)
            {
                case "descr":
                    descr = Str();
                    break;
                case "fortran_order":
                    if (string.CompareOrdinal(h, p, "True", 0, 4) == 0) fortran = true;
                    else if (string.CompareOrdinal(h, p, "False", 0, 5) == 0) fortran = false;
                    else throw Bad("fortran_order must be True or False");
                    p += fortran.Value ? 4 : 5;
                    break;
                case "shape":
                    {
                        Expect('(');
                        var list = new List<int>();
                        while (!TryChar(')'))
                        {
                            Ws();
                            int s = p;
                            while (p < h.Length && char.IsAsciiDigit(h[p])) p++;
                            if (s == p || !int.TryParse(h.AsSpan(s, p - s), NumberStyles.None, CultureInfo.InvariantCulture, out int d))
                                throw Bad("invalid dimension");
                            list.Add(d);
                            if (!TryChar(','))
                            {
                                Expect(')');
                                break;
                            }
                        }
                        dims = [.. list];
                        break;
                    }
                default:
                    throw Bad($"unexpected key '{key}'");
            }
            if (!TryChar(','))
            {
                Expect('}');
                break;
            }
        }
        if (descr is null || fortran is null || dims is null) throw Bad("missing 'descr', 'fortran_order' or 'shape'");
        return (descr, fortran.Value, dims);
    }
}
