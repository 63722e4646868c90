namespace TensorGraph;

/// <summary>
/// One item of a numpy-style index, as in Python's <c>x[1:, ..., tf.newaxis, -1]</c>: an integer
/// index (removes the axis), a range with optional step, <see cref="NewAxis"/> or
/// <see cref="Ellipsis"/>. Converts implicitly from <c>int</c> (negative counts from the end),
/// <see cref="System.Index"/> (<c>^1</c>) and <see cref="System.Range"/> (<c>1..^1</c>), so
/// <c>g.Slice(x, 1.., ..^1)</c>, <c>x.Slice(0)</c> and <c>x.Slice(.., 2)</c> read like Python.
/// </summary>
public readonly struct SliceItem
{
    internal enum ItemKind { Index, Range, NewAxis, Ellipsis }

    private SliceItem(ItemKind kind, int? start, int? stop, int step, Output? startT = null, Output? stopT = null)
    {
        Kind = kind; Start = start; Stop = stop; Step = step; StartTensor = startT; StopTensor = stopT;
    }

    internal ItemKind Kind { get; }
    internal int? Start { get; }
    internal int? Stop { get; }
    internal int Step { get; }
    internal Output? StartTensor { get; }
    internal Output? StopTensor { get; }

    /// <summary>A single index (Python <c>x[i]</c>); negative counts from the end. The axis is removed.</summary>
    public static SliceItem At(int index) => new(ItemKind.Index, index, null, 1);

    /// <summary>A run-time scalar index (an int32 tensor); the axis is removed.</summary>
    public static SliceItem At(Output index) => new(ItemKind.Index, null, null, 1, index);

    /// <summary>Python's <c>start:stop:step</c>; a null bound means "from the start/to the end" in the step's direction.</summary>
    public static SliceItem Range(int? start = null, int? stop = null, int step = 1)
    {
        if (step == 0) throw new InvalidArgumentException("Slice step cannot be zero");
        return new(ItemKind.Range, start, stop, step);
    }

    /// <summary>A range with run-time bounds (int32/int64 scalars; null = open).</summary>
    public static SliceItem RangeOf(Output? start, Output? stop, int step = 1)
    {
        if (step == 0) throw new InvalidArgumentException("Slice step cannot be zero");
        return new(ItemKind.Range, null, null, step, start, stop);
    }

    /// <summary>Python's <c>:</c> (the whole axis).</summary>
    public static SliceItem All => new(ItemKind.Range, null, null, 1);

    /// <summary>Python's <c>tf.newaxis</c>: inserts an axis of size 1.</summary>
    public static SliceItem NewAxis => new(ItemKind.NewAxis, null, null, 1);

    /// <summary>Python's <c>...</c>: as many full axes as needed.</summary>
    public static SliceItem Ellipsis => new(ItemKind.Ellipsis, null, null, 1);

    /// <summary>An integer index.</summary>
    public static implicit operator SliceItem(int index) => At(index);

    /// <summary>A <see cref="System.Index"/>: <c>^k</c> is index -k.</summary>
    public static implicit operator SliceItem(Index index)
    {
        if (index.IsFromEnd && index.Value == 0) throw new InvalidArgumentException("Index ^0 is past the end of the axis");
        return At(index.IsFromEnd ? -index.Value : index.Value);
    }

    /// <summary>A <see cref="System.Range"/> with step 1: <c>a..b</c> is <c>a:b</c>, <c>^k</c> bounds are -k, <c>..</c> is <c>:</c>.</summary>
    public static implicit operator SliceItem(Range range)
    {
        var s = range.Start;
        var e = range.End;
        // ^0 as a start is "past the end": an empty range. ^0 as an end is "to the end".
        int start = s.IsFromEnd ? (s.Value == 0 ? int.MaxValue : -s.Value) : s.Value;
        int? stop = e.IsFromEnd ? (e.Value == 0 ? null : -e.Value) : e.Value;
        return new(ItemKind.Range, s.IsFromEnd || s.Value != 0 ? start : null, stop, 1);
    }
}

public sealed partial class Graph
{
    /// <summary>
    /// Python-style indexing (<c>x[item0, item1, …]</c>): a StridedSlice named
    /// <c>strided_slice</c> built as Python's <c>_slice_helper</c> builds it (begin/end/strides
    /// Consts <c>stack</c>, <c>stack_1</c>, <c>stack_2</c>; begin/end are Pack nodes when an index is a tensor).
    /// </summary>
    public Output Slice(Output input, params SliceItem[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Length == 0) return input;
        if (items.Length >= 32) throw new InvalidArgumentException($"Too many slice specs ({items.Length}); at most 31 are supported");
        int n = items.Length;
        var begin = new int[n];
        var end = new int[n];
        var strides = new int[n];
        var beginT = new Output?[n];
        var endT = new Output?[n];
        int beginMask = 0, endMask = 0, ellipsisMask = 0, newAxisMask = 0, shrinkMask = 0;
        bool dynamic = false;
        for (int i = 0; i < n; i++)
        {
            var sp = items[i];
            strides[i] = sp.Step;
            switch (sp.Kind)
            {
                case SliceItem.ItemKind.Index:
                    shrinkMask |= 1 << i;
                    if (sp.StartTensor is { } t)
                    {
                        dynamic = true;
                        beginT[i] = t;
                    }
                    else
                    {
                        begin[i] = sp.Start!.Value;
                        end[i] = sp.Start.Value + 1;
                    }
                    break;
                case SliceItem.ItemKind.Range:
                    if (sp.StartTensor is { } st) { dynamic = true; beginT[i] = st; }
                    else if (sp.Start is { } a) begin[i] = a;
                    else beginMask |= 1 << i;
                    if (sp.StopTensor is { } et) { dynamic = true; endT[i] = et; }
                    else if (sp.Stop is { } z) end[i] = z;
                    else endMask |= 1 << i;
                    break;
                case SliceItem.ItemKind.NewAxis:
                    newAxisMask |= 1 << i;
                    break;
                default:
                    if (ellipsisMask != 0) throw new InvalidArgumentException("Multiple ellipses in slice spec not allowed");
                    ellipsisMask |= 1 << i;
                    break;
            }
        }
        if (!dynamic) return StridedSlice(input, begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkMask);

        // As Python's stack(): an all-constant list becomes a Const, a list with tensors a Pack.
        using var scope = NameScope("strided_slice");
        var exact = CurrentNameScope + "/";
        var bs = new Output?[n];
        var es = new Output?[n];
        for (int i = 0; i < n; i++)
        {
            if (beginT[i] is { } bt) bs[i] = AsInt32(bt);
            if (items[i].Kind == SliceItem.ItemKind.Index && beginT[i] is { } it)
                es[i] = AddOperator(AsInt32(it), Constant(1, name: "add/y"), "add");
            else if (endT[i] is { } et) es[i] = AsInt32(et);
        }
        return StridedSlice(input, Pack(bs, begin, "stack"), Pack(es, end, "stack_1"), Constant(strides, name: "stack_2"),
            beginMask, endMask, ellipsisMask, newAxisMask, shrinkMask, exact);

        Output Pack(Output?[] dynamicParts, int[] values, string packName)
        {
            if (dynamicParts.All(d => d is null)) return Constant(values, name: packName);
            var parts = new Output[values.Length];
            for (int i = 0; i < parts.Length; i++) parts[i] = dynamicParts[i] ?? Constant(values[i]);
            return Stack(parts, name: packName);
        }

        Output AsInt32(Output t) => t.DType == DType.Int32 ? t : Cast(t, DType.Int32);
    }
}

/// <summary>Python-style slicing on tensors: <c>x.Slice(1.., ..^1)</c> is <c>x[1:, :-1]</c>.</summary>
public static class SliceExtensions
{
    /// <summary>Python's <c>x[items]</c>: a StridedSlice in <paramref name="x"/>'s graph (see <see cref="Graph.Slice(Output, SliceItem[])"/>).</summary>
    public static Output Slice(this Output x, params SliceItem[] items)
    {
        if (x.Op is null) throw new InvalidArgumentException("Cannot slice a default (unset) Output");
        return x.Graph.Slice(x, items);
    }
}
