using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph;

/// <summary>Importing TensorFlow <c>GraphDef</c>s and loading/saving graph files.</summary>
public sealed partial class Graph
{
    private static readonly Regex ImportNameRegex = new("^[A-Za-z0-9.][A-Za-z0-9_.\\-/>]*$", RegexOptions.Compiled);

    /// <summary>
    /// Older spellings of ops that TensorGraph implements under another name with the same
    /// semantics (inputs, outputs and attrs). Applied only when the old name is not registered.
    /// </summary>
    private static readonly Dictionary<string, string> LegacyOpNames = new(StringComparer.Ordinal)
    {
        ["BatchMatMulV2"] = "BatchMatMul",
        ["BatchMatMulV3"] = "BatchMatMul",
    };

    /// <summary>
    /// The function library of an imported GraphDef, kept as-is (TensorGraph does not execute
    /// functions) and written back by <see cref="ToGraphDef"/>; null when the graph has none.
    /// </summary>
    public FunctionDefLibrary? Library { get; set; }

    /// <summary>
    /// Adds the nodes of <paramref name="graphDef"/> to this graph (TF's <c>tf.import_graph_def</c>).
    /// Nodes may come in any order; names get <c>prefix/</c> when <paramref name="prefix"/> is
    /// given; <paramref name="inputMap"/> replaces imported tensors (keys <c>"name"</c> or
    /// <c>"name:k"</c> of the GraphDef) with existing outputs of this graph. Attrs are validated
    /// against the op schemas and missing ones get their defaults. Returns, for each entry of
    /// <paramref name="returnElements"/>, an <see cref="Output"/> for a tensor name
    /// (<c>"op:k"</c>) or an <see cref="Operation"/> for an op name. <paramref name="source"/> names
    /// the graph file the GraphDef was read from: errors about imported nodes cite it
    /// (<c>[node 'dense/MatMul' (MatMul), from model.pb]</c>) where nodes built by code cite a source line.
    /// </summary>
    /// <exception cref="UnimplementedException">The graph uses op types TensorGraph lacks (all are listed).</exception>
    /// <exception cref="InvalidArgumentException">The graph is malformed (bad names or inputs, cycles, invalid attrs).</exception>
    public object[] Import(GraphDef graphDef, string prefix = "", IDictionary<string, Output>? inputMap = null, string[]? returnElements = null,
        string? source = null)
    {
        ArgumentNullException.ThrowIfNull(graphDef);
        prefix ??= "";
        if (prefix.EndsWith('/')) prefix = prefix[..^1];
        if (prefix.Length > 0 && !ImportNameRegex.IsMatch(prefix))
            throw new InvalidArgumentException($"'{prefix}' is not a valid import prefix");
        string NewName(string n) => prefix.Length == 0 ? n : prefix + "/" + n;

        var nodes = graphDef.Node;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            if (!ImportNameRegex.IsMatch(n.Name))
                throw new InvalidArgumentException($"Node {i} has an invalid name '{n.Name}'") { NodeName = n.Name };
            if (!index.TryAdd(n.Name, i))
                throw new InvalidArgumentException($"Duplicate node name in GraphDef: '{n.Name}'") { NodeName = n.Name };
            if (TryGetOperation(NewName(n.Name)) is not null)
                throw new InvalidArgumentException($"Importing node '{n.Name}' would create '{NewName(n.Name)}', which already exists in the graph") { NodeName = n.Name };
        }

        // Op types: resolve legacy spellings and report every missing type at once.
        var specs = new OpSpec[nodes.Count];
        var missing = new List<(string Type, string Node)>();
        var missingTypes = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
        {
            var type = nodes[i].Op;
            if (OpRegistry.TryGet(type, out var spec) ||
                (LegacyOpNames.TryGetValue(type, out var alias) && OpRegistry.TryGet(alias, out spec)))
            {
                specs[i] = spec;
            }
            else if (missingTypes.Add(type))
            {
                missing.Add((type, nodes[i].Name));
            }
        }
        if (missing.Count > 0)
        {
            throw new UnimplementedException("Graph uses op types TensorGraph does not implement: " +
                string.Join(", ", missing.Select(m => $"{(m.Type.Length == 0 ? "(empty op type)" : m.Type)} (node '{m.Node}')")));
        }

        // Parse inputs and order the nodes so that producers come first.
        var data = new (string Node, int Index, Output? Mapped)[nodes.Count][];
        var controls = new string[nodes.Count][];
        var deps = new List<int>[nodes.Count];
        var indegree = new int[nodes.Count];
        var consumers = new List<int>[nodes.Count];
        for (int i = 0; i < nodes.Count; i++) consumers[i] = [];
        var backEdges = new List<(int Node, int Slot, string Src, int Index)>();
        var dataIn = new List<(string, int, Output?)>();
        var ctrlIn = new List<string>();
        for (int i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            dataIn.Clear();
            ctrlIn.Clear();
            deps[i] = [];
            foreach (var raw in n.Input)
            {
                if (raw.StartsWith('^'))
                {
                    var src = raw[1..];
                    if (!index.TryGetValue(src, out int j))
                        throw new InvalidArgumentException($"Node '{n.Name}': control input '{raw}' names a node that is not in the GraphDef") { NodeName = n.Name };
                    ctrlIn.Add(src);
                    deps[i].Add(j);
                    continue;
                }
                if (ctrlIn.Count > 0)
                    throw new InvalidArgumentException($"Node '{n.Name}': data input '{raw}' comes after a control input") { NodeName = n.Name };
                var (srcName, k) = ParseInputName(raw, n.Name);
                Output? mapped = null;
                if (inputMap is not null)
                {
                    var key = $"{srcName}:{k}";
                    if (inputMap.TryGetValue(key, out var o) || (k == 0 && inputMap.TryGetValue(srcName, out o)))
                    {
                        if (o.IsDefault || !ReferenceEquals(o.Graph, this))
                            throw new InvalidArgumentException($"input_map entry for '{key}' must be an output of this graph");
                        mapped = o;
                    }
                }
                if (mapped is null)
                {
                    if (!index.TryGetValue(srcName, out int j))
                        throw new InvalidArgumentException($"Node '{n.Name}': input '{raw}' names a node that is not in the GraphDef") { NodeName = n.Name };
                    // A while loop's back edge (NextIteration → Merge) closes a cycle: the Merge is
                    // created first and rewired to the NextIteration afterwards, as TF's importer does.
                    if (specs[i].Type == "Merge" && specs[j].Type is "NextIteration" or "RefNextIteration") backEdges.Add((i, dataIn.Count, srcName, k));
                    else deps[i].Add(j);
                }
                dataIn.Add((srcName, k, mapped));
            }
            data[i] = [.. dataIn];
            controls[i] = ctrlIn.Count == 0 ? [] : [.. ctrlIn];
            foreach (var j in deps[i]) consumers[j].Add(i);
            indegree[i] = deps[i].Count;
        }
        if (inputMap is not null)
        {
            foreach (var key in inputMap.Keys)
            {
                var (srcName, _) = ParseInputName(key, "input_map");
                if (!index.ContainsKey(srcName))
                    throw new InvalidArgumentException($"input_map key '{key}' names a node that is not in the GraphDef");
            }
        }

        var order = new List<int>(nodes.Count);
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < nodes.Count; i++) if (indegree[i] == 0) ready.Enqueue(i, i);
        while (ready.TryDequeue(out int i, out _))
        {
            order.Add(i);
            foreach (var c in consumers[i])
            {
                if (--indegree[c] == 0) ready.Enqueue(c, c);
            }
        }
        if (order.Count != nodes.Count)
        {
            var cyclic = Enumerable.Range(0, nodes.Count).Where(i => indegree[i] > 0).Select(i => $"'{nodes[i].Name}'").Take(10);
            throw new InvalidArgumentException($"GraphDef contains a cycle through nodes {string.Join(", ", cyclic)}");
        }

        // Build.
        int producer = graphDef.Versions?.Producer ?? 0;
        var created = new Dictionary<string, Operation>(nodes.Count, StringComparer.Ordinal);
        var loopMerges = backEdges.Select(e => e.Node).ToHashSet();
        foreach (int i in order)
        {
            var n = nodes[i];
            var inputs = new Output[data[i].Length];
            for (int k = 0; k < inputs.Length; k++)
            {
                var (src, idx, mapped) = data[i][k];
                if (mapped is { } m)
                {
                    inputs[k] = m;
                    continue;
                }
                if (!created.TryGetValue(src, out var op))
                {
                    // A back edge not built yet: stand in with another input of this Merge until it exists.
                    int other = FirstForwardInput(i, data[i], backEdges);
                    if (other < 0)
                        throw new InvalidArgumentException($"Node '{n.Name}': every input comes from a NextIteration back edge") { NodeName = n.Name };
                    var (os, oi, om) = data[i][other];
                    inputs[k] = om ?? new Output(created[os], oi);
                    continue;
                }
                if (idx >= op.NumOutputs)
                    throw new InvalidArgumentException($"Node '{n.Name}': input {k} refers to output {idx} of '{src}', which has {op.NumOutputs} outputs") { NodeName = n.Name };
                inputs[k] = new Output(op, idx);
            }
            var ctrl = controls[i].Length == 0 ? [] : controls[i].Select(c => created[c]).Distinct().ToArray();
            var attrs = new List<KeyValuePair<string, AttrValue>>(n.Attr.Count);
            foreach (var (key, value) in n.Attr) attrs.Add(new(key, ImportAttr(n, key, value, prefix, producer)));
            try
            {
                created[n.Name] = AddOp(specs[i].Type, inputs, NewName(n.Name), attrs: attrs, controlInputs: ctrl,
                    device: n.Device, exactName: true, imported: true, origin: source is null ? null : SourceLocation.Imported(source, n.Name));
                // A loop Merge's back edge is not known yet: like TF's shape refiner, treat it as
                // unknown, so the Merge (and what reads it) does not take the Enter's shape as final.
                if (loopMerges.Contains(i)) created[n.Name].SetOutputShape(0, Shape.Unknown);
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

        foreach (var (i, slot, src, idx) in backEdges)
        {
            var next = created[src];
            if (idx >= next.NumOutputs)
                throw new InvalidArgumentException($"Node '{nodes[i].Name}': input {slot} refers to output {idx} of '{src}', which has {next.NumOutputs} outputs") { NodeName = nodes[i].Name };
            var merge = created[nodes[i].Name];
            var t = new Output(next, idx);
            if (t.DType != merge.Inputs[slot].DType)
                throw new InvalidArgumentException($"Node '{nodes[i].Name}': back edge '{src}:{idx}' is {t.DType.Name()} but the Merge is {merge.Inputs[slot].DType.Name()}") { NodeName = nodes[i].Name };
            merge.UpdateInput(slot, t);
        }

        if (graphDef.Library is { } lib && (lib.Function.Count > 0 || lib.Gradient.Count > 0))
        {
            if (Library is null) Library = lib.Clone();
            else
            {
                foreach (var f in lib.Function)
                {
                    if (!Library.Function.Any(x => x.Signature?.Name == f.Signature?.Name)) Library.Function.Add(f.Clone());
                }
                foreach (var g in lib.Gradient)
                {
                    if (!Library.Gradient.Any(x => x.FunctionName == g.FunctionName)) Library.Gradient.Add(g.Clone());
                }
            }
        }

        if (returnElements is null) return [];
        var result = new object[returnElements.Length];
        for (int r = 0; r < returnElements.Length; r++)
        {
            var name = returnElements[r] ?? throw new ArgumentException("returnElements contains null", nameof(returnElements));
            if (name.Contains(':', StringComparison.Ordinal))
            {
                var (src, k) = ParseInputName(name, "return_elements");
                if (!created.TryGetValue(src, out var op))
                    throw new InvalidArgumentException($"Requested return tensor '{name}' was not found in the GraphDef");
                if (k >= op.NumOutputs)
                    throw new InvalidArgumentException($"Requested return tensor '{name}' is invalid: '{src}' has {op.NumOutputs} outputs");
                result[r] = new Output(op, k);
            }
            else
            {
                result[r] = created.TryGetValue(name, out var op) ? op
                    : throw new InvalidArgumentException($"Requested return node '{name}' was not found in the GraphDef");
            }
        }
        return result;
    }

    /// <summary>The first input of Merge node <paramref name="node"/> that is not a back edge, or -1.</summary>
    private static int FirstForwardInput(int node, (string Node, int Index, Output? Mapped)[] inputs, List<(int Node, int Slot, string Src, int Index)> backEdges)
    {
        for (int j = 0; j < inputs.Length; j++)
        {
            if (!backEdges.Contains((node, j, inputs[j].Node, inputs[j].Index))) return j;
        }
        return -1;
    }

    private static (string Node, int Index) ParseInputName(string raw, string node)
    {
        int colon = raw.LastIndexOf(':');
        if (colon < 0) return (raw, 0);
        if (colon == 0 || !int.TryParse(raw.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int k))
            throw new InvalidArgumentException($"Node '{node}': '{raw}' is not a valid tensor name (expected 'name' or 'name:index')") { NodeName = node };
        return (raw[..colon], k);
    }

    private static AttrValue ImportAttr(NodeDef n, string key, AttrValue value, string prefix, int producer)
    {
        // Up to GraphDef version 21 a Placeholder's scalar shape attr meant "unknown shape".
        if (producer <= 21 && key == "shape" && n.Op == "Placeholder" && value.Shape is { UnknownRank: false, Dim.Count: 0 })
            return new AttrValue { Shape = new TensorShapeProto { UnknownRank = true } };
        if (prefix.Length > 0 && key == "_class" && value.List is not null)
        {
            var v = value.Clone();
            for (int i = 0; i < v.List.S.Count; i++)
            {
                var s = v.List.S[i].ToStringUtf8();
                if (s.StartsWith("loc:@", StringComparison.Ordinal)) v.List.S[i] = ByteString.CopyFromUtf8("loc:@" + prefix + "/" + s[5..]);
            }
            return v;
        }
        return value;
    }

    /// <summary>
    /// A new graph holding the nodes of <paramref name="graphDef"/> (see <see cref="Import"/>);
    /// <paramref name="source"/> is the graph file it was read from, if any.
    /// </summary>
    public static Graph FromGraphDef(GraphDef graphDef, string? source = null)
    {
        var g = new Graph();
        g.Import(graphDef, source: source);
        return g;
    }

    /// <summary>
    /// Loads a graph file: protobuf text format for <c>.pbtxt</c>/<c>.txt</c>/<c>.textproto</c>/<c>.txtpb</c>
    /// names, binary <c>GraphDef</c> otherwise.
    /// </summary>
    /// <exception cref="NotFoundException">The file does not exist.</exception>
    /// <exception cref="DataLossException">A binary file is not a valid GraphDef.</exception>
    /// <exception cref="TextFormatException">A text file has a syntax error (position and file named).</exception>
    public static Graph Load(string path) => FromGraphDef(GraphFiles.ReadGraphDef(path), path);

    /// <summary>Writes <see cref="ToGraphDef"/> to <paramref name="path"/>: text format for text extensions (see <see cref="Load"/>), binary otherwise.</summary>
    public void Save(string path) => GraphFiles.WriteGraphDef(path, ToGraphDef());
}
