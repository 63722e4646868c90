using TensorGraph.Initializers;

namespace TensorGraph;

public sealed partial class Graph
{
    /// <summary>
    /// TF 1.15's <c>tf.get_variable(name, shape, dtype, initializer, regularizer, trainable,
    /// collections)</c>: the variable <c>scope/name</c> of the current <see cref="VariableScope(string?, string?, Reuse?, Initializer?, Func{Output, Output?}?, DType?, bool)"/>,
    /// created or reused as the scope's <see cref="TensorGraph.VariableScope.Reuse"/> says. A new
    /// variable is an ordinary <see cref="TensorGraph.Variable"/> (VariableV2, <c>Assign</c>,
    /// <c>read</c>; saved and exported as any other) named by the variable scope only, whatever
    /// name scope is open; its initial value is built under <c>&lt;name&gt;/Initializer/</c> by
    /// <paramref name="initializer"/>, else the scope's, else glorot_uniform for floats and zeros
    /// for integers, bools and strings. A regularizer (given, else the scope's) is applied once to
    /// a new variable under <c>&lt;name&gt;/Regularizer/</c> and a non-null result joins
    /// <see cref="GraphKeys.RegularizationLosses"/>. <paramref name="trainable"/> defaults to true;
    /// <paramref name="collections"/> to the global variables.
    /// </summary>
    /// <exception cref="InvalidArgumentException">TF's ValueErrors, in its words: the variable exists
    /// and the scope does not reuse, or it does not exist and the scope only reuses, or the shape or
    /// dtype asked for is not the existing variable's, or a new variable's shape is not fully
    /// defined. The message ends with the line that called, and for an existing variable the line
    /// that made it.</exception>
    public Variable GetVariable(string name, Shape? shape = null, DType? dtype = null, Initializer? initializer = null,
        Func<Output, Output?>? regularizer = null, bool? trainable = null, IEnumerable<string>? collections = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var scope = GetVariableScope();
        var full = scope.Name.Length > 0 ? scope.Name + "/" + name : name;
        var dt = dtype ?? scope.DType;
        Initializer? init = null;
        return GetOrCreate(scope, full, shape, dt, regularizer, trainable, collections, SourceLocation.Capture(), () =>
        {
            // Checked before anything is built, so a refused variable leaves no names used.
            init = initializer ?? scope.Initializer ?? DefaultInitializer(full, dt);
            if (shape is null || !shape.IsFullyDefined)
                throw new InvalidArgumentException("The initializer passed is not valid. It should be a callable with no arguments and the shape "
                    + "should not be provided or an instance of `tf.keras.initializers.*' and `shape` should be fully defined.");
        }, () =>
        {
            // TF builds the initializer in an attr scope that colocates its ops with the variable
            // (`_class: loc:@<variable>`; the variable's node takes the name scope's name).
            var prevAttrs = _attrScope;
            _attrScope = [NamedAttr("_class", Attr.Strings(["loc:@" + CurrentNameScope]))];
            try
            {
                using (NameScope("Initializer"))
                    return init!.Call(this, shape!.ToArray(), dt);
            }
            finally
            {
                _attrScope = prevAttrs;
            }
        });
    }

    /// <summary>
    /// TF's <c>tf.get_local_variable</c>: <see cref="GetVariable(string, Shape?, DType?, Initializer?, Func{Output, Output?}?, bool?, IEnumerable{string}?)"/>
    /// with <c>trainable=False</c> and the variable in <see cref="GraphKeys.LocalVariables"/> (added to
    /// <paramref name="collections"/> when given), so default savers leave it out and
    /// <see cref="LocalVariablesInitializer"/> initializes it.
    /// </summary>
    public Variable GetLocalVariable(string name, Shape? shape = null, DType? dtype = null, Initializer? initializer = null,
        Func<Output, Output?>? regularizer = null, IEnumerable<string>? collections = null) =>
        GetVariable(name, shape, dtype, initializer, regularizer, trainable: false,
            collections: collections is null ? [GraphKeys.LocalVariables] : [.. collections, GraphKeys.LocalVariables]);

    /// <summary>
    /// <c>tf.get_variable(name, initializer=tensor)</c>: as <see cref="GetVariable(string, Shape?, DType?, Initializer?, Func{Output, Output?}?, bool?, IEnumerable{string}?)"/>,
    /// with the variable's initial value (and so its shape and dtype) taken from
    /// <paramref name="initialValue"/>, a tensor of this graph (TF: "If initializer is a constant,
    /// do not specify shape"). A given <paramref name="dtype"/> must be the value's ("Initializer type … and explicit dtype … don't match.").
    /// </summary>
    public Variable GetVariable(string name, Output initialValue, DType? dtype = null, Func<Output, Output?>? regularizer = null,
        bool? trainable = null, IEnumerable<string>? collections = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var loc = SourceLocation.Capture();
        if (initialValue.Op is null) throw new ArgumentException("The initial value is a default (unset) Output", nameof(initialValue));
        if (!ReferenceEquals(initialValue.Graph, this)) throw new InvalidArgumentException($"Initial value '{initialValue.Name}' belongs to a different graph");
        var scope = GetVariableScope();
        var full = scope.Name.Length > 0 ? scope.Name + "/" + name : name;
        if (dtype is { } d && d != initialValue.DType)
            throw Fail($"Initializer type '{TfDType(initialValue.DType)}' and explicit dtype '{TfDType(d)}' don't match.", full, loc);
        return GetOrCreate(scope, full, null, initialValue.DType, regularizer, trainable, collections, loc, null, () => initialValue);
    }

    /// <summary>TF's <c>tf.losses.get_regularization_losses(scope)</c>: the <see cref="GraphKeys.RegularizationLosses"/> collection, filtered by a scope regular expression as <c>GetCollection</c> filters.</summary>
    public IReadOnlyList<Output> GetRegularizationLosses(string? scope = null) => GetCollection<Output>(GraphKeys.RegularizationLosses, scope);

    /// <summary>
    /// TF's <c>tf.losses.get_regularization_loss(scope, name="total_regularization_loss")</c>: the
    /// <c>AddN</c> of the regularization losses, or a float32 constant 0 when there are none.
    /// </summary>
    public Output GetRegularizationLoss(string? scope = null, string name = "total_regularization_loss")
    {
        var losses = GetRegularizationLosses(scope);
        return losses.Count > 0 ? AddN([.. losses], name) : Constant(0.0f);
    }

    /// <summary>TF's <c>tf.trainable_variables(scope)</c>: trainable variables whose names match <paramref name="scope"/> at their start (a regular expression).</summary>
    public IReadOnlyList<Variable> GetTrainableVariables(string? scope = null) => GetCollection<Variable>(GraphKeys.TrainableVariables, scope);

    /// <summary>TF's <c>tf.global_variables(scope)</c>: variables whose names match <paramref name="scope"/> at their start (a regular expression).</summary>
    public IReadOnlyList<Variable> GetGlobalVariables(string? scope = null) => GetCollection<Variable>(GraphKeys.GlobalVariables, scope);

    private Variable GetOrCreate(VariableScope scope, string full, Shape? shape, DType dtype, Func<Output, Output?>? regularizer,
        bool? trainable, IEnumerable<string>? collections, SourceLocation? loc, Action? precheck, Func<Output> initialValue)
    {
        var reuse = scope.Reuse;
        regularizer ??= scope.Regularizer;
        Variable? found;
        lock (_lock) _getVariables.TryGetValue(full, out found);
        if (found is not null)
        {
            if (!reuse.IsSet)
            {
                var origin = found.Op.Location is { } o
                    ? $" Originally defined at:\n\n  File \"{(o.File.Length > 0 ? o.File : o.Member)}\", line {o.Line}, in {o.Member}\n"
                    : "";
                throw Fail($"Variable {full} already exists, disallowed. Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?{origin}", full, loc);
            }
            if (shape is not null && !shape.IsCompatibleWith(found.Shape))
                throw Fail($"Trying to share variable {full}, but specified shape {shape} and found shape {found.Shape}.", full, loc);
            if (dtype != found.DType)
                throw Fail($"Trying to share variable {full}, but specified dtype {dtype.Name()} and found dtype {found.DType.Name()}_ref.", full, loc);
            return found;
        }
        if (reuse.IsSet && !reuse.IsAuto)
            throw Fail($"Variable {full} does not exist, or was not created with tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in VarScope?", full, loc);

        if (precheck is not null)
        {
            try
            {
                precheck();
            }
            catch (TensorGraphException e)
            {
                throw Fail(e.Message, full, loc, e);
            }
        }

        // TF creates the variable at the root name scope (names come from the variable scope only),
        // outside control dependencies and control flow (init_scope).
        var prevScope = _scope;
        var prevContext = _controlContext;
        _scope = "";
        _controlContext = null;
        try
        {
            using (ControlDependencies((Operation[]?)null))
            {
                Variable v;
                using (NameScope(full))
                {
                    Output init;
                    try
                    {
                        init = initialValue();
                    }
                    catch (TensorGraphException e) when (e.NodeName is null)
                    {
                        throw Fail(e.Message, full, loc, e);
                    }
                    if (!init.Shape.IsFullyDefined)
                        throw Fail($"Shape of a new variable ({full}) must be fully defined, but instead was {init.Shape}.", full, loc);
                    v = MakeVariable(init, trainable ?? true, collections: collections?.ToArray());
                }
                lock (_lock) _getVariables[full] = v;
                if (regularizer is not null)
                {
                    Output? loss;
                    using (NameScope(full + "/Regularizer/"))
                        loss = regularizer(v.Value);
                    if (loss is { } l) AddToCollection(GraphKeys.RegularizationLosses, l);
                }
                return v;
            }
        }
        finally
        {
            _scope = prevScope;
            _controlContext = prevContext;
        }
    }

    // TF's _get_default_initializer: glorot_uniform for floats, zeros for integers, bools and strings.
    private static Initializer DefaultInitializer(string name, DType dtype)
    {
        if (dtype.IsFloating()) return new GlorotUniform(dtype: dtype);
        if (dtype.IsInteger() || dtype is DType.Bool or DType.String) return new Zeros(dtype);
        throw new InvalidArgumentException($"An initializer for variable {name} of {TfDType(dtype)} is required");
    }

    private static string TfDType(DType dtype) => $"<dtype: '{dtype.Name()}'>";

    private static InvalidArgumentException Fail(string message, string variable, SourceLocation? loc, Exception? inner = null) =>
        new($"{message} [variable '{variable}'{SourceLocation.Suffix(loc, variable)}]", inner) { NodeName = variable };
}
