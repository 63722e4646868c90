using System.Globalization;

namespace TensorGraph.Keras.Optimizers;

/// <summary>
/// A Keras (OptimizerV2) optimizer: the update formulas are plain graph ops under
/// <c>training/&lt;Name&gt;/…</c>; variables <c>training/&lt;Name&gt;/iter</c> (int64),
/// <c>training/&lt;Name&gt;/learning_rate</c> and slots
/// <c>training/&lt;Name&gt;/&lt;variable&gt;/&lt;slot&gt;</c>. <c>decay</c> scales the rate by
/// 1/(1 + decay·iterations) as Keras does.
/// </summary>
public abstract class Optimizer
{
    private readonly List<Variable> _weights = [];
    private Variable? _lr;
    private Graph? _graph;
    private Output _lrFeed;
    private Operation? _lrAssign;
    private double _learningRate;
    private string? _scope;
    private readonly HashSet<Variable> _slotted = [];

    /// <summary>Creates the optimizer.</summary>
    protected Optimizer(string name, double learningRate, double decay)
    {
        if (learningRate < 0) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learning rate must be non-negative");
        Name = name ?? throw new ArgumentNullException(nameof(name));
        _learningRate = learningRate;
        Decay = decay;
    }

    /// <summary>Scope name (<c>RMSprop</c>, <c>Adam</c>, <c>SGD</c>, <c>Adagrad</c>).</summary>
    public string Name { get; }

    /// <summary>Learning-rate decay per iteration.</summary>
    public double Decay { get; }

    /// <summary>The step counter, once the training ops exist.</summary>
    public Variable? Iterations { get; private set; }

    /// <summary>The learning rate. Setting it after training began writes the variable in the model's session.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "learning rate must be non-negative");
            _learningRate = value;
            if (_graph is not null && _lr is not null)
            {
                if (_lrAssign is null)
                {
                    using (_graph.NameScope(null))
                    using (_graph.ControlDependencies((Operation[]?)null))
                    {
                        _lrFeed = _graph.Placeholder(_lr.DType, Shape.Scalar, name: $"training/{Name}/learning_rate_feed");
                        _lrAssign = _graph.Assign(_lr, _lrFeed, name: $"training/{Name}/learning_rate_assign").Op;
                    }
                }
                Backend.GetSession(_graph).Run([], new FeedDict { [_lrFeed] = Tensor.Scalar((float)value) }, _lrAssign);
            }
        }
    }

    /// <summary>The optimizer's state: <c>iter</c> and the slots (the hyperparameters are not weights, as in Keras).</summary>
    public IReadOnlyList<Variable> Weights => _weights;

    /// <summary>
    /// The optimizer a string names: sgd, rmsprop, adam, adagrad (case-insensitive), with Keras's
    /// defaults; an unknown name raises.
    /// </summary>
    public static Optimizer Get(object identifier) => identifier switch
    {
        Optimizer o => o,
        string s => s.ToLowerInvariant() switch
        {
            "sgd" => new SGD(),
            "rmsprop" => new RMSprop(),
            "adam" => new Adam(),
            "adagrad" => new Adagrad(),
            _ => throw new ArgumentException($"Unknown optimizer: {s}", nameof(identifier)),
        },
        null => throw new ArgumentNullException(nameof(identifier)),
        _ => throw new ArgumentException($"Could not interpret optimizer identifier: {identifier}", nameof(identifier)),
    };

    /// <summary>
    /// Adds the gradient and update ops minimizing <paramref name="loss"/> over
    /// <paramref name="parameters"/>; every update waits for <paramref name="after"/> (the
    /// reported loss and metrics are computed before the update, as in Keras).
    /// </summary>
    internal Operation GetUpdates(Graph g, IReadOnlyList<Variable> parameters, Output loss, Output[] after)
    {
        if (_graph is not null && !ReferenceEquals(_graph, g))
            throw new InvalidOperationException($"Optimizer {Name} is already used in another graph; make a new optimizer per model");
        _graph = g;
        if (_scope is null)
            using (g.NameScope(Name)) _scope = g.CurrentNameScope;
        string scope = _scope;
        Output?[] grads;
        using (g.NameScope(scope + "/gradients/"))
            grads = g.Gradients([loss], [.. parameters.Select(p => p.Ref)]);
        using (g.NameScope(scope + "/"))
        using (g.ControlDependencies((Operation[]?)null))
        {
            if (Iterations is null)
            {
                Iterations = Var(g, $"{scope}/iter", g.Zeros(Shape.Scalar, DType.Int64), false);
                _weights.Add(Iterations);
                _lr = Var(g, $"{scope}/learning_rate", g.Constant(Tensor.Scalar((float)_learningRate)), false);
                CreateHypers(g, scope);
            }
            // A second training function (the model was edited or compiled again) reuses the state.
            foreach (var p in parameters)
                if (!_slotted.Contains(p))
                {
                    CreateSlots(g, scope, p);
                    _slotted.Add(p);
                }
        }
        var updates = new List<Operation>();
        using (g.NameScope(scope + "/"))
        using (g.NameScope(Name))
        using (g.ControlDependencies([.. after, .. grads.Where(x => x is not null).Select(x => x!.Value)]))
        {
            Output lr = _lr!.Value;
            if (Decay > 0)
                lr = g.Multiply(lr, g.RealDiv(F(g, 1), g.AddV2(F(g, 1), g.Multiply(F(g, Decay), g.Cast(Iterations.Value, DType.Float32)))));
            for (int i = 0; i < parameters.Count; i++)
            {
                if (grads[i] is not { } gr) continue;
                using (g.NameScope("update_" + parameters[i].Name))
                    updates.Add(ApplyDense(g, gr, parameters[i], lr, Iterations.Value).Op);
            }
            using (g.ControlDependencies([.. updates]))
                return g.AssignAdd(Iterations, g.Constant(Tensor.Scalar(1L)), name: "AssignAddVariableOp").Op;
        }
    }

    /// <summary>Creates the per-variable slots (<see cref="AddSlot"/>).</summary>
    protected virtual void CreateSlots(Graph g, string scope, Variable var) { }

    /// <summary>Creates scalar hyperparameter tensors the updates share.</summary>
    protected virtual void CreateHypers(Graph g, string scope) { }

    /// <summary>The update of one variable; returns the op writing it.</summary>
    protected abstract Output ApplyDense(Graph g, Output grad, Variable var, Output lr, Output iterations);

    private readonly Dictionary<(Variable, string), Variable> _slots = [];

    /// <summary>Adds a slot <c>training/&lt;Name&gt;/&lt;variable&gt;/&lt;slot&gt;</c> of the variable's shape, filled with <paramref name="init"/>.</summary>
    protected Variable AddSlot(Graph g, string scope, Variable var, string slot, double init)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(var);
        var path = $"{scope}/{var.Name}/{slot}";
        Variable v;
        using (g.NameScope(path + "/"))
        {
            var value = init == 0 ? g.Zeros(var.Shape, var.DType) : g.Fill(g.Constant(Tensor.FromArray(var.Shape.ToArray())), g.Cast(g.Constant(Tensor.Scalar(init)), var.DType), "Fill");
            v = g.Variable(value, name: path + "/", trainable: false);
        }
        _slots[(var, slot)] = v;
        _weights.Add(v);
        return v;
    }

    /// <summary>A slot made by <see cref="AddSlot"/>.</summary>
    public Variable GetSlot(Variable var, string slot) =>
        _slots.TryGetValue((var, slot), out var v) ? v : throw new KeyNotFoundException($"No slot '{slot}' for variable {var?.Name} in optimizer {Name}");

    /// <summary>A float32 scalar constant.</summary>
    protected static Output F(Graph g, double v)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Constant(Tensor.Scalar((float)v));
    }

    private static Variable Var(Graph g, string path, Output init, bool trainable)
    {
        using (g.NameScope(path + "/")) return g.Variable(init, name: path + "/", trainable: trainable);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"<{Name} learning_rate={LearningRate}>");
}
