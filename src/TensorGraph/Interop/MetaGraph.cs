using Google.Protobuf;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph;

/// <summary>Exporting and importing TensorFlow <c>MetaGraphDef</c>s (graph, collections, saver).</summary>
public sealed partial class Graph
{
    /// <summary>
    /// The graph as a TensorFlow <c>MetaGraphDef</c> (TF's <c>tf.train.export_meta_graph</c>):
    /// <c>meta_info_def</c>, <c>graph_def</c>, the optional <paramref name="saverDef"/> and a
    /// <c>collection_def</c> per collection: variables as <c>VariableDef</c> bytes, operations and
    /// tensors as node lists, numbers as int64/float lists, top-level while loops and conditional
    /// branches as <c>WhileContextDef</c>/<c>CondContextDef</c> bytes (<c>while_context</c>,
    /// <c>cond_context</c>). Collections holding other objects are left out.
    /// </summary>
    public MetaGraphDef ToMetaGraphDef(SaverDef? saverDef = null, params string[] tags)
    {
        var meta = new MetaGraphDef
        {
            MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { TensorflowVersion = "tensorgraph", MetaGraphVersion = "tensorgraph" },
            GraphDef = ToGraphDef(),
        };
        if (tags is not null) meta.MetaInfoDef.Tags.AddRange(tags);
        if (saverDef is not null) meta.SaverDef = saverDef.Clone();
        foreach (var key in CollectionKeys)
        {
            var items = GetCollection<object>(key);
            if (items.Count == 0) continue;
            var def = MetaGraphs.ToCollectionDef(items);
            if (def is not null) meta.CollectionDef[key] = def;
        }
        return meta;
    }

    /// <summary>
    /// Imports a <c>MetaGraphDef</c> into this graph (TF's <c>tf.train.import_meta_graph</c>): its
    /// graph_def (with <paramref name="prefix"/>, see <see cref="Import"/>) and its collections —
    /// <c>VariableDef</c> lists become <see cref="TensorGraph.Variable"/> objects, node lists become
    /// <see cref="Operation"/>s (<c>name</c>) or <see cref="Output"/>s (<c>name:k</c>), int64/float
    /// lists their numbers; <c>while_context</c>/<c>cond_context</c> rebuild the contexts of the
    /// imported loops and conditionals (TF's <c>from_proto</c>), so <see cref="Gradients(Output[], Output[], Output[], Output[], bool, string)"/>
    /// differentiates through them. Other collections (opaque bytes, Any) are skipped. <paramref name="source"/>
    /// is the file the MetaGraphDef was read from, cited by errors about its nodes.
    /// </summary>
    public void ImportMetaGraph(MetaGraphDef metaGraph, string prefix = "", string? source = null, ImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(metaGraph);
        Import(metaGraph.GraphDef ?? new GraphDef(), prefix, source: source, options: options);
        MetaGraphs.RestoreCollections(this, metaGraph, prefix);
    }

    /// <summary>A new graph holding an imported <c>MetaGraphDef</c> (see <see cref="ImportMetaGraph(MetaGraphDef, string, string, ImportOptions)"/>).</summary>
    public static Graph FromMetaGraphDef(MetaGraphDef metaGraph, string? source = null, ImportOptions? options = null)
    {
        var g = new Graph();
        g.ImportMetaGraph(metaGraph, source: source, options: options);
        return g;
    }
}

/// <summary>Helpers for <c>MetaGraphDef</c> collections and files.</summary>
public static class MetaGraphs
{
    /// <summary>Reads a <c>.meta</c> file (binary, or text for text extensions).</summary>
    public static MetaGraphDef Read(string path) => ProtoFiles.Read<MetaGraphDef>(path);

    /// <summary>Writes a <c>MetaGraphDef</c> (binary, or text for text extensions).</summary>
    public static void Write(string path, MetaGraphDef metaGraph) => ProtoFiles.Write(path, metaGraph);

    /// <summary>The <c>VariableDef</c> TensorFlow stores for a ref variable.</summary>
    public static VariableDef ToVariableDef(Variable variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return new VariableDef
        {
            VariableName = variable.Ref.Name,
            InitializerName = variable.Initializer.Name,
            SnapshotName = variable.Value.Name,
            InitialValueName = variable.InitialValue.IsDefault ? "" : variable.InitialValue.Name,
            Trainable = variable.Trainable,
        };
    }

    internal static CollectionDef? ToCollectionDef(IReadOnlyList<object> items)
    {
        var def = new CollectionDef();
        switch (items[0])
        {
            case Variable:
                def.BytesList = new CollectionDef.Types.BytesList();
                foreach (var o in items)
                {
                    if (o is not Variable v) return null;
                    def.BytesList.Value.Add(ToVariableDef(v).ToByteString());
                }
                return def;
            case Operation or Output:
                def.NodeList = new CollectionDef.Types.NodeList();
                foreach (var o in items)
                {
                    switch (o)
                    {
                        case Operation op: def.NodeList.Value.Add(op.Name); break;
                        case Output t: def.NodeList.Value.Add(t.Name); break;
                        default: return null;
                    }
                }
                return def;
            case ControlFlowContext:
                // TF's while_context/cond_context collections: a WhileContextDef or CondContextDef
                // per top-level context (a loop whose building failed half way is left out).
                def.BytesList = new CollectionDef.Types.BytesList();
                foreach (var o in items)
                {
                    if (o is not ControlFlowContext c) return null;
                    if (Graph.ControlFlowContextBytes(c) is { } bytes) def.BytesList.Value.Add(bytes);
                }
                return def.BytesList.Value.Count == 0 ? null : def;
            case TensorGraph.Training.QueueRunner:
                def.BytesList = new CollectionDef.Types.BytesList();
                foreach (var o in items)
                {
                    if (o is not TensorGraph.Training.QueueRunner qr) return null;
                    def.BytesList.Value.Add(qr.ToProto().ToByteString());
                }
                return def;
            case long or int:
                def.Int64List = new CollectionDef.Types.Int64List();
                foreach (var o in items)
                {
                    if (o is long l) def.Int64List.Value.Add(l);
                    else if (o is int i) def.Int64List.Value.Add(i);
                    else return null;
                }
                return def;
            case float or double:
                def.FloatList = new CollectionDef.Types.FloatList();
                foreach (var o in items)
                {
                    if (o is float f) def.FloatList.Value.Add(f);
                    else if (o is double d) def.FloatList.Value.Add((float)d);
                    else return null;
                }
                return def;
            default:
                return null;
        }
    }

    internal static void RestoreCollections(Graph graph, MetaGraphDef meta, string prefix)
    {
        prefix ??= "";
        if (prefix.EndsWith('/')) prefix = prefix[..^1];
        string Name(string n) => prefix.Length == 0 ? n : prefix + "/" + n;
        var variables = new Dictionary<string, Variable>(StringComparer.Ordinal);
        foreach (var v in graph.GlobalVariables) variables.TryAdd(v.Op.Name, v);
        var trainable = new HashSet<string>(StringComparer.Ordinal);
        var conds = new List<CondContext>();
        if (meta.CollectionDef.TryGetValue(GraphKeys.TrainableVariables, out var tc) && tc.KindCase == CollectionDef.KindOneofCase.BytesList)
        {
            foreach (var bytes in tc.BytesList.Value)
            {
                try
                {
                    trainable.Add(StripIndex(Name(VariableDef.Parser.ParseFrom(bytes).VariableName)));
                }
                catch (InvalidProtocolBufferException)
                {
                }
            }
        }
        foreach (var (key, def) in meta.CollectionDef.OrderBy(kv => kv.Key == GraphKeys.GlobalVariables ? 0 : 1).ThenBy(kv => kv.Key, StringComparer.Ordinal))
        {
            switch (def.KindCase)
            {
                case CollectionDef.KindOneofCase.NodeList:
                    foreach (var n in def.NodeList.Value)
                    {
                        var name = Name(n);
                        if (name.Contains(':', StringComparison.Ordinal))
                        {
                            var op = graph.TryGetOperation(name[..name.LastIndexOf(':')]);
                            if (op is not null) graph.AddToCollection(key, graph.GetTensor(name));
                        }
                        else if (graph.TryGetOperation(name) is { } op)
                        {
                            graph.AddToCollection(key, op);
                        }
                    }
                    break;
                case CollectionDef.KindOneofCase.BytesList when IsVariableCollection(key):
                    foreach (var bytes in def.BytesList.Value)
                    {
                        VariableDef vd;
                        try
                        {
                            vd = VariableDef.Parser.ParseFrom(bytes);
                        }
                        catch (InvalidProtocolBufferException e)
                        {
                            throw new DataLossException($"Collection '{key}' holds an invalid VariableDef: {e.Message}", e);
                        }
                        var v = MakeVariable(graph, vd, Name, trainable, variables);
                        if (v is null) continue;
                        if (graph.GetCollection<object>(key).Contains(v)) continue;
                        graph.AddToCollection(key, v);
                    }
                    break;
                case CollectionDef.KindOneofCase.BytesList when key == GraphKeys.QueueRunners:
                    foreach (var bytes in def.BytesList.Value)
                    {
                        QueueRunnerDef qd;
                        try
                        {
                            qd = QueueRunnerDef.Parser.ParseFrom(bytes);
                        }
                        catch (InvalidProtocolBufferException e)
                        {
                            throw new DataLossException($"Collection '{key}' holds an invalid QueueRunnerDef: {e.Message}", e);
                        }
                        // A runner whose queue or ops did not import (an inert node) is left out.
                        if (TensorGraph.Training.QueueRunner.FromProto(graph, qd, prefix) is { } qr) graph.AddToCollection(key, qr);
                    }
                    break;
                case CollectionDef.KindOneofCase.BytesList when key is ControlFlowContext.WhileCollection or ControlFlowContext.CondCollection:
                    // TF's WhileContext/CondContext.from_proto: the imported loops and branches get
                    // their contexts back, so gradients can be taken through them.
                    foreach (var bytes in def.BytesList.Value)
                    {
                        if (graph.ImportControlFlowContext(bytes, key == ControlFlowContext.WhileCollection, Name, prefix.Length > 0, conds) is { } c)
                            graph.AddToCollection(key, c);
                    }
                    break;
                case CollectionDef.KindOneofCase.Int64List:
                    foreach (var l in def.Int64List.Value) graph.AddToCollection(key, l);
                    break;
                case CollectionDef.KindOneofCase.FloatList:
                    foreach (var f in def.FloatList.Value) graph.AddToCollection(key, f);
                    break;
                default:
                    break;
            }
        }
        graph.RegisterImportedCondMerges(conds);
    }

    private static bool IsVariableCollection(string key) =>
        key is GraphKeys.GlobalVariables or GraphKeys.TrainableVariables or GraphKeys.LocalVariables
            or "model_variables" or "moving_average_variables";

    private static Variable? MakeVariable(Graph graph, VariableDef vd, Func<string, string> name, HashSet<string> trainable,
        Dictionary<string, Variable> known)
    {
        if (vd.IsResource) return null;
        var varTensor = name(vd.VariableName);
        var opName = varTensor.Contains(':', StringComparison.Ordinal) ? varTensor[..varTensor.LastIndexOf(':')] : varTensor;
        if (known.TryGetValue(opName, out var existing)) return existing;
        var op = graph.TryGetOperation(opName);
        if (op is null) return null;
        var init = graph.TryGetOperation(name(vd.InitializerName));
        Output snapshot = vd.SnapshotName.Length > 0 && graph.TryGetOperation(StripIndex(name(vd.SnapshotName))) is not null
            ? graph.GetTensor(name(vd.SnapshotName)) : op[0];
        Output initial = default;
        if (vd.InitialValueName.Length > 0 && graph.TryGetOperation(StripIndex(name(vd.InitialValueName))) is not null)
            initial = graph.GetTensor(name(vd.InitialValueName));
        else if (init is not null && init.NumInputs > 1)
            initial = init.Inputs[1];
        if (init is null) return null;
        var v = new Variable(op, init, initial, snapshot, vd.Trainable || trainable.Contains(opName));
        known[opName] = v;
        return v;
    }

    private static string StripIndex(string tensorName) =>
        tensorName.Contains(':', StringComparison.Ordinal) ? tensorName[..tensorName.LastIndexOf(':')] : tensorName;
}
