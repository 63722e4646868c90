using System.Globalization;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Cli;

/// <summary>The <c>inspect</c> command: a summary of a model read straight from its protos (nothing is executed).</summary>
public static class Inspector
{
    private static readonly HashSet<string> NotOutputs = new(StringComparer.Ordinal)
    {
        "NoOp", "Assign", "AssignAdd", "AssignSub", "SaveV2", "RestoreV2", "MergeV2Checkpoints", "Save", "SaveSlices",
    };

    private static readonly HashSet<string> VariableOps = new(StringComparer.Ordinal) { "VariableV2", "Variable", "VarHandleOp" };

    /// <summary>
    /// Writes the summary of the model at <paramref name="path"/> to <paramref name="output"/>,
    /// including the op types TensorGraph does not implement (their nodes import as inert
    /// records). With <paramref name="strict"/> such op types fail the command instead, with the
    /// error a strict import gives.
    /// </summary>
    public static void Inspect(string path, string? tags, TextWriter output, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        var (kind, metas, graph) = Models.ReadProtos(path);
        if (strict)
        {
            foreach (var g in graph is null ? metas.Select(m => m.GraphDef ?? new GraphDef()) : [graph])
                Models.Read(path, () => Graph.FromGraphDef(g, options: ImportOptions.StrictOptions));
        }
        output.WriteLine($"{path}: {kind}");
        if (kind == ModelKind.GraphDef)
        {
            WriteGraph(graph!, output);
            return;
        }
        var want = tags?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        int shown = 0;
        foreach (var meta in metas)
        {
            var mtags = meta.MetaInfoDef?.Tags.ToArray() ?? [];
            if (want is not null && !want.SetEquals(mtags)) continue;
            shown++;
            output.WriteLine();
            output.WriteLine($"MetaGraphDef with tag-set: '{string.Join(", ", mtags)}'" +
                (meta.MetaInfoDef?.TensorflowVersion is { Length: > 0 } v ? $" (written by TensorFlow {v})" : ""));
            WriteGraph(meta.GraphDef ?? new GraphDef(), output);
            if (meta.SaverDef is { } sd && sd.RestoreOpName.Length > 0)
                output.WriteLine($"Saver: filename tensor {sd.FilenameTensorName}, save {sd.SaveTensorName}, restore {sd.RestoreOpName}");
            if (meta.CollectionDef.Count > 0)
                output.WriteLine("Collections: " + string.Join(", ", meta.CollectionDef.Keys.Order(StringComparer.Ordinal)));
            WriteSignatures(meta, output);
            if (meta.ObjectGraphDef is { } og) WriteObjectGraph(og, path, output);
        }
        if (shown == 0 && want is not null)
            throw new CliException($"{path}: no meta graph with tag-set '{tags}'; available: " +
                string.Join(" ", metas.Select(m => "'" + string.Join(",", m.MetaInfoDef?.Tags ?? []) + "'")));
    }

    private static void WriteGraph(GraphDef g, TextWriter output)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Nodes: {g.Node.Count} (producer {g.Versions?.Producer ?? 0})"));
        output.WriteLine("Op types:");
        foreach (var grp in g.Node.GroupBy(n => n.Op).OrderByDescending(x => x.Count()).ThenBy(x => x.Key, StringComparer.Ordinal))
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {grp.Key,-28} {grp.Count(),5}"));

        var functions = new HashSet<string>(g.Library?.Function.Select(f => f.Signature.Name) ?? [], StringComparer.Ordinal);
        bool Known(string op) => Graph.IsImportableOpType(op) || functions.Contains(op);
        if (functions.Count > 0)
        {
            var inside = g.Library!.Function.SelectMany(f => f.NodeDef).Where(n => !Known(n.Op)).Select(n => n.Op).Distinct().Order(StringComparer.Ordinal).ToArray();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Functions: {functions.Count} in the library; op types in their bodies TensorGraph lacks: {(inside.Length == 0 ? "none" : string.Join(", ", inside))}"));
        }
        var unsupported = g.Node.Where(n => !Known(n.Op)).GroupBy(n => n.Op)
            .OrderByDescending(x => x.Count()).ThenBy(x => x.Key, StringComparer.Ordinal).ToArray();
        if (unsupported.Length == 0) output.WriteLine("Unsupported op types: none");
        else
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Unsupported op types ({unsupported.Sum(x => x.Count())} nodes, kept inert; runs that need them fail):"));
            foreach (var grp in unsupported)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {grp.Key,-28} {grp.Count(),5}"));
        }

        output.WriteLine("Placeholders:");
        foreach (var n in g.Node.Where(n => n.Op is "Placeholder" or "PlaceholderWithDefault" or "PlaceholderV2"))
            output.WriteLine($"  {n.Name}:0  {TypeOf(n, "dtype")}  {ShapeOf(n, "shape")}");

        var consumed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in g.Node)
        {
            foreach (var raw in n.Input)
            {
                var src = raw.TrimStart('^');
                int colon = src.LastIndexOf(':');
                consumed.Add(colon > 0 ? src[..colon] : src);
            }
        }
        output.WriteLine("Likely outputs (consumed by no other node):");
        foreach (var n in g.Node.Where(n => !consumed.Contains(n.Name) && !NotOutputs.Contains(n.Op) && !VariableOps.Contains(n.Op)))
        {
            var t = n.Attr.ContainsKey("T") ? TypeOf(n, "T") : n.Attr.ContainsKey("dtype") ? TypeOf(n, "dtype") : null;
            output.WriteLine(t is null ? $"  {n.Name}  ({n.Op})" : $"  {n.Name}:0  {t}  ({n.Op})");
        }

        output.WriteLine("Variables:");
        foreach (var n in g.Node.Where(n => VariableOps.Contains(n.Op)))
            output.WriteLine($"  {n.Name}  {TypeOf(n, "dtype")}  {ShapeOf(n, "shape")}  ({n.Op})");
    }

    private static void WriteSignatures(MetaGraphDef meta, TextWriter output)
    {
        if (meta.SignatureDef.Count == 0)
        {
            output.WriteLine("Signatures: none");
            return;
        }
        var unavailable = SavedModelBundle.FindUnavailableSignatures(meta);
        output.WriteLine("The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:");
        foreach (var (key, sd) in meta.SignatureDef.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"SignatureDef key: \"{key}\"");
            if (unavailable.TryGetValue(key, out var why)) output.WriteLine($"  Unavailable: {why}");
            output.WriteLine("  The given SavedModel SignatureDef contains the following input(s):");
            foreach (var (k, info) in sd.Inputs.OrderBy(kv => kv.Key, StringComparer.Ordinal)) WriteInfo(k, "inputs", info, output);
            output.WriteLine("  The given SavedModel SignatureDef contains the following output(s):");
            foreach (var (k, info) in sd.Outputs.OrderBy(kv => kv.Key, StringComparer.Ordinal)) WriteInfo(k, "outputs", info, output);
            output.WriteLine($"  Method name is: {sd.MethodName}");
        }
    }

    /// <summary>The checkpoint key of a variable's value in an object-based checkpoint.</summary>
    private const string ObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";

    /// <summary>
    /// A TF2 SavedModel's object graph: its node count by kind and its variables, each named by
    /// the path of edge names from the root (the checkpoint's object graph, where the SavedModel
    /// has one, else the SavedObjectGraph's own edges), with its dtype, shape and checkpoint key.
    /// </summary>
    private static void WriteObjectGraph(SavedObjectGraph og, string path, TextWriter output)
    {
        var kinds = og.Nodes.GroupBy(n => KindName(n.KindCase)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key}: {g.Count()}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Object graph: {og.Nodes.Count} nodes ({string.Join(", ", kinds)}), {og.ConcreteFunctions.Count} concrete functions"));
        var checkpoint = ReadCheckpointObjectGraph(path);
        var edges = checkpoint is not null
            ? checkpoint.Nodes.Select(n => n.Children.ToArray()).ToArray()
            : og.Nodes.Select(n => n.Children.ToArray()).ToArray();
        var names = PathsFromRoot(edges);
        output.WriteLine(checkpoint is not null ? "Object graph variables (names from the checkpoint's object graph):" : "Object graph variables:");
        for (int id = 0; id < og.Nodes.Count; id++)
        {
            if (og.Nodes[id].KindCase != SavedObject.KindOneofCase.Variable) continue;
            var v = og.Nodes[id].Variable;
            var name = names.TryGetValue(id, out var n) ? n : v.Name.Length > 0 ? v.Name : $"node {id}";
            var key = checkpoint is not null && id < checkpoint.Nodes.Count
                ? checkpoint.Nodes[id].Attributes.FirstOrDefault(a => a.Name == "VARIABLE_VALUE")?.CheckpointKey : null;
            output.WriteLine($"  {name}  {TypeName(v.Dtype)}  {FormatShape(v.Shape)}" + (key is null ? "" : $"  (checkpoint key {key})"));
        }
    }

    private static string KindName(SavedObject.KindOneofCase k) => k switch
    {
        SavedObject.KindOneofCase.UserObject => "user objects",
        SavedObject.KindOneofCase.Asset => "assets",
        SavedObject.KindOneofCase.Function => "functions",
        SavedObject.KindOneofCase.Variable => "variables",
        SavedObject.KindOneofCase.BareConcreteFunction => "bare concrete functions",
        SavedObject.KindOneofCase.Constant => "constants",
        SavedObject.KindOneofCase.Resource => "resources",
        _ => "other",
    };

    /// <summary>Each reachable node's shortest path of edge names from node 0, joined by '.'.</summary>
    private static Dictionary<int, string> PathsFromRoot(TrackableObjectGraph.Types.TrackableObject.Types.ObjectReference[][] edges)
    {
        var names = new Dictionary<int, string>();
        if (edges.Length == 0) return names;
        var queue = new Queue<int>([0]);
        var seen = new HashSet<int> { 0 };
        while (queue.Count > 0)
        {
            int id = queue.Dequeue();
            foreach (var c in edges[id])
            {
                if (c.NodeId < 0 || c.NodeId >= edges.Length || !seen.Add(c.NodeId)) continue;
                names[c.NodeId] = id == 0 ? c.LocalName : names[id] + "." + c.LocalName;
                queue.Enqueue(c.NodeId);
            }
        }
        return names;
    }

    /// <summary>The object graph the SavedModel's variables checkpoint stores, or null when it has none.</summary>
    private static TrackableObjectGraph? ReadCheckpointObjectGraph(string path)
    {
        var dir = File.Exists(path) ? Path.GetDirectoryName(Path.GetFullPath(path))! : path;
        var prefix = Path.Combine(dir, "variables", "variables");
        if (!File.Exists(prefix + ".index")) return null;
        return Models.Read(prefix + ".index", () =>
        {
            using var reader = new CheckpointReader(prefix);
            if (!reader.HasTensor(ObjectGraphKey)) return null;
            var bytes = reader.GetTensor(ObjectGraphKey).ToArray<byte[]>();
            return bytes.Length == 1 ? TrackableObjectGraph.Parser.ParseFrom(bytes[0]) : null;
        });
    }

    private static void WriteInfo(string key, string which, TensorInfo info, TextWriter output)
    {
        output.WriteLine($"    {which}['{key}'] tensor_info:");
        output.WriteLine($"        dtype: {ProtoTypeName(info.Dtype)}");
        output.WriteLine($"        shape: {FormatShape(info.TensorShape)}");
        output.WriteLine(info.EncodingCase == TensorInfo.EncodingOneofCase.CooSparse
            ? $"        name: (sparse) {info.CooSparse.ValuesTensorName}"
            : $"        name: {info.Name}");
    }

    private static string TypeOf(NodeDef n, string attr) =>
        n.Attr.TryGetValue(attr, out var a) ? TypeName(a.Type) : "?";

    private static string ShapeOf(NodeDef n, string attr) =>
        n.Attr.TryGetValue(attr, out var a) && a.Shape is not null ? FormatShape(a.Shape) : "unknown";

    /// <summary>A numpy-style name of a proto dtype (<c>float32</c>, <c>int64</c>, …; <c>_ref</c> for ref types).</summary>
    public static string TypeName(DataType t)
    {
        int v = (int)t;
        bool isRef = v > 100;
        if (isRef) v -= 100;
        var d = (DType)v;
        var name = Enum.IsDefined(d) && d != DType.Invalid ? d.Name() : ((DataType)v).ToString();
        return isRef ? name + "_ref" : name;
    }

    private static string ProtoTypeName(DataType t) => "DT_" + TypeName(t).ToUpperInvariant() switch
    {
        "FLOAT32" => "FLOAT",
        "FLOAT64" => "DOUBLE",
        var s => s,
    };

    /// <summary>A shape proto as <c>(-1, 1)</c>, or <c>unknown_rank</c>.</summary>
    public static string FormatShape(TensorShapeProto? s)
    {
        if (s is null || s.UnknownRank) return "unknown_rank";
        return "(" + string.Join(", ", s.Dim.Select(d => d.Size.ToString(CultureInfo.InvariantCulture))) + (s.Dim.Count == 1 ? ",)" : ")");
    }
}
