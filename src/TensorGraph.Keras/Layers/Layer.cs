namespace TensorGraph.Keras.Layers;

/// <summary>
/// The Keras layer base: a named, callable unit that builds its weights on its first call and
/// adds its ops to the graph under a name scope of its own name (<c>dense/MatMul</c>,
/// <c>dense/kernel</c>). A layer lives in one graph, the Keras default graph at its first call.
/// </summary>
public abstract class Layer
{
    private readonly List<Variable> _trainable = [];
    private readonly List<Variable> _nonTrainable = [];
    private readonly List<(IReadOnlyList<KerasTensor> Inputs, KerasTensor[] Outputs)> _calls = [];
    private readonly List<Operation> _updates = [];
    private readonly List<Layer> _sublayers = [];
    private readonly List<Output> _losses = [];

    /// <summary>Creates the layer; without a name it gets the next free snake-case name of its class.</summary>
    /// <param name="name">Layer name (the graph scope of its ops).</param>
    /// <param name="inputShape">Shape of one sample (no batch dimension), for a model's first layer.</param>
    protected Layer(string? name = null, int[]? inputShape = null)
    {
        Name = name ?? Backend.UniqueObjectName(Backend.ToSnakeCase(GetType().Name));
        InputShape = inputShape is null ? null : (int[])inputShape.Clone();
    }

    /// <summary>The layer's name and the name scope of its ops.</summary>
    public string Name { get; }

    /// <summary>The shape of one sample given at construction (Keras's <c>input_shape</c>), or null.</summary>
    public IReadOnlyList<int>? InputShape { get; }

    /// <summary>Whether the weights exist.</summary>
    public bool Built { get; private set; }

    /// <summary>The element type of the first input of the call that built the layer (what <see cref="Build"/> sees).</summary>
    protected DType BuildDType { get; private set; } = DType.Float32;

    /// <summary>The graph the layer was built in, once built.</summary>
    public Graph? Graph { get; private set; }

    /// <summary>Whether the weights are trained (the optimizer skips a frozen layer).</summary>
    public bool Trainable { get; set; } = true;

    /// <summary>
    /// Trainable weights in creation order, then those of the nested layers (a wrapper's
    /// <c>forward_lstm</c>, <c>backward_lstm</c>); empty when the layer is frozen.
    /// </summary>
    public IReadOnlyList<Variable> TrainableWeights => Trainable ? [.. _trainable, .. _sublayers.SelectMany(l => l.TrainableWeights)] : [];

    /// <summary>Non-trainable weights (and every weight of a frozen layer), then those of the nested layers.</summary>
    public IReadOnlyList<Variable> NonTrainableWeights => Trainable
        ? [.. _nonTrainable, .. _sublayers.SelectMany(l => l.NonTrainableWeights)]
        : [.. _trainable, .. _sublayers.SelectMany(l => l.TrainableWeights), .. _nonTrainable, .. _sublayers.SelectMany(l => l.NonTrainableWeights)];

    /// <summary>Every weight: trainable first, then non-trainable, as Keras orders them.</summary>
    public IReadOnlyList<Variable> Weights => Trainable ? [.. TrainableWeights, .. NonTrainableWeights] : NonTrainableWeights;

    /// <summary>Ops the training function runs with each step (BatchNormalization's moving averages).</summary>
    public IReadOnlyList<Operation> Updates => [.. _updates, .. _sublayers.SelectMany(l => l.Updates)];

    /// <summary>The layer's regularization penalties (Keras's <c>layer.losses</c>), then those of the nested layers; the model adds them to its loss.</summary>
    public IReadOnlyList<Output> Losses => [.. _losses, .. _sublayers.SelectMany(l => l.Losses)];

    /// <summary>Adds <paramref name="regularizer"/>'s penalty on <paramref name="weight"/> to <see cref="Losses"/> (ops under <c>&lt;weight&gt;/Regularizer</c>); null adds nothing.</summary>
    protected void AddRegularizer(Graph g, Variable weight, Regularizer? regularizer)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(weight);
        if (regularizer is null) return;
        var leaf = weight.Name[(weight.Name.LastIndexOf('/') + 1)..];
        using (g.NameScope(leaf + "/Regularizer")) _losses.Add(regularizer.Apply(g, weight.Value));
    }

    /// <summary>Makes <paramref name="layer"/> part of this one: its weights and updates count as this layer's (Keras's tracked sublayers).</summary>
    protected void AddSublayer(Layer layer) => _sublayers.Add(layer ?? throw new ArgumentNullException(nameof(layer)));

    /// <summary>How many tensors one call returns (more than one for an RNN with <c>return_state</c>).</summary>
    public virtual int OutputCount => 1;

    /// <summary>Registers an op for the training function to run each step.</summary>
    protected void AddUpdate(Operation op) => _updates.Add(op ?? throw new ArgumentNullException(nameof(op)));

    /// <summary>The number of scalars in the weights.</summary>
    public long CountParams() => Weights.Sum(v => v.Shape.NumElements);

    /// <summary>The output of the layer's last call, in the functional API (see <see cref="Outputs"/> for a layer with several).</summary>
    public KerasTensor Output => Outputs is [var single] ? single
        : throw new InvalidOperationException($"Layer {Name} has {Outputs.Count} outputs; use Outputs.");

    /// <summary>Every output of the layer's last call (an RNN with <c>return_state</c> returns the output, then the states).</summary>
    public IReadOnlyList<KerasTensor> Outputs => _calls.Count > 0 ? _calls[^1].Outputs : throw new InvalidOperationException($"Layer {Name} has never been called and thus has no defined output.");

    /// <summary>The inputs of the layer's last call.</summary>
    public IReadOnlyList<KerasTensor> Input => _calls.Count > 0 ? _calls[^1].Inputs : throw new InvalidOperationException($"Layer {Name} is not connected, no input to return.");

    internal IReadOnlyList<(IReadOnlyList<KerasTensor> Inputs, KerasTensor[] Outputs)> Calls => _calls;

    /// <summary>Applies the layer to a symbolic tensor (Keras's <c>layer(x)</c>).</summary>
    public KerasTensor Apply(KerasTensor input) => Apply([input]);

    /// <summary>Applies the layer to several symbolic tensors (merge layers).</summary>
    public KerasTensor Apply(params KerasTensor[] inputs)
    {
        RequireSingleOutput();
        return ApplyAll(inputs)[0];
    }

    /// <summary>
    /// Applies the layer and returns every output: for an RNN with <c>return_state</c> the output
    /// then the final states, as Keras's call returns a list. Further inputs after the first are an
    /// RNN's initial states (Keras's <c>initial_state</c>).
    /// </summary>
    public KerasTensor[] ApplyAll(params KerasTensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw new ArgumentException($"Layer {Name} called with no inputs", nameof(inputs));
        var (outs, masks) = InvokeWithMasks([.. inputs.Select(i => i.Output)], [.. inputs.Select(i => i.Mask)]);
        var ts = new KerasTensor[outs.Length];
        for (int i = 0; i < outs.Length; i++) ts[i] = new KerasTensor(outs[i], this, inputs, i, masks[i]);
        _calls.Add((inputs, ts));
        return ts;
    }

    private void RequireSingleOutput()
    {
        if (OutputCount != 1)
            throw new InvalidOperationException($"Layer {Name} returns {OutputCount} tensors (the output and its states); use ApplyAll to get them all.");
    }

    /// <summary>Same as <see cref="Apply(KerasTensor)"/>.</summary>
    public KerasTensor Call(KerasTensor input) => Apply(input);

    /// <summary>Same as <see cref="Apply(KerasTensor[])"/>.</summary>
    public KerasTensor Call(params KerasTensor[] inputs) => Apply(inputs);

    /// <summary>Applies the layer to plain graph tensors (for use inside hand-written graphs).</summary>
    public Output Apply(params Output[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        RequireSingleOutput();
        return InvokeAll(inputs)[0];
    }

    /// <summary>Applies the layer to plain graph tensors and returns every output.</summary>
    public Output[] ApplyAll(params Output[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return InvokeAll(inputs);
    }

    /// <summary>Opens the layer's name scope, builds the weights on the first call and adds the forward ops.</summary>
    internal Output[] InvokeAll(Output[] inputs) => InvokeWithMasks(inputs, null).Outputs;

    /// <summary>
    /// <see cref="InvokeAll(Output[])"/> with the inputs' masks (Keras's <c>_keras_mask</c>, null for
    /// none), which <see cref="ForwardAll"/> reads as <see cref="InputMasks"/>; returns the outputs
    /// and their masks (<see cref="ComputeMask"/>, in the layer's scope as Keras computes them).
    /// </summary>
    internal (Output[] Outputs, Output?[] Masks) InvokeWithMasks(Output[] inputs, Output?[]? masks)
    {
        if (inputs.Length == 0) throw new ArgumentException($"Layer {Name} called with no inputs", nameof(inputs));
        var g = inputs[0].Graph;
        if (Graph is not null && !ReferenceEquals(Graph, g))
            throw new InvalidOperationException($"Layer {Name} was built in another graph; a layer's weights live in one graph");
        using var scope = CallScope is { } open ? open(g) : g.NameScope(Name);
        if (!Built)
        {
            Graph = g;
            BuildDType = inputs[0].DType;
            Build(g, [.. inputs.Select(i => i.Shape)]);
            Built = true;
        }
        masks ??= new Output?[inputs.Length];
        _inputMasks = masks;
        try
        {
            var outs = ForwardAll(g, inputs);
            if (outs.Length != OutputCount) throw new InvalidOperationException($"Layer {Name} made {outs.Length} outputs, not {OutputCount}");
            var outMasks = masks.Any(m => m is not null) || MakesMask ? ComputeMask(g, inputs, masks) : new Output?[outs.Length];
            if (outMasks.Length != outs.Length) throw new InvalidOperationException($"Layer {Name} made {outMasks.Length} masks for {outs.Length} outputs");
            return (outs, outMasks);
        }
        finally
        {
            _inputMasks = [];
        }
    }

    private Output?[] _inputMasks = [];

    /// <summary>Whether the layer makes a mask of its own from unmasked inputs (<c>Embedding(maskZero: true)</c>).</summary>
    protected virtual bool MakesMask => false;

    /// <summary>The masks of the inputs of the call being built (null entries: no mask), for <see cref="ForwardAll"/>.</summary>
    protected IReadOnlyList<Output?> InputMasks => _inputMasks;

    /// <summary>
    /// Whether the layer passes its input's mask on to its outputs (Keras's <c>supports_masking</c>);
    /// a layer that does not drops the mask, as tf.keras 1.15 does.
    /// </summary>
    public virtual bool SupportsMasking => false;

    /// <summary>
    /// The masks of the outputs (Keras's <c>compute_mask</c>): by default the first input's mask for
    /// every output when <see cref="SupportsMasking"/>, else none.
    /// </summary>
    protected virtual Output?[] ComputeMask(Graph g, Output[] inputs, IReadOnlyList<Output?> masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var result = new Output?[OutputCount];
        if (SupportsMasking) Array.Fill(result, masks.Count > 0 ? masks[0] : null);
        return result;
    }

    /// <summary>Creates the weights for inputs of these static shapes (batch dimension first).</summary>
    protected virtual void Build(Graph g, Shape[] inputShapes) { }

    /// <summary>Adds the layer's forward ops; runs inside the layer's name scope.</summary>
    protected abstract Output Forward(Graph g, Output[] inputs);

    /// <summary>Adds the forward ops of a layer with <see cref="OutputCount"/> outputs; by default the one of <see cref="Forward"/>.</summary>
    protected virtual Output[] ForwardAll(Graph g, Output[] inputs) => [Forward(g, inputs)];

    /// <summary>
    /// Adds a weight named <c>&lt;scope&gt;/&lt;name&gt;</c> whose initial value is built under
    /// <c>&lt;scope&gt;/&lt;name&gt;/Initializer</c>, as tf.keras's <c>add_weight</c> does.
    /// </summary>
    protected Variable AddWeight(Graph g, string name, int[] shape, Initializer initializer, bool trainable = true, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(initializer);
        Variable v;
        if (WeightGetter is { } get) v = get(g, name, shape, initializer, trainable, BuildDType.IsFloating() ? BuildDType : dtype);
        else
        {
            using (g.NameScope(name))
            {
                var exact = g.CurrentNameScope + "/";
                Output init;
                using (g.NameScope("Initializer")) init = initializer.Create(g, shape, dtype);
                v = g.Variable(init, name: exact, trainable: trainable);
            }
        }
        (trainable ? _trainable : _nonTrainable).Add(v);
        return v;
    }

    // The tf.layers face (TensorGraph.Layers.TfLayers): the scope a call opens in place of the
    // layer's name scope (the variable scope re-entered and its original name scope), where the
    // weights come from in place of a new Variable (GetVariable in that scope), and the call's
    // `training` argument (null: Keras's learning phase; a bool or a bool tensor).
    internal Func<Graph, IDisposable>? CallScope { get; set; }

    internal Func<Graph, string, int[], Initializer, bool, DType, Variable>? WeightGetter { get; set; }

    internal object? Training { get; set; }

    /// <summary>The one input of a single-input layer.</summary>
    protected Output Single(Output[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length != 1) throw new ArgumentException($"Layer {Name} expects 1 input, but it received {inputs.Length} input tensors.", nameof(inputs));
        return inputs[0];
    }

    /// <summary>The static shape as an array, failing clearly when the rank is unknown.</summary>
    protected int[] Dims(Shape s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (!s.IsRankKnown) throw new InvalidArgumentException($"Layer {Name} needs inputs of known rank");
        return s.ToArray();
    }

    /// <inheritdoc/>
    public override string ToString() => $"<{GetType().Name} '{Name}'>";
}
