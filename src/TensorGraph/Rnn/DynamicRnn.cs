using TensorGraph.Rnn;

namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.nn.dynamic_rnn(cell, inputs, sequence_length, initial_state, dtype,
    /// parallel_iterations=32, time_major=False, scope)</c>: a while loop over the time steps that
    /// reads each step's input from a TensorArray, runs the cell, and writes the output to another
    /// (nodes as TF names them: <c>rnn/TensorArray</c>, <c>rnn/while/…</c>,
    /// <c>rnn/TensorArrayStack/TensorArrayGatherV3</c>). <paramref name="inputs"/> is
    /// [batch, time, depth], or [time, batch, depth] with <paramref name="timeMajor"/>; the outputs
    /// come back in the same layout. With <paramref name="sequenceLength"/> ([batch] int), steps at
    /// or past a sequence's length output zeros and keep that sequence's state (TF's Select copy),
    /// and the loop stops at the longest sequence. The outputs have <paramref name="dtype"/> when it
    /// is given, else the state's dtype (TF's <c>_infer_state_dtype</c>), so a cell may output
    /// another dtype than its inputs (crf_decode's int32 backpointers). Differentiable end to end
    /// (loop gradients).
    /// </summary>
    public (Output Outputs, Output[] State) DynamicRnn(RnnCell cell, Output inputs, Output? sequenceLength = null, Output[]? initialState = null,
        DType? dtype = null, int parallelIterations = 32, bool timeMajor = false, string? scope = null)
    {
        ArgumentNullException.ThrowIfNull(cell);
        // As in TF, the variable scope is the scope argument itself: an enclosing name scope names
        // the ops, not the variables.
        using var ns = NameScope(scope ?? "rnn");
        return DynamicRnnCore(cell, inputs, sequenceLength, initialState, dtype, parallelIterations, timeMajor, scope ?? "rnn");
    }

    /// <summary>DynamicRnn in the current name scope, with variables under <paramref name="varScope"/>.</summary>
    private (Output Outputs, Output[] State) DynamicRnnCore(RnnCell cell, Output inputs, Output? sequenceLength, Output[]? initialState,
        DType? dtype, int parallelIterations, bool timeMajor, string varScope)
    {
        if (inputs.Op is null) throw new InvalidArgumentException("inputs is a default (unset) Output");
        if (inputs.Shape.IsRankKnown && inputs.Shape.Rank < 3)
            throw new InvalidArgumentException($"dynamic_rnn inputs must be at least rank 3 ([{(timeMajor ? "time, batch" : "batch, time")}, depth]), but '{inputs.Name}' has shape {inputs.Shape}");
        var x = timeMajor ? inputs : TransposeBatchTime(inputs);
        if (sequenceLength is { } sl0)
            sequenceLength = Identity(sl0.DType == DType.Int32 ? sl0 : Cast(sl0, DType.Int32), "sequence_length");
        var batchSize = x.Shape.IsRankKnown && x.Shape[1] >= 0 ? Constant(x.Shape[1]) : StridedSlice(ShapeOf(x), [1], [2], shrinkAxisMask: 1);
        var state = initialState ?? cell.ZeroState(this, batchSize,
            dtype ?? throw new InvalidArgumentException("If there is no initial_state, you must give a dtype."));
        cell.CheckState(state);
        // TF's _infer_state_dtype: the outputs have the explicit dtype, else the state's.
        var outputDType = dtype ?? (state.Length > 0 ? state[0].DType : x.DType);
        var (outputs, finalState) = DynamicRnnLoop(cell, x, state, parallelIterations, sequenceLength, varScope, outputDType);
        if (!timeMajor) outputs = TransposeBatchTime(outputs);
        return (outputs, finalState);
    }

    /// <summary>
    /// TF's <c>tf.nn.bidirectional_dynamic_rnn</c>: a forward <see cref="DynamicRnn"/> under
    /// <c>bidirectional_rnn/fw</c> and one over the time-reversed inputs under
    /// <c>bidirectional_rnn/bw</c> (ReverseSequence when <paramref name="sequenceLength"/> is given,
    /// else ReverseV2), whose outputs are reversed back. Returns both outputs and both final states.
    /// </summary>
    public ((Output Fw, Output Bw) Outputs, (Output[] Fw, Output[] Bw) States) BidirectionalDynamicRnn(RnnCell cellFw, RnnCell cellBw, Output inputs,
        Output? sequenceLength = null, Output[]? initialStateFw = null, Output[]? initialStateBw = null, DType? dtype = null,
        int parallelIterations = 32, bool timeMajor = false, string? scope = null)
    {
        ArgumentNullException.ThrowIfNull(cellFw);
        ArgumentNullException.ThrowIfNull(cellBw);
        using var ns = NameScope(scope ?? "bidirectional_rnn");
        return BidirectionalCore(cellFw, cellBw, inputs, sequenceLength, initialStateFw, initialStateBw, dtype, parallelIterations, timeMajor, scope ?? "bidirectional_rnn");
    }

    /// <summary>
    /// The two directions in the current name scope, variables under <paramref name="varScope"/>:
    /// TF's name scopes <c>fw/fw/while</c> and <c>bw/bw/while</c> (the direction's variable scope
    /// is entered again by dynamic_rnn), variables <c>fw/&lt;cell&gt;/kernel</c>.
    /// </summary>
    private ((Output Fw, Output Bw) Outputs, (Output[] Fw, Output[] Bw) States) BidirectionalCore(RnnCell cellFw, RnnCell cellBw, Output inputs,
        Output? sequenceLength, Output[]? initialStateFw, Output[]? initialStateBw, DType? dtype, int parallelIterations, bool timeMajor, string varScope)
    {
        Output outFw, outBw;
        Output[] stateFw, stateBw;
        using (NameScope("fw"))
        using (NameScope("fw"))
            (outFw, stateFw) = DynamicRnnCore(cellFw, inputs, sequenceLength, initialStateFw, dtype, parallelIterations, timeMajor, $"{varScope}/fw");
        int timeAxis = timeMajor ? 0 : 1, batchAxis = timeMajor ? 1 : 0;
        using (NameScope("bw"))
        {
            var reversed = ReverseTime(inputs, sequenceLength, timeAxis, batchAxis);
            Output tmp;
            using (NameScope("bw"))
                (tmp, stateBw) = DynamicRnnCore(cellBw, reversed, sequenceLength, initialStateBw, dtype, parallelIterations, timeMajor, $"{varScope}/bw");
            outBw = ReverseTime(tmp, sequenceLength, timeAxis, batchAxis);
        }
        return ((outFw, outBw), (stateFw, stateBw));
    }

    /// <summary>
    /// TF's <c>tf.contrib.rnn.stack_bidirectional_dynamic_rnn</c>: bidirectional layers stacked,
    /// each layer's input the concatenation of the previous layer's forward and backward outputs,
    /// under <c>stack_bidirectional_rnn/cell_k/bidirectional_rnn</c>. Returns the last layer's
    /// concatenated outputs and every layer's final forward and backward states.
    /// </summary>
    public (Output Outputs, Output[][] StatesFw, Output[][] StatesBw) StackBidirectionalDynamicRnn(RnnCell[] cellsFw, RnnCell[] cellsBw, Output inputs,
        Output? sequenceLength = null, DType? dtype = null, int parallelIterations = 32, bool timeMajor = false, string? scope = null)
    {
        ArgumentNullException.ThrowIfNull(cellsFw);
        ArgumentNullException.ThrowIfNull(cellsBw);
        if (cellsFw.Length == 0) throw new InvalidArgumentException("Must specify at least one fw cell for BidirectionalRNN.");
        if (cellsFw.Length != cellsBw.Length) throw new InvalidArgumentException("Forward and Backward cells must have the same depth.");
        using var ns = NameScope(scope ?? "stack_bidirectional_rnn");
        var outer = scope ?? "stack_bidirectional_rnn";
        var layer = inputs;
        var fw = new Output[cellsFw.Length][];
        var bw = new Output[cellsFw.Length][];
        for (int i = 0; i < cellsFw.Length; i++)
        {
            using (NameScope($"cell_{i}"))
            {
                Output oFw, oBw;
                using (NameScope("bidirectional_rnn"))
                    ((oFw, oBw), (fw[i], bw[i])) = BidirectionalCore(cellsFw[i], cellsBw[i], layer, sequenceLength, null, null, dtype,
                        parallelIterations, timeMajor, $"{outer}/cell_{i}/bidirectional_rnn");
                layer = Concat([oFw, oBw], 2);
            }
        }
        return (layer, fw, bw);
    }

    private Output ReverseTime(Output x, Output? sequenceLength, int timeAxis, int batchAxis)
    {
        if (sequenceLength is not { } len) return Reverse(x, [timeAxis]);
        return ReverseSequence(x, len, timeAxis, batchAxis);
    }

    /// <summary>TF's <c>_transpose_batch_time</c>: swaps the first two axes (Rank, range, concat, transpose).</summary>
    private Output TransposeBatchTime(Output x)
    {
        var rank = Rank(x);
        var perm = Concat([Constant(new[] { 1, 0 }, name: "concat/values_0"), Range(Constant(2), rank, Constant(1))], 0);
        var t = Transpose(x, perm);
        if (x.Shape.IsRankKnown)
        {
            var dims = x.Shape.ToArray();
            (dims[0], dims[1]) = (dims[1], dims[0]);
            t.Op.SetOutputShape(0, new Shape(dims));
        }
        return t;
    }

    /// <summary>TF's <c>_dynamic_rnn_loop</c> over time-major <paramref name="x"/>.</summary>
    private (Output Outputs, Output[] State) DynamicRnnLoop(RnnCell cell, Output x, Output[] state, int parallelIterations, Output? sequenceLength, string varScope,
        DType outputDType)
    {
        var inputShape = ShapeOf(x);
        var timeSteps = StridedSlice(inputShape, [0], [1], shrinkAxisMask: 1);
        int constTime = x.Shape.IsRankKnown ? x.Shape[0] : -1;
        int constBatch = x.Shape.IsRankKnown ? x.Shape[1] : -1;
        var batchSize = constBatch >= 0 ? Constant(constBatch) : StridedSlice(inputShape, [1], [2], shrinkAxisMask: 1);
        Output? zeroOutput = null;
        Output? minLen = null, maxLen = null;
        if (sequenceLength is { } len)
        {
            zeroOutput = RnnCell.ZerosOfWidth(this, batchSize, cell.OutputSize, outputDType);
            minLen = ReduceMin(len);
            maxLen = ReduceMax(len);
        }
        var time = Constant(0, name: "time");
        string baseName;
        using (NameScope("dynamic_rnn")) baseName = CurrentNameScope + "/";
        var outputTa = TensorArray(outputDType, timeSteps, tensorArrayName: baseName + "output_0", elementShape: new Shape(constBatch, cell.OutputSize));
        var inputTa = TensorArray(x.DType, timeSteps, tensorArrayName: baseName + "input_0",
            elementShape: x.Shape.IsRankKnown ? new Shape(x.Shape.ToArray()[1..]) : Shape.Unknown);
        inputTa = inputTa.Unstack(x);
        // At least one step, so the output arrays pick up their shape (TF's loop_bound).
        var loopBound = Minimum(timeSteps, Maximum(Constant(1), maxLen ?? timeSteps));
        var inputStepShape = x.Shape.IsRankKnown ? new Shape(x.Shape.ToArray()[1..]) : Shape.Unknown;
        int n = state.Length;
        Output[] loopVars = [time, outputTa.Flow, .. state];
        var result = WhileLoop(v => Less(v[0], loopBound), v =>
        {
            var t = v[0];
            var inputT = inputTa.Read(t);
            if (inputStepShape.IsRankKnown) inputT.Op.SetOutputShape(0, inputStepShape);
            var st = v[2..];
            var (output, newState) = cell.Call(this, inputT, st, varScope);
            if (sequenceLength is { } seqLen)
            {
                var copy = GreaterEqual(t, seqLen);
                output = Select(copy, zeroOutput!.Value, output);
                for (int k = 0; k < n; k++) newState[k] = Select(copy, st[k], newState[k]);
            }
            var ta = outputTa.WithFlow(v[1]).Write(t, output);
            return [t + 1, ta.Flow, .. newState];
        }, loopVars, parallelIterations: parallelIterations, maximumIterations: timeSteps);
        var outputs = outputTa.WithFlow(result[1]).Stack();
        outputs.Op.SetOutputShape(0, new Shape(constTime, constBatch, cell.OutputSize));
        return (outputs, result[2..]);
    }
}
