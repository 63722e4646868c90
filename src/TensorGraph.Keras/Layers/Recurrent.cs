namespace TensorGraph.Keras.Layers;

/// <summary>
/// Keras's recurrent layer base (<c>keras.layers.RNN</c> with a built-in cell), as tf.keras 1.15
/// builds it in graph mode: inputs [batch, time, features]; the initial states are zeros
/// ([batch, units], <c>zeros</c>, <c>zeros_1</c>) unless given as further inputs (Keras's
/// <c>initial_state</c>); the loop is <see cref="Backend.Rnn"/> (<c>lstm/while/…</c>), whose
/// step is the cell (<c>lstm/while/MatMul</c>, …). The weights are the cell's, named under the
/// layer (<c>lstm/kernel</c>, <c>lstm/recurrent_kernel</c>, <c>lstm/bias</c>), in the input's
/// float type. Returns the last output, or every output with <see cref="ReturnSequences"/>,
/// then the final states with <see cref="ReturnState"/> (use <see cref="Layer.ApplyAll(KerasTensor[])"/>);
/// <see cref="GoBackwards"/> processes the sequence from its end and returns the outputs in that
/// (reversed) order, as Keras does.
/// </summary>
public abstract class RNN : Layer
{
    /// <summary>Creates the layer (the cell's activation, bias and initializers with Keras's defaults: glorot_uniform, orthogonal, zeros).</summary>
    protected RNN(int units, string? activation, bool useBias, object? kernelInitializer, object? recurrentInitializer, object? biasInitializer,
        bool returnSequences, bool returnState, bool goBackwards, int[]? inputShape, string? name) : base(name, inputShape)
    {
        if (units <= 0) throw new ArgumentOutOfRangeException(nameof(units), units, "units must be positive");
        Units = units;
        ReturnSequences = returnSequences;
        ReturnState = returnState;
        GoBackwards = goBackwards;
        ActivationName = activation;
        Activation = Activations.Get(activation);
        UseBias = useBias;
        KernelInitializer = Initializer.Get(kernelInitializer, new GlorotUniform());
        RecurrentInitializer = Initializer.Get(recurrentInitializer, new Orthogonal());
        BiasInitializer = Initializer.Get(biasInitializer, new Zeros());
    }

    /// <summary>The cell's activation.</summary>
    private protected Func<Graph, Output, Output> Activation { get; }

    /// <summary>The activation's name (null: linear).</summary>
    public string? ActivationName { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <summary>Initializer of <c>kernel</c>.</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>Initializer of <c>recurrent_kernel</c>.</summary>
    public Initializer RecurrentInitializer { get; }

    /// <summary>Initializer of <c>bias</c>.</summary>
    public Initializer BiasInitializer { get; }


    /// <summary>Width of the output and of each state.</summary>
    public int Units { get; }

    /// <summary>Whether every step's output is returned ([batch, time, units]) rather than the last one ([batch, units]).</summary>
    public bool ReturnSequences { get; }

    /// <summary>Whether the final states follow the output.</summary>
    public bool ReturnState { get; }

    /// <summary>Whether the sequence is processed from its last step to its first.</summary>
    public bool GoBackwards { get; }

    /// <summary>The number of state tensors of the cell (LSTM: h and c).</summary>
    public abstract int StateCount { get; }

    /// <inheritdoc/>
    public override int OutputCount => ReturnState ? 1 + StateCount : 1;

    /// <summary>A copy of this layer's configuration under another name and direction (Bidirectional's forward and backward layers).</summary>
    internal abstract RNN CloneWith(string name, bool goBackwards);

    /// <summary>Creates the cell's weights for steps of <paramref name="inputDim"/> features.</summary>
    protected abstract void BuildCell(Graph g, int inputDim, DType dtype);

    /// <summary>One step of the cell: this step's input [batch, features] and the previous states to the output and the new states.</summary>
    protected abstract (Output Output, Output[] States) Step(Graph g, Output input, Output[] states);

    /// <inheritdoc/>
    protected override void Build(Graph g, Shape[] inputShapes)
    {
        var s = inputShapes[0];
        if (!s.IsRankKnown || s.Rank != 3)
            throw new InvalidArgumentException($"Input 0 of layer {Name} is incompatible with the layer: expected ndim=3, found {(s.IsRankKnown ? $"ndim={s.Rank}" : "unknown rank")}. Full shape received: {s}");
        if (s[2] < 0) throw new InvalidArgumentException($"The last dimension of the inputs to `{GetType().Name}` should be defined. Found `None`. (layer {Name})");
        var dtype = BuildDType is DType.Float32 or DType.Float64 ? BuildDType
            : throw new InvalidArgumentException($"Layer {Name} takes float32 or float64 inputs, got {BuildDType.Name()}");
        _inputDim = s[2];
        BuildCell(g, s[2], dtype);
    }

    private int _inputDim;

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs) => ForwardAll(g, inputs)[0];

    /// <inheritdoc/>
    protected override Output[] ForwardAll(Graph g, Output[] inputs)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(inputs);
        var x = inputs[0];
        if (x.DType != BuildDType)
            throw new InvalidArgumentException($"Layer {Name} was built for {BuildDType.Name()} inputs, got {x.DType.Name()} ('{x.Name}')");
        if (!x.Shape.IsRankKnown || x.Shape.Rank != 3 || x.Shape[2] != _inputDim)
            throw new InvalidArgumentException($"Input 0 of layer {Name} is incompatible with the layer: expected shape (None, None, {_inputDim}), found shape {x.Shape}");
        Output[] initial;
        if (inputs.Length > 1)
        {
            if (inputs.Length - 1 != StateCount)
                throw new ArgumentException($"Layer {Name} has {StateCount} states but was passed {inputs.Length - 1} initial states.", nameof(inputs));
            initial = inputs[1..];
            foreach (var s in initial)
                if (!s.Shape.IsCompatibleWith(new Shape(-1, Units)) || s.DType != x.DType)
                    throw new InvalidArgumentException($"An initial state of layer {Name} must be {x.DType.Name()} of shape (batch, {Units}), got '{s.Name}' {s.DType.Name()} {s.Shape}");
        }
        else initial = InitialState(g, x);
        var mask = InputMasks.Count > 0 ? InputMasks[0] : null;
        var (last, outputs, states) = Backend.Rnn((inp, st) => Step(g, inp, st), x, initial, new Shape(x.Shape[0], Units), GoBackwards, mask);
        var output = ReturnSequences ? outputs : last;
        return ReturnState ? [output, .. states] : [output];
    }

    /// <summary>The output keeps the input's mask when it is the whole sequence; states carry none (Keras's <c>RNN.compute_mask</c>).</summary>
    protected override Output?[] ComputeMask(Graph g, Output[] inputs, IReadOnlyList<Output?> masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var result = new Output?[OutputCount];
        if (ReturnSequences && masks.Count > 0) result[0] = masks[0];
        return result;
    }

    /// <summary>Keras's <c>get_initial_state</c>: zeros [batch, units] per state, the batch read from the input (<c>Shape</c>, <c>strided_slice</c>).</summary>
    private Output[] InitialState(Graph g, Output x)
    {
        var batch = g.StridedSlice(g.ShapeOf(x, name: "Shape"), [0], [1], shrinkAxisMask: 1);
        var states = new Output[StateCount];
        for (int i = 0; i < states.Length; i++)
        {
            using var scope = g.NameScope("zeros");
            var exact = g.CurrentNameScope + "/";
            var shape = g.Stack([batch, g.Constant(Units, name: "packed/1")], name: "packed");
            states[i] = g.Fill(shape, Backend.Scalar(g, x.DType, 0, "Const"), exact);
            g.SetShape(states[i], new Shape(x.Shape[0], Units));
        }
        return states;
    }

    /// <summary>Python's <c>m[:, start:end]</c> on a matrix (a StridedSlice, as TF builds it).</summary>
    private protected static Output Columns(Graph g, Output m, int? start, int? end) =>
        g.StridedSlice(m, [0, start ?? 0], [0, end ?? 0], [1, 1], beginMask: 1 | (start is null ? 2 : 0), endMask: 1 | (end is null ? 2 : 0));

    /// <summary>Python's <c>v[start:end]</c> on a vector.</summary>
    private protected static Output Range(Graph g, Output v, int? start, int? end) =>
        g.StridedSlice(v, [start ?? 0], [end ?? 0], [1], beginMask: start is null ? 1 : 0, endMask: end is null ? 1 : 0);

    /// <summary>Keras's <c>K.dot</c> of two matrices (<c>MatMul</c>).</summary>
    private protected static Output Dot(Graph g, Output a, Output b) => g.MatMul(a, b, name: "MatMul");
}

/// <summary>A recurrent layer with gates (LSTM, GRU): their activation and Keras's implementation mode.</summary>
public abstract class GatedRNN : RNN
{
    /// <summary>Creates the layer.</summary>
    private protected GatedRNN(int units, string? activation, string? recurrentActivation, bool useBias, object? kernelInitializer, object? recurrentInitializer,
        object? biasInitializer, int implementation, bool returnSequences, bool returnState, bool goBackwards, int[]? inputShape, string? name)
        : base(units, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, returnSequences, returnState, goBackwards, inputShape, name)
    {
        if (implementation is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(implementation), implementation, "implementation must be 1 or 2");
        RecurrentActivationName = recurrentActivation;
        RecurrentActivation = Activations.Get(recurrentActivation);
        Implementation = implementation;
    }

    /// <summary>The gates' activation.</summary>
    private protected Func<Graph, Output, Output> RecurrentActivation { get; }

    /// <summary>The gates' activation's name (null: linear).</summary>
    public string? RecurrentActivationName { get; }

    /// <summary>1 (a product per gate) or 2 (fewer, larger products).</summary>
    public int Implementation { get; }
}

/// <summary>
/// <c>SimpleRNN(units, activation='tanh', use_bias=True, kernel_initializer='glorot_uniform',
/// recurrent_initializer='orthogonal', bias_initializer='zeros')</c>:
/// <c>h_t = activation(x_t · kernel + bias + h_{t−1} · recurrent_kernel)</c>.
/// </summary>
public sealed class SimpleRNN : RNN
{
    private Variable? _kernel, _recurrent, _bias;

    /// <summary>Creates the layer.</summary>
    /// <param name="units">Width of the output and the state.</param>
    /// <param name="activation">Activation name (default tanh; null for linear).</param>
    /// <param name="useBias">Whether a bias is added.</param>
    /// <param name="kernelInitializer">Default glorot_uniform.</param>
    /// <param name="recurrentInitializer">Default orthogonal.</param>
    /// <param name="biasInitializer">Default zeros.</param>
    /// <param name="returnSequences">Return every step's output.</param>
    /// <param name="returnState">Return the final state after the output.</param>
    /// <param name="goBackwards">Process the sequence backwards.</param>
    /// <param name="inputShape">(time, features) of one sample, for a model's first layer.</param>
    /// <param name="name">Layer name.</param>
    public SimpleRNN(int units, string? activation = "tanh", bool useBias = true, object? kernelInitializer = null, object? recurrentInitializer = null,
        object? biasInitializer = null, bool returnSequences = false, bool returnState = false, bool goBackwards = false, int[]? inputShape = null, string? name = null)
        : base(units, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, returnSequences, returnState, goBackwards, inputShape, name)
    {
    }

    /// <inheritdoc/>
    public override int StateCount => 1;

    internal override RNN CloneWith(string name, bool goBackwards) =>
        new SimpleRNN(Units, ActivationName, UseBias, KernelInitializer, RecurrentInitializer, BiasInitializer, ReturnSequences, ReturnState, goBackwards, name: name);

    /// <inheritdoc/>
    protected override void BuildCell(Graph g, int inputDim, DType dtype)
    {
        _kernel = AddWeight(g, "kernel", [inputDim, Units], KernelInitializer, dtype: dtype);
        _recurrent = AddWeight(g, "recurrent_kernel", [Units, Units], RecurrentInitializer, dtype: dtype);
        if (UseBias) _bias = AddWeight(g, "bias", [Units], BiasInitializer, dtype: dtype);
    }

    /// <inheritdoc/>
    protected override (Output Output, Output[] States) Step(Graph g, Output input, Output[] states)
    {
        var h = Dot(g, input, _kernel!.Value);
        if (_bias is { } b) h = g.BiasAdd(h, b.Value, name: "BiasAdd");
        var output = Activation(g, g.AddV2(h, Dot(g, states[0], _recurrent!.Value), name: "add"));
        return (output, [output]);
    }
}

/// <summary>
/// <c>LSTM(units, activation='tanh', recurrent_activation='hard_sigmoid', use_bias=True,
/// kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
/// bias_initializer='zeros', unit_forget_bias=True, implementation=1)</c>, tf.keras 1.15's
/// <c>keras.layers.LSTM</c> (v1). Gates in Keras's order i, f, c, o along the last axis of
/// <c>kernel</c> [features, 4·units], <c>recurrent_kernel</c> [units, 4·units] and <c>bias</c>
/// [4·units] (the forget slice starts at ones with <see cref="UnitForgetBias"/>):
/// <c>i = σ(x·Wi + bi + h·Ui)</c>, <c>f = σ(x·Wf + bf + h·Uf)</c>,
/// <c>c' = f·c + i·tanh(x·Wc + bc + h·Uc)</c>, <c>o = σ(x·Wo + bo + h·Uo)</c>,
/// <c>h' = o·tanh(c')</c>; states [h, c]. Implementation 1 multiplies per gate (split kernels),
/// 2 in one product.
/// </summary>
public sealed class LSTM : GatedRNN
{
    private Variable? _kernel, _recurrent, _bias;

    /// <summary>Creates the layer.</summary>
    /// <param name="units">Width of the output and of each state.</param>
    /// <param name="activation">Activation of the cell input and output (default tanh; null for linear).</param>
    /// <param name="recurrentActivation">Activation of the gates (default hard_sigmoid, tf.keras 1.15's).</param>
    /// <param name="useBias">Whether a bias is added.</param>
    /// <param name="kernelInitializer">Default glorot_uniform.</param>
    /// <param name="recurrentInitializer">Default orthogonal.</param>
    /// <param name="biasInitializer">Default zeros.</param>
    /// <param name="unitForgetBias">Start the forget gate's bias at one (and the rest with the bias initializer).</param>
    /// <param name="implementation">1: a product per gate; 2: one product for all gates.</param>
    /// <param name="returnSequences">Return every step's output.</param>
    /// <param name="returnState">Return the final h and c after the output.</param>
    /// <param name="goBackwards">Process the sequence backwards.</param>
    /// <param name="inputShape">(time, features) of one sample, for a model's first layer.</param>
    /// <param name="name">Layer name.</param>
    public LSTM(int units, string? activation = "tanh", string? recurrentActivation = "hard_sigmoid", bool useBias = true, object? kernelInitializer = null,
        object? recurrentInitializer = null, object? biasInitializer = null, bool unitForgetBias = true, int implementation = 1,
        bool returnSequences = false, bool returnState = false, bool goBackwards = false, int[]? inputShape = null, string? name = null)
        : base(units, activation, recurrentActivation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, implementation,
            returnSequences, returnState, goBackwards, inputShape, name)
    {
        UnitForgetBias = unitForgetBias;
    }

    /// <summary>Whether the forget gate's bias starts at one.</summary>
    public bool UnitForgetBias { get; }

    /// <inheritdoc/>
    public override int StateCount => 2;

    internal override RNN CloneWith(string name, bool goBackwards) =>
        new LSTM(Units, ActivationName, RecurrentActivationName, UseBias, KernelInitializer, RecurrentInitializer, BiasInitializer, UnitForgetBias,
            Implementation, ReturnSequences, ReturnState, goBackwards, name: name);

    /// <inheritdoc/>
    protected override void BuildCell(Graph g, int inputDim, DType dtype)
    {
        int u = Units;
        _kernel = AddWeight(g, "kernel", [inputDim, 4 * u], KernelInitializer, dtype: dtype);
        _recurrent = AddWeight(g, "recurrent_kernel", [u, 4 * u], RecurrentInitializer, dtype: dtype);
        if (UseBias) _bias = AddWeight(g, "bias", [4 * u], UnitForgetBias ? new ForgetBiasInitializer(BiasInitializer, u) : BiasInitializer, dtype: dtype);
    }

    /// <inheritdoc/>
    protected override (Output Output, Output[] States) Step(Graph g, Output input, Output[] states)
    {
        int u = Units;
        var (h, c) = (states[0], states[1]);
        Output i, f, cNew, o;
        var rk = _recurrent!.Value;
        if (Implementation == 1)
        {
            var k = g.Split(_kernel!.Value, 4, axis: 1, name: "split");
            var x = new Output[4];
            for (int q = 0; q < 4; q++) x[q] = Dot(g, input, k[q]);
            if (_bias is { } bias)
            {
                var b = g.Split(bias.Value, 4, axis: 0, name: "split_1");
                for (int q = 0; q < 4; q++) x[q] = g.BiasAdd(x[q], b[q], name: "BiasAdd");
            }
            i = RecurrentActivation(g, g.AddV2(x[0], Dot(g, h, Columns(g, rk, null, u)), name: "add"));
            f = RecurrentActivation(g, g.AddV2(x[1], Dot(g, h, Columns(g, rk, u, 2 * u)), name: "add"));
            cNew = g.AddV2(g.Multiply(f, c, name: "mul"),
                g.Multiply(i, Activation(g, g.AddV2(x[2], Dot(g, h, Columns(g, rk, 2 * u, 3 * u)), name: "add")), name: "mul"), name: "add");
            o = RecurrentActivation(g, g.AddV2(x[3], Dot(g, h, Columns(g, rk, 3 * u, null)), name: "add"));
        }
        else
        {
            var z = g.AddV2(Dot(g, input, _kernel!.Value), Dot(g, h, rk), name: "add");
            if (_bias is { } bias) z = g.BiasAdd(z, bias.Value, name: "BiasAdd");
            var zs = g.Split(z, 4, axis: 1, name: "split");
            i = RecurrentActivation(g, zs[0]);
            f = RecurrentActivation(g, zs[1]);
            cNew = g.AddV2(g.Multiply(f, c, name: "mul"), g.Multiply(i, Activation(g, zs[2]), name: "mul"), name: "add");
            o = RecurrentActivation(g, zs[3]);
        }
        var hNew = g.Multiply(o, Activation(g, cNew), name: "mul");
        return (hNew, [hNew, cNew]);
    }

    /// <summary>
    /// LSTM's bias initializer with <c>unit_forget_bias</c>: <c>concat([init(units), ones(units),
    /// init(2·units)])</c>.
    /// </summary>
    private sealed class ForgetBiasInitializer(Initializer inner, int units) : Initializer
    {
        public override Output Create(Graph g, int[] shape, DType dtype) =>
            g.Concat([inner.Create(g, [units], dtype), g.Ones(new Shape(units), dtype), inner.Create(g, [2 * units], dtype)], 0, name: "concat");
    }
}

/// <summary>
/// <c>GRU(units, activation='tanh', recurrent_activation='hard_sigmoid', use_bias=True,
/// kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
/// bias_initializer='zeros', implementation=1, reset_after=False)</c>, tf.keras 1.15's
/// <c>keras.layers.GRU</c> (v1). Gates z (update), r (reset), h (candidate) along the last axis of
/// <c>kernel</c> [features, 3·units] and <c>recurrent_kernel</c> [units, 3·units]:
/// <c>z = σ(x·Wz + bz + h·Uz)</c>, <c>r = σ(x·Wr + br + h·Ur)</c>,
/// <c>ĥ = tanh(x·Wh + bh + (r·h)·Uh)</c> (reset before the product), <c>h' = z·h + (1 − z)·ĥ</c>.
/// With <see cref="ResetAfter"/> (the CuDNN convention) the bias is [2, 3·units], an input row
/// and a recurrent row, and <c>ĥ = tanh(x·Wh + bh + r·(h·Uh + b'h))</c>.
/// </summary>
public sealed class GRU : GatedRNN
{
    private Variable? _kernel, _recurrent, _bias;

    /// <summary>Creates the layer.</summary>
    /// <param name="units">Width of the output and the state.</param>
    /// <param name="activation">Activation of the candidate (default tanh; null for linear).</param>
    /// <param name="recurrentActivation">Activation of the gates (default hard_sigmoid, tf.keras 1.15's).</param>
    /// <param name="useBias">Whether a bias is added.</param>
    /// <param name="kernelInitializer">Default glorot_uniform.</param>
    /// <param name="recurrentInitializer">Default orthogonal.</param>
    /// <param name="biasInitializer">Default zeros.</param>
    /// <param name="implementation">1: a product per gate; 2: fewer, larger products.</param>
    /// <param name="resetAfter">Apply the reset gate after the recurrent product (bias [2, 3·units]); default false, as tf.keras 1.15's GRU.</param>
    /// <param name="returnSequences">Return every step's output.</param>
    /// <param name="returnState">Return the final state after the output.</param>
    /// <param name="goBackwards">Process the sequence backwards.</param>
    /// <param name="inputShape">(time, features) of one sample, for a model's first layer.</param>
    /// <param name="name">Layer name.</param>
    public GRU(int units, string? activation = "tanh", string? recurrentActivation = "hard_sigmoid", bool useBias = true, object? kernelInitializer = null,
        object? recurrentInitializer = null, object? biasInitializer = null, int implementation = 1, bool resetAfter = false,
        bool returnSequences = false, bool returnState = false, bool goBackwards = false, int[]? inputShape = null, string? name = null)
        : base(units, activation, recurrentActivation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, implementation,
            returnSequences, returnState, goBackwards, inputShape, name)
    {
        ResetAfter = resetAfter;
    }

    /// <summary>Whether the reset gate applies after the recurrent product (bias [2, 3·units]).</summary>
    public bool ResetAfter { get; }

    /// <inheritdoc/>
    public override int StateCount => 1;

    internal override RNN CloneWith(string name, bool goBackwards) =>
        new GRU(Units, ActivationName, RecurrentActivationName, UseBias, KernelInitializer, RecurrentInitializer, BiasInitializer, Implementation, ResetAfter,
            ReturnSequences, ReturnState, goBackwards, name: name);

    /// <inheritdoc/>
    protected override void BuildCell(Graph g, int inputDim, DType dtype)
    {
        int u = Units;
        _kernel = AddWeight(g, "kernel", [inputDim, 3 * u], KernelInitializer, dtype: dtype);
        _recurrent = AddWeight(g, "recurrent_kernel", [u, 3 * u], RecurrentInitializer, dtype: dtype);
        if (UseBias) _bias = AddWeight(g, "bias", ResetAfter ? [2, 3 * u] : [3 * u], BiasInitializer, dtype: dtype);
    }

    /// <inheritdoc/>
    protected override (Output Output, Output[] States) Step(Graph g, Output input, Output[] states)
    {
        int u = Units;
        var h = states[0];
        var k = _kernel!.Value;
        var rk = _recurrent!.Value;
        Output? inputBias = null, recurrentBias = null;
        if (_bias is { } bias)
        {
            if (!ResetAfter) inputBias = bias.Value;
            else
            {
                var rows = g.Unstack(bias.Value, 2, name: "unstack");
                (inputBias, recurrentBias) = (rows[0], rows[1]);
            }
        }
        Output z, r, hh;
        if (Implementation == 1)
        {
            var xz = Dot(g, input, Columns(g, k, null, u));
            var xr = Dot(g, input, Columns(g, k, u, 2 * u));
            var xh = Dot(g, input, Columns(g, k, 2 * u, null));
            if (inputBias is { } ib)
            {
                xz = g.BiasAdd(xz, Range(g, ib, null, u), name: "BiasAdd");
                xr = g.BiasAdd(xr, Range(g, ib, u, 2 * u), name: "BiasAdd");
                xh = g.BiasAdd(xh, Range(g, ib, 2 * u, null), name: "BiasAdd");
            }
            var rz = Dot(g, h, Columns(g, rk, null, u));
            var rr = Dot(g, h, Columns(g, rk, u, 2 * u));
            if (recurrentBias is { } rb)
            {
                rz = g.BiasAdd(rz, Range(g, rb, null, u), name: "BiasAdd");
                rr = g.BiasAdd(rr, Range(g, rb, u, 2 * u), name: "BiasAdd");
            }
            z = RecurrentActivation(g, g.AddV2(xz, rz, name: "add"));
            r = RecurrentActivation(g, g.AddV2(xr, rr, name: "add"));
            Output rh;
            if (ResetAfter)
            {
                rh = Dot(g, h, Columns(g, rk, 2 * u, null));
                if (recurrentBias is { } rb2) rh = g.BiasAdd(rh, Range(g, rb2, 2 * u, null), name: "BiasAdd");
                rh = g.Multiply(r, rh, name: "mul");
            }
            else rh = Dot(g, g.Multiply(r, h, name: "mul"), Columns(g, rk, 2 * u, null));
            hh = Activation(g, g.AddV2(xh, rh, name: "add"));
        }
        else
        {
            var mx = Dot(g, input, k);
            if (inputBias is { } ib) mx = g.BiasAdd(mx, ib, name: "BiasAdd");
            var xs = g.Split(mx, 3, axis: 1, name: "split");
            Output inner;
            if (ResetAfter)
            {
                inner = Dot(g, h, rk);
                if (recurrentBias is { } rb) inner = g.BiasAdd(inner, rb, name: "BiasAdd");
            }
            else inner = Dot(g, h, Columns(g, rk, null, 2 * u));
            var rs = g.Split(inner, ResetAfter ? [u, u, u] : [u, u], axis: 1, name: "split_1");
            z = RecurrentActivation(g, g.AddV2(xs[0], rs[0], name: "add"));
            r = RecurrentActivation(g, g.AddV2(xs[1], rs[1], name: "add"));
            var rh = ResetAfter ? g.Multiply(r, rs[2], name: "mul") : Dot(g, g.Multiply(r, h, name: "mul"), Columns(g, rk, 2 * u, null));
            hh = Activation(g, g.AddV2(xs[2], rh, name: "add"));
        }
        var one = Backend.Scalar(g, h.DType, 1, "sub/x");
        var hNew = g.AddV2(g.Multiply(z, h, name: "mul"), g.Multiply(g.Subtract(one, z, name: "sub"), hh, name: "mul"), name: "add");
        return (hNew, [hNew]);
    }
}

/// <summary>
/// <c>Bidirectional(layer, merge_mode='concat')</c>: runs a copy of the recurrent layer forward
/// (<c>forward_lstm</c>) and one backward (<c>backward_lstm</c>, <c>go_backwards</c> flipped),
/// each under the wrapper's scope (<c>bidirectional/forward_lstm/kernel</c>), reverses the backward
/// sequence back in time when returning sequences (<c>ReverseV2</c>), and merges the two: "concat"
/// (<c>concat</c> on the last axis), "sum", "mul", "ave", or null (both outputs). With
/// <c>return_state</c> the forward states then the backward states follow.
/// </summary>
public sealed class Bidirectional : Layer
{
    /// <summary>Creates the wrapper.</summary>
    /// <param name="layer">The recurrent layer whose configuration both directions copy.</param>
    /// <param name="mergeMode">"concat", "sum", "mul", "ave", or null for both outputs.</param>
    /// <param name="backwardLayer">A layer for the backward direction (its <c>goBackwards</c> must differ from <paramref name="layer"/>'s); default a copy of <paramref name="layer"/>.</param>
    /// <param name="inputShape">(time, features) of one sample, for a model's first layer; default the layer's.</param>
    /// <param name="name">Layer name (default <c>bidirectional</c>).</param>
    public Bidirectional(RNN layer, string? mergeMode = "concat", RNN? backwardLayer = null, int[]? inputShape = null, string? name = null)
        : base(name, inputShape ?? layer?.InputShape?.ToArray())
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (mergeMode is not (null or "concat" or "sum" or "mul" or "ave"))
            throw new ArgumentException($"Invalid merge mode. Merge mode should be one of {{\"sum\", \"mul\", \"ave\", \"concat\", None}}, got {mergeMode}", nameof(mergeMode));
        if (layer.Built || (backwardLayer?.Built ?? false)) throw new ArgumentException("Bidirectional needs layers that have not been called yet", nameof(layer));
        if (backwardLayer is not null)
        {
            if (backwardLayer.GoBackwards == layer.GoBackwards)
                throw new ArgumentException("Forward layer and backward layer should have different `go_backwards` value.", nameof(backwardLayer));
            if (backwardLayer.ReturnSequences != layer.ReturnSequences || backwardLayer.ReturnState != layer.ReturnState)
                throw new ArgumentException("Forward layer and backward layer should have the same `return_sequences` and `return_state`.", nameof(backwardLayer));
        }
        Layer = layer;
        MergeMode = mergeMode;
        ForwardLayer = layer.CloneWith("forward_" + layer.Name, layer.GoBackwards);
        BackwardLayer = (backwardLayer ?? layer).CloneWith("backward_" + (backwardLayer ?? layer).Name, backwardLayer?.GoBackwards ?? !layer.GoBackwards);
        AddSublayer(ForwardLayer);
        AddSublayer(BackwardLayer);
    }

    /// <summary>The wrapped layer (its configuration; the two directions are copies of it).</summary>
    public RNN Layer { get; }

    /// <summary>How the two directions' outputs are merged (null: not merged).</summary>
    public string? MergeMode { get; }

    /// <summary>The forward direction, <c>forward_&lt;layer&gt;</c>.</summary>
    public RNN ForwardLayer { get; }

    /// <summary>The backward direction, <c>backward_&lt;layer&gt;</c>.</summary>
    public RNN BackwardLayer { get; }

    /// <inheritdoc/>
    public override int OutputCount => (MergeMode is null ? 2 : 1) + (Layer.ReturnState ? 2 * Layer.StateCount : 0);

    /// <inheritdoc/>
    protected override Output Forward(Graph g, Output[] inputs) => ForwardAll(g, inputs)[0];

    /// <inheritdoc/>
    protected override Output[] ForwardAll(Graph g, Output[] inputs)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(inputs);
        var x = inputs[0];
        Output[] fwInit = [], bwInit = [];
        if (inputs.Length > 1)
        {
            int n = Layer.StateCount;
            if (inputs.Length - 1 != 2 * n)
                throw new ArgumentException($"When passing `initial_state` to a Bidirectional RNN, the state should be a list containing the states of the underlying RNNs: {2 * n} tensors, got {inputs.Length - 1}. (layer {Name})", nameof(inputs));
            fwInit = inputs[1..(1 + n)];
            bwInit = inputs[(1 + n)..];
        }
        Output?[] Masks(int states) => [InputMasks.Count > 0 ? InputMasks[0] : null, .. new Output?[states]];
        var y = ForwardLayer.InvokeWithMasks([x, .. fwInit], Masks(fwInit.Length)).Outputs;
        var yRev = BackwardLayer.InvokeWithMasks([x, .. bwInit], Masks(bwInit.Length)).Outputs;
        var a = y[0];
        var b = yRev[0];
        if (Layer.ReturnSequences) b = g.Reverse(b, [1], name: "ReverseV2");
        Output[] merged = MergeMode switch
        {
            "concat" => [g.Concat([a, b], a.Shape.Rank - 1, name: "concat")],
            "sum" => [g.AddV2(a, b, name: "add")],
            "ave" => [g.RealDiv(g.AddV2(a, b, name: "add"), Backend.Scalar(g, a.DType, 2, "truediv/y"), name: "truediv")],
            "mul" => [g.Multiply(a, b, name: "mul")],
            _ => [a, b],
        };
        return [.. merged, .. y[1..], .. yRev[1..]];
    }

    /// <summary>Merged outputs keep the input's mask when they are whole sequences; states carry none.</summary>
    protected override Output?[] ComputeMask(Graph g, Output[] inputs, IReadOnlyList<Output?> masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var result = new Output?[OutputCount];
        if (Layer.ReturnSequences && masks.Count > 0)
            for (int i = 0; i < (MergeMode is null ? 2 : 1); i++) result[i] = masks[0];
        return result;
    }
}
