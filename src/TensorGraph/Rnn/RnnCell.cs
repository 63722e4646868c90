namespace TensorGraph.Rnn;

/// <summary>
/// TF 1.15's <c>tf.nn.rnn_cell.RNNCell</c>: one step of a recurrent network as a graph builder.
/// A cell maps (input [batch, depth], state) to (output [batch, <see cref="OutputSize"/>], new
/// state). The state is a flat list of [batch, n] tensors, one per entry of <see cref="StateSizes"/>
/// (an LSTM's is (c, h), as TF's <c>LSTMStateTuple</c>; a <see cref="MultiRnnCell"/>'s is its cells'
/// states one after another). Variables are created on the first call, outside any while loop
/// or conditional (TF's <c>init_scope</c>), named <c>&lt;variable scope&gt;/&lt;cell name&gt;/kernel</c>
/// and <c>…/bias</c> as TF names them; later calls reuse them.
/// </summary>
public abstract class RnnCell
{
    private string? _scope;

    /// <summary>Creates a cell with TF's layer name (<c>basic_lstm_cell</c>, …).</summary>
    protected RnnCell(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The layer name: the last part of the variable scope and the name scope of the cell's ops.</summary>
    public string Name { get; }

    /// <summary>Width of the output.</summary>
    public abstract int OutputSize { get; }

    /// <summary>Width of each state tensor.</summary>
    public abstract IReadOnlyList<int> StateSizes { get; }

    /// <summary>The variables the cell created (empty until the first call).</summary>
    public IReadOnlyList<Variable> Variables => _variables;

    private readonly List<Variable> _variables = [];

    /// <summary>The full variable scope of this cell once built (<c>rnn/basic_lstm_cell</c>), else null.</summary>
    public string? Scope => _scope;

    /// <summary>
    /// Runs one step: builds (on the first call) the variables under
    /// <c><paramref name="variableScope"/>/<see cref="Name"/></c>, then the step's ops under the
    /// current name scope. Returns the output and the new state.
    /// </summary>
    public (Output Output, Output[] State) Call(Graph graph, Output input, Output[] state, string variableScope = "rnn")
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(state);
        CheckState(state);
        if (input.Shape.Rank != 2 || input.Shape[1] < 0)
            throw new InvalidArgumentException($"The input of {GetType().Name} '{Name}' must be [batch, depth] with a known depth, got '{input.Name}' with shape {input.Shape}");
        if (_scope is null)
        {
            _scope = variableScope.Length == 0 ? Name : variableScope + "/" + Name;
            Build(graph, _scope, input.Shape[1], input.DType);
        }
        return Step(graph, input, state);
    }

    /// <summary>Fails unless <paramref name="state"/> has one tensor per entry of <see cref="StateSizes"/>.</summary>
    internal void CheckState(Output[] state)
    {
        if (state.Length != StateSizes.Count)
            throw new InvalidArgumentException($"{GetType().Name} '{Name}' takes {StateSizes.Count} state tensors, got {state.Length}");
    }

    /// <summary>Creates the cell's variables under <paramref name="scope"/> for inputs of width <paramref name="inputDepth"/>.</summary>
    protected abstract void Build(Graph graph, string scope, int inputDepth, DType dtype);

    /// <summary>Builds one step's ops (in the current name scope, inside a loop when called from a dynamic RNN).</summary>
    protected abstract (Output Output, Output[] State) Step(Graph graph, Output input, Output[] state);

    /// <summary>
    /// TF's <c>zero_state(batch_size, dtype)</c>: zeros [batch, n] per state tensor, under the
    /// name scope <c>&lt;CellType&gt;ZeroState</c>.
    /// </summary>
    public virtual Output[] ZeroState(Graph graph, Output batchSize, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(graph);
        using var scope = graph.NameScope(ZeroStateScope);
        return [.. StateSizes.Select(n => ZerosOfWidth(graph, batchSize, n, dtype))];
    }

    /// <summary>TF's name scope of <see cref="ZeroState"/> (the class name + <c>ZeroState</c>).</summary>
    protected virtual string ZeroStateScope => GetType().Name.Replace("Rnn", "RNN", StringComparison.Ordinal).Replace("Lstm", "LSTM", StringComparison.Ordinal).Replace("Gru", "GRU", StringComparison.Ordinal) + "ZeroState";

    /// <summary>zeros [batch, <paramref name="n"/>] with the batch size of <paramref name="like"/> (its first dimension).</summary>
    internal Output ZeroStateLike(Graph graph, Output like, int n)
    {
        using var scope = graph.NameScope("zeros_like_output");
        return ZerosOfWidth(graph, graph.StridedSlice(graph.ShapeOf(like), [0], [1], shrinkAxisMask: 1), n, like.DType);
    }

    /// <summary>zeros([batch, n]) with a run-time batch size, as <c>_zero_state_tensors</c> builds them.</summary>
    protected internal static Output ZerosOfWidth(Graph graph, Output batchSize, int n, DType dtype)
    {
        var b = graph.ExpandDims(batchSize, 0);
        var dims = graph.Concat([b, graph.Constant(new[] { n })], 0);
        var zeros = graph.Zeros(dims, dtype);
        // TF sets the static shape too (_zero_state_tensors): [batch or ?, n].
        int staticBatch = graph.TryConstantValue(batchSize) is { Size: 1 } v ? (int)v.GetInt64(0) : -1;
        graph.SetShape(zeros, new Shape(staticBatch, n));
        return zeros;
    }

    /// <summary>
    /// A variable of the cell, created outside every while loop and conditional: a kernel gets
    /// TF's default initializer (Glorot uniform, limit √(6 / (fan_in + fan_out))), a bias a constant.
    /// </summary>
    protected Variable AddVariable(Graph graph, string scope, string name, Shape shape, DType dtype, double? constant = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        using var init = graph.InitScope();
        using var s = graph.NameScope(scope + "/");
        Output value;
        using (graph.NameScope(name + "/Initializer/"))
        {
            if (constant is { } c) value = c == 0 ? graph.Zeros(shape, dtype) : graph.Fill(graph.Constant(shape.ToArray(), name: "shape_as_tensor"), graph.Constant(Graph.ScalarOf(dtype, c), name: "Const"));
            else
            {
                int fanIn = shape.Rank >= 2 ? shape[shape.Rank - 2] : shape[0];
                int fanOut = shape[shape.Rank - 1];
                double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
                value = graph.RandomUniform(shape, -limit, limit, dtype);
            }
        }
        if (graph.TryGetOperation(scope + "/" + name) is not null)
            throw new InvalidArgumentException(
                $"Variable {scope}/{name} already exists, disallowed: another RNN cell already created it; give this RNN a different scope, or pass the same cell object to share its weights");
        var v = graph.Variable(value, name);
        _variables.Add(v);
        return v;
    }

    /// <summary>The value of a variable as the step reads it (its <c>read</c> Identity).</summary>
    protected static Output Read(Variable v) => v.Value;
}

/// <summary>An activation by TF's name: tanh (the default), relu, sigmoid, softsign or identity (linear).</summary>
public delegate Output Activation(Graph graph, Output x);

/// <summary>The activations cells accept.</summary>
public static class Activations
{
    /// <summary><c>tf.tanh</c>.</summary>
    public static Output Tanh(Graph graph, Output x) => graph.Tanh(x);

    /// <summary><c>tf.nn.relu</c>.</summary>
    public static Output Relu(Graph graph, Output x) => graph.Relu(x);

    /// <summary><c>tf.sigmoid</c>.</summary>
    public static Output Sigmoid(Graph graph, Output x) => graph.Sigmoid(x);

    /// <summary>No activation.</summary>
    public static Output Linear(Graph graph, Output x) => x;
}
