namespace TensorGraph.Training;

/// <summary>How gradient computation is gated (TF's <c>Optimizer.GATE_*</c>).</summary>
public enum GateGradients
{
    /// <summary>No gating: maximal parallelism.</summary>
    None = 0,
    /// <summary>All gradients of one op are computed before any is used (TF's default).</summary>
    Op = 1,
    /// <summary>All gradients are computed before any variable is updated.</summary>
    Graph = 2,
}

/// <summary>
/// Base class of TF1 optimizers: <see cref="ComputeGradients"/> (tf.gradients w.r.t. the variables'
/// references, gated per op), <c>ApplyGradients</c> (slots, one Apply* op per variable in
/// <c>&lt;name&gt;/update_&lt;var&gt;</c>, a NoOp named after the optimizer, or an AssignAdd of the
/// global step), and <see cref="Minimize"/>. Node names follow TF's.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<(Variable, string), Variable> _slots = [];
    private readonly Dictionary<(Graph, string), Variable> _nonSlots = [];
    private readonly Output? _lrTensor;
    private readonly double _lr;

    /// <summary>Creates an optimizer with a constant learning rate.</summary>
    protected Optimizer(double learningRate, string name, bool useLocking)
    {
        _lr = learningRate;
        Name = name;
        UseLocking = useLocking;
    }

    /// <summary>Creates an optimizer whose learning rate is a tensor (e.g. a decay schedule).</summary>
    protected Optimizer(Output learningRate, string name, bool useLocking)
    {
        _lrTensor = learningRate;
        Name = name;
        UseLocking = useLocking;
    }

    /// <summary>Name used for scopes and slot names (e.g. <c>GradientDescent</c>).</summary>
    public string Name { get; }

    /// <summary>Whether updates take the variable lock (TF's use_locking).</summary>
    public bool UseLocking { get; }

    /// <summary>The learning-rate tensor created by the last <c>ApplyGradients</c> call.</summary>
    protected Output LearningRateTensor { get; private set; }

    /// <summary>TF's <c>compute_gradients</c>: (gradient, variable) pairs; a gradient is null when the loss does not depend on the variable.</summary>
    public IReadOnlyList<(Output? Gradient, Variable Variable)> ComputeGradients(Output loss, IEnumerable<Variable>? varList = null,
        GateGradients gate = GateGradients.Op, Output? gradLoss = null)
    {
        var g = loss.Graph;
        if (!loss.DType.IsFloating()) throw new InvalidArgumentException($"The loss '{loss.Name}' must be a float tensor, got {loss.DType.Name()}");
        var vars = (varList ?? g.TrainableVariables).ToArray();
        if (vars.Length == 0) throw new InvalidArgumentException("No variables to optimize");
        var grads = g.Gradients([loss], vars.Select(v => v.Ref).ToArray(), gradLoss is { } gl ? [gl] : null, gateGradients: gate == GateGradients.Op);
        if (gate == GateGradients.Graph) grads = g.Tuple(grads);
        return vars.Select((v, i) => (grads[i], v)).ToArray();
    }

    /// <summary>
    /// <see cref="ComputeGradients"/> keeping sparse gradients sparse (TF's compute_gradients
    /// returns IndexedSlices for gathered variables): the gradient of an embedding table is the
    /// looked-up rows only.
    /// </summary>
    public IReadOnlyList<(Gradient? Gradient, Variable Variable)> ComputeGradientValues(Output loss, IEnumerable<Variable>? varList = null,
        GateGradients gate = GateGradients.Op, Output? gradLoss = null)
    {
        var g = loss.Graph;
        if (!loss.DType.IsFloating()) throw new InvalidArgumentException($"The loss '{loss.Name}' must be a float tensor, got {loss.DType.Name()}");
        var vars = (varList ?? g.TrainableVariables).ToArray();
        if (vars.Length == 0) throw new InvalidArgumentException("No variables to optimize");
        var grads = g.GradientValues([loss], vars.Select(v => v.Ref).ToArray(), gradLoss is { } gl ? [gl] : null, gateGradients: gate == GateGradients.Op);
        if (gate == GateGradients.Graph) grads = TupleOf(g, grads);
        return vars.Select((v, i) => (grads[i], v)).ToArray();
    }

    /// <summary>TF's control_flow_ops.tuple over gradients: each tensor of each (sparse) gradient gated on all.</summary>
    private static Gradient?[] TupleOf(Graph g, Gradient?[] grads)
    {
        var flat = new List<Output?>();
        foreach (var gr in grads)
        {
            if (gr is null) continue;
            if (gr.Sparse is { } s) flat.AddRange([s.Values, s.Indices, s.DenseShape]);
            else flat.Add(gr.Dense);
        }
        var tupled = g.Tuple([.. flat]);
        var r = new Gradient?[grads.Length];
        int k = 0;
        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is null) continue;
            if (grads[i]!.IsSparse)
            {
                r[i] = new Gradient(new IndexedSlices(tupled[k]!.Value, tupled[k + 1]!.Value, tupled[k + 2]!.Value));
                k += 3;
            }
            else r[i] = new Gradient(tupled[k++]!.Value);
        }
        return r;
    }

    /// <summary>
    /// TF's <c>apply_gradients</c>: creates slots, then one update per variable with a gradient
    /// (variables without one are skipped; none at all is an error). Increments
    /// <paramref name="globalStep"/> after the updates when given.
    /// </summary>
    public Operation ApplyGradients(IEnumerable<(Output? Gradient, Variable Variable)> gradsAndVars, Variable? globalStep = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(gradsAndVars);
        return ApplyGradients(gradsAndVars.Select(p => (p.Gradient is { } d ? new Gradient(d) : null, p.Variable)), globalStep, name);
    }

    /// <summary>
    /// <see cref="ApplyGradients(IEnumerable{ValueTuple{Output?, Variable}}, Variable?, string?)"/> for
    /// gradients that may be <see cref="IndexedSlices"/>: those update only their rows, as TF's
    /// <c>_apply_sparse_duplicate_indices</c> does (GradientDescent: ScatterSub; Adam: its
    /// ScatterAdd path; the others sum duplicate indices with Unique + UnsortedSegmentSum first).
    /// </summary>
    public Operation ApplyGradients(IEnumerable<(Gradient? Gradient, Variable Variable)> gradsAndVars, Variable? globalStep = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(gradsAndVars);
        var pairs = gradsAndVars.ToArray();
        if (pairs.Length == 0) throw new InvalidArgumentException("No variables provided");
        var withGrads = pairs.Where(p => p.Gradient is not null).Select(p => (Gradient: p.Gradient!, p.Variable)).ToArray();
        if (withGrads.Length == 0)
            throw new InvalidArgumentException($"No gradients provided for any variable, check your graph for ops that do not support gradients, between variables [{string.Join(", ", pairs.Select(p => p.Variable.Name))}] and the loss");
        var g = withGrads[0].Variable.Graph;
        using (g.NameScope(null))
        using (g.ControlDependencies((Operation[]?)null))
        {
            CreateSlots(g, withGrads.Select(p => p.Variable).ToArray());
        }
        using var scope = g.NameScope(name ?? Name);
        var sname = g.CurrentNameScope;
        LearningRateTensor = _lrTensor ?? g.Constant(Graph.ScalarOf(withGrads[0].Variable.DType, _lr), name: "learning_rate");
        Prepare(g);
        var updates = new List<Operation>();
        foreach (var (grad, v) in withGrads)
        {
            using (g.NameScope("update_" + v.Op.Name))
            {
                updates.Add(grad.Sparse is { } sparse ? ApplySparseDuplicateIndices(g, sparse, v) : ApplyDense(g, grad.Dense!.Value, v).Op);
            }
        }
        Operation train;
        if (globalStep is null)
        {
            train = Finish(g, updates, sname + "/");
        }
        else
        {
            var applyUpdates = Finish(g, updates, "update");
            using (g.ControlDependencies(applyUpdates))
            {
                var one = g.Constant(Graph.ScalarOf(globalStep.DType, 1), name: "value");
                train = g.AssignAdd(globalStep, one, name: sname + "/").Op;
            }
        }
        g.AddToCollection(GraphKeys.TrainOp, train);
        return train;
    }

    /// <summary>TF's <c>minimize</c>: <see cref="ComputeGradients"/> then <c>ApplyGradients</c>.</summary>
    public Operation Minimize(Output loss, Variable? globalStep = null, IEnumerable<Variable>? varList = null, string? name = null)
    {
        var gv = ComputeGradientValues(loss, varList);
        if (gv.All(p => p.Gradient is null))
            throw new InvalidArgumentException($"No gradients provided for any variable, check your graph for ops that do not support gradients, between variables [{string.Join(", ", gv.Select(p => p.Variable.Name))}] and loss '{loss.Name}'");
        return ApplyGradients(gv, globalStep, name);
    }

    /// <summary>The slot variable <paramref name="slotName"/> of <paramref name="var"/> (e.g. "momentum", "m", "v", "rms").</summary>
    public Variable GetSlot(Variable var, string slotName) =>
        _slots.TryGetValue((var, slotName), out var s) ? s : throw new NotFoundException($"Variable '{var?.Name}' has no slot '{slotName}' in optimizer {Name}");

    /// <summary>Names of the slots this optimizer creates.</summary>
    public abstract IReadOnlyList<string> SlotNames { get; }

    /// <summary>Creates slot (and non-slot) variables; runs at the root scope with no control dependencies.</summary>
    protected virtual void CreateSlots(Graph g, IReadOnlyList<Variable> vars)
    {
    }

    /// <summary>Creates hyper-parameter tensors inside the optimizer's scope.</summary>
    protected virtual void Prepare(Graph g)
    {
    }

    /// <summary>Builds the update for one variable (inside <c>update_&lt;var&gt;</c>).</summary>
    protected abstract Output ApplyDense(Graph g, Output grad, Variable var);

    /// <summary>
    /// TF's <c>_apply_sparse_duplicate_indices</c>: sums the values of repeated indices
    /// (Unique + UnsortedSegmentSum, TF's _deduplicate_indexed_slices), then <see cref="ApplySparse"/>.
    /// </summary>
    protected virtual Operation ApplySparseDuplicateIndices(Graph g, IndexedSlices grad, Variable var)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(grad);
        var (uniqueIndices, newIndexPositions) = g.Unique(grad.Indices);
        var summed = g.UnsortedSegmentSum(grad.Values, newIndexPositions, g.ShapeOf(uniqueIndices).Slice(0));
        return ApplySparse(g, new IndexedSlices(summed, uniqueIndices, grad.DenseShape), var);
    }

    /// <summary>
    /// Applies a gradient with unique indices (TF's <c>_apply_sparse</c>). By default the update is
    /// the dense one on the gradient made dense.
    /// </summary>
    protected virtual Operation ApplySparse(Graph g, IndexedSlices grad, Variable var)
    {
        ArgumentNullException.ThrowIfNull(grad);
        return ApplyDense(g, grad.ToDense(), var).Op;
    }

    /// <summary>Groups the updates; <paramref name="name"/> ending in "/" is used verbatim.</summary>
    protected virtual Operation Finish(Graph g, List<Operation> updateOps, string name) => g.Group(updateOps, name);

    /// <summary>
    /// A slot variable named <c>&lt;var&gt;/&lt;optimizer name&gt;</c> (uniquified), filled with <paramref name="value"/>;
    /// <paramref name="scopeName"/> replaces the optimizer name in the slot's name (TF's accum_name, linear_name).
    /// </summary>
    protected Variable MakeSlot(Variable var, string slotName, double value, string? scopeName = null)
    {
        ArgumentNullException.ThrowIfNull(var);
        if (_slots.TryGetValue((var, slotName), out var existing)) return existing;
        var g = var.Graph;
        if (!var.Shape.IsFullyDefined) throw new UnimplementedException($"Slots need a fully defined variable shape, '{var.Name}' has {var.Shape}");
        Variable slot;
        using (g.NameScope(var.Op.Name + "/"))
        {
            using (g.NameScope(scopeName ?? Name))
            {
                // Like TF's slot initializers: a Const for small shapes, Fill for large ones.
                var init = g.Filled(var.Shape, var.DType, value, value == 0 ? "zeros" : value == 1 ? "ones" : "Const");
                slot = g.Variable(init, g.CurrentNameScope + "/", trainable: false);
            }
        }
        _slots[(var, slotName)] = slot;
        return slot;
    }

    /// <summary>A variable shared by all updates (e.g. Adam's beta1_power), created once per graph.</summary>
    protected Variable MakeNonSlot(Graph g, string name, double initial, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        if (_nonSlots.TryGetValue((g, name), out var v)) return v;
        v = g.Variable(g.Constant(Graph.ScalarOf(dtype, initial)), name, trainable: false);
        _nonSlots[(g, name)] = v;
        return v;
    }

    /// <summary>Casts a hyper-parameter to the variable's dtype (no node when it already matches).</summary>
    protected static Output CastTo(Graph g, Output t, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Cast(t, dtype);
    }

    /// <summary>A hyper-parameter constant named <paramref name="name"/> in the optimizer scope.</summary>
    protected static Output Hyper(Graph g, double value, DType dtype, string name)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Constant(Graph.ScalarOf(dtype, value), name: name);
    }
}
