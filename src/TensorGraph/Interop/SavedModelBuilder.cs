using Google.Protobuf;
using TensorGraph.Proto;
using ProtoSavedModel = TensorGraph.Proto.SavedModel;

namespace TensorGraph.Serialization;

/// <summary>
/// Writes a TF1 SavedModel (TF's <c>tf.saved_model.builder.SavedModelBuilder</c>):
/// <c>saved_model.pb</c> (or <c>.pbtxt</c>) with one <c>MetaGraphDef</c> per
/// <see cref="AddMetaGraphAndVariables"/>/<see cref="AddMetaGraph"/> call, and the variables in
/// <c>variables/variables.index</c> + <c>variables.data-00000-of-00001</c>. The first call adds
/// TF's saver ops to the graph (<c>save/Const</c> for the file name, <c>save/SaveV2</c>,
/// <c>save/RestoreV2</c>, one <c>save/Assign</c> per variable, <c>save/restore_all</c>) and
/// records them in the meta graph's <c>SaverDef</c>, so TensorFlow, TF Serving and
/// <see cref="SavedModelBundle.Load(string, string[])"/> restore the variables with them.
/// </summary>
public sealed class SavedModelBuilder
{
    /// <summary>Collection holding the main op run after the variables are restored (TF's <c>saved_model_main_op</c>).</summary>
    public const string MainOpKey = "saved_model_main_op";

    private readonly string _exportDir;
    private readonly ProtoSavedModel _model = new() { SavedModelSchemaVersion = 1 };
    private SaverDef? _saverDef;
    private Graph? _graph;
    private bool _saved;

    /// <summary>
    /// A builder for <paramref name="exportDir"/>, which must not exist yet or be empty (TF refuses
    /// to overwrite an export).
    /// </summary>
    public SavedModelBuilder(string exportDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(exportDir);
        if (Directory.Exists(exportDir) && Directory.EnumerateFileSystemEntries(exportDir).Any())
            throw new AlreadyExistsException($"Export directory already exists, and isn't empty. Please choose a different export directory, or delete all the contents of the specified directory: {exportDir}");
        if (File.Exists(exportDir)) throw new AlreadyExistsException($"Export path is a file: {exportDir}");
        _exportDir = exportDir;
    }

    /// <summary>
    /// Saves the session's global variables to <c>variables/variables</c> and adds the session's
    /// graph as a meta graph with <paramref name="tags"/> and <paramref name="signatureDefs"/>
    /// (TF's <c>add_meta_graph_and_variables</c>); <paramref name="mainOp"/> is run by loaders
    /// after the restore (e.g. table initializers). <paramref name="variables"/> limits what is
    /// saved and restored (default: every global variable of the graph). Call once, before
    /// <see cref="AddMetaGraph"/>.
    /// </summary>
    public SavedModelBuilder AddMetaGraphAndVariables(Session session, string[] tags, IReadOnlyDictionary<string, SignatureDef>? signatureDefs = null, Operation? mainOp = null,
        IEnumerable<Variable>? variables = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.ThrowIfDisposed();
        if (_graph is not null) throw new FailedPreconditionException("Graph state including variables and assets has already been saved. Please invoke `add_meta_graph()` instead.");
        CheckTags(tags);
        var graph = session.Graph;
        var vars = (variables ?? graph.GlobalVariables).Distinct().ToArray();
        foreach (var v in vars)
        {
            if (!ReferenceEquals(v.Graph, graph)) throw new InvalidArgumentException($"Variable '{v.Name}' is not in the session's graph");
        }
        _saverDef = AddSaverOps(graph, vars);
        var varDir = Path.Combine(_exportDir, "variables");
        Directory.CreateDirectory(varDir);
        if (_saverDef.SaveTensorName.Length > 0)
        {
            var prefix = Path.Combine(varDir, "variables");
            session.Run([graph.GetTensor(_saverDef.SaveTensorName)], new FeedDict { [graph.GetTensor(_saverDef.FilenameTensorName)] = Tensor.Scalar(prefix) });
        }
        _graph = graph;
        AddMeta(graph, tags, signatureDefs, mainOp);
        return this;
    }

    /// <summary>Adds another meta graph of the same graph (other tags or signatures), sharing the saved variables (TF's <c>add_meta_graph</c>).</summary>
    public SavedModelBuilder AddMetaGraph(string[] tags, IReadOnlyDictionary<string, SignatureDef>? signatureDefs = null, Operation? mainOp = null)
    {
        if (_graph is null) throw new FailedPreconditionException("Graph state including variables and assets has not been saved yet. Please invoke `add_meta_graph_and_variables()` first.");
        CheckTags(tags);
        AddMeta(_graph, tags, signatureDefs, mainOp);
        return this;
    }

    /// <summary>Writes <c>saved_model.pb</c> (or <c>saved_model.pbtxt</c> when <paramref name="asText"/>) and returns its path.</summary>
    public string Save(bool asText = false)
    {
        if (_saved) throw new FailedPreconditionException($"The SavedModel at {_exportDir} has already been saved");
        if (_model.MetaGraphs.Count == 0) throw new FailedPreconditionException("Nothing to save: add a meta graph first");
        Directory.CreateDirectory(_exportDir);
        var path = Path.Combine(_exportDir, asText ? "saved_model.pbtxt" : "saved_model.pb");
        ProtoFiles.Write(path, _model);
        _saved = true;
        return path;
    }

    /// <summary>
    /// TF's <c>tf.saved_model.simple_save</c>: the session's graph and variables under the
    /// <c>serve</c> tag with one <c>serving_default</c> Predict signature.
    /// </summary>
    public static string SimpleSave(Session session, string exportDir, IReadOnlyDictionary<string, Output> inputs, IReadOnlyDictionary<string, Output> outputs)
    {
        var sig = SignatureDefs.Predict(inputs, outputs);
        return new SavedModelBuilder(exportDir)
            .AddMetaGraphAndVariables(session, [SavedModelBundle.ServeTag], new Dictionary<string, SignatureDef> { [SignatureDefs.DefaultServingKey] = sig })
            .Save();
    }

    private static void CheckTags(string[] tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (tags.Length == 0) throw new InvalidArgumentException("A meta graph needs at least one tag (e.g. \"serve\")");
    }

    private void AddMeta(Graph graph, string[] tags, IReadOnlyDictionary<string, SignatureDef>? signatureDefs, Operation? mainOp)
    {
        var want = new HashSet<string>(tags, StringComparer.Ordinal);
        if (_model.MetaGraphs.Any(m => want.SetEquals(m.MetaInfoDef.Tags)))
            throw new AlreadyExistsException($"A meta graph with tags {{{string.Join(", ", tags)}}} was already added");
        if (mainOp is not null && !ReferenceEquals(mainOp.Graph, graph)) throw new InvalidArgumentException($"The main op '{mainOp.Name}' is not in the saved graph");
        var meta = graph.ToMetaGraphDef(_saverDef, tags);
        meta.MetaInfoDef.StrippedDefaultAttrs = false;
        if (mainOp is not null)
        {
            var list = new CollectionDef { NodeList = new CollectionDef.Types.NodeList() };
            list.NodeList.Value.Add(mainOp.Name);
            meta.CollectionDef[MainOpKey] = list;
        }
        if (signatureDefs is not null)
        {
            foreach (var (key, sd) in signatureDefs)
            {
                foreach (var info in sd.Inputs.Values.Concat(sd.Outputs.Values))
                {
                    if (info.EncodingCase != TensorInfo.EncodingOneofCase.Name) continue;
                    try
                    {
                        graph.GetTensor(info.Name);
                    }
                    catch (Exception e) when (e is NotFoundException or InvalidArgumentException)
                    {
                        throw new InvalidArgumentException($"Signature '{key}' names tensor '{info.Name}', which is not in the graph", e);
                    }
                }
                meta.SignatureDef[key] = sd.Clone();
            }
        }
        _model.MetaGraphs.Add(meta);
    }

    /// <summary>
    /// TF's (unsharded, V2) <c>Saver</c> ops for <paramref name="variables"/>, in a fresh <c>save</c>
    /// scope: a file-name PlaceholderWithDefault <c>save/Const</c>, SaveV2 + <c>save/control_dependency</c>
    /// (the save tensor), RestoreV2 + one Assign per variable grouped in <c>save/restore_all</c>.
    /// </summary>
    private static SaverDef AddSaverOps(Graph graph, Variable[] variables)
    {
        var vars = variables.OrderBy(v => v.Name, StringComparer.Ordinal).ToArray();
        using var scope = graph.NameScope("save");
        var filename = graph.PlaceholderWithDefault(graph.Constant(Tensor.Scalar("model"), name: "filename/input"), Shape.Scalar, name: "filename");
        var prefix = graph.PlaceholderWithDefault(filename, Shape.Scalar, name: "Const");
        var def = new SaverDef
        {
            FilenameTensorName = prefix.Name,
            MaxToKeep = 5,
            Sharded = false,
            KeepCheckpointEveryNHours = 10000f,
            Version = SaverDef.Types.CheckpointFormatVersion.V2,
        };
        if (vars.Length == 0)
        {
            def.RestoreOpName = graph.NoOp("restore_all").Name;
            return def;
        }
        var names = graph.Constant(Tensor.Create(vars.Select(v => v.Name).ToArray(), vars.Length), name: "SaveV2/tensor_names");
        var slices = graph.Constant(Tensor.Create(vars.Select(_ => "").ToArray(), vars.Length), name: "SaveV2/shape_and_slices");
        var save = graph.SaveV2(prefix, names, slices, [.. vars.Select(v => v.Value)], name: "SaveV2");
        Output saved;
        using (graph.ControlDependencies(save)) saved = graph.Identity(prefix, name: "control_dependency");
        var rnames = graph.Constant(Tensor.Create(vars.Select(v => v.Name).ToArray(), vars.Length), name: "RestoreV2/tensor_names");
        var rslices = graph.Constant(Tensor.Create(vars.Select(_ => "").ToArray(), vars.Length), name: "RestoreV2/shape_and_slices");
        var restored = graph.RestoreV2(prefix, rnames, rslices, [.. vars.Select(v => v.DType)], name: "RestoreV2");
        var assigns = vars.Select((v, i) => graph.Assign(v, restored[i], name: "Assign").Op).ToArray();
        def.SaveTensorName = saved.Name;
        def.RestoreOpName = graph.Group(assigns, "restore_all").Name;
        return def;
    }
}

/// <summary>Building <c>SignatureDef</c>s (TF's <c>tf.saved_model.signature_def_utils</c>).</summary>
public static class SignatureDefs
{
    /// <summary>The signature key TF Serving uses when a request names none.</summary>
    public const string DefaultServingKey = "serving_default";

    /// <summary>The Predict method name.</summary>
    public const string PredictMethod = "tensorflow/serving/predict";

    /// <summary>A Predict signature (TF's <c>predict_signature_def</c>): each key's tensor by name, dtype and static shape.</summary>
    public static SignatureDef Predict(IReadOnlyDictionary<string, Output> inputs, IReadOnlyDictionary<string, Output> outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (inputs.Count == 0) throw new InvalidArgumentException("Prediction inputs cannot be None or empty.");
        if (outputs.Count == 0) throw new InvalidArgumentException("Prediction outputs cannot be None or empty.");
        var sd = new SignatureDef { MethodName = PredictMethod };
        foreach (var (k, t) in inputs) sd.Inputs[k] = Info(t);
        foreach (var (k, t) in outputs) sd.Outputs[k] = Info(t);
        return sd;
    }

    /// <summary>TF's <c>build_tensor_info</c>: name, dtype and (possibly partial) shape.</summary>
    public static TensorInfo Info(Output tensor) => new()
    {
        Name = tensor.Name,
        Dtype = (DataType)(int)tensor.DType,
        TensorShape = tensor.Shape.ToProto(),
    };
}
