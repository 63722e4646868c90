using System.Buffers.Binary;

namespace TensorGraph.Serialization;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) as used by TensorFlow's record, table and
/// checkpoint formats, with TF's masking for CRCs that are stored next to the data they cover.
/// </summary>
public static class Crc32C
{
    private const uint Poly = 0x82F63B78u;
    private const uint MaskDelta = 0xa282ead8u;

    // Slicing-by-8 tables: Tables[k][b] is the CRC of byte b followed by k zero bytes.
    private static readonly uint[][] Tables = BuildTables();

    private static uint[][] BuildTables()
    {
        var t = new uint[8][];
        for (int k = 0; k < 8; k++) t[k] = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int j = 0; j < 8; j++) c = (c & 1) != 0 ? (c >> 1) ^ Poly : c >> 1;
            t[0][i] = c;
        }
        for (int i = 0; i < 256; i++)
            for (int k = 1; k < 8; k++) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
        return t;
    }

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Extend(0, data);

    /// <summary>The CRC-32C of the concatenation of the data that gave <paramref name="crc"/> and <paramref name="data"/>.</summary>
    public static uint Extend(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        var t0 = Tables[0];
        while (data.Length >= 8)
        {
            uint lo = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ c;
            uint hi = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            c = Tables[7][lo & 0xFF] ^ Tables[6][(lo >> 8) & 0xFF] ^ Tables[5][(lo >> 16) & 0xFF] ^ Tables[4][lo >> 24]
              ^ Tables[3][hi & 0xFF] ^ Tables[2][(hi >> 8) & 0xFF] ^ Tables[1][(hi >> 16) & 0xFF] ^ t0[hi >> 24];
            data = data[8..];
        }
        foreach (var b in data) c = t0[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    /// <summary>TF's <c>crc32c::Mask</c>: rotate right by 15 bits and add a constant.</summary>
    public static uint Mask(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + MaskDelta);

    /// <summary>Inverse of <see cref="Mask"/>.</summary>
    public static uint Unmask(uint masked)
    {
        uint rot = unchecked(masked - MaskDelta);
        return (rot >> 17) | (rot << 15);
    }

    /// <summary>The masked CRC-32C of <paramref name="data"/>.</summary>
    public static uint Masked(ReadOnlySpan<byte> data) => Mask(Compute(data));
}
