using System.Text.RegularExpressions;
using TensorGraph.Ops;
using TensorGraph.Proto;

namespace TensorGraph;

/// <summary>
/// A TensorFlow 1.x dataflow graph: owns operations with unique names, the name-scope and
/// control-dependency stacks, collections and the graph-level random seed. Building a graph
/// never executes anything; run it with a <see cref="Session"/>.
/// </summary>
public sealed partial class Graph
{
    /// <summary>GraphDef producer version written by <see cref="ToGraphDef"/> (TF 1.15's TF_GRAPH_DEF_VERSION).</summary>
    public const int GraphDefVersion = 134;

    private static readonly AsyncLocal<Graph?> DefaultGraph = new();
    internal static readonly Regex OpNameRegex = new("^[A-Za-z0-9.][A-Za-z0-9_.\\-/>]*$", RegexOptions.Compiled);
    private static readonly Regex ScopeRegex = new("^[A-Za-z0-9_.\\-/>]*$", RegexOptions.Compiled);
    private static readonly KeyValuePair<string, AttrValue>[] NoAttrs = [];

    private readonly List<Operation> _ops = [];
    private readonly Dictionary<string, Operation> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _nameCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<object>> _collections = new(StringComparer.Ordinal);
    private readonly List<Operation[]?> _controlStack = [];
    private readonly Dictionary<Operation, Tensor> _constCache = [];
    private string _scope = "";
    private readonly object _lock = new();

    // Control flow being built (Ops/Control): the innermost cond/while context ops are routed
    // through, and the predicate of each Merge that Cond built.
    private ControlFlowContext? _controlContext;
    private readonly Dictionary<Operation, Output> _condPredicates = [];

    // Variable scopes (Building/VariableScope.cs, GetVariable.cs): TF's _VariableStore (the
    // variables GetVariable made, by full name), the current VariableScope (null = the root, made
    // on first use) and _VariableScopeStore's count of openings per variable scope name.
    private readonly Dictionary<string, Variable> _getVariables = new(StringComparer.Ordinal);
    private VariableScope? _varScope;
    private readonly Dictionary<string, int> _varScopeCounts = new(StringComparer.Ordinal);

    // TF's Graph._attr_scope: attrs every op built meanwhile gets (GetVariable's initializer ops
    // get the variable's `_class: loc:@name`, as TF colocates them); null = none.
    private KeyValuePair<string, AttrValue>[]? _attrScope;

    // TF's _device_function_stack (Building/GraphDevices.cs): the device scopes in effect, innermost
    // last; AddOp applies them innermost first, as TF's _apply_device_functions does.
    private readonly List<DeviceScope> _deviceStack = [];

    internal object SyncRoot => _lock;

    /// <summary>Graph-level random seed (TF's <c>tf.set_random_seed</c>); null = none.</summary>
    public int? Seed { get; set; }

    /// <summary>
    /// The graph's function library (TF's <c>FunctionDefLibrary</c>): functions of an imported
    /// GraphDef and those <see cref="DefineFunction"/> adds, written back by <see cref="ToGraphDef"/>;
    /// null when the graph has none. Call nodes (PartitionedCall, StatefulPartitionedCall, or an
    /// op type naming a function) run the function's body.
    /// </summary>
    public FunctionDefLibrary? Library { get; set; }

    // Direct-call schemas made from the library, by function name (see ResolveSpec).
    private readonly Dictionary<string, (FunctionDef Def, OpSpec Spec)> _callSpecs = new(StringComparer.Ordinal);

    /// <summary>All operations, in creation order.</summary>
    public IReadOnlyList<Operation> Operations
    {
        get { lock (_lock) return _ops.ToArray(); }
    }

    /// <summary>Number of operations.</summary>
    public int OperationCount => _ops.Count;

    /// <summary>The current name scope, without the trailing slash ("" at the root).</summary>
    public string CurrentNameScope => _scope;

    // ------------------------------------------------------------------ default graph

    /// <summary>The graph made default by <see cref="AsDefault"/> on this async flow, if any.</summary>
    public static Graph? Default => DefaultGraph.Value;

    /// <summary>Makes this graph the default for the current async flow until disposed.</summary>
    public IDisposable AsDefault()
    {
        var prev = DefaultGraph.Value;
        DefaultGraph.Value = this;
        return new Restore(() => DefaultGraph.Value = prev);
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        private Action? _undo = undo;
        public void Dispose()
        {
            _undo?.Invoke();
            _undo = null;
        }
    }

    // ------------------------------------------------------------------ names

    /// <summary>
    /// TF's <c>Graph.unique_name</c>: prefixes the current scope and appends <c>_1</c>, <c>_2</c>, …
    /// when the (case-insensitive) name is taken. With <paramref name="markAsUsed"/> false the
    /// name is only computed.
    /// </summary>
    public string UniqueName(string name, bool markAsUsed = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            if (_scope.Length > 0) name = _scope + "/" + name;
            var key = name.ToLowerInvariant();
            _nameCounts.TryGetValue(key, out int i);
            if (markAsUsed) _nameCounts[key] = i + 1;
            if (i > 0)
            {
                var baseKey = key;
                while (_nameCounts.ContainsKey($"{key}_{i}")) i++;
                if (markAsUsed) _nameCounts[$"{baseKey}_{i}"] = 1;
                name = $"{name}_{i}";
            }
            return name;
        }
    }

    /// <summary>
    /// Opens a name scope (TF's <c>tf.name_scope</c>): ops created inside are named
    /// <c>scope/op</c>. A repeated scope name becomes <c>scope_1</c>; a name ending in <c>/</c>
    /// re-enters that exact scope; null or "" returns to the root.
    /// </summary>
    public IDisposable NameScope(string? name)
    {
        var prev = _scope;
        string next;
        if (string.IsNullOrEmpty(name)) next = "";
        else if (name.EndsWith('/')) next = name[..^1];
        else
        {
            var regex = _scope.Length == 0 ? OpNameRegex : ScopeRegex;
            if (!regex.IsMatch(name)) throw new InvalidArgumentException($"'{name}' is not a valid scope name");
            next = UniqueName(name);
        }
        _scope = next;
        return new Restore(() => _scope = prev);
    }

    // ------------------------------------------------------------------ control dependencies

    /// <summary>
    /// Ops created inside the returned scope get control inputs on <paramref name="ops"/>
    /// (TF's <c>tf.control_dependencies</c>). Passing null clears the outer dependencies.
    /// </summary>
    public IDisposable ControlDependencies(params Operation[]? ops)
    {
        lock (_lock) _controlStack.Add(ops is null ? null : [.. ops]);
        return new Restore(() => { lock (_lock) _controlStack.RemoveAt(_controlStack.Count - 1); });
    }

    /// <summary>Control dependencies on the producers of <paramref name="tensors"/>.</summary>
    public IDisposable ControlDependencies(params Output[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return ControlDependencies(tensors.Select(t => t.Op).ToArray());
    }

    private List<Operation> CurrentControlInputs()
    {
        var list = new List<Operation>();
        for (int i = _controlStack.Count - 1; i >= 0; i--)
        {
            var frame = _controlStack[i];
            if (frame is null) break;
            foreach (var op in frame) if (!list.Contains(op)) list.Add(op);
        }
        return list;
    }

    // ------------------------------------------------------------------ collections

    /// <summary>Adds <paramref name="value"/> to the named collection.</summary>
    public void AddToCollection(string key, object value)
    {
        lock (_lock)
        {
            if (!_collections.TryGetValue(key, out var l)) _collections[key] = l = [];
            l.Add(value);
        }
    }

    /// <summary>Items of a collection that are <typeparamref name="T"/> (empty if none).</summary>
    public IReadOnlyList<T> GetCollection<T>(string key)
    {
        lock (_lock) return _collections.TryGetValue(key, out var l) ? l.OfType<T>().ToArray() : [];
    }

    /// <summary>
    /// TF's <c>get_collection(key, scope)</c>: the items whose name matches the regular expression
    /// <paramref name="scope"/> at its start (Python's <c>re.match</c>), e.g. every trainable
    /// variable under <c>"generator"</c>; items without a name (not an <see cref="Operation"/>,
    /// <see cref="Output"/> or <see cref="TensorGraph.Variable"/>) are left out, as TF leaves them out.
    /// A null scope returns the whole collection.
    /// </summary>
    public IReadOnlyList<T> GetCollection<T>(string key, string? scope)
    {
        var all = GetCollection<T>(key);
        if (scope is null) return all;
        Regex regex;
        try { regex = new Regex(@"\G(?:" + scope + ")", RegexOptions.CultureInvariant); }
        catch (ArgumentException e) { throw new InvalidArgumentException($"Collection scope '{scope}' is not a valid regular expression: {e.Message}"); }
        var result = new List<T>();
        foreach (var item in all)
        {
            string? name = item switch { Operation op => op.Name, Output o => o.Name, Variable v => v.Name, _ => null };
            if (name is not null && regex.IsMatch(name)) result.Add(item);
        }
        return result;
    }

    /// <summary>The names of non-empty collections.</summary>
    public IReadOnlyList<string> CollectionKeys
    {
        get { lock (_lock) return _collections.Keys.Order(StringComparer.Ordinal).ToArray(); }
    }

    /// <summary>Removes every item of a collection.</summary>
    public void ClearCollection(string key)
    {
        lock (_lock) _collections.Remove(key);
    }

    // ------------------------------------------------------------------ lookup

    /// <summary>The operation named <paramref name="name"/>; <see cref="NotFoundException"/> if absent.</summary>
    public Operation GetOperation(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            if (_byName.TryGetValue(name, out var op)) return op;
        }
        if (name.Contains(':', StringComparison.Ordinal))
            throw new InvalidArgumentException($"The name '{name}' looks like a tensor name, but an operation name was expected (use GetTensor)");
        throw new NotFoundException($"The name '{name}' refers to an operation not in the graph");
    }

    /// <summary>The operation named <paramref name="name"/>, or null.</summary>
    public Operation? TryGetOperation(string name)
    {
        lock (_lock) return _byName.TryGetValue(name, out var op) ? op : null;
    }

    /// <summary>The tensor named <c>op:index</c> (a bare op name means output 0).</summary>
    public Output GetTensor(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int colon = name.LastIndexOf(':');
        string opName = name;
        int index = 0;
        if (colon >= 0)
        {
            opName = name[..colon];
            if (!int.TryParse(name.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index))
                throw new InvalidArgumentException($"The name '{name}' is not a valid tensor name (expected 'op_name:index')");
        }
        var op = TryGetOperation(opName) ?? throw new NotFoundException($"The name '{name}' refers to a tensor which does not exist. The operation '{opName}' does not exist in the graph");
        if (index >= op.NumOutputs)
            throw new NotFoundException($"The name '{name}' refers to a tensor which does not exist. The operation '{opName}' exists but only has {op.NumOutputs} outputs");
        return new Output(op, index);
    }

    /// <summary>Looks up <c>op</c> or <c>op:index</c>: an Output for tensor names, else the op's output 0.</summary>
    public Output this[string name] => GetTensor(name);

    // ------------------------------------------------------------------ op creation

    /// <summary>
    /// Adds a node. The name is <paramref name="name"/> (or <paramref name="defaultName"/>, or the
    /// op type) made unique under the current scope; missing attrs get their defaults; control
    /// dependencies in effect are added; outputs are inferred now, so shape/dtype errors point at
    /// the caller's line. The number of inputs must match the spec's declared input arguments.
    /// An <paramref name="imported"/> node captures no stack: its location is
    /// <paramref name="origin"/> (the graph file it came from, or null).
    /// </summary>
    internal Operation AddOp(string type, Output[] inputs, string? name = null, string? defaultName = null,
        IEnumerable<KeyValuePair<string, AttrValue>>? attrs = null, IEnumerable<Operation>? controlInputs = null,
        string device = "", bool exactName = false, bool imported = false, SourceLocation? origin = null)
    {
        var spec = ResolveSpec(type);
        foreach (var i in inputs)
        {
            if (i.Op is null) throw new InvalidArgumentException($"An input of new '{type}' op is a default (unset) Output");
            if (!ReferenceEquals(i.Graph, this))
                throw new InvalidArgumentException($"Input '{i.Name}' of new '{type}' op belongs to a different graph");
        }
        string final;
        if (name is not null && name.EndsWith('/'))
        {
            name = name[..^1];
            exactName = true;
        }
        if (exactName)
        {
            final = name!;
            lock (_lock)
            {
                if (_byName.ContainsKey(final)) throw new InvalidArgumentException($"Duplicate node name in graph: '{final}'");
                var key = final.ToLowerInvariant();
                _nameCounts[key] = Math.Max(1, _nameCounts.GetValueOrDefault(key));
            }
        }
        else
        {
            var requested = name ?? defaultName ?? type;
            if (!(_scope.Length == 0 ? OpNameRegex : ScopeRegex).IsMatch(requested))
                throw new InvalidArgumentException($"'{requested}' is not a valid node name");
            final = UniqueName(requested);
        }
        var controls = new List<Operation>();
        lock (_lock)
        {
            if (_controlStack.Count > 0) controls.AddRange(CurrentControlInputs());
        }
        if (controlInputs is not null) foreach (var c in controlInputs) if (!controls.Contains(c)) controls.Add(c);
        var location = imported ? origin : SourceLocation.Capture();
        var map = new SortedDictionary<string, AttrValue>(StringComparer.Ordinal);
        if (attrs is not null) foreach (var (k, v) in attrs) map[k] = v;
        if (_attrScope is not null && !imported) foreach (var (k, v) in _attrScope) map[k] = v.Clone();
        foreach (var a in spec.Attrs)
        {
            if (!map.ContainsKey(a.Name) && !a.Optional)
            {
                if (a.Default is null)
                    throw NodeError(new InvalidArgumentException($"Missing required attr '{a.Name}'"), final, type, location);
                map[a.Name] = a.Default.Clone();
            }
        }
        foreach (var k in map.Keys)
        {
            if (!k.StartsWith('_') && !HasAttr(spec, k))
                throw NodeError(new InvalidArgumentException($"Unknown attr '{k}' for op type {type}"), final, type, location);
        }
        if (OpSpec.Arity(spec.Inputs, map) is not { } arity)
            throw NodeError(new InvalidArgumentException($"Invalid list length attr for the inputs of {type}; {Signature(spec)}"), final, type, location);
        if (arity != inputs.Length)
            throw NodeError(new InvalidArgumentException(
                $"NodeDef expected inputs '{ExpectedInputs(spec, map, arity)}' do not match {inputs.Length} inputs specified; {Signature(spec)}"),
                final, type, location);
        // A Shape/Size/Rank a gradient loop takes of a forward-loop value is built beside that value,
        // so only the small result is stacked (TF's WhileContext.AddOp).
        var context = _controlContext;
        if (ShapeOpContextInForwardLoop(spec, inputs) is { } forward) _controlContext = forward;
        try
        {
            if (_controlContext is not null) inputs = EnterControlContext(spec, inputs, final, controls);
            var ctx = new InferContext(this, final, type, inputs, map);
            try
            {
                spec.Infer(ctx);
            }
            catch (TensorGraphException e)
            {
                throw NodeError(e, final, type, location);
            }
            foreach (var c in controls)
            {
                if (!ReferenceEquals(c.Graph, this)) throw new InvalidArgumentException($"Control input '{c.Name}' belongs to a different graph");
            }
            var outs = ctx.Outputs;
            var outTypes = new DType[outs.Count];
            var outShapes = new Shape[outs.Count];
            for (int i = 0; i < outs.Count; i++) (outTypes[i], outShapes[i]) = outs[i];
            Operation op;
            lock (_lock)
            {
                op = new Operation(this, _ops.Count, final, spec, inputs, controls.Count == 0 ? [] : [.. controls], map,
                    outTypes, outShapes, device, location);
                if (_deviceStack.Count > 0) ApplyDeviceScopes(op);
                _ops.Add(op);
                _byName[final] = op;
                for (int i = 0; i < inputs.Length; i++) inputs[i].Op.Consumers.Add((op, i));
                foreach (var c in controls) c.ControlOutputs.Add(op);
            }
            _controlContext?.Adopt(op);
            return op;
        }
        finally
        {
            _controlContext = context;
        }
    }

    /// <summary>
    /// The schema of op type <paramref name="type"/>: a registered op, else a direct call of the
    /// library function of that name (NotFound when it is neither).
    /// </summary>
    internal OpSpec ResolveSpec(string type)
    {
        if (OpRegistry.TryGet(type, out var spec)) return spec;
        return TryCallSpec(type) ?? OpRegistry.Get(type);
    }

    /// <summary>The direct-call schema of library function <paramref name="name"/>, or null when the library has no such function.</summary>
    internal OpSpec? TryCallSpec(string name)
    {
        var def = Library?.Function.FirstOrDefault(f => f.Signature?.Name == name);
        if (def is null) return null;
        lock (_lock)
        {
            if (_callSpecs.TryGetValue(name, out var e) && ReferenceEquals(e.Def, def)) return e.Spec;
            var spec = new FunctionCallSpec(def);
            _callSpecs[name] = (def, spec);
            return spec;
        }
    }

    /// <summary>
    /// Adds an imported node that is kept but cannot run (<see cref="OpSpec.Inert"/>): its attrs
    /// are taken as they are (no defaults, no validation, no inference) and its outputs have the
    /// dtypes and shapes the importer worked out. The name is taken exactly.
    /// </summary>
    internal Operation AddInertOp(OpSpec spec, Output[] inputs, string name, IEnumerable<KeyValuePair<string, AttrValue>> attrs,
        IEnumerable<Operation> controlInputs, DType[] outTypes, Shape[] outShapes, string device, SourceLocation? origin)
    {
        foreach (var i in inputs)
        {
            if (!ReferenceEquals(i.Graph, this)) throw new InvalidArgumentException($"Input '{i.Name}' of new '{spec.Type}' op belongs to a different graph");
        }
        var map = new SortedDictionary<string, AttrValue>(StringComparer.Ordinal);
        foreach (var (k, v) in attrs) map[k] = v;
        var controls = new List<Operation>();
        lock (_lock)
        {
            if (_controlStack.Count > 0) controls.AddRange(CurrentControlInputs());
        }
        foreach (var c in controlInputs) if (!controls.Contains(c)) controls.Add(c);
        lock (_lock)
        {
            if (_byName.ContainsKey(name)) throw new InvalidArgumentException($"Duplicate node name in graph: '{name}'");
            var key = name.ToLowerInvariant();
            _nameCounts[key] = Math.Max(1, _nameCounts.GetValueOrDefault(key));
            var op = new Operation(this, _ops.Count, name, spec, inputs, controls.Count == 0 ? [] : [.. controls], map,
                outTypes, outShapes, device, origin);
            _ops.Add(op);
            _byName[name] = op;
            for (int i = 0; i < inputs.Length; i++) inputs[i].Op.Consumers.Add((op, i));
            foreach (var c in controls) c.ControlOutputs.Add(op);
            return op;
        }
    }

    private static bool HasAttr(OpSpec spec, string name)
    {
        foreach (var a in spec.Attrs) if (a.Name == name) return true;
        return false;
    }
    /// <summary>
    /// TF's list of expected input types (<c>float, float</c>), at most 16 of them: a list length
    /// comes from an attr, which a file may set to billions.
    /// </summary>
    private static string ExpectedInputs(OpSpec spec, IDictionary<string, AttrValue> map, long arity)
    {
        const int Shown = 16;
        var names = spec.Inputs.SelectMany(a => a.TypeNames(map)).Take(Shown + 1).ToList();
        return names.Count <= Shown ? string.Join(", ", names)
            : string.Join(", ", names.Take(Shown)) + FormattableString.Invariant($", ... ({arity} in all)");
    }


    /// <summary>An op's signature as TF summarizes an OpDef: <c>Op&lt;name=Add; signature=x:T, y:T -&gt; z:T&gt;</c>.</summary>
    private static string Signature(OpSpec spec)
    {
        static string Arg(ArgSpec a) =>
            $"{a.Name}:{(a.IsRef ? "Ref(" : "")}{(a.NumberAttr is { } n ? n + "*" : "")}{(a.Type is { } t ? ArgSpec.TfName(t) : a.TypeAttr ?? a.TypeListAttr)}{(a.IsRef ? ")" : "")}";
        return $"Op<name={spec.Type}; signature={string.Join(", ", spec.Inputs.Select(Arg))} -> {string.Join(", ", spec.Outputs.Select(Arg))}>";
    }

    internal static TensorGraphException NodeError(TensorGraphException e, string name, string type, SourceLocation? loc)
    {
        return Errors.Make(e.Code, $"{e.Message} [node '{name}' ({type}){SourceLocation.Suffix(loc, name)}]", e, name);
    }

    /// <summary>The value of <paramref name="t"/> if it is a build-time constant (a Const, or the Shape of a fully known shape).</summary>
    internal Tensor? TryConstantValue(Output t)
    {
        var op = t.Op;
        if (op.Type == ConstSpec.OpType)
        {
            lock (_lock)
            {
                if (_constCache.TryGetValue(op, out var v)) return v;
                v = op.GetAttrTensor("value");
                _constCache[op] = v;
                return v;
            }
        }
        if (op.Type == ShapeSpec.OpType && op.Inputs[0].Shape.IsFullyDefined)
        {
            var dims = op.Inputs[0].Shape.ToArray();
            return op.OutputType(0) == DType.Int64 ? Tensor.FromArray(dims.Select(d => (long)d).ToArray()) : Tensor.FromArray(dims);
        }
        if (op.Type is IdentitySpec.OpType or StopGradientSpec.OpType) return TryConstantValue(op.Inputs[0]);
        return null;
    }

    /// <summary>
    /// What build time knows of the shape a 1-D integer tensor describes (TF's
    /// <c>tensor_util.constant_value_as_shape</c>): a constant gives its dims (-1 = unknown); the
    /// <c>Shape</c> of x gives x's static shape (and a one-axis <c>StridedSlice</c> of it, the slice of
    /// that shape); a <c>Pack</c> of scalars gives one dim per scalar,
    /// known where that scalar is a constant other than -1; a <c>ConcatV2</c> joins the partial
    /// shapes of its parts; otherwise as many unknown dims as the tensor's static length, or an
    /// unknown rank.
    /// </summary>
    internal Shape PartialShapeValue(Output t)
    {
        if (TryConstantValue(t) is { Rank: 1 } v && v.DType is DType.Int32 or DType.Int64)
        {
            var dims = new int[v.Size];
            for (int i = 0; i < dims.Length; i++)
            {
                long d = v.GetInt64(i);
                dims[i] = d >= 0 && d <= int.MaxValue ? (int)d : -1;
            }
            return Bounded(dims);
        }
        var op = t.Op;
        if (op.Type == ShapeSpec.OpType) return op.Inputs[0].Shape;
        if (op.Type is IdentitySpec.OpType or StopGradientSpec.OpType) return PartialShapeValue(op.Inputs[0]);
        if (op.Type == PackSpec.OpType && op.GetAttrInt("axis") == 0 && AllScalars(op))
        {
            var dims = new int[op.NumInputs];
            for (int i = 0; i < dims.Length; i++)
                dims[i] = TryConstantValue(op.Inputs[i]) is { Size: 1 } c && c.GetInt64(0) is var d && d >= 0 && d <= int.MaxValue ? (int)d : -1;
            return Bounded(dims);
        }
        if (op.Type == StridedSliceSpec.OpType && SliceOfPartialShape(op) is { } sliced) return sliced;
        if (op.Type == ConcatV2Spec.OpType && TryConstantValue(op.Inputs[^1]) is { Size: 1 } axis && axis.GetInt64(0) is 0 or -1)
        {
            var all = new List<int>();
            for (int i = 0; i < op.NumInputs - 1; i++)
            {
                var part = PartialShapeValue(op.Inputs[i]);
                if (!part.IsRankKnown) return UnknownDims(t);
                all.AddRange(part.ToArray());
            }
            return Bounded([.. all]);
        }
        return UnknownDims(t);

        // As many unknown dims as the vector's static length, when that is known.
        static Shape UnknownDims(Output t) =>
            t.Shape is { IsRankKnown: true, Rank: 1 } len && len[0] >= 0 && len[0] <= Shape.MaxRank ? Shape.UnknownOfRank(len[0]) : Shape.Unknown;

        // tf.shape(x)[a:b:c]: a one-axis slice (no ellipsis, new-axis or shrink masks) of a vector
        // whose partial shape is known, with Python's slice rules.
        Shape? SliceOfPartialShape(Operation op)
        {
            if (op.GetAttrInt("ellipsis_mask") != 0 || op.GetAttrInt("new_axis_mask") != 0 || op.GetAttrInt("shrink_axis_mask") != 0) return null;
            if (TryConstantValue(op.Inputs[1]) is not { Size: 1 } b || TryConstantValue(op.Inputs[2]) is not { Size: 1 } e
                || TryConstantValue(op.Inputs[3]) is not { Size: 1 } st) return null;
            var prev = PartialShapeValue(op.Inputs[0]);
            long stride = st.GetInt64(0);
            if (!prev.IsRankKnown || stride == 0) return null;
            var dims = prev.ToArray();
            long n = dims.Length;
            bool noBegin = (op.GetAttrInt("begin_mask") & 1) != 0, noEnd = (op.GetAttrInt("end_mask") & 1) != 0;
            long Clamp(long i, long lo, long hi) => i < 0 ? Math.Max(i + n, lo) : Math.Min(i, hi);
            long begin = noBegin ? (stride > 0 ? 0 : n - 1) : Clamp(b.GetInt64(0), stride > 0 ? 0 : -1, stride > 0 ? n : n - 1);
            long end = noEnd ? (stride > 0 ? n : -1) : Clamp(e.GetInt64(0), stride > 0 ? 0 : -1, stride > 0 ? n : n - 1);
            var picked = new List<int>();
            for (long i = begin; stride > 0 ? i < end : i > end; i += stride) picked.Add(dims[i]);
            return Shape.FromSpan([.. picked]);
        }

        // A shape of more dims than TF allows is left unknown here; the kernel reports it.
        static Shape Bounded(int[] dims) => dims.Length <= Shape.MaxRank ? Shape.FromSpan(dims) : Shape.Unknown;

        static bool AllScalars(Operation op)
        {
            for (int i = 0; i < op.NumInputs; i++)
                if (op.Inputs[i].Shape is not { IsRankKnown: true, Rank: 0 }) return false;
            return true;
        }
    }
}
