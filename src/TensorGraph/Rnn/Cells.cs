namespace TensorGraph.Rnn;

/// <summary>
/// TF's <c>BasicRNNCell(num_units, activation=tanh)</c>: <c>h' = act([x, h] · kernel + bias)</c>;
/// the output is the new state. Variables <c>basic_rnn_cell/kernel</c> [depth + units, units] and
/// <c>basic_rnn_cell/bias</c> [units] (zeros).
/// </summary>
public sealed class BasicRnnCell(int numUnits, Activation? activation = null, string name = "basic_rnn_cell") : RnnCell(name)
{
    private readonly Activation _act = activation ?? Activations.Tanh;
    private Variable _kernel = null!;
    private Variable _bias = null!;

    /// <summary>The number of units.</summary>
    public int NumUnits { get; } = numUnits > 0 ? numUnits : throw new InvalidArgumentException($"num_units must be positive, got {numUnits}");

    /// <inheritdoc/>
    public override int OutputSize => NumUnits;

    /// <inheritdoc/>
    public override IReadOnlyList<int> StateSizes => [NumUnits];

    /// <inheritdoc/>
    protected override void Build(Graph graph, string scope, int inputDepth, DType dtype)
    {
        _kernel = AddVariable(graph, scope, "kernel", new Shape(inputDepth + NumUnits, NumUnits), dtype);
        _bias = AddVariable(graph, scope, "bias", new Shape(NumUnits), dtype, constant: 0);
    }

    /// <inheritdoc/>
    protected override (Output Output, Output[] State) Step(Graph graph, Output input, Output[] state)
    {
        using var scope = graph.NameScope(Name);
        var z = graph.BiasAdd(graph.MatMul(graph.Concat([input, state[0]], 1), Read(_kernel)), Read(_bias));
        var h = _act(graph, z);
        return (h, [h]);
    }
}

/// <summary>
/// TF's <c>BasicLSTMCell(num_units, forget_bias=1.0, activation=tanh)</c>: <c>i, j, f, o</c> =
/// split([x, h] · kernel + bias, 4); <c>c' = c·σ(f + forget_bias) + σ(i)·act(j)</c>,
/// <c>h' = act(c')·σ(o)</c>. State (c, h), output h. Variables <c>basic_lstm_cell/kernel</c>
/// [depth + units, 4·units] and <c>basic_lstm_cell/bias</c> [4·units] (zeros).
/// </summary>
public sealed class BasicLstmCell(int numUnits, double forgetBias = 1.0, Activation? activation = null, string name = "basic_lstm_cell") : RnnCell(name)
{
    private readonly Activation _act = activation ?? Activations.Tanh;
    private Variable _kernel = null!;
    private Variable _bias = null!;

    /// <summary>The number of units.</summary>
    public int NumUnits { get; } = numUnits > 0 ? numUnits : throw new InvalidArgumentException($"num_units must be positive, got {numUnits}");

    /// <summary>Added to the forget gate's input (TF's default 1.0).</summary>
    public double ForgetBias { get; } = forgetBias;

    /// <inheritdoc/>
    public override int OutputSize => NumUnits;

    /// <inheritdoc/>
    public override IReadOnlyList<int> StateSizes => [NumUnits, NumUnits];

    /// <inheritdoc/>
    protected override void Build(Graph graph, string scope, int inputDepth, DType dtype)
    {
        _kernel = AddVariable(graph, scope, "kernel", new Shape(inputDepth + NumUnits, 4 * NumUnits), dtype);
        _bias = AddVariable(graph, scope, "bias", new Shape(4 * NumUnits), dtype, constant: 0);
    }

    /// <inheritdoc/>
    protected override (Output Output, Output[] State) Step(Graph graph, Output input, Output[] state)
    {
        using var scope = graph.NameScope(Name);
        var (c, h) = (state[0], state[1]);
        var one = graph.Constant(1);
        var gates = graph.BiasAdd(graph.MatMul(graph.Concat([input, h], 1), Read(_kernel)), Read(_bias));
        var parts = graph.Split(gates, one, 4);
        var (i, j, f, o) = (parts[0], parts[1], parts[2], parts[3]);
        var forget = graph.Constant(Graph.ScalarOf(input.DType, ForgetBias));
        // TF builds these with math_ops.add / multiply: op types Add and Mul.
        var newC = graph.Add(graph.Multiply(c, graph.Sigmoid(graph.Add(f, forget))), graph.Multiply(graph.Sigmoid(i), _act(graph, j)));
        var newH = graph.Multiply(_act(graph, newC), graph.Sigmoid(o));
        return (newH, [newC, newH]);
    }
}

/// <summary>
/// TF's <c>LSTMCell</c>: <see cref="BasicLstmCell"/>'s gates plus optional peepholes
/// (<c>w_f_diag</c>, <c>w_i_diag</c>, <c>w_o_diag</c>), cell clipping, a projection of the output
/// (<c>projection/kernel</c> [units, num_proj]) and projection clipping. State (c, m), output m.
/// Variables <c>lstm_cell/kernel</c> [depth + (num_proj or units), 4·units], <c>lstm_cell/bias</c>.
/// </summary>
public sealed class LstmCell : RnnCell
{
    private readonly Activation _act;
    private Variable _kernel = null!;
    private Variable _bias = null!;
    private Variable? _wfDiag, _wiDiag, _woDiag, _projection;

    /// <summary>TF's <c>LSTMCell(num_units, use_peepholes, cell_clip, num_proj, proj_clip, forget_bias, activation)</c>.</summary>
    public LstmCell(int numUnits, bool usePeepholes = false, double? cellClip = null, int? numProj = null, double? projClip = null,
        double forgetBias = 1.0, Activation? activation = null, string name = "lstm_cell") : base(name)
    {
        if (numUnits <= 0) throw new InvalidArgumentException($"num_units must be positive, got {numUnits}");
        if (numProj is <= 0) throw new InvalidArgumentException($"num_proj must be positive, got {numProj}");
        NumUnits = numUnits;
        UsePeepholes = usePeepholes;
        CellClip = cellClip;
        NumProj = numProj;
        ProjClip = projClip;
        ForgetBias = forgetBias;
        _act = activation ?? Activations.Tanh;
    }

    /// <summary>The number of units.</summary>
    public int NumUnits { get; }

    /// <summary>Whether the gates see the cell state (diagonal peephole weights).</summary>
    public bool UsePeepholes { get; }

    /// <summary>Clips the cell state to ±this value.</summary>
    public double? CellClip { get; }

    /// <summary>Projects the output to this width.</summary>
    public int? NumProj { get; }

    /// <summary>Clips the projected output to ±this value.</summary>
    public double? ProjClip { get; }

    /// <summary>Added to the forget gate's input.</summary>
    public double ForgetBias { get; }

    /// <inheritdoc/>
    public override int OutputSize => NumProj ?? NumUnits;

    /// <inheritdoc/>
    public override IReadOnlyList<int> StateSizes => [NumUnits, NumProj ?? NumUnits];

    /// <inheritdoc/>
    protected override void Build(Graph graph, string scope, int inputDepth, DType dtype)
    {
        int hDepth = NumProj ?? NumUnits;
        _kernel = AddVariable(graph, scope, "kernel", new Shape(inputDepth + hDepth, 4 * NumUnits), dtype);
        _bias = AddVariable(graph, scope, "bias", new Shape(4 * NumUnits), dtype, constant: 0);
        if (UsePeepholes)
        {
            _wfDiag = AddVariable(graph, scope, "w_f_diag", new Shape(NumUnits), dtype);
            _wiDiag = AddVariable(graph, scope, "w_i_diag", new Shape(NumUnits), dtype);
            _woDiag = AddVariable(graph, scope, "w_o_diag", new Shape(NumUnits), dtype);
        }
        if (NumProj is { } p) _projection = AddVariable(graph, scope + "/projection", "kernel", new Shape(NumUnits, p), dtype);
    }

    /// <inheritdoc/>
    protected override (Output Output, Output[] State) Step(Graph graph, Output input, Output[] state)
    {
        using var scope = graph.NameScope(Name);
        var (cPrev, mPrev) = (state[0], state[1]);
        var dt = input.DType;
        var gates = graph.BiasAdd(graph.MatMul(graph.Concat([input, mPrev], 1), Read(_kernel)), Read(_bias));
        var parts = graph.Split(gates, 4, 1);
        var (i, j, f, o) = (parts[0], parts[1], parts[2], parts[3]);
        var forget = graph.Constant(Graph.ScalarOf(dt, ForgetBias));
        Output c;
        if (UsePeepholes)
        {
            c = graph.Sigmoid(f + forget + Read(_wfDiag!) * cPrev) * cPrev + graph.Sigmoid(i + Read(_wiDiag!) * cPrev) * _act(graph, j);
        }
        else c = graph.Sigmoid(f + forget) * cPrev + graph.Sigmoid(i) * _act(graph, j);
        if (CellClip is { } cc) c = graph.ClipByValue(c, Graph.ScalarOf(dt, -cc), Graph.ScalarOf(dt, cc));
        var m = UsePeepholes ? graph.Sigmoid(o + Read(_woDiag!) * c) * _act(graph, c) : graph.Sigmoid(o) * _act(graph, c);
        if (_projection is { } proj)
        {
            using (graph.NameScope("projection")) m = graph.MatMul(m, Read(proj));
            if (ProjClip is { } pc) m = graph.ClipByValue(m, Graph.ScalarOf(dt, -pc), Graph.ScalarOf(dt, pc));
        }
        return (m, [c, m]);
    }
}

/// <summary>
/// TF's <c>GRUCell(num_units, activation=tanh)</c>: <c>r, u = split(σ([x, h] · W_g + b_g), 2)</c>,
/// <c>c = act([x, r·h] · W_c + b_c)</c>, <c>h' = u·h + (1 − u)·c</c>. Variables
/// <c>gru_cell/gates/kernel</c> [depth + units, 2·units], <c>gru_cell/gates/bias</c> (ones),
/// <c>gru_cell/candidate/kernel</c> [depth + units, units], <c>gru_cell/candidate/bias</c> (zeros).
/// </summary>
public sealed class GruCell(int numUnits, Activation? activation = null, string name = "gru_cell") : RnnCell(name)
{
    private readonly Activation _act = activation ?? Activations.Tanh;
    private Variable _gateKernel = null!, _gateBias = null!, _candKernel = null!, _candBias = null!;

    /// <summary>The number of units.</summary>
    public int NumUnits { get; } = numUnits > 0 ? numUnits : throw new InvalidArgumentException($"num_units must be positive, got {numUnits}");

    /// <inheritdoc/>
    public override int OutputSize => NumUnits;

    /// <inheritdoc/>
    public override IReadOnlyList<int> StateSizes => [NumUnits];

    /// <inheritdoc/>
    protected override void Build(Graph graph, string scope, int inputDepth, DType dtype)
    {
        _gateKernel = AddVariable(graph, scope + "/gates", "kernel", new Shape(inputDepth + NumUnits, 2 * NumUnits), dtype);
        _gateBias = AddVariable(graph, scope + "/gates", "bias", new Shape(2 * NumUnits), dtype, constant: 1);
        _candKernel = AddVariable(graph, scope + "/candidate", "kernel", new Shape(inputDepth + NumUnits, NumUnits), dtype);
        _candBias = AddVariable(graph, scope + "/candidate", "bias", new Shape(NumUnits), dtype, constant: 0);
    }

    /// <inheritdoc/>
    protected override (Output Output, Output[] State) Step(Graph graph, Output input, Output[] state)
    {
        using var scope = graph.NameScope(Name);
        var h = state[0];
        var gates = graph.Sigmoid(graph.BiasAdd(graph.MatMul(graph.Concat([input, h], 1), Read(_gateKernel)), Read(_gateBias)));
        var ru = graph.Split(gates, graph.Constant(1), 2);
        var (r, u) = (ru[0], ru[1]);
        var c = _act(graph, graph.BiasAdd(graph.MatMul(graph.Concat([input, r * h], 1), Read(_candKernel)), Read(_candBias)));
        var one = Graph.ScalarOf(input.DType, 1);
        var newH = u * h + (one - u) * c;
        return (newH, [newH]);
    }
}

/// <summary>
/// TF's <c>MultiRNNCell(cells)</c>: the cells stacked, each one's output the next one's input;
/// the state is every cell's state in order. Cell k's variables live under
/// <c>multi_rnn_cell/cell_k/</c>.
/// </summary>
public sealed class MultiRnnCell : RnnCell
{
    private readonly RnnCell[] _cells;
    private string _scope = "";

    /// <summary>Stacks <paramref name="cells"/> (each a distinct object: a cell used twice would share weights).</summary>
    public MultiRnnCell(IEnumerable<RnnCell> cells, string name = "multi_rnn_cell") : base(name)
    {
        ArgumentNullException.ThrowIfNull(cells);
        _cells = [.. cells];
        if (_cells.Length == 0) throw new InvalidArgumentException("Must specify at least one cell for MultiRNNCell.");
        if (_cells.Distinct().Count() != _cells.Length)
            throw new InvalidArgumentException("A cell object appears twice in MultiRNNCell: its weights would be shared; create one cell per layer");
    }

    /// <summary>The stacked cells.</summary>
    public IReadOnlyList<RnnCell> Cells => _cells;

    /// <inheritdoc/>
    public override int OutputSize => _cells[^1].OutputSize;

    /// <inheritdoc/>
    public override IReadOnlyList<int> StateSizes => [.. _cells.SelectMany(c => c.StateSizes)];

    /// <inheritdoc/>
    protected override string ZeroStateScope => "MultiRNNCellZeroState";

    /// <inheritdoc/>
    protected override void Build(Graph graph, string scope, int inputDepth, DType dtype) => _scope = scope;

    /// <inheritdoc/>
    public override Output[] ZeroState(Graph graph, Output batchSize, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(graph);
        using var scope = graph.NameScope(ZeroStateScope);
        return [.. _cells.SelectMany(c => c.ZeroState(graph, batchSize, dtype))];
    }

    /// <inheritdoc/>
    protected override (Output Output, Output[] State) Step(Graph graph, Output input, Output[] state)
    {
        // A plain RNNCell in TF: its variable scope opens a name scope of the same (full) name.
        using var scope = graph.NameScope(_scope);
        var x = input;
        var newState = new List<Output>();
        int k = 0;
        for (int i = 0; i < _cells.Length; i++)
        {
            var cell = _cells[i];
            int n = cell.StateSizes.Count;
            using (graph.NameScope($"cell_{i}"))
            {
                var (o, s) = cell.Call(graph, x, state[k..(k + n)], $"{_scope}/cell_{i}");
                x = o;
                newState.AddRange(s);
            }
            k += n;
        }
        return (x, [.. newState]);
    }
}

/// <summary>
/// TF's <c>DropoutWrapper(cell, input_keep_prob, output_keep_prob, state_keep_prob, seed)</c>:
/// dropout on the cell's input, output and new state (keep probabilities, 1 = none).
/// </summary>
public sealed class DropoutWrapper(RnnCell cell, double inputKeepProb = 1.0, double outputKeepProb = 1.0, double stateKeepProb = 1.0, int? seed = null)
    : RnnCell(cell?.Name ?? throw new ArgumentNullException(nameof(cell)))
{
    private string _scope = "";

    /// <summary>The wrapped cell.</summary>
    public RnnCell Cell { get; } = cell;

    /// <inheritdoc/>
    public override int OutputSize => Cell.OutputSize;

    /// <inheritdoc/>
    public override IReadOnlyList<int> StateSizes => Cell.StateSizes;

    /// <inheritdoc/>
    public override Output[] ZeroState(Graph graph, Output batchSize, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(graph);
        using var scope = graph.NameScope("DropoutWrapperZeroState");
        return Cell.ZeroState(graph, batchSize, dtype);
    }

    /// <inheritdoc/>
    protected override void Build(Graph graph, string scope, int inputDepth, DType dtype) =>
        _scope = scope.Contains('/') ? scope[..scope.LastIndexOf('/')] : "";

    private static Output Drop(Graph graph, Output x, double keep, int? seed) =>
        keep >= 1 ? x : graph.Dropout(x, rate: 1 - keep, seed: seed);

    /// <inheritdoc/>
    protected override (Output Output, Output[] State) Step(Graph graph, Output input, Output[] state)
    {
        if (inputKeepProb is <= 0 or > 1 || outputKeepProb is <= 0 or > 1 || stateKeepProb is <= 0 or > 1)
            throw new InvalidArgumentException("DropoutWrapper keep probabilities must be in (0, 1]");
        var x = Drop(graph, input, inputKeepProb, seed);
        var (o, s) = Cell.Call(graph, x, state, _scope);
        s = [.. s.Select(t => Drop(graph, t, stateKeepProb, seed))];
        return (Drop(graph, o, outputKeepProb, seed), s);
    }
}
