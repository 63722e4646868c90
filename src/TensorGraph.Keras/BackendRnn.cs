namespace TensorGraph.Keras;

/// <summary>The step of a recurrent loop: this step's input and the previous states to this step's output and new states.</summary>
public delegate (Output Output, Output[] States) RnnStepFunction(Output input, Output[] states);

public static partial class Backend
{
    /// <summary>
    /// Keras's <c>K.hard_sigmoid</c>: <c>clip(0.2·x + 0.5, 0, 1)</c>, built as tf.keras 1.15 builds
    /// it (<c>mul</c>, <c>add</c> (an <c>Add</c> op), <c>clip_by_value</c>).
    /// </summary>
    public static Output HardSigmoid(Output x)
    {
        var g = x.Graph;
        var y = g.Multiply(x, Scalar(g, x.DType, 0.2), name: "mul");
        y = g.Add(y, Scalar(g, x.DType, 0.5), name: "add");
        return g.ClipByValue(y, Scalar(g, x.DType, 0), Scalar(g, x.DType, 1));
    }

    /// <summary>
    /// Keras's <c>K.rnn(step_function, inputs, initial_states, go_backwards)</c> in graph mode (TF
    /// 1.15's <c>backend.rnn</c>, not unrolled): the inputs [batch, time, …] are transposed to
    /// time-major (<c>transpose</c>), unstacked into a TensorArray <c>input_ta_0</c> (reversed in
    /// time first with <paramref name="goBackwards"/>, <c>ReverseV2</c>), a <c>while</c> loop runs
    /// the step once per time step writing each output to <c>output_ta_0</c>, and the stacked
    /// outputs are transposed back (<c>transpose_1</c>). Returns the last step's output (the
    /// stack's last row), every output [batch, time, …] (in processing order, so reversed with
    /// <paramref name="goBackwards"/>, as in Keras) and the final states. Differentiable through
    /// the loop. Unlike TF, the step is not also called once outside the loop to find the output's
    /// shape; the shape comes from <paramref name="outputShape"/> ([batch, …]).
    /// With <paramref name="mask"/> ([batch, time], true where a step holds data; TensorArray
    /// <c>mask_ta</c>) a masked step keeps the previous states and repeats the previous output
    /// (zeros before the first step), through <c>Select</c>s, as Keras's masked loop does
    /// (<c>zero_output_for_mask=False</c>); the output then needs the first state's shape.
    /// </summary>
    public static (Output LastOutput, Output Outputs, Output[] States) Rnn(RnnStepFunction stepFunction, Output inputs, Output[] initialStates,
        Shape outputShape, bool goBackwards = false, Output? mask = null)
    {
        ArgumentNullException.ThrowIfNull(stepFunction);
        ArgumentNullException.ThrowIfNull(initialStates);
        ArgumentNullException.ThrowIfNull(outputShape);
        var g = inputs.Graph;
        var inShape = inputs.Shape;
        if (!inShape.IsRankKnown || inShape.Rank < 3)
            throw new InvalidArgumentException($"Input tensor to an RNN should be at least 3D ([batch, time, ...]), got '{inputs.Name}' of shape {inShape}");
        int rank = inShape.Rank;
        int[] axes = [1, 0, .. Enumerable.Range(2, rank - 2)];
        var x = g.Transpose(inputs, axes, name: "transpose");
        int timeSteps = inShape[1], batch = inShape[0];
        var timeStepsT = g.StridedSlice(g.ShapeOf(x, name: "Shape"), [0], [1], shrinkAxisMask: 1, name: "strided_slice");
        var stepShape = new Shape(inShape.ToArray()[..1].Concat(inShape.ToArray()[2..]).ToArray());
        var inputTa = g.TensorArray(x.DType, timeStepsT, tensorArrayName: "input_ta_0", elementShape: stepShape);
        inputTa = inputTa.Unstack(goBackwards ? g.Reverse(x, [0], name: "ReverseV2") : x);
        var outDtype = initialStates.Length > 0 ? initialStates[0].DType : x.DType;
        var outputTa = g.TensorArray(outDtype, timeStepsT, tensorArrayName: "output_ta_0", elementShape: outputShape);
        var time = g.Constant(0, name: "time");
        var stateShapes = initialStates.Select(s => s.Shape).ToArray();
        var maxIterations = timeSteps >= 0 ? g.Constant(timeSteps, name: "maximum_iterations") : (Output?)null;
        Output[] final;
        int firstState;
        if (mask is not { } m)
        {
            firstState = 2;
            Output[] loopVars = [time, outputTa.Flow, .. initialStates];
            final = g.WhileLoop(v => g.Less(v[0], timeStepsT), v =>
            {
                var (output, newStates) = StepAt(v[0], v[2..]);
                var ta = outputTa.WithFlow(v[1]).Write(v[0], output);
                return [g.AddV2(v[0], g.Constant(1), name: "add"), ta.Flow, .. newStates];
            }, loopVars, parallelIterations: 32, name: "while", maximumIterations: maxIterations);
        }
        else
        {
            if (initialStates.Length == 0 || !initialStates[0].Shape.IsCompatibleWith(outputShape))
                throw new InvalidArgumentException($"A masked RNN loop needs an output shaped like its first state, got {outputShape}");
            if (!m.Shape.IsCompatibleWith(new Shape(batch, timeSteps)))
                throw new InvalidArgumentException($"The mask of an RNN must be [batch, time] = {new Shape(batch, timeSteps)}, got '{m.Name}' of shape {m.Shape}");
            if (m.DType != DType.Bool) m = g.Cast(m, DType.Bool);
            var tm = g.Transpose(g.ExpandDims(m, -1), [1, 0, 2], name: "transpose");
            if (goBackwards) tm = g.Reverse(tm, [0], name: "ReverseV2");
            var maskTa = g.TensorArray(DType.Bool, timeStepsT, tensorArrayName: "mask_ta", elementShape: new Shape(batch, 1)).Unstack(tm);
            var zeroOutput = g.ZerosLike(initialStates[0]);
            firstState = 3;
            Output[] loopVars = [time, outputTa.Flow, zeroOutput, .. initialStates];
            final = g.WhileLoop(v => g.Less(v[0], timeStepsT), v =>
            {
                var maskT = maskTa.Read(v[0]);
                var states = v[3..];
                var (output, newStates) = StepAt(v[0], states);
                var kept = g.Select(Tiled(maskT, output), output, v[2]);
                for (int i = 0; i < newStates.Length; i++) newStates[i] = g.Select(Tiled(maskT, states[i]), newStates[i], states[i]);
                var ta = outputTa.WithFlow(v[1]).Write(v[0], kept);
                return [g.AddV2(v[0], g.Constant(1), name: "add"), ta.Flow, kept, .. newStates];
            }, loopVars, parallelIterations: 32, name: "while", maximumIterations: maxIterations);

            // Keras's _expand_mask: the [batch, 1] mask tiled to the shape of a [batch, n] tensor.
            Output Tiled(Output maskT, Output like)
            {
                var n = like.Shape.IsRankKnown && like.Shape.Rank == 2 && like.Shape[1] >= 0 ? like.Shape[1]
                    : throw new InvalidArgumentException($"A masked RNN step needs [batch, n] outputs and states, got '{like.Name}' of shape {like.Shape}");
                return g.Tile(maskT, g.Constant(new[] { 1, n }, name: "Tile/multiples"));
            }
        }
        var outputs = outputTa.WithFlow(final[1]).Stack();
        var last = g.StridedSlice(outputs, [-1], [0], shrinkAxisMask: 1);
        int[] outDims = [timeSteps, batch, .. outputShape.ToArray()[1..]];
        g.SetShape(outputs, new Shape(outDims));
        int outRank = outDims.Length;
        var batchMajor = g.Transpose(outputs, [1, 0, .. Enumerable.Range(2, outRank - 2)], name: "transpose");
        return (last, batchMajor, final[firstState..]);

        (Output Output, Output[] States) StepAt(Output t, Output[] states)
        {
            var current = inputTa.Read(t);
            g.SetShape(current, stepShape);
            var (output, newStates) = stepFunction(current, states);
            if (newStates.Length != initialStates.Length)
                throw new InvalidArgumentException($"The RNN step returned {newStates.Length} states for {initialStates.Length} initial states");
            for (int i = 0; i < newStates.Length; i++) g.SetShape(newStates[i], stateShapes[i]);
            return (output, newStates);
        }
    }

    /// <summary>A scalar constant of <paramref name="dtype"/>.</summary>
    internal static Output Scalar(Graph g, DType dtype, double value, string? name = null) => g.Constant(dtype switch
    {
        DType.Float64 => Tensor.Scalar(value),
        DType.Float32 => Tensor.Scalar((float)value),
        DType.Int32 => Tensor.Scalar((int)value),
        DType.Int64 => Tensor.Scalar((long)value),
        _ => throw new ArgumentException($"No {dtype.Name()} scalar for the Keras backend"),
    }, name: name);
}
