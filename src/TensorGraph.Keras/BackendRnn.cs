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
    /// </summary>
    public static (Output LastOutput, Output Outputs, Output[] States) Rnn(RnnStepFunction stepFunction, Output inputs, Output[] initialStates,
        Shape outputShape, bool goBackwards = false)
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
        Output[] loopVars = [time, outputTa.Flow, .. initialStates];
        var final = g.WhileLoop(v => g.Less(v[0], timeStepsT), v =>
        {
            var current = inputTa.Read(v[0]);
            g.SetShape(current, stepShape);
            var (output, newStates) = stepFunction(current, v[2..]);
            if (newStates.Length != initialStates.Length)
                throw new InvalidArgumentException($"The RNN step returned {newStates.Length} states for {initialStates.Length} initial states");
            for (int i = 0; i < newStates.Length; i++) g.SetShape(newStates[i], stateShapes[i]);
            var ta = outputTa.WithFlow(v[1]).Write(v[0], output);
            return [g.AddV2(v[0], g.Constant(1), name: "add"), ta.Flow, .. newStates];
        }, loopVars, parallelIterations: 32, name: "while", maximumIterations: timeSteps >= 0 ? g.Constant(timeSteps, name: "maximum_iterations") : null);
        var outputs = outputTa.WithFlow(final[1]).Stack();
        var last = g.StridedSlice(outputs, [-1], [0], shrinkAxisMask: 1);
        int[] outDims = [timeSteps, batch, .. outputShape.ToArray()[1..]];
        g.SetShape(outputs, new Shape(outDims));
        int outRank = outDims.Length;
        var batchMajor = g.Transpose(outputs, [1, 0, .. Enumerable.Range(2, outRank - 2)], name: "transpose_1");
        return (last, batchMajor, final[2..]);
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
