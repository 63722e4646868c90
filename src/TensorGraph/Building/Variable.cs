namespace TensorGraph;

/// <summary>Standard collection names (TF's <c>tf.GraphKeys</c>).</summary>
public static class GraphKeys
{
    /// <summary>Every variable (<c>tf.global_variables()</c>).</summary>
    public const string GlobalVariables = "variables";
    /// <summary>Variables that optimizers train by default.</summary>
    public const string TrainableVariables = "trainable_variables";
    /// <summary>Summary ops (<c>tf.summary.merge_all</c>).</summary>
    public const string Summaries = "summaries";
    /// <summary>Update ops to run with a training step (batch-norm statistics …).</summary>
    public const string UpdateOps = "update_ops";
    /// <summary>The training op(s).</summary>
    public const string TrainOp = "train_op";
    /// <summary>The global step variable.</summary>
    public const string GlobalStep = "global_step";
    /// <summary>Local (non-saved) variables.</summary>
    public const string LocalVariables = "local_variables";
    /// <summary>Regularization losses that <c>GetVariable</c>'s regularizers add (TF's <c>REGULARIZATION_LOSSES</c>).</summary>
    public const string RegularizationLosses = "regularization_losses";
    /// <summary>Queue runners that <c>QueueRunner.StartQueueRunners</c> starts (TF's <c>QUEUE_RUNNERS</c>).</summary>
    public const string QueueRunners = "queue_runners";
    /// <summary>The local variables of streaming metrics (TF's <c>METRIC_VARIABLES</c>; <c>tf.metrics.*</c> adds them here and to <see cref="LocalVariables"/>).</summary>
    public const string MetricVariables = "metric_variables";
}

/// <summary>
/// A TF1 ref variable: a <c>VariableV2</c> node, its initializer <c>name/Assign</c> and the
/// <c>name/read</c> Identity used wherever the variable is read. Converts implicitly to its
/// read value, so it can be used directly in arithmetic.
/// </summary>
public sealed class Variable
{
    internal Variable(Operation op, Operation initializer, Output initialValue, Output value, bool trainable)
    {
        Op = op;
        Initializer = initializer;
        InitialValue = initialValue;
        Value = value;
        Trainable = trainable;
    }

    /// <summary>The <c>VariableV2</c> node.</summary>
    public Operation Op { get; }

    /// <summary>The reference output (<c>name:0</c>), input to Assign and optimizers.</summary>
    public Output Ref => Op[0];

    /// <summary>The initializer (<c>name/Assign</c>).</summary>
    public Operation Initializer { get; }

    /// <summary>The initial value tensor.</summary>
    public Output InitialValue { get; }

    /// <summary>The read value (<c>name/read:0</c>).</summary>
    public Output Value { get; }

    /// <summary>Whether optimizers train it by default.</summary>
    public bool Trainable { get; }

    /// <summary>The variable's node name.</summary>
    public string Name => Op.Name;

    /// <summary>Element type.</summary>
    public DType DType => Ref.DType;

    /// <summary>Static shape.</summary>
    public Shape Shape => Ref.Shape;

    /// <summary>The graph.</summary>
    public Graph Graph => Op.Graph;

    /// <summary>The read value.</summary>
    public static implicit operator Output(Variable v)
    {
        ArgumentNullException.ThrowIfNull(v);
        return v.Value;
    }



    /// <summary>Adds (reads the variable).</summary>
    public static Output operator +(Variable a, Output b) => a.Value + b;
    /// <summary>Adds (reads the variable).</summary>
    public static Output operator +(Output a, Variable b) => a + b.Value;
    /// <summary>Adds (reads both variables).</summary>
    public static Output operator +(Variable a, Variable b) => a.Value + b.Value;
    /// <summary>Adds a constant.</summary>
    public static Output operator +(Variable a, Tensor b) => a.Value + b;
    /// <summary>Adds to a constant.</summary>
    public static Output operator +(Tensor a, Variable b) => a + b.Value;
    /// <summary>Subtracts (reads the variable).</summary>
    public static Output operator -(Variable a, Output b) => a.Value - b;
    /// <summary>Subtracts (reads the variable).</summary>
    public static Output operator -(Output a, Variable b) => a - b.Value;
    /// <summary>Subtracts (reads both variables).</summary>
    public static Output operator -(Variable a, Variable b) => a.Value - b.Value;
    /// <summary>Subtracts a constant.</summary>
    public static Output operator -(Variable a, Tensor b) => a.Value - b;
    /// <summary>Subtracts from a constant.</summary>
    public static Output operator -(Tensor a, Variable b) => a - b.Value;
    /// <summary>Multiplies (reads the variable).</summary>
    public static Output operator *(Variable a, Output b) => a.Value * b;
    /// <summary>Multiplies (reads the variable).</summary>
    public static Output operator *(Output a, Variable b) => a * b.Value;
    /// <summary>Multiplies (reads both variables).</summary>
    public static Output operator *(Variable a, Variable b) => a.Value * b.Value;
    /// <summary>Multiplies by a constant.</summary>
    public static Output operator *(Variable a, Tensor b) => a.Value * b;
    /// <summary>Multiplies a constant.</summary>
    public static Output operator *(Tensor a, Variable b) => a * b.Value;
    /// <summary>Divides (reads the variable).</summary>
    public static Output operator /(Variable a, Output b) => a.Value / b;
    /// <summary>Divides (reads the variable).</summary>
    public static Output operator /(Output a, Variable b) => a / b.Value;
    /// <summary>Divides by a constant.</summary>
    public static Output operator /(Variable a, Tensor b) => a.Value / b;
    /// <summary>Negates (reads the variable).</summary>
    public static Output operator -(Variable a) => -a.Value;

    /// <inheritdoc/>
    public override string ToString() => $"<tf.Variable '{Name}:0' shape={Shape} dtype={DType.Name()}_ref>";
}

public sealed partial class Graph
{
    /// <summary>
    /// TF's <c>tf.Variable(initial_value, name=…)</c>: creates <c>name</c> (VariableV2),
    /// <c>name/initial_value</c> (Const), <c>name/Assign</c> and <c>name/read</c>, and adds the
    /// variable to the global (and, if trainable, trainable) collections.
    /// </summary>
    public Variable Variable(Tensor initialValue, string? name = null, bool trainable = true, DType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(initialValue);
        using var scope = NameScope(name ?? "Variable");
        var init = Constant(initialValue, dtype, name: "initial_value");
        return MakeVariable(init, trainable);
    }

    /// <summary>A variable initialized from a tensor computed in the graph (e.g. a random initializer).</summary>
    public Variable Variable(Output initialValue, string? name = null, bool trainable = true)
    {
        using var scope = NameScope(name ?? "Variable");
        return MakeVariable(initialValue, trainable);
    }

    /// <summary>
    /// A variable in the <c>local_variables</c> collection only (TF's
    /// <c>variable(…, trainable=False, collections=[LOCAL_VARIABLES])</c>, as <c>limit_epochs</c>
    /// makes its epoch counter): not saved by default savers, initialized by
    /// <see cref="LocalVariablesInitializer"/>.
    /// </summary>
    public Variable LocalVariable(Output initialValue, string? name = null)
    {
        using var scope = NameScope(name ?? "Variable");
        return MakeVariable(initialValue, trainable: false, local: true);
    }

    /// <summary>Variables of the <c>local_variables</c> collection (<c>tf.local_variables()</c>).</summary>
    public IReadOnlyList<Variable> LocalVariables => GetCollection<Variable>(GraphKeys.LocalVariables);

    /// <summary>TF's <c>tf.local_variables_initializer()</c>: a NoOp named <c>init</c> (made unique) depending on every local variable's initializer.</summary>
    public Operation LocalVariablesInitializer(string name = "init") => VariablesInitializer(LocalVariables, name);

    /// <summary>
    /// TF's <c>metrics_impl.metric_variable(shape, dtype, name)</c>: a non-trainable variable
    /// <c>&lt;scope&gt;/&lt;name&gt;</c> in the local and metric variable collections, initialized to
    /// zeros built under <c>&lt;name&gt;/Initializer/zeros</c> (colocated with the variable, outside
    /// control dependencies, as RefVariable's callable initial value is).
    /// </summary>
    internal Variable MetricVariable(Shape shape, DType dtype, string name)
    {
        using var deps = ControlDependencies((Operation[]?)null);
        using var scope = NameScope(name);
        var prevAttrs = _attrScope;
        _attrScope = [NamedAttr("_class", Attr.Strings(["loc:@" + CurrentNameScope]))];
        Output init;
        try
        {
            using (NameScope("Initializer")) init = Filled(shape, dtype, 0, "zeros");
        }
        finally
        {
            _attrScope = prevAttrs;
        }
        return MakeVariable(init, trainable: false, collections: [GraphKeys.LocalVariables, GraphKeys.MetricVariables]);
    }

    private Variable MakeVariable(Output init, bool trainable, bool local = false, IReadOnlyList<string>? collections = null)
    {
        var varName = CurrentNameScope + "/";
        if (!init.Shape.IsFullyDefined)
            throw new InvalidArgumentException($"initial_value must have a fully defined shape, got {init.Shape} for variable '{CurrentNameScope}'");
        var v = AddOp(VariableV2Spec.OpType, [], varName, attrs: [NamedAttr("shape", Attr.Shape(init.Shape)), NamedAttr("dtype", Attr.Type(init.DType))],
            controlInputs: null);
        Operation assign;
        Output read;
        using (ControlDependencies((Operation[]?)null))
        {
            assign = AddOp(AssignSpec.OpType, [v[0], init], "Assign", attrs:
                [NamedAttr("T", Attr.Type(init.DType)), NamedAttr("validate_shape", Attr.Bool(true)), NamedAttr("use_locking", Attr.Bool(true)),
                 NamedAttr("_class", Attr.Strings(["loc:@" + v.Name]))]);
            read = AddOp(IdentitySpec.OpType, [v[0]], "read", attrs: [NamedAttr("T", Attr.Type(init.DType)), NamedAttr("_class", Attr.Strings(["loc:@" + v.Name]))])[0];
        }
        var variable = new Variable(v, assign, init, read, trainable);
        // TF's RefVariable: collections default to [GLOBAL_VARIABLES]; a trainable variable also
        // joins TRAINABLE_VARIABLES unless the list names it.
        collections ??= [local ? GraphKeys.LocalVariables : GraphKeys.GlobalVariables];
        foreach (var key in collections.Distinct(StringComparer.Ordinal)) AddToCollection(key, variable);
        if (trainable && !collections.Contains(GraphKeys.TrainableVariables)) AddToCollection(GraphKeys.TrainableVariables, variable);
        return variable;
    }

    /// <summary>Every variable (<c>tf.global_variables()</c>).</summary>
    public IReadOnlyList<Variable> GlobalVariables => GetCollection<Variable>(GraphKeys.GlobalVariables);

    /// <summary>
    /// TF's <c>tf.train.create_global_step()</c>: an int64 scalar variable <c>global_step</c> at the
    /// root scope, starting at 0, not trainable, in the <see cref="GraphKeys.GlobalStep"/> collection.
    /// </summary>
    /// <exception cref="InvalidArgumentException">The graph already has a global step.</exception>
    public Variable CreateGlobalStep()
    {
        if (GetGlobalStep() is not null) throw new InvalidArgumentException("\"global_step\" already exists.");
        using var root = NameScope(null);
        var v = Variable(0L, GraphKeys.GlobalStep, trainable: false);
        AddToCollection(GraphKeys.GlobalStep, v);
        return v;
    }

    /// <summary>TF's <c>tf.train.get_global_step()</c>: the graph's global step variable, or null when it has none.</summary>
    /// <exception cref="InvalidArgumentException">More than one global step, or one that is not an integer scalar.</exception>
    public Variable? GetGlobalStep()
    {
        var steps = GetCollection<Variable>(GraphKeys.GlobalStep);
        if (steps.Count > 1) throw new InvalidArgumentException("There should be exactly one global step tensor.");
        if (steps.Count == 0) return null;
        var v = steps[0];
        if (!v.Value.DType.IsInteger() || v.Value.Shape.Rank != 0)
            throw new InvalidArgumentException($"Existing \"global_step\" does not have integer type: {v.Value.DType.Name()}{(v.Value.Shape.Rank != 0 ? " or is not a scalar" : "")}");
        return v;
    }

    /// <summary>TF's <c>tf.train.get_or_create_global_step()</c>.</summary>
    public Variable GetOrCreateGlobalStep() => GetGlobalStep() ?? CreateGlobalStep();

    /// <summary>Trainable variables (<c>tf.trainable_variables()</c>).</summary>
    public IReadOnlyList<Variable> TrainableVariables => GetCollection<Variable>(GraphKeys.TrainableVariables);

    /// <summary>TF's <c>tf.global_variables_initializer()</c>: a NoOp named <c>init</c> depending on every variable's initializer.</summary>
    public Operation GlobalVariablesInitializer(string name = "init") => VariablesInitializer(GlobalVariables, name);

    /// <summary>TF's <c>tf.variables_initializer(vars)</c>: a NoOp depending on the given initializers.</summary>
    public Operation VariablesInitializer(IEnumerable<Variable> variables, string name = "init")
    {
        ArgumentNullException.ThrowIfNull(variables);
        return AddOp(NoOpSpec.OpType, [], name, controlInputs: variables.Select(v => v.Initializer).ToArray());
    }
}
