using Google.Protobuf;
using TensorGraph.Functions;
using TensorGraph.Proto;
using TensorGraph.Training;
using ProtoSavedModel = TensorGraph.Proto.SavedModel;

namespace TensorGraph.Serialization;

/// <summary>A named signature of a SavedModel: its inputs and outputs resolved to graph tensors.</summary>
public sealed class Signature
{
    internal Signature(string key, string methodName, IReadOnlyDictionary<string, Output> inputs, IReadOnlyDictionary<string, Output> outputs)
    {
        Key = key;
        MethodName = methodName;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>The signature key (e.g. <c>serving_default</c>).</summary>
    public string Key { get; }

    /// <summary>The method name (e.g. <c>tensorflow/serving/predict</c>).</summary>
    public string MethodName { get; }

    /// <summary>Input keys to tensors.</summary>
    public IReadOnlyDictionary<string, Output> Inputs { get; }

    /// <summary>Output keys to tensors.</summary>
    public IReadOnlyDictionary<string, Output> Outputs { get; }
}

/// <summary>
/// A loaded TF1 SavedModel (TF's <c>tf.saved_model.loader.load</c>): the graph of the meta graph
/// matching the tags, a session with its variables restored from <c>variables/variables</c> and
/// its main op (or legacy init op) run, and its signatures.
/// </summary>
public sealed class SavedModelBundle : IDisposable
{
    /// <summary>The default serving tag.</summary>
    public const string ServeTag = "serve";

    private const string InitOpSignatureKey = "__saved_model_init_op";

    private readonly Dictionary<string, Signature> _signatures;
    private readonly Dictionary<string, SignatureProblem> _problems;
    private readonly bool _ownsSession;

    private SavedModelBundle(string exportDir, MetaGraphDef meta, Session session, bool ownsSession,
        Dictionary<string, Signature> signatures, Dictionary<string, SignatureProblem> problems, IReadOnlyList<string> skipped)
    {
        ExportDir = exportDir;
        MetaGraph = meta;
        Session = session;
        _ownsSession = ownsSession;
        _signatures = signatures;
        _problems = problems;
        UnavailableSignatures = problems.ToDictionary(kv => kv.Key, kv => kv.Value.Reason, StringComparer.Ordinal);
        SkippedNodes = skipped;
    }

    /// <summary>Why a signature cannot be used, and the error code asking for it gives.</summary>
    private readonly record struct SignatureProblem(string Reason, ErrorCode Code);

    /// <summary>The SavedModel directory.</summary>
    public string ExportDir { get; }

    /// <summary>The meta graph that was loaded.</summary>
    public MetaGraphDef MetaGraph { get; }

    /// <summary>The graph.</summary>
    public Graph Graph => Session.Graph;

    /// <summary>The session holding the restored variables.</summary>
    public Session Session { get; }

    /// <summary>The tags of the loaded meta graph.</summary>
    public IReadOnlyList<string> Tags => MetaGraph.MetaInfoDef?.Tags.ToArray() ?? [];

    /// <summary>Signatures by key (only those whose tensors exist in the imported graph).</summary>
    public IReadOnlyDictionary<string, Signature> SignatureDefs => _signatures;

    /// <summary>
    /// Signatures that could not be resolved, with the reason: they depend on op types TensorGraph
    /// does not implement (whose nodes were left out of the graph), or their tensor names are
    /// malformed or name nodes or outputs missing from the graph. The rest of the model still loads.
    /// </summary>
    public IReadOnlyDictionary<string, string> UnavailableSignatures { get; }

    /// <summary>
    /// Nodes left out of the graph because they (or nodes they depend on) use op types TensorGraph
    /// does not implement, as <c>name (OpType)</c>.
    /// </summary>
    public IReadOnlyList<string> SkippedNodes { get; }

    /// <summary>
    /// The signature named <paramref name="key"/>. A signature listed in
    /// <see cref="UnavailableSignatures"/> raises an error naming it and the reason:
    /// <see cref="UnimplementedException"/> when it needs op types TensorGraph lacks,
    /// <see cref="InvalidArgumentException"/> for a malformed tensor name and
    /// <see cref="NotFoundException"/> for a tensor missing from the graph; an unknown key raises
    /// <see cref="NotFoundException"/>.
    /// </summary>
    public Signature GetSignature(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_signatures.TryGetValue(key, out var s)) return s;
        if (_problems.TryGetValue(key, out var problem))
            throw Errors.Make(problem.Code, $"Signature '{key}' of SavedModel {ExportDir} is unavailable: {problem.Reason}");
        var unavailable = UnavailableSignatures.Count == 0 ? ""
            : $"; unavailable: {string.Join(", ", UnavailableSignatures.Keys.Order(StringComparer.Ordinal))}";
        throw new NotFoundException($"No signature '{key}' in SavedModel {ExportDir}; available: " +
            (_signatures.Count == 0 ? "(none)" : string.Join(", ", _signatures.Keys.Order(StringComparer.Ordinal))) + unavailable);
    }

    /// <summary>
    /// Runs a signature: <paramref name="inputs"/> maps input keys to values; returns every output
    /// key with its value.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Run(string signatureKey, IReadOnlyDictionary<string, Tensor>? inputs = null)
    {
        var sig = GetSignature(signatureKey);
        var feeds = new FeedDict();
        if (inputs is not null)
        {
            foreach (var (k, v) in inputs)
            {
                if (!sig.Inputs.TryGetValue(k, out var t))
                    throw new InvalidArgumentException($"Signature '{signatureKey}' has no input '{k}'; inputs: {string.Join(", ", sig.Inputs.Keys)}");
                feeds[t] = v;
            }
        }
        var keys = sig.Outputs.Keys.Order(StringComparer.Ordinal).ToArray();
        var values = Session.Run(keys.Select(k => sig.Outputs[k]).ToArray(), feeds);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Length; i++) result[keys[i]] = values[i];
        return result;
    }

    /// <summary>Whether <paramref name="dir"/> looks like a SavedModel (holds <c>saved_model.pb</c> or <c>saved_model.pbtxt</c>).</summary>
    public static bool IsSavedModelDirectory(string dir) =>
        Directory.Exists(dir) && (File.Exists(Path.Combine(dir, "saved_model.pb")) || File.Exists(Path.Combine(dir, "saved_model.pbtxt")));

    /// <summary>Reads the <c>SavedModel</c> proto of an export directory.</summary>
    public static ProtoSavedModel ReadProto(string exportDir)
    {
        ArgumentNullException.ThrowIfNull(exportDir);
        var pb = Path.Combine(exportDir, "saved_model.pb");
        var txt = Path.Combine(exportDir, "saved_model.pbtxt");
        if (File.Exists(pb)) return ProtoFiles.ReadBinary<ProtoSavedModel>(pb);
        if (File.Exists(txt)) return ProtoFiles.ReadText<ProtoSavedModel>(txt);
        throw new NotFoundException($"SavedModel file does not exist at: {exportDir}{Path.DirectorySeparatorChar}{{saved_model.pbtxt|saved_model.pb}}");
    }

    /// <summary>Loads the meta graph tagged exactly <paramref name="tags"/> (default <c>serve</c>) into a new graph and session.</summary>
    public static SavedModelBundle Load(string exportDir, params string[] tags)
    {
        var meta = SelectMetaGraph(exportDir, tags);
        return LoadWithNewSession(new Graph(), exportDir, meta);
    }

    /// <summary>
    /// Loads into an existing <paramref name="session"/> (its graph receives the nodes; it must not
    /// already hold nodes with the same names).
    /// </summary>
    public static SavedModelBundle Load(Session session, string exportDir, params string[] tags)
    {
        ArgumentNullException.ThrowIfNull(session);
        return LoadInto(session, exportDir, SelectMetaGraph(exportDir, tags), ownsSession: false);
    }

    /// <summary>
    /// Loads into <paramref name="graph"/> (which receives the nodes) with a new session on it;
    /// disposing the bundle disposes that session.
    /// </summary>
    public static SavedModelBundle Load(Graph graph, string exportDir, params string[] tags)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var meta = SelectMetaGraph(exportDir, tags);
        return LoadWithNewSession(graph, exportDir, meta);
    }

    /// <summary>
    /// Loads for serving, with TF's C++ session semantics for feeds (what TF Serving runs on): the
    /// <c>Placeholder</c>s that signatures take as inputs accept a value of any shape, since a C++
    /// session never checks a fed value against the placeholder's <c>shape</c> attr (only the
    /// Python client does); <c>PlaceholderWithDefault</c> inputs likewise. Shapes inferred downstream of those inputs are left to run time.
    /// A request such as TF Serving's documented <c>{"instances": [1.0, 2.0, 5.0]}</c> for
    /// half_plus_two (whose <c>x</c> is declared <c>(?, 1)</c>) then runs as it does there.
    /// </summary>
    public static SavedModelBundle LoadForServing(string exportDir, params string[] tags)
    {
        var meta = SelectMetaGraph(exportDir, tags);
        return LoadWithNewSession(new Graph(), exportDir, meta, relaxInputShapes: true);
    }

    /// <summary>
    /// Loads <paramref name="meta"/> into <paramref name="graph"/> with a new session that the bundle
    /// owns (disposed if loading fails). That session allows soft placement, so a model exported with
    /// GPU device assignments runs on the CPU; a session passed in keeps its own options.
    /// </summary>
    private static SavedModelBundle LoadWithNewSession(Graph graph, string exportDir, MetaGraphDef meta, bool relaxInputShapes = false)
    {
        var session = new Session(graph, new SessionOptions { AllowSoftPlacement = true });
        try
        {
            return LoadInto(session, exportDir, meta, ownsSession: true, relaxInputShapes);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static MetaGraphDef SelectMetaGraph(string exportDir, string[] tags)
    {
        var proto = ReadProto(exportDir);
        if (tags is null || tags.Length == 0) tags = [ServeTag];
        var want = new HashSet<string>(tags, StringComparer.Ordinal);
        foreach (var m in proto.MetaGraphs)
        {
            var have = m.MetaInfoDef?.Tags ?? [];
            if (want.SetEquals(have)) return m;
        }
        var available = proto.MetaGraphs.Select(m => "{" + string.Join(", ", m.MetaInfoDef?.Tags ?? []) + "}");
        throw new NotFoundException($"Could not find meta graph def matching supplied tags: {{{string.Join(", ", tags)}}}. " +
            $"Available tag sets: {string.Join(" ", available)} (SavedModel {exportDir})");
    }

    private static SavedModelBundle LoadInto(Session session, string exportDir, MetaGraphDef meta, bool ownsSession, bool relaxInputShapes = false)
    {
        var graph = session.Graph;
        var (graphDef, skipped) = PruneUnimplemented(meta.GraphDef ?? new GraphDef());
        if (relaxInputShapes) graphDef = RelaxSignatureInputShapes(graphDef, meta);
        var pb = Path.Combine(exportDir, "saved_model.pb");
        graph.Import(graphDef, source: File.Exists(pb) ? pb : Path.Combine(exportDir, "saved_model.pbtxt"));
        var pruned = meta.Clone();
        pruned.GraphDef = graphDef;
        MetaGraphs.RestoreCollections(graph, pruned, "");

        // Restore variables.
        var varPrefix = Path.Combine(exportDir, "variables", "variables");
        if (CheckpointFiles.Exists(varPrefix))
        {
            var sd = meta.SaverDef;
            if (sd is not null && sd.RestoreOpName.Length > 0 && sd.FilenameTensorName.Length > 0
                && graph.TryGetOperation(sd.RestoreOpName) is { } restore)
            {
                var feeds = new FeedDict { [graph.GetTensor(sd.FilenameTensorName)] = Tensor.Scalar(varPrefix) };
                session.Run([restore], feeds);
            }
            else if (graph.GlobalVariables.Count > 0)
            {
                new Saver(graph).Restore(session, varPrefix);
            }
        }

        // Main op / legacy init op, with asset paths fed.
        var assetFeeds = new FeedDict();
        foreach (var a in AssetFiles(meta))
        {
            if (a.TensorInfo?.Name is { Length: > 0 } tn && TryParseTensorName(tn, out var node, out int index)
                && graph.TryGetOperation(node) is { } op && index < op.NumOutputs)
                assetFeeds[op[index]] = Tensor.Scalar(Path.Combine(exportDir, "assets", a.Filename));
        }
        var initOps = new List<Operation>();
        foreach (var key in new[] { "saved_model_main_op", "legacy_init_op" })
        {
            initOps.AddRange(graph.GetCollection<Operation>(key));
            if (initOps.Count > 0) break;
        }
        // TF2-era SavedModels name their init op through a pseudo-signature.
        if (initOps.Count == 0 && meta.SignatureDef.TryGetValue(InitOpSignatureKey, out var initSig))
        {
            foreach (var info in initSig.Outputs.Values)
            {
                if (info.EncodingCase == TensorInfo.EncodingOneofCase.Name && graph.TryGetOperation(info.Name.Split(':')[0]) is { } op)
                    initOps.Add(op);
            }
        }
        if (initOps.Count > 0) session.Run(initOps.ToArray(), assetFeeds);

        // Signatures: a broken one is listed as unavailable; it does not fail the load.
        var sigs = new Dictionary<string, Signature>(StringComparer.Ordinal);
        var unavailable = new Dictionary<string, SignatureProblem>(StringComparer.Ordinal);
        Func<string, int?> outputsOf = n => graph.TryGetOperation(n)?.NumOutputs;
        foreach (var (key, sd) in meta.SignatureDef)
        {
            if (key == InitOpSignatureKey) continue;
            var problem = Check(sd, outputsOf, skipped);
            if (problem is { } p)
            {
                unavailable[key] = p;
                continue;
            }
            sigs[key] = new Signature(key, sd.MethodName,
                sd.Inputs.ToDictionary(kv => kv.Key, kv => graph.GetTensor(kv.Value.Name), StringComparer.Ordinal),
                sd.Outputs.ToDictionary(kv => kv.Key, kv => graph.GetTensor(kv.Value.Name), StringComparer.Ordinal));
        }
        return new SavedModelBundle(exportDir, meta, session, ownsSession, sigs, unavailable,
            skipped.Where(kv => !kv.Key.StartsWith('^')).Select(kv => $"{kv.Key} ({kv.Value})").ToArray());
    }

    /// <summary>
    /// A copy of <paramref name="graphDef"/> whose signature input nodes take a fed value of any
    /// shape: a <c>Placeholder</c> or <c>PlaceholderWithDefault</c> gets an unknown shape, and an
    /// <c>Identity</c> becomes a <c>PlaceholderWithDefault</c> of its input with an unknown shape
    /// (the same value when not fed). Inputs produced by other ops keep their checked shapes.
    /// </summary>
    private static GraphDef RelaxSignatureInputShapes(GraphDef graphDef, MetaGraphDef meta)
    {
        var inputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sd in meta.SignatureDef.Values)
            foreach (var info in sd.Inputs.Values)
                if (info.EncodingCase == TensorInfo.EncodingOneofCase.Name && TryParseTensorName(info.Name, out var node, out int index) && index == 0) inputs.Add(node);
        var copy = graphDef.Clone();
        var unknown = new AttrValue { Shape = new TensorShapeProto { UnknownRank = true } };
        foreach (var n in copy.Node)
        {
            if (!inputs.Contains(n.Name)) continue;
            if (n.Op is PlaceholderSpec.OpType or PlaceholderWithDefaultSpec.OpType && n.Attr.ContainsKey("shape"))
            {
                n.Attr["shape"] = unknown;
            }
            else if (n.Op == IdentitySpec.OpType && n.Attr.TryGetValue("T", out var t) && (int)t.Type < 100
                && n.Input.Count(i => !i.StartsWith('^')) == 1)
            {
                n.Op = PlaceholderWithDefaultSpec.OpType;
                n.Attr.Remove("T");
                n.Attr["dtype"] = t;
                n.Attr["shape"] = unknown;
            }
        }
        return copy;
    }

    /// <summary>
    /// The signatures of <paramref name="meta"/> that loading it would list as unavailable, with the
    /// reason, found from the protos alone: nothing is run and no variables are read. Malformed
    /// tensor names, nodes missing from the graph and nodes needing unimplemented op types are found;
    /// output indices are checked too when the graph can be imported.
    /// </summary>
    public static IReadOnlyDictionary<string, string> FindUnavailableSignatures(MetaGraphDef meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        var (graphDef, skipped) = PruneUnimplemented(meta.GraphDef ?? new GraphDef());
        Func<string, int?> outputsOf;
        try
        {
            var graph = new Graph();
            graph.Import(graphDef);
            outputsOf = n => graph.TryGetOperation(n)?.NumOutputs;
        }
        catch (TensorGraphException)
        {
            // Without an importable graph only the node names can be checked.
            var names = graphDef.Node.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
            outputsOf = n => names.Contains(n) ? -1 : null;
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, sd) in meta.SignatureDef)
        {
            if (key != InitOpSignatureKey && Check(sd, outputsOf, skipped) is { } p) result[key] = p.Reason;
        }
        return result;
    }

    /// <summary>Splits <c>op</c> or <c>op:index</c>; false for an empty op name or an index that is not a decimal number.</summary>
    private static bool TryParseTensorName(string name, out string node, out int index)
    {
        int colon = name.LastIndexOf(':');
        node = colon >= 0 ? name[..colon] : name;
        index = 0;
        if (node.Length == 0) return false;
        return colon < 0 || int.TryParse(name.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index);
    }

    /// <summary>
    /// Why the tensors of <paramref name="sd"/> cannot be resolved, or null when they all can.
    /// <paramref name="outputsOf"/> gives a node's output count, null for a missing node and -1 when unknown.
    /// </summary>
    private static SignatureProblem? Check(SignatureDef sd, Func<string, int?> outputsOf, Dictionary<string, string> skipped)
    {
        foreach (var (which, infos) in new[] { ("input", sd.Inputs), ("output", sd.Outputs) })
        {
            foreach (var (k, info) in infos.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (info.EncodingCase != TensorInfo.EncodingOneofCase.Name)
                    return new($"{which} '{k}' is a sparse tensor, which TensorGraph signatures do not support", ErrorCode.Unimplemented);
                if (!TryParseTensorName(info.Name, out var node, out int index))
                    return new($"{which} '{k}' has a malformed tensor name '{info.Name}' (expected 'op_name' or 'op_name:index')", ErrorCode.InvalidArgument);
                if (skipped.TryGetValue(node, out var why)) return new($"{which} '{k}' ({info.Name}) needs {why}", ErrorCode.Unimplemented);
                if (skipped.TryGetValue("^" + node, out why)) return new($"{which} '{k}' ({info.Name}) needs {why}", ErrorCode.Unimplemented);
                int? n = outputsOf(node);
                if (n is null) return new($"{which} '{k}' names tensor '{info.Name}', but the graph has no node '{node}'", ErrorCode.NotFound);
                if (n == 0) return new($"{which} '{k}' names '{info.Name}', an operation without outputs", ErrorCode.NotFound);
                if (n > 0 && index >= n)
                    return new($"{which} '{k}' names tensor '{info.Name}', but node '{node}' has only {n} output(s)", ErrorCode.NotFound);
            }
        }
        return null;
    }

    private static IEnumerable<AssetFileDef> AssetFiles(MetaGraphDef meta)
    {
        foreach (var a in meta.AssetFileDef) yield return a;
        if (meta.CollectionDef.TryGetValue("saved_model_assets", out var c) && c.KindCase == CollectionDef.KindOneofCase.AnyList)
        {
            foreach (var any in c.AnyList.Value)
            {
                AssetFileDef? a = null;
                try
                {
                    a = AssetFileDef.Parser.ParseFrom(any.Value);
                }
                catch (InvalidProtocolBufferException)
                {
                }
                if (a is not null) yield return a;
            }
        }
    }

    /// <summary>
    /// Removes nodes whose op type TensorGraph lacks, and every node depending on them (data or
    /// control), so that the rest of a model can still be used. An <c>Identity</c> reading such a
    /// node (e.g. <c>x = identity(parse_example(...)["x"])</c>) becomes a <c>Placeholder</c> of the
    /// same name and type instead, so it can still be fed, as TensorFlow allows. Returns the pruned
    /// GraphDef and, per removed node, the reason; nodes that only fed removed nodes are listed
    /// under the key <c>"^name"</c>.
    /// </summary>
    internal static (GraphDef Graph, Dictionary<string, string> Skipped) PruneUnimplemented(GraphDef def)
    {
        var skipped = new Dictionary<string, string>(StringComparer.Ordinal);
        var byName = new Dictionary<string, NodeDef>(StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        foreach (var n in def.Node)
        {
            byName.TryAdd(n.Name, n);
            foreach (var raw in n.Input)
            {
                if (!consumers.TryGetValue(NodeOf(raw), out var l)) consumers[NodeOf(raw)] = l = [];
                l.Add(n.Name);
            }
            if (!GraphDefImporter.IsImportable(n.Op) && FunctionBodies.Find(def.Library, n.Op) is null && skipped.TryAdd(n.Name, $"op type {n.Op} (node '{n.Name}'), which TensorGraph does not implement"))
                queue.Enqueue(n.Name);
        }
        if (skipped.Count == 0) return (def, skipped);
        var unimplemented = skipped.Keys.ToArray();
        var stubs = new HashSet<string>(StringComparer.Ordinal);
        while (queue.TryDequeue(out var name))
        {
            if (!consumers.TryGetValue(name, out var l)) continue;
            foreach (var c in l)
            {
                if (skipped.ContainsKey(c) || stubs.Contains(c)) continue;
                var node = byName[c];
                if (node.Op == IdentitySpec.OpType && node.Attr.ContainsKey("T") && node.Input.Count(i => !i.StartsWith('^')) == 1
                    && !node.Input.Any(i => !i.StartsWith('^') && !skipped.ContainsKey(NodeOf(i))))
                {
                    stubs.Add(c);
                    continue;
                }
                if (skipped.TryAdd(c, skipped[name])) queue.Enqueue(c);
            }
        }
        var pruned = def.Clone();
        pruned.Node.Clear();
        foreach (var n in def.Node)
        {
            if (skipped.ContainsKey(n.Name)) continue;
            if (stubs.Contains(n.Name))
            {
                var ph = new NodeDef { Name = n.Name, Op = PlaceholderSpec.OpType, Device = n.Device };
                ph.Attr["dtype"] = n.Attr["T"];
                ph.Attr["shape"] = new AttrValue
                {
                    Shape = n.Attr.TryGetValue("_output_shapes", out var os) && os.List?.Shape.Count == 1
                        ? os.List.Shape[0] : new TensorShapeProto { UnknownRank = true },
                };
                pruned.Node.Add(ph);
                continue;
            }
            var copy = n.Clone();
            copy.Input.Clear();
            copy.Input.AddRange(n.Input.Where(i => !skipped.ContainsKey(NodeOf(i))));
            pruned.Node.Add(copy);
        }
        foreach (var u in unimplemented)
        {
            foreach (var i in byName[u].Input)
            {
                if (!i.StartsWith('^')) skipped.TryAdd("^" + NodeOf(i), $"op type {byName[u].Op} (node '{u}') to consume it, which TensorGraph does not implement");
            }
        }
        return (pruned, skipped);
    }

    private static string NodeOf(string input)
    {
        var src = input.TrimStart('^');
        int colon = src.LastIndexOf(':');
        return colon > 0 ? src[..colon] : src;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsSession) Session.Dispose();
    }
}
