using System.Numerics;
using System.Numerics.Tensors;

namespace TensorGraph.Kernels;

/// <summary>What a fused kernel does to each chunk of output rows right after its product (bias, activation), while the rows are in cache.</summary>
internal interface IConvEpilogue<T>
{
    /// <summary>Finishes <paramref name="rows"/>: whole output rows of <paramref name="channels"/> values each.</summary>
    void Apply(Span<T> rows, int channels);
}

/// <summary>
/// The three im2col convolutions split across cores (<see cref="ParallelParts"/>): each part
/// gathers (or scatters) its own rows of the column matrix and multiplies them on its own thread,
/// so the im2col copies run in parallel as well as the products. Forward splits output rows; the
/// input gradient splits images (col2im of different images never writes the same element); the
/// filter gradient splits rows and sums the parts' partial gradients in part order at the end.
/// One instance per kernel keeps every part's scratch between calls; nothing is allocated in the
/// steady state. Work too small to split runs the serial <see cref="Im2Col"/> path.
/// </summary>
internal sealed class ConvParallel<T> : IParallelParts where T : unmanaged, INumber<T>
{
    /// <summary>Multiply-adds below which a part is not worth a thread.</summary>
    internal const long MinWorkPerPart = 1 << 21;

    private enum Mode
    {
        Forward,
        BackpropInput,
        BackpropFilter,
    }

    private readonly int _chunkElements;
    private readonly long _minWorkPerPart;
    private T[]?[] _cols = [];
    private T[]?[] _tmps = [];
    private T[]?[] _accs = [];
    private GemmScratch[] _scratch = [];
    private T[]? _serialCol, _serialPartial;
    private readonly GemmScratch _serialScratch = new();

    // The call in flight (set by the public methods for the length of one split).
    private Mode _mode;
    private ConvGeometry _g;
    private T[] _x = [], _y = [], _z = [];

    /// <summary>
    /// A runner whose column chunks hold about <paramref name="chunkElements"/> elements and whose
    /// parts get at least <paramref name="minWorkPerPart"/> multiply-adds (tests lower both).
    /// </summary>
    public ConvParallel(int chunkElements = Im2Col.ChunkElements, long minWorkPerPart = MinWorkPerPart)
    {
        _chunkElements = chunkElements;
        _minWorkPerPart = minWorkPerPart;
    }

    /// <summary>The parts the last call was split into (for tests).</summary>
    internal int LastParts { get; private set; }

    private IConvEpilogue<T>? _epilogue;

    /// <summary>
    /// output = conv(input, filter); see <see cref="Im2Col.Forward{T}"/>. With
    /// <paramref name="epilogue"/>, each chunk of output rows is finished by it right after its product.
    /// </summary>
    public void Forward(T[] input, T[] filter, T[] output, in ConvGeometry g, IConvEpilogue<T>? epilogue = null, int maxParts = int.MaxValue)
    {
        int parts = g.IsPointwise ? 1 : ParallelParts.For((long)g.Rows * g.K * g.OC, _minWorkPerPart, Math.Min(maxParts, g.Rows));
        if (g.IsPointwise || g.K == 0)
        {
            var o = output.AsSpan(0, g.Rows * g.OC);
            Im2Col.Forward<T>(Whole(input, g.N * g.H * g.W * g.C), Whole(filter, g.K * g.OC), o, g, ref _serialCol, _serialScratch, _chunkElements);
            if (g.OC > 0) epilogue?.Apply(o, g.OC);
            LastParts = 1;
            return;
        }
        _epilogue = epilogue;
        try
        {
            // One part runs here, its products still split across the pool.
            Split(Mode.Forward, g, input, filter, output, parts);
        }
        finally
        {
            _epilogue = null;
        }
    }

    /// <summary>dInput = conv_backprop_input(filter, dOut); see <see cref="Im2Col.BackpropInput{T}"/>.</summary>
    public void BackpropInput(T[] filter, T[] dOut, T[] dInput, in ConvGeometry g, int maxParts = int.MaxValue)
    {
        int parts = g.IsPointwise ? 1 : ParallelParts.For((long)g.Rows * g.K * g.OC, _minWorkPerPart, Math.Min(maxParts, g.N));
        if (parts <= 1)
        {
            Im2Col.BackpropInput<T>(Whole(filter, g.K * g.OC), Whole(dOut, g.Rows * g.OC), dInput.AsSpan(0, g.N * g.H * g.W * g.C), g, ref _serialCol, _serialScratch, _chunkElements);
            LastParts = 1;
            return;
        }
        Split(Mode.BackpropInput, g, filter, dOut, dInput, parts);
    }

    /// <summary>dFilter = conv_backprop_filter(input, dOut); see <see cref="Im2Col.BackpropFilter{T}"/>.</summary>
    public void BackpropFilter(T[] input, T[] dOut, T[] dFilter, in ConvGeometry g, int maxParts = int.MaxValue)
    {
        int parts = g.IsPointwise ? 1 : ParallelParts.For((long)g.Rows * g.K * g.OC, _minWorkPerPart, Math.Min(maxParts, g.Rows));
        if (parts <= 1)
        {
            Im2Col.BackpropFilter<T>(Whole(input, g.N * g.H * g.W * g.C), Whole(dOut, g.Rows * g.OC), dFilter.AsSpan(0, g.K * g.OC), g,
                ref _serialCol, ref _serialPartial, _serialScratch, _chunkElements);
            LastParts = 1;
            return;
        }
        Split(Mode.BackpropFilter, g, input, dOut, dFilter, parts);
        // The parts' sums, added in part order (fixed for a given part count).
        int size = g.K * g.OC;
        var total = dFilter.AsSpan(0, size);
        _accs[0].AsSpan(0, size).CopyTo(total);
        for (int p = 1; p < parts; p++) TensorPrimitives.Add(total, _accs[p].AsSpan(0, size), total);
    }

    private static ReadOnlySpan<T> Whole(T[] a, int n) => a.AsSpan(0, n);

    private void Split(Mode mode, in ConvGeometry g, T[] x, T[] y, T[] z, int parts)
    {
        if (_scratch.Length < parts)
        {
            int had = _scratch.Length;
            Array.Resize(ref _scratch, parts);
            Array.Resize(ref _cols, parts);
            Array.Resize(ref _tmps, parts);
            Array.Resize(ref _accs, parts);
            for (int p = had; p < parts; p++) _scratch[p] = new GemmScratch();
        }
        (_mode, _g, _x, _y, _z) = (mode, g, x, y, z);
        try
        {
            ParallelParts.Run(this, parts);
        }
        finally
        {
            (_x, _y, _z) = ([], [], []);
        }
        LastParts = parts;
    }

    /// <summary>One part of the call in flight.</summary>
    public void RunPart(int part, int parts)
    {
        var g = _g;
        int chunk = Im2Col.ChunkRows(g, _chunkElements);
        switch (_mode)
        {
            case Mode.Forward:
            {
                var (r0, r1) = ParallelParts.Range(g.Rows, part, parts);
                var input = Whole(_x, g.N * g.H * g.W * g.C);
                var filter = Whole(_y, g.K * g.OC);
                var col = Ensure(ref _cols[part], Math.Min(chunk, r1 - r0) * g.K);
                for (int r = r0; r < r1; r += chunk)
                {
                    int rc = Math.Min(chunk, r1 - r);
                    var colSpan = col.AsSpan(0, rc * g.K);
                    Im2Col.Gather(input, g, r, rc, colSpan);
                    var rows = _z.AsSpan(r * g.OC, rc * g.OC);
                    Gemm.Multiply<T>(colSpan, false, filter, false, rows, rc, g.OC, g.K, _scratch[part]);
                    _epilogue?.Apply(rows, g.OC);
                }
                break;
            }
            case Mode.BackpropInput:
            {
                var (b0, b1) = ParallelParts.Range(g.N, part, parts);
                int image = g.H * g.W * g.C;
                _z.AsSpan(b0 * image, (b1 - b0) * image).Clear();
                int r0 = b0 * g.P, r1 = b1 * g.P;
                var filter = Whole(_x, g.K * g.OC);
                var dOut = Whole(_y, g.Rows * g.OC);
                var dInput = _z.AsSpan(0, g.N * image);
                var col = Ensure(ref _cols[part], Math.Min(chunk, Math.Max(1, r1 - r0)) * g.K);
                for (int r = r0; r < r1; r += chunk)
                {
                    int rc = Math.Min(chunk, r1 - r);
                    var colSpan = col.AsSpan(0, rc * g.K);
                    Gemm.Multiply(dOut.Slice(r * g.OC, rc * g.OC), false, filter, true, colSpan, rc, g.K, g.OC, _scratch[part]);
                    Im2Col.Scatter<T>(colSpan, g, r, rc, dInput);
                }
                break;
            }
            default:
            {
                var (r0, r1) = ParallelParts.Range(g.Rows, part, parts);
                int size = g.K * g.OC;
                var input = Whole(_x, g.N * g.H * g.W * g.C);
                var dOut = Whole(_y, g.Rows * g.OC);
                var acc = Ensure(ref _accs[part], size).AsSpan(0, size);
                acc.Clear();
                var col = Ensure(ref _cols[part], Math.Min(chunk, Math.Max(1, r1 - r0)) * g.K);
                bool first = true;
                for (int r = r0; r < r1; r += chunk)
                {
                    int rc = Math.Min(chunk, r1 - r);
                    var colSpan = col.AsSpan(0, rc * g.K);
                    Im2Col.Gather(input, g, r, rc, colSpan);
                    var target = first ? acc : Ensure(ref _tmps[part], size).AsSpan(0, size);
                    Gemm.Multiply<T>(colSpan, true, dOut.Slice(r * g.OC, rc * g.OC), false, target, g.K, g.OC, rc, _scratch[part]);
                    if (!first) TensorPrimitives.Add(acc, target, acc);
                    first = false;
                }
                break;
            }
        }
    }

    private static T[] Ensure(ref T[]? buffer, int size)
    {
        if (buffer is null || buffer.Length < size) buffer = new T[Math.Max(1, size)];
        return buffer;
    }
}
