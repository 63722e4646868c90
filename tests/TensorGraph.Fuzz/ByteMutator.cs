using System.Buffers.Binary;

namespace TensorGraph.Fuzz;

/// <summary>
/// Format-blind mutations of a byte string: bit flips, random bytes, chunk insert / delete /
/// duplicate, interesting integers written at fixed-width or varint positions, truncation and
/// splicing with a second input. All choices come from the given <see cref="Rng"/>.
/// </summary>
internal static class ByteMutator
{
    /// <summary>TF readers' favourite overflow points: 0, ±1, byte/short edges, INT32 and INT64 limits.</summary>
    public static readonly long[] InterestingIntegers =
    [
        0, 1, -1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
        int.MaxValue, 1L << 31, uint.MaxValue, 1L << 32, int.MinValue,
        long.MaxValue, long.MinValue, long.MaxValue - 1, 1L << 40, 1L << 53, 1L << 62, -2, 1_000_000_000,
    ];

    public static long Interesting(Rng rng) =>
        rng.OneIn(4) ? InterestingIntegers[rng.Next(InterestingIntegers.Length)] + rng.Range(-2, 2) : InterestingIntegers[rng.Next(InterestingIntegers.Length)];

    /// <summary>Applies one to <paramref name="maxStack"/> random mutations; <paramref name="other"/> is the splice partner.</summary>
    public static byte[] Mutate(byte[] input, Rng rng, byte[]? other, int maxStack = 4)
    {
        var data = new List<byte>(input);
        int n = 1 + rng.Next(maxStack);
        for (int i = 0; i < n; i++) MutateOnce(data, rng, other);
        return [.. data];
    }

    private static void MutateOnce(List<byte> d, Rng rng, byte[]? other)
    {
        int choice = rng.Next(13);
        if (d.Count == 0 && choice is not (4 or 11)) choice = 4;
        switch (choice)
        {
            case 0: // bit flip
                {
                    int p = rng.Next(d.Count);
                    d[p] ^= (byte)(1 << rng.Next(8));
                    break;
                }
            case 1: // random byte
                d[rng.Next(d.Count)] = (byte)rng.Next(256);
                break;
            case 2: // small add/subtract
                {
                    int p = rng.Next(d.Count);
                    d[p] = (byte)(d[p] + rng.Range(-16, 16));
                    break;
                }
            case 3: // delete a chunk
                {
                    int len = rng.SmallLength(d.Count);
                    d.RemoveRange(rng.Next(d.Count - len + 1), len);
                    break;
                }
            case 4: // insert random bytes
                {
                    int len = rng.SmallLength(64);
                    var chunk = new byte[len];
                    for (int i = 0; i < len; i++) chunk[i] = rng.OneIn(2) ? (byte)0 : (byte)rng.Next(256);
                    d.InsertRange(rng.Next(d.Count + 1), chunk);
                    break;
                }
            case 5: // duplicate a chunk (repeated fields, repeated records)
                {
                    int len = rng.SmallLength(Math.Min(d.Count, 256));
                    int from = rng.Next(d.Count - len + 1);
                    var chunk = d.GetRange(from, len);
                    int times = rng.OneIn(8) ? rng.Range(2, 16) : 1;
                    for (int t = 0; t < times; t++) d.InsertRange(rng.Next(d.Count + 1), chunk);
                    break;
                }
            case 6: // interesting fixed-width integer
                {
                    int width = rng.Pick([1, 2, 4, 8]);
                    if (d.Count < width) break;
                    long v = Interesting(rng);
                    Span<byte> b = stackalloc byte[8];
                    if (rng.OneIn(2)) BinaryPrimitives.WriteInt64LittleEndian(b, v);
                    else BinaryPrimitives.WriteInt64BigEndian(b, v << (8 * (8 - width)));
                    int p = rng.Next(d.Count - width + 1);
                    for (int i = 0; i < width; i++) d[p + i] = b[i];
                    break;
                }
            case 7: // interesting varint replacing the varint that starts at a random position
            case 8:
                {
                    int p = rng.Next(d.Count);
                    int end = p;
                    while (end < d.Count && end - p < 10 && (d[end] & 0x80) != 0) end++;
                    end = Math.Min(end + 1, d.Count);
                    d.RemoveRange(p, end - p);
                    d.InsertRange(p, EncodeVarint((ulong)Interesting(rng)));
                    break;
                }
            case 9: // truncate
                {
                    int keep = rng.Next(d.Count);
                    d.RemoveRange(keep, d.Count - keep);
                    break;
                }
            case 10: // overwrite a chunk with a copy of another place
                {
                    int len = rng.SmallLength(d.Count);
                    int from = rng.Next(d.Count - len + 1), to = rng.Next(d.Count - len + 1);
                    var chunk = d.GetRange(from, len);
                    for (int i = 0; i < len; i++) d[to + i] = chunk[i];
                    break;
                }
            case 11: // splice with the other input
                {
                    if (other is null || other.Length == 0) goto case 4;
                    int cut = rng.Next(d.Count + 1);
                    int from = rng.Next(other.Length);
                    int len = rng.OneIn(2) ? other.Length - from : rng.SmallLength(other.Length - from);
                    if (rng.OneIn(2)) d.RemoveRange(cut, d.Count - cut);
                    d.InsertRange(cut, other.AsSpan(from, len).ToArray());
                    break;
                }
            default: // swap two bytes
                {
                    int a = rng.Next(d.Count), b = rng.Next(d.Count);
                    (d[a], d[b]) = (d[b], d[a]);
                    break;
                }
        }
    }

    public static byte[] EncodeVarint(ulong v)
    {
        var r = new List<byte>(10);
        while (v >= 0x80)
        {
            r.Add((byte)(v | 0x80));
            v >>= 7;
        }
        r.Add((byte)v);
        return [.. r];
    }
}
