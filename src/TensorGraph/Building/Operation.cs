using System.Collections.ObjectModel;
using Google.Protobuf;
using TensorGraph.Ops;
using TensorGraph.Proto;

namespace TensorGraph;

/// <summary>
/// A node of a <see cref="Graph"/>: name, TF op type, inputs, control inputs, attrs, device and
/// typed outputs, plus the user's source location where it was built (TF's <c>tf.Operation</c>).
/// </summary>
public sealed class Operation
{
    private readonly Output[] _inputs;
    private Operation[] _controlInputs;
    private readonly SortedDictionary<string, AttrValue> _attrs;
    private readonly DType[] _outputTypes;
    private readonly Shape[] _outputShapes;
    internal readonly List<(Operation Op, int Input)> Consumers = [];
    internal readonly List<Operation> ControlOutputs = [];

    internal Operation(Graph graph, int id, string name, OpSpec spec, Output[] inputs, Operation[] controlInputs,
        SortedDictionary<string, AttrValue> attrs, DType[] outputTypes, Shape[] outputShapes, string device, SourceLocation? location)
    {
        Graph = graph;
        Id = id;
        Name = name;
        Spec = spec;
        Type = spec.Type;
        _inputs = inputs;
        _controlInputs = controlInputs;
        _attrs = attrs;
        _outputTypes = outputTypes;
        _outputShapes = outputShapes;
        Device = device;
        Location = location;
    }

    /// <summary>The owning graph.</summary>
    public Graph Graph { get; }

    /// <summary>Creation order within the graph.</summary>
    public int Id { get; }

    /// <summary>Unique node name, e.g. <c>hidden1/MatMul</c>.</summary>
    public string Name { get; }

    /// <summary>TensorFlow op type, e.g. <c>MatMul</c>.</summary>
    public string Type { get; }

    /// <summary>
    /// The requested device (TF's <c>op.device</c>, NodeDef <c>device</c>): the device scopes'
    /// merged specification in TF's form (<c>/job:ps/device:GPU:0</c>), a device function's string,
    /// or an imported node's string as written; "" when none. Every node runs on the one CPU device,
    /// <c>/job:localhost/replica:0/task:0/device:CPU:0</c>: a session refuses a plan with a node
    /// explicitly assigned elsewhere unless soft placement is on (<see cref="SessionOptions.AllowSoftPlacement"/>).
    /// </summary>
    public string Device { get; internal set; }

    /// <summary>Where the user built this node, when it could be determined.</summary>
    public SourceLocation? Location { get; }

    internal OpSpec Spec { get; }

    /// <summary>Data inputs.</summary>
    public ReadOnlySpan<Output> Inputs => _inputs;

    /// <summary>Number of data inputs.</summary>
    public int NumInputs => _inputs.Length;

    /// <summary>Control inputs (ops that must run before this one).</summary>
    public IReadOnlyList<Operation> ControlInputs => _controlInputs;

    /// <summary>Number of outputs.</summary>
    public int NumOutputs => _outputTypes.Length;

    /// <summary>Output <paramref name="i"/> as a symbolic tensor.</summary>
    public Output this[int i] => new(this, i);

    /// <summary>All outputs.</summary>
    public Output[] Outputs
    {
        get
        {
            var o = new Output[NumOutputs];
            for (int i = 0; i < o.Length; i++) o[i] = new Output(this, i);
            return o;
        }
    }

    /// <summary>The attribute map (TF attr names → values).</summary>
    public IReadOnlyDictionary<string, AttrValue> Attrs => new ReadOnlyDictionary<string, AttrValue>(_attrs);

    internal SortedDictionary<string, AttrValue> AttrMap => _attrs;

    internal DType OutputType(int i) => _outputTypes[i];

    internal Shape OutputShape(int i) => _outputShapes[i];

    /// <summary>The innermost conditional branch or while loop the op was built in (null at the top level).</summary>
    internal ControlFlowContext? Context { get; set; }

    /// <summary>Replaces the static shape of output <paramref name="i"/> (a while loop's shape invariants).</summary>
    internal void SetOutputShape(int i, Shape shape) => _outputShapes[i] = shape;

    /// <summary>Adds a control input after creation (TF's <c>_add_control_input</c>), bypassing control-flow contexts.</summary>
    internal void AddControlInput(Operation c)
    {
        lock (Graph.SyncRoot)
        {
            if (Array.IndexOf(_controlInputs, c) >= 0) return;
            _controlInputs = [.. _controlInputs, c];
            c.ControlOutputs.Add(this);
        }
    }

    /// <summary>
    /// Rewires data input <paramref name="index"/> (TF's <c>_update_input</c>): how a while loop's
    /// Merge gets its back edge from NextIteration, which can only be built after the Merge.
    /// </summary>
    internal void UpdateInput(int index, Output input)
    {
        var old = _inputs[index];
        if (input.DType != old.DType)
            throw new InvalidArgumentException($"Cannot update input {index} of '{Name}' from {old.DType.Name()} to {input.DType.Name()}");
        lock (Graph.SyncRoot)
        {
            old.Op.Consumers.Remove((this, index));
            _inputs[index] = input;
            input.Op.Consumers.Add((this, index));
        }
    }

    /// <summary>Text naming this node and its source location for error messages.</summary>
    public string Describe() => Location is null ? $"'{Name}' ({Type})" : $"'{Name}' ({Type}, {Location.Describe(Name)})";

    /// <summary>Reads an attr; throws <see cref="NotFoundException"/> when absent.</summary>
    public AttrValue GetAttr(string name) =>
        _attrs.TryGetValue(name, out var v) ? v : throw new NotFoundException($"Operation {Describe()} has no attr named '{name}'");

    /// <summary>True when the attr is set.</summary>
    public bool HasAttr(string name) => _attrs.ContainsKey(name);

    /// <summary>An int attr.</summary>
    public long GetAttrInt(string name) => GetAttr(name).I;

    /// <summary>A float attr.</summary>
    public float GetAttrFloat(string name) => GetAttr(name).F;

    /// <summary>A bool attr.</summary>
    public bool GetAttrBool(string name) => GetAttr(name).B;

    /// <summary>A string attr.</summary>
    public string GetAttrString(string name) => GetAttr(name).S.ToStringUtf8();

    /// <summary>A type attr.</summary>
    public DType GetAttrType(string name) => DTypes.FromProto(GetAttr(name).Type);

    /// <summary>A shape attr.</summary>
    public Shape GetAttrShape(string name) => Shape.FromProto(GetAttr(name).Shape ?? new TensorShapeProto { UnknownRank = true });

    /// <summary>A list(int) attr.</summary>
    public long[] GetAttrInts(string name) => [.. GetAttr(name).List?.I ?? []];

    /// <summary>A tensor attr as a host tensor.</summary>
    public Tensor GetAttrTensor(string name) => TensorProtos.FromProto(GetAttr(name).Tensor);

    /// <summary>
    /// True for a node kept only as a record: an imported node whose op type TensorGraph does not
    /// implement, or one that could not be built because it reads such a node. It exports as it
    /// was read; running a plan that needs it fails with an <see cref="UnimplementedException"/>.
    /// </summary>
    public bool IsInert => Spec.Inert is not null;

    /// <summary>For an inert node (<see cref="IsInert"/>), why it cannot run; otherwise null.</summary>
    public string? InertReason => Spec.Inert?.Reason;

    /// <summary>True for an inert node whose op type is not implemented (rather than one that could not be built).</summary>
    public bool IsUnknownOpType => Spec.Inert is { MissingOpType: true };

    /// <summary>This node as a TF <c>NodeDef</c> (an inert node imported without renaming: its NodeDef as it was read).</summary>
    public NodeDef ToNodeDef()
    {
        // An inert node exports the NodeDef it was read from, unless control inputs were added since.
        if (Spec.Inert is { Original: { } original } && original.Input.Where(i => i.StartsWith('^')).Distinct().Count() == _controlInputs.Length)
            return original.Clone();
        var n = new NodeDef { Name = Name, Op = Type, Device = Device };
        foreach (var i in _inputs) n.Input.Add(i.Index == 0 ? i.Op.Name : $"{i.Op.Name}:{i.Index}");
        foreach (var c in _controlInputs) n.Input.Add("^" + c.Name);
        foreach (var (k, v) in _attrs) n.Attr.Add(k, v);
        return n;
    }

    /// <inheritdoc/>
    public override string ToString() => $"<tf.Operation '{Name}' type={Type}>";

    internal static ByteString Utf8(string s) => ByteString.CopyFromUtf8(s);
}
