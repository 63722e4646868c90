namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.15's <c>tf.sequence_mask(lengths, maxlen, dtype)</c>: mask[i…, j] = j &lt; lengths[i…],
    /// of shape lengths.shape + [maxlen], built as TF builds it in a <c>SequenceMask</c> scope:
    /// without <paramref name="maxlen"/> it is max(0, Max(lengths)); then
    /// <c>Range(0, maxlen, 1) &lt; Cast(ExpandDims(lengths, -1), maxlen.dtype)</c>, cast to
    /// <paramref name="dtype"/> unless that is bool.
    /// </summary>
    public Output SequenceMask(Output lengths, Output? maxlen = null, DType dtype = DType.Bool, string? name = null)
    {
        if (lengths.Op is null) throw new InvalidArgumentException("sequence_mask lengths is a default (unset) Output");
        using var scope = NameScope(name ?? "SequenceMask");
        Output max;
        if (maxlen is { } m)
        {
            if (m.Shape.IsRankKnown && m.Shape.Rank != 0) throw new InvalidArgumentException($"maxlen must be scalar for sequence_mask, got '{m.Name}' with shape {m.Shape}");
            max = m;
        }
        else
        {
            max = ReduceMax(lengths);
            max = Maximum(Constant(ScalarOf(max.DType, 0)), max);
        }
        var rowVector = Range(Constant(ScalarOf(max.DType, 0), name: "Const"), max, Constant(ScalarOf(max.DType, 1), name: "Const_1"));
        var matrix = Cast(ExpandDims(lengths, -1), max.DType);
        var result = Less(rowVector, matrix);
        return dtype == DType.Bool ? result : Cast(result, dtype);
    }
}
