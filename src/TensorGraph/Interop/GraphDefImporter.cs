using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Collections;
using TensorGraph.Functions;
using TensorGraph.Ops;
using TensorGraph.Proto;

namespace TensorGraph.Serialization;

/// <summary>
/// Adds the nodes of one <c>GraphDef</c> to a graph (the work behind <see cref="Graph.Import"/>),
/// in the steps of TF's importer: check the node names, resolve the op types, parse the inputs,
/// order the nodes producers first, merge the function library (a node may call one of its
/// functions), create the operations, close the while loops' back edges and look up the
/// requested return elements. Each step either
/// succeeds or throws before the graph is changed, except the creation steps, which run last.
/// </summary>
internal sealed class GraphDefImporter
{
    /// <summary>
    /// Older spellings of ops that TensorGraph implements under another name with the same
    /// semantics (inputs, outputs and attrs). Applied only when the old name is not registered.
    /// </summary>
    private static readonly Dictionary<string, string> LegacyOpNames = new(StringComparer.Ordinal)
    {
        ["BatchMatMulV2"] = "BatchMatMul",
        ["BatchMatMulV3"] = "BatchMatMul",
    };

    /// <summary>A data input of a node, by producer name and output index; <c>Mapped</c> when <c>input_map</c> replaces it.</summary>
    private readonly record struct DataInput(string Node, int Index, Output? Mapped);

    /// <summary>Input <c>Slot</c> of Merge node <c>Node</c> reads <c>Src:Index</c>, a NextIteration: the edge that closes a while loop.</summary>
    private readonly record struct BackEdge(int Node, int Slot, string Src, int Index);

    private readonly Graph _graph;
    private readonly GraphDef _graphDef;
    private readonly RepeatedField<NodeDef> _nodes;
    private readonly string _prefix;
    private readonly IDictionary<string, Output>? _inputMap;
    private readonly string? _source;
    private readonly bool _strict;
    private readonly bool _readExisting;

    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly OpSpec?[] _specs;
    private readonly DataInput[][] _data;
    private readonly string[][] _controls;
    private readonly List<int>[] _deps;
    private readonly List<BackEdge> _backEdges = [];
    private readonly Dictionary<string, Operation> _created;
    /// <summary>Per node, the output count its consumers in the GraphDef imply (highest index read + 1).</summary>
    private readonly int[] _outputsRead;
    /// <summary>Per node whose outputs may be unknown, the dtype each consumer's declaration gives an output.</summary>
    private readonly Dictionary<(int Node, int Output), DType> _declaredByConsumers = [];

    private GraphDefImporter(Graph graph, GraphDef graphDef, string prefix, IDictionary<string, Output>? inputMap, string? source,
        bool strict, bool readExisting = false)
    {
        _strict = strict;
        _readExisting = readExisting && string.IsNullOrEmpty(prefix);
        _graph = graph;
        _graphDef = graphDef;
        _nodes = graphDef.Node;
        _prefix = prefix;
        _inputMap = inputMap;
        _source = source;
        _specs = new OpSpec?[_nodes.Count];
        _data = new DataInput[_nodes.Count][];
        _controls = new string[_nodes.Count][];
        _deps = new List<int>[_nodes.Count];
        _created = new Dictionary<string, Operation>(_nodes.Count, StringComparer.Ordinal);
        _outputsRead = new int[_nodes.Count];
    }

    /// <summary>Imports <paramref name="graphDef"/> into <paramref name="graph"/>; see <see cref="Graph.Import"/>.</summary>
    public static object[] Import(Graph graph, GraphDef graphDef, string? prefix, IDictionary<string, Output>? inputMap, string[]? returnElements,
        string? source, ImportOptions? options = null)
    {
        var importer = new GraphDefImporter(graph, graphDef, CheckPrefix(prefix), inputMap, source, options?.Strict ?? false, options?.ReadExistingNodes ?? false);
        importer.IndexNodeNames();
        importer.ResolveOpTypes();
        importer.ParseInputs();
        importer.CheckInputMapKeys();
        importer.CollectOutputUses();
        var order = importer.ProducersFirst();
        // Functions first: a node whose op type names a library function is a call of it.
        importer.MergeLibrary();
        importer.CreateOperations(order);
        importer.CloseBackEdges();
        return importer.LookUpReturnElements(returnElements);
    }

    /// <summary>Op types registered under their GraphDef name or an older spelling of it.</summary>
    public static bool IsImportable(string type) =>
        OpRegistry.TryGet(type, out _) || (LegacyOpNames.TryGetValue(type, out var alias) && OpRegistry.TryGet(alias, out _));

    private static string CheckPrefix(string? prefix)
    {
        prefix ??= "";
        if (prefix.EndsWith('/')) prefix = prefix[..^1];
        if (prefix.Length > 0 && !Graph.OpNameRegex.IsMatch(prefix))
            throw new InvalidArgumentException($"'{prefix}' is not a valid import prefix");
        return prefix;
    }

    private string NewName(string n) => _prefix.Length == 0 ? n : _prefix + "/" + n;

    /// <summary>Every node name is valid, unique in the GraphDef, and free in the graph once prefixed.</summary>
    private void IndexNodeNames()
    {
        for (int i = 0; i < _nodes.Count; i++)
        {
            var n = _nodes[i];
            if (!Graph.OpNameRegex.IsMatch(n.Name))
                throw new InvalidArgumentException($"Node {i} has an invalid name '{n.Name}'") { NodeName = n.Name };
            if (!_index.TryAdd(n.Name, i))
                throw new InvalidArgumentException($"Duplicate node name in GraphDef: '{n.Name}'") { NodeName = n.Name };
            if (_graph.TryGetOperation(NewName(n.Name)) is not null)
                throw new InvalidArgumentException($"Importing node '{n.Name}' would create '{NewName(n.Name)}', which already exists in the graph") { NodeName = n.Name };
        }
    }

    /// <summary>
    /// Finds each node's op schema, resolving legacy spellings. A node of a missing type is left
    /// without one (it becomes inert), unless the import is strict: then every missing type is
    /// reported at once.
    /// </summary>
    private void ResolveOpTypes()
    {
        var missing = new List<(string Type, string Node)>();
        var missingTypes = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < _nodes.Count; i++)
        {
            var type = _nodes[i].Op;
            if (OpRegistry.TryGet(type, out var spec) ||
                (LegacyOpNames.TryGetValue(type, out var alias) && OpRegistry.TryGet(alias, out spec)))
            {
                _specs[i] = spec;
            }
            else if ((FunctionBodies.Find(_graphDef.Library, type) ?? FunctionBodies.Find(_graph.Library, type)) is { } function)
            {
                _specs[i] = new FunctionCallSpec(function);
            }
            else if (missingTypes.Add(type))
            {
                missing.Add((type, _nodes[i].Name));
            }
        }
        if (missing.Count > 0 && _strict)
        {
            throw new UnimplementedException("Graph uses op types TensorGraph does not implement: " +
                string.Join(", ", missing.Select(m => $"{(m.Type.Length == 0 ? "(empty op type)" : m.Type)} (node '{m.Node}')")));
        }
    }

    /// <summary>Splits each node's inputs into data and control inputs and records what it depends on.</summary>
    private void ParseInputs()
    {
        var dataIn = new List<DataInput>();
        var ctrlIn = new List<string>();
        for (int i = 0; i < _nodes.Count; i++)
        {
            dataIn.Clear();
            ctrlIn.Clear();
            _deps[i] = [];
            ParseNodeInputs(i, dataIn, ctrlIn);
            _data[i] = [.. dataIn];
            _controls[i] = ctrlIn.Count == 0 ? [] : [.. ctrlIn];
        }
    }

    private void ParseNodeInputs(int i, List<DataInput> dataIn, List<string> ctrlIn)
    {
        var n = _nodes[i];
        foreach (var raw in n.Input)
        {
            if (raw.StartsWith('^'))
            {
                var src = raw[1..];
                if (ReadsExisting(src))
                {
                    ctrlIn.Add(src);
                    continue;
                }
                if (!_index.TryGetValue(src, out int j))
                    throw new InvalidArgumentException($"Node '{n.Name}': control input '{raw}' names a node that is not in the GraphDef") { NodeName = n.Name };
                ctrlIn.Add(src);
                _deps[i].Add(j);
                continue;
            }
            if (ctrlIn.Count > 0)
                throw new InvalidArgumentException($"Node '{n.Name}': data input '{raw}' comes after a control input") { NodeName = n.Name };
            var (srcName, k) = ParseTensorName(raw, n.Name);
            var mapped = MappedInput(srcName, k);
            if (mapped is null && !ReadsExisting(srcName))
            {
                if (!_index.TryGetValue(srcName, out int j))
                    throw new InvalidArgumentException($"Node '{n.Name}': input '{raw}' names a node that is not in the GraphDef") { NodeName = n.Name };
                // A while loop's back edge (NextIteration → Merge) closes a cycle: the Merge is
                // created first and rewired to the NextIteration afterwards, as TF's importer does.
                if (_specs[i]?.ControlFlow == ControlFlowRole.Merge && _specs[j]?.ControlFlow == ControlFlowRole.NextIteration) _backEdges.Add(new(i, dataIn.Count, srcName, k));
                else _deps[i].Add(j);
            }
            dataIn.Add(new(srcName, k, mapped));
        }
    }

    /// <summary>Whether <paramref name="name"/> is a node of the graph read in place (not in the GraphDef); it is recorded as created.</summary>
    private bool ReadsExisting(string name)
    {
        if (!_readExisting || _index.ContainsKey(name)) return false;
        if (_created.ContainsKey(name)) return true;
        if (_graph.TryGetOperation(name) is not { } op) return false;
        _created[name] = op;
        return true;
    }

    /// <summary>The output of this graph that <c>input_map</c> puts in place of <c>srcName:k</c>, or null.</summary>
    private Output? MappedInput(string srcName, int k)
    {
        if (_inputMap is null) return null;
        var key = $"{srcName}:{k}";
        if (!_inputMap.TryGetValue(key, out var o) && !(k == 0 && _inputMap.TryGetValue(srcName, out o))) return null;
        if (o.IsDefault || !ReferenceEquals(o.Graph, _graph))
            throw new InvalidArgumentException($"input_map entry for '{key}' must be an output of this graph");
        return o;
    }

    private void CheckInputMapKeys()
    {
        if (_inputMap is null) return;
        foreach (var key in _inputMap.Keys)
        {
            var (srcName, _) = ParseTensorName(key, "input_map");
            if (!_index.ContainsKey(srcName))
                throw new InvalidArgumentException($"input_map key '{key}' names a node that is not in the GraphDef");
        }
    }

    /// <summary>
    /// Records, for every node, how many outputs its consumers read and, for each output read
    /// by an implemented op, the dtype that op's declaration (with its attrs) expects there:
    /// what an inert node's outputs are taken to be.
    /// </summary>
    private void CollectOutputUses()
    {
        // Declared dtypes only matter for inert nodes, and only a node of an unknown op type (or
        // one downstream of it, or of an inert tensor in the input map) becomes inert: a graph
        // of known ops needs no attrs copied here.
        bool anyUnknown = Array.IndexOf(_specs, null) >= 0 || (_inputMap?.Values.Any(o => o.Op.IsInert) ?? false);
        for (int j = 0; j < _nodes.Count; j++)
        {
            var data = _data[j];
            var spec = _specs[j];
            var attrs = spec is null || !anyUnknown ? null : AttrsWithDefaults(_nodes[j], spec);
            for (int k = 0; k < data.Length; k++)
            {
                if (data[k].Mapped is not null || !_index.TryGetValue(data[k].Node, out int src)) continue;
                _outputsRead[src] = Math.Max(_outputsRead[src], data[k].Index + 1);
                if (attrs is not null && DeclaredType(spec!.Inputs, attrs, k) is { } t)
                    _declaredByConsumers.TryAdd((src, data[k].Index), t);
            }
        }
    }

    private static Dictionary<string, AttrValue> AttrsWithDefaults(NodeDef n, OpSpec spec)
    {
        var attrs = new Dictionary<string, AttrValue>(n.Attr, StringComparer.Ordinal);
        foreach (var a in spec.Attrs) if (a.Default is not null) attrs.TryAdd(a.Name, a.Default);
        return attrs;
    }

    /// <summary>The dtype argument list <paramref name="args"/> gives tensor <paramref name="position"/> on a node with <paramref name="attrs"/>, or null.</summary>
    private static DType? DeclaredType(IReadOnlyList<ArgSpec> args, IDictionary<string, AttrValue> attrs, int position)
    {
        int start = 0;
        foreach (var a in args)
        {
            if (a.Count(attrs) is not { } count) return null;
            if (position < start + count)
            {
                if (a.Type is { } fixedType) return fixedType;
                if (a.TypeListAttr is not null)
                    return attrs.TryGetValue(a.TypeListAttr, out var l) && l.List is { } list && position - start < list.Type.Count
                        ? KnownType(list.Type[position - start]) : null;
                return attrs.TryGetValue(a.TypeAttr!, out var v) && v.ValueCase == AttrValue.ValueOneofCase.Type ? KnownType(v.Type) : null;
            }
            start += count;
        }
        return null;
    }

    private static DType? KnownType(DataType t)
    {
        var d = (DType)(int)t;
        return Enum.IsDefined(d) && d != DType.Invalid ? d : null;
    }

    /// <summary>The node indices in an order where producers come first (ties by GraphDef position); a cycle is an error.</summary>
    private List<int> ProducersFirst()
    {
        int count = _nodes.Count;
        var indegree = new int[count];
        var consumers = new List<int>[count];
        for (int i = 0; i < count; i++) consumers[i] = [];
        for (int i = 0; i < count; i++)
        {
            foreach (var j in _deps[i]) consumers[j].Add(i);
            indegree[i] = _deps[i].Count;
        }

        var order = new List<int>(count);
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < count; i++) if (indegree[i] == 0) ready.Enqueue(i, i);
        while (ready.TryDequeue(out int i, out _))
        {
            order.Add(i);
            foreach (var c in consumers[i])
            {
                if (--indegree[c] == 0) ready.Enqueue(c, c);
            }
        }
        if (order.Count != count)
        {
            var cyclic = Enumerable.Range(0, count).Where(i => indegree[i] > 0).Select(i => $"'{_nodes[i].Name}'").Take(10);
            throw new InvalidArgumentException($"GraphDef contains a cycle through nodes {string.Join(", ", cyclic)}");
        }
        return order;
    }

    private void CreateOperations(List<int> order)
    {
        int producer = _graphDef.Versions?.Producer ?? 0;
        var loopMerges = _backEdges.Select(e => e.Node).ToHashSet();
        foreach (int i in order) CreateOperation(i, producer, loopMerges.Contains(i));
    }

    private void CreateOperation(int i, int producer, bool isLoopMerge)
    {
        var n = _nodes[i];
        var inputs = ResolveInputs(i);
        var ctrl = _controls[i].Length == 0 ? [] : _controls[i].Select(c => _created[c]).Distinct().ToArray();
        var attrs = new List<KeyValuePair<string, AttrValue>>(n.Attr.Count);
        foreach (var (key, value) in n.Attr) attrs.Add(new(key, ImportAttr(n, key, value, producer)));
        if (_specs[i] is null)
        {
            CreateInert(i, inputs, ctrl, attrs, new InertNode(true, InertOpSpec.MissingTypeReason(n.Op), Verbatim(i)));
            return;
        }
        // An implemented op reading an inert node is built when it can be; when it cannot (an
        // unknown dtype, a shape it rejects) it becomes inert too, with the reason recorded.
        int fromInert = Array.FindIndex(inputs, t => t.Op.IsInert);
        if (!_strict && fromInert >= 0)
        {
            int unknownType = Array.FindIndex(inputs, t => t.DType == DType.Invalid);
            if (unknownType >= 0)
            {
                CreateInert(i, inputs, ctrl, attrs, new InertNode(false,
                    $"input {unknownType} ('{inputs[unknownType].Name}') comes from inert node '{inputs[unknownType].Op.Name}' ({inputs[unknownType].Op.Type}) and its dtype is unknown",
                    Verbatim(i)));
                return;
            }
            try
            {
                CreateKnown(i, inputs, ctrl, attrs, isLoopMerge);
            }
            catch (TensorGraphException e)
            {
                CreateInert(i, inputs, ctrl, attrs, new InertNode(false,
                    $"it reads inert node '{inputs[fromInert].Op.Name}' ({inputs[fromInert].Op.Type}) and could not be built: {e.Message}", Verbatim(i)));
            }
            return;
        }
        CreateKnown(i, inputs, ctrl, attrs, isLoopMerge);
    }

    /// <summary>The node's NodeDef as read, when export can write it unchanged (no prefix, no input replaced by <c>input_map</c>).</summary>
    private NodeDef? Verbatim(int i) =>
        _prefix.Length == 0 && _data[i].All(d => d.Mapped is null) ? _nodes[i].Clone() : null;

    /// <summary>
    /// Creates node <paramref name="i"/> as an inert record. Its outputs: as many as the op's
    /// declaration says (for an implemented op), else as many as its <c>_output_shapes</c> attr
    /// lists or its consumers read; dtypes from the declaration, else from what the consumers
    /// declare for them, else from the node's own type attrs, else unknown (<see cref="DType.Invalid"/>);
    /// shapes from <c>_output_shapes</c>, else unknown.
    /// </summary>
    private void CreateInert(int i, Output[] inputs, Operation[] ctrl, List<KeyValuePair<string, AttrValue>> attrs, InertNode inert)
    {
        var n = _nodes[i];
        var spec = _specs[i];
        var declaredAttrs = spec is null ? null : AttrsWithDefaults(n, spec);
        var shapes = n.Attr.TryGetValue("_output_shapes", out var os) && os.List is { } sl ? sl.Shape : null;
        int count = Math.Max(_outputsRead[i], shapes?.Count ?? 0);
        if (declaredAttrs is not null && OpSpec.Arity(spec!.Outputs, declaredAttrs) is { } arity) count = Math.Max(count, arity);
        var types = new DType[count];
        var outShapes = new Shape[count];
        for (int k = 0; k < count; k++)
        {
            types[k] = (declaredAttrs is null ? null : DeclaredType(spec!.Outputs, declaredAttrs, k))
                ?? (_declaredByConsumers.TryGetValue((i, k), out var t) ? t : (DType?)null)
                ?? OwnTypeAttr(n, k, count)
                ?? DType.Invalid;
            outShapes[k] = Shape.Unknown;
            if (shapes is not null && k < shapes.Count)
            {
                try
                {
                    outShapes[k] = Shape.FromProto(shapes[k]);
                }
                catch (TensorGraphException)
                {
                    // A malformed recorded shape says nothing: keep it unknown.
                }
            }
        }
        _created[n.Name] = _graph.AddInertOp(new InertOpSpec(n.Op, inert), inputs, NewName(n.Name), attrs, ctrl, types, outShapes, n.Device,
            _source is null ? null : SourceLocation.Imported(_source, n.Name));
    }

    /// <summary>List attrs that hold one dtype per output, and type attrs that hold the dtype of a single output, in TF's usual spellings.</summary>
    private static readonly string[] OutputTypeListAttrs = ["component_types", "output_types", "Tout", "out_types", "dtypes"];
    private static readonly string[] OutputTypeAttrs = ["dtype", "T", "out_type", "output_type", "DstT", "elem_type"];

    /// <summary>The dtype of output <paramref name="k"/> of <paramref name="count"/> as the node's own attrs suggest it, or null.</summary>
    private static DType? OwnTypeAttr(NodeDef n, int k, int count)
    {
        foreach (var name in OutputTypeListAttrs)
        {
            if (n.Attr.TryGetValue(name, out var v) && v.List is { } l && l.Type.Count == count) return KnownType(l.Type[k]);
        }
        if (count != 1) return null;
        foreach (var name in OutputTypeAttrs)
        {
            if (n.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.Type) return KnownType(v.Type);
        }
        return null;
    }

    private void CreateKnown(int i, Output[] inputs, Operation[] ctrl, List<KeyValuePair<string, AttrValue>> attrs, bool isLoopMerge)
    {
        var n = _nodes[i];
        try
        {
            _created[n.Name] = _graph.AddOp(_specs[i]!.Type, inputs, NewName(n.Name), attrs: attrs, controlInputs: ctrl,
                device: n.Device, exactName: true, imported: true, origin: _source is null ? null : SourceLocation.Imported(_source, n.Name));
            // A loop Merge's back edge is not known yet: like TF's shape refiner, treat it as
            // unknown, so the Merge (and what reads it) does not take the Enter's shape as final.
            if (isLoopMerge) _created[n.Name].SetOutputShape(0, Shape.Unknown);
        }
        catch (TensorGraphException)
        {
            throw;
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidCastException
            or NullReferenceException or OverflowException or InvalidOperationException or KeyNotFoundException
            or FormatException or NotSupportedException or ArithmeticException)
        {
            throw new InvalidArgumentException($"Node '{n.Name}' ({n.Op}) is invalid: {e.Message}", e) { NodeName = n.Name };
        }
    }

    /// <summary>Node <paramref name="i"/>'s data inputs among the operations created so far (a back edge stands in with another input).</summary>
    private Output[] ResolveInputs(int i)
    {
        var n = _nodes[i];
        var data = _data[i];
        var inputs = new Output[data.Length];
        for (int k = 0; k < inputs.Length; k++)
        {
            var (src, idx, mapped) = data[k];
            if (mapped is { } m)
            {
                inputs[k] = m;
                continue;
            }
            if (!_created.TryGetValue(src, out var op))
            {
                // A back edge not built yet: stand in with another input of this Merge until it exists.
                int other = FirstForwardInput(i, data);
                if (other < 0)
                    throw new InvalidArgumentException($"Node '{n.Name}': every input comes from a NextIteration back edge") { NodeName = n.Name };
                var (os, oi, om) = data[other];
                inputs[k] = om ?? new Output(_created[os], oi);
                continue;
            }
            if (idx >= op.NumOutputs)
                throw new InvalidArgumentException($"Node '{n.Name}': input {k} refers to output {idx} of '{src}', which has {op.NumOutputs} outputs") { NodeName = n.Name };
            inputs[k] = new Output(op, idx);
        }
        return inputs;
    }

    /// <summary>The first input of Merge node <paramref name="node"/> that is not a back edge, or -1.</summary>
    private int FirstForwardInput(int node, DataInput[] inputs)
    {
        for (int j = 0; j < inputs.Length; j++)
        {
            if (!_backEdges.Contains(new(node, j, inputs[j].Node, inputs[j].Index))) return j;
        }
        return -1;
    }

    /// <summary>Rewires each loop Merge to the NextIteration it reads, now that both exist.</summary>
    private void CloseBackEdges()
    {
        foreach (var (i, slot, src, idx) in _backEdges)
        {
            var next = _created[src];
            if (idx >= next.NumOutputs)
                throw new InvalidArgumentException($"Node '{_nodes[i].Name}': input {slot} refers to output {idx} of '{src}', which has {next.NumOutputs} outputs") { NodeName = _nodes[i].Name };
            var merge = _created[_nodes[i].Name];
            var t = new Output(next, idx);
            // An inert Merge keeps its NodeDef; rewire it only where the dtypes agree.
            if (merge.IsInert && t.DType != merge.Inputs[slot].DType) continue;
            if (t.DType != merge.Inputs[slot].DType)
                throw new InvalidArgumentException($"Node '{_nodes[i].Name}': back edge '{src}:{idx}' is {t.DType.Name()} but the Merge is {merge.Inputs[slot].DType.Name()}") { NodeName = _nodes[i].Name };
            merge.UpdateInput(slot, t);
        }
    }

    /// <summary>Adds the GraphDef's functions and gradients to the graph's library, keeping those it already has.</summary>
    private void MergeLibrary()
    {
        if (_graphDef.Library is not { } lib || (lib.Function.Count == 0 && lib.Gradient.Count == 0)) return;
        if (_graph.Library is null)
        {
            _graph.Library = lib.Clone();
            return;
        }
        var library = _graph.Library;
        foreach (var f in lib.Function)
        {
            if (!library.Function.Any(x => x.Signature?.Name == f.Signature?.Name)) library.Function.Add(f.Clone());
        }
        foreach (var g in lib.Gradient)
        {
            if (!library.Gradient.Any(x => x.FunctionName == g.FunctionName)) library.Gradient.Add(g.Clone());
        }
    }

    /// <summary>For each name, an <see cref="Output"/> for a tensor name (<c>"op:k"</c>) or an <see cref="Operation"/> for an op name.</summary>
    private object[] LookUpReturnElements(string[]? returnElements)
    {
        if (returnElements is null) return [];
        var result = new object[returnElements.Length];
        for (int r = 0; r < returnElements.Length; r++)
        {
            var name = returnElements[r] ?? throw new ArgumentException("returnElements contains null", nameof(returnElements));
            if (name.Contains(':', StringComparison.Ordinal))
            {
                var (src, k) = ParseTensorName(name, "return_elements");
                if (!_created.TryGetValue(src, out var op))
                    throw new InvalidArgumentException($"Requested return tensor '{name}' was not found in the GraphDef");
                if (k >= op.NumOutputs)
                    throw new InvalidArgumentException($"Requested return tensor '{name}' is invalid: '{src}' has {op.NumOutputs} outputs");
                result[r] = new Output(op, k);
            }
            else
            {
                result[r] = _created.TryGetValue(name, out var op) ? op
                    : throw new InvalidArgumentException($"Requested return node '{name}' was not found in the GraphDef");
            }
        }
        return result;
    }

    private static (string Node, int Index) ParseTensorName(string raw, string node)
    {
        int colon = raw.LastIndexOf(':');
        if (colon < 0) return (raw, 0);
        if (colon == 0 || !int.TryParse(raw.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int k))
            throw new InvalidArgumentException($"Node '{node}': '{raw}' is not a valid tensor name (expected 'name' or 'name:index')") { NodeName = node };
        return (raw[..colon], k);
    }

    private AttrValue ImportAttr(NodeDef n, string key, AttrValue value, int producer)
    {
        // Up to GraphDef version 21 a Placeholder's scalar shape attr meant "unknown shape".
        if (producer <= 21 && key == "shape" && n.Op == "Placeholder" && value.Shape is { UnknownRank: false, Dim.Count: 0 })
            return new AttrValue { Shape = new TensorShapeProto { UnknownRank = true } };
        if (_prefix.Length > 0 && key == "_class" && value.List is not null)
        {
            var v = value.Clone();
            for (int i = 0; i < v.List.S.Count; i++)
            {
                var s = v.List.S[i].ToStringUtf8();
                if (s.StartsWith("loc:@", StringComparison.Ordinal)) v.List.S[i] = ByteString.CopyFromUtf8("loc:@" + _prefix + "/" + s[5..]);
            }
            return v;
        }
        return value;
    }
}
