using TensorGraph.Initializers;

namespace TensorGraph;

/// <summary>
/// The <c>reuse</c> setting of a variable scope (TF's <c>reuse=False/True/tf.AUTO_REUSE</c>):
/// <see cref="False"/> creates variables and refuses existing ones, <see cref="True"/> returns
/// existing ones and refuses to create, <see cref="AutoReuse"/> does either. A <c>bool</c>
/// converts implicitly, so <c>reuse: true</c> reads as in TF.
/// </summary>
public readonly struct Reuse : IEquatable<Reuse>
{
    private readonly byte _mode; // 0 = False, 1 = True, 2 = AUTO_REUSE

    private Reuse(byte mode) => _mode = mode;

    /// <summary>Create only (TF's <c>reuse=False</c>, the root scope's setting).</summary>
    public static Reuse False => new(0);

    /// <summary>Reuse only (TF's <c>reuse=True</c>).</summary>
    public static Reuse True => new(1);

    /// <summary>Create when missing, else reuse (TF's <c>tf.AUTO_REUSE</c>).</summary>
    public static Reuse AutoReuse => new(2);

    /// <summary>True for <see cref="True"/> and <see cref="AutoReuse"/> (Python's truthiness of the reuse flag).</summary>
    public bool IsSet => _mode != 0;

    /// <summary>True for <see cref="AutoReuse"/>.</summary>
    public bool IsAuto => _mode == 2;

    /// <summary><c>true</c> is <see cref="True"/>, <c>false</c> is <see cref="False"/>.</summary>
    public static implicit operator Reuse(bool reuse) => reuse ? True : False;

    /// <summary>Same as the implicit conversion from <c>bool</c>.</summary>
    public static Reuse FromBoolean(bool reuse) => reuse;

    /// <inheritdoc/>
    public bool Equals(Reuse other) => _mode == other._mode;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Reuse r && Equals(r);

    /// <inheritdoc/>
    public override int GetHashCode() => _mode;

    /// <summary>Equality.</summary>
    public static bool operator ==(Reuse a, Reuse b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Reuse a, Reuse b) => !a.Equals(b);

    /// <summary>As TF prints it: <c>False</c>, <c>True</c>, <c>AUTO_REUSE</c>.</summary>
    public override string ToString() => _mode switch { 0 => "False", 1 => "True", _ => "AUTO_REUSE" };
}

/// <summary>
/// TF 1.15's <c>tf.VariableScope</c>: the defaults <see cref="Graph.GetVariable(string, Shape?, DType?, Initializer?, Func{Output, Output?}?, bool?, IEnumerable{string}?)"/>
/// uses inside a <see cref="Graph.VariableScope(string?, string?, Reuse?, Initializer?, Func{Output, Output?}?, DType?, bool)"/>
/// block — the name prefix, reuse, initializer, regularizer and dtype. The object the block
/// returns can be passed to <see cref="Graph.VariableScope(TensorGraph.VariableScope, Reuse?, Initializer?, Func{Output, Output?}?, DType?, bool)"/>
/// to re-enter the same variable scope; disposing it closes the block (disposing a scope that was
/// not opened by a block, such as <see cref="Graph.GetVariableScope"/>'s, does nothing).
/// </summary>
public sealed class VariableScope : IDisposable
{
    private Action? _exit;

    internal VariableScope(Graph graph, Reuse reuse, string name, Initializer? initializer, Func<Output, Output?>? regularizer,
        DType dtype, string nameScope)
    {
        Graph = graph;
        Reuse = reuse;
        Name = name;
        Initializer = initializer;
        Regularizer = regularizer;
        DType = dtype;
        OriginalNameScope = nameScope;
    }

    /// <summary>The graph the scope belongs to.</summary>
    public Graph Graph { get; }

    /// <summary>The scope's name, the prefix of its variables (<c>"a/b"</c>; "" at the root).</summary>
    public string Name { get; }

    /// <summary>
    /// TF's <c>original_name_scope</c>: the name scope the scope was first opened with, with its
    /// trailing slash (<c>"a/"</c>, or <c>"a_1/"</c> when a second <c>variable_scope("a")</c> made it).
    /// </summary>
    public string OriginalNameScope { get; }

    /// <summary>Whether <c>GetVariable</c> creates, reuses or does either.</summary>
    public Reuse Reuse { get; private set; }

    /// <summary>The default initializer of the scope's variables (null: glorot_uniform for floats, zeros otherwise).</summary>
    public Initializer? Initializer { get; private set; }

    /// <summary>The default regularizer of the scope's variables (null: none).</summary>
    public Func<Output, Output?>? Regularizer { get; private set; }

    /// <summary>The default dtype of the scope's variables (float32 unless set).</summary>
    public DType DType { get; private set; }

    /// <summary>TF's <c>reuse_variables()</c>: from now on the scope reuses.</summary>
    public void ReuseVariables() => Reuse = Reuse.True;

    /// <summary>TF's <c>set_initializer</c>.</summary>
    public void SetInitializer(Initializer? initializer) => Initializer = initializer;

    /// <summary>TF's <c>set_regularizer</c>.</summary>
    public void SetRegularizer(Func<Output, Output?>? regularizer) => Regularizer = regularizer;

    /// <summary>TF's <c>set_dtype</c>.</summary>
    public void SetDType(DType dtype) => DType = dtype;

    /// <summary>TF's <c>VariableScope.get_collection</c>: the items of a collection whose names start with <c>Name + "/"</c> (a regular expression, as in TF).</summary>
    public IReadOnlyList<T> GetCollection<T>(string key) => Graph.GetCollection<T>(key, Name.Length > 0 ? Name + "/" : "");

    /// <summary>This scope's trainable variables.</summary>
    public IReadOnlyList<Variable> TrainableVariables() => GetCollection<Variable>(GraphKeys.TrainableVariables);

    /// <summary>This scope's global variables.</summary>
    public IReadOnlyList<Variable> GlobalVariables() => GetCollection<Variable>(GraphKeys.GlobalVariables);

    /// <summary>This scope's local variables.</summary>
    public IReadOnlyList<Variable> LocalVariables() => GetCollection<Variable>(GraphKeys.LocalVariables);

    internal void SetExit(Action exit) => _exit = exit;

    /// <summary>Closes the <c>VariableScope</c> block that returned this scope (TF's <c>__exit__</c>).</summary>
    /// <exception cref="InvalidOperationException">Blocks were closed out of order ("Improper nesting of variable_scope.").</exception>
    public void Dispose()
    {
        // A block closed out of order stays open (the exit throws first), so it can be closed again in order.
        _exit?.Invoke();
        _exit = null;
    }

    /// <inheritdoc/>
    public override string ToString() => $"<VariableScope '{Name}' reuse={Reuse}>";
}

public sealed partial class Graph
{
    /// <summary>TF's <c>tf.get_variable_scope()</c>: the variable scope in effect (the root scope, name "", outside every block).</summary>
    public VariableScope GetVariableScope()
    {
        lock (_lock) return _varScope ??= new VariableScope(this, Reuse.False, "", null, null, DType.Float32, "");
    }

    /// <summary>
    /// TF 1.15's <c>tf.variable_scope(name_or_scope, default_name, reuse=…, initializer=…,
    /// regularizer=…, dtype=…, auxiliary_name_scope=…)</c>: opens a variable scope named
    /// <paramref name="name"/> under the current one, and a name scope of the same name (made unique
    /// as name scopes are: re-entering <c>"a"</c> gives name scope <c>a_1/</c> but variable scope
    /// <c>a</c>). With a null <paramref name="name"/>, <paramref name="defaultName"/> is made unique
    /// among the variable scopes opened under the current one (<c>dense</c>, <c>dense_1</c>, …).
    /// <paramref name="reuse"/> null (or false) inherits the parent's reuse; true and
    /// <see cref="Reuse.AutoReuse"/> hold for every child scope. Initializer, regularizer and dtype
    /// are inherited unless given. Dispose the result to close the block.
    /// </summary>
    /// <exception cref="ArgumentException">Neither a name nor a default name.</exception>
    /// <exception cref="InvalidArgumentException">A reusing scope without a name ("reuse=True cannot be used without a name_or_scope"), or an invalid scope name.</exception>
    public VariableScope VariableScope(string? name, string? defaultName = null, Reuse? reuse = null, Initializer? initializer = null,
        Func<Output, Output?>? regularizer = null, DType? dtype = null, bool auxiliaryNameScope = true)
    {
        if (name is null && defaultName is null) throw new ArgumentException("If default_name is None then name_or_scope is required", nameof(defaultName));
        if (reuse == TensorGraph.Reuse.False) reuse = null; // TF: no non-inheriting scopes, False = None here
        var prevScope = _scope;
        IDisposable? nameScope = auxiliaryNameScope ? null : NameScope(_scope.Length > 0 ? _scope + "/" : null);
        try
        {
            var old = GetVariableScope();
            if (name is not null)
            {
                string? oldNameScope = null;
                if (name.Length > 0 || nameScope is not null)
                {
                    nameScope ??= NameScope(name);
                    oldNameScope = _scope.Length > 0 ? _scope + "/" : "";
                }
                var newName = old.Name.Length > 0 ? old.Name + "/" + name : name;
                var r = reuse is { IsSet: true } given ? given : old.Reuse; // reuse is inherited by sub-scopes
                var scope = new VariableScope(this, r, newName, initializer ?? old.Initializer, regularizer ?? old.Regularizer,
                    dtype ?? old.DType, oldNameScope ?? name);
                return Enter(scope, old, reentered: false, nameScope, prevScope);
            }
            if (reuse is { IsSet: true }) throw new InvalidArgumentException("reuse=True cannot be used without a name_or_scope");
            nameScope ??= NameScope(defaultName);
            var entered = _scope.Length > 0 ? _scope + "/" : "";
            var unique = UniqueVariableScope(old, defaultName!);
            var full = old.Name.Length > 0 ? old.Name + "/" + unique : unique;
            var made = new VariableScope(this, old.Reuse, full, initializer ?? old.Initializer, regularizer ?? old.Regularizer,
                dtype ?? old.DType, entered);
            return Enter(made, old, reentered: false, nameScope, prevScope);
        }
        catch
        {
            nameScope?.Dispose();
            _scope = prevScope;
            throw;
        }
    }

    /// <summary>
    /// Re-enters a variable scope (TF's <c>tf.variable_scope(scope_object)</c>): variables are named
    /// under <paramref name="scope"/>'s name wherever the block is opened, with its reuse (unless
    /// <paramref name="reuse"/> is set), initializer, regularizer and dtype (unless given). As in TF,
    /// the name scope opened is the last part of the scope's name under the current name scope,
    /// made unique; <see cref="VariableScope.OriginalNameScope"/> stays the first one. The counters
    /// of <c>defaultName</c> scopes opened inside are restored when the block closes.
    /// </summary>
    public VariableScope VariableScope(VariableScope scope, Reuse? reuse = null, Initializer? initializer = null,
        Func<Output, Output?>? regularizer = null, DType? dtype = null, bool auxiliaryNameScope = true)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (!ReferenceEquals(scope.Graph, this)) throw new InvalidArgumentException($"Variable scope '{scope.Name}' belongs to a different graph");
        if (reuse == TensorGraph.Reuse.False) reuse = null;
        var prevScope = _scope;
        IDisposable? nameScope = auxiliaryNameScope ? null : NameScope(_scope.Length > 0 ? _scope + "/" : null);
        try
        {
            var old = GetVariableScope();
            var last = scope.Name.Split('/')[^1];
            if (last.Length > 0 || nameScope is not null) nameScope ??= NameScope(last);
            var r = reuse is { IsSet: true } given ? given : scope.Reuse;
            var copy = new VariableScope(this, r, scope.Name, initializer ?? scope.Initializer, regularizer ?? scope.Regularizer,
                dtype ?? scope.DType, scope.OriginalNameScope);
            return Enter(copy, old, reentered: true, nameScope, prevScope);
        }
        catch
        {
            nameScope?.Dispose();
            _scope = prevScope;
            throw;
        }
    }

    private VariableScope Enter(VariableScope scope, VariableScope old, bool reentered, IDisposable? nameScope, string prevNameScope)
    {
        Dictionary<string, int>? savedCounts = null;
        lock (_lock)
        {
            _varScopeCounts[scope.Name] = _varScopeCounts.GetValueOrDefault(scope.Name) + 1;
            if (reentered) savedCounts = new Dictionary<string, int>(_varScopeCounts, StringComparer.Ordinal);
            _varScope = scope;
        }
        scope.SetExit(() =>
        {
            lock (_lock)
            {
                if (!ReferenceEquals(_varScope, scope)) throw new InvalidOperationException("Improper nesting of variable_scope.");
                if (savedCounts is not null)
                {
                    _varScopeCounts.Clear();
                    foreach (var (k, v) in savedCounts) _varScopeCounts[k] = v;
                }
                else
                {
                    foreach (var k in _varScopeCounts.Keys.ToArray())
                        if (k.StartsWith(scope.Name + "/", StringComparison.Ordinal)) _varScopeCounts[k] = 0;
                }
                _varScope = old;
            }
            nameScope?.Dispose();
            _scope = prevNameScope;
        });
        return scope;
    }

    // TF's _get_unique_variable_scope: prefix, or prefix_N, unused among the scopes opened under the current one.
    private string UniqueVariableScope(VariableScope current, string prefix)
    {
        lock (_lock)
        {
            var name = current.Name.Length > 0 ? current.Name + "/" + prefix : prefix;
            if (_varScopeCounts.GetValueOrDefault(name) == 0) return prefix;
            int idx = 1;
            while (_varScopeCounts.GetValueOrDefault($"{name}_{idx}") > 0) idx++;
            return $"{prefix}_{idx}";
        }
    }
}
