using TensorGraph.Rnn;

namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.nn.static_rnn(cell, inputs, initial_state, dtype, sequence_length, scope)</c>:
    /// the cell applied to each [batch, depth] input in turn (the graph unrolled), variables under
    /// <paramref name="scope"/> (default <c>rnn</c>) created at the first step and reused. With
    /// <paramref name="sequenceLength"/> ([batch] int32), steps past a sequence's length output
    /// zeros and keep its state (TF's <c>_rnn_step</c> with Select). Returns the outputs per step
    /// and the final state.
    /// </summary>
    public (Output[] Outputs, Output[] State) StaticRnn(RnnCell cell, Output[] inputs, Output[]? initialState = null, DType? dtype = null,
        Output? sequenceLength = null, string? scope = null)
    {
        ArgumentNullException.ThrowIfNull(cell);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw new InvalidArgumentException("inputs must not be empty");
        using var ns = NameScope(scope ?? "rnn");
        var varScope = scope ?? "rnn";
        var state = initialState ?? cell.ZeroState(this, StridedSlice(ShapeOf(inputs[0]), [0], [1], shrinkAxisMask: 1),
            dtype ?? throw new InvalidArgumentException("If no initial_state is provided, dtype must be specified"));
        cell.CheckState(state);
        Output? zeroOutput = null;
        if (sequenceLength is { } sl)
        {
            if (sl.DType != DType.Int32) sequenceLength = Cast(sl, DType.Int32);
            zeroOutput = cell.ZeroStateLike(this, inputs[0], cell.OutputSize);
        }
        var outputs = new Output[inputs.Length];
        for (int t = 0; t < inputs.Length; t++)
        {
            var (o, s) = cell.Call(this, inputs[t], state, varScope);
            if (sequenceLength is { } len)
            {
                var copy = GreaterEqual(Constant(t), len);
                o = Select(copy, zeroOutput!.Value, o);
                for (int k = 0; k < s.Length; k++) s[k] = Select(copy, state[k], s[k]);
            }
            outputs[t] = o;
            state = s;
        }
        return (outputs, state);
    }
}
