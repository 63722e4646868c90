using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Cli;

/// <summary>What kind of file or directory a model path is.</summary>
public enum ModelKind
{
    /// <summary>A binary or text <c>GraphDef</c>.</summary>
    GraphDef,
    /// <summary>A <c>MetaGraphDef</c> (<c>.meta</c>).</summary>
    MetaGraph,
    /// <summary>A SavedModel directory.</summary>
    SavedModel,
}

/// <summary>A model loaded for running: graph, session and (for SavedModels) signatures.</summary>
public sealed class LoadedModel : IDisposable
{
    internal LoadedModel(Session session, SavedModelBundle? savedModel)
    {
        Session = session;
        SavedModel = savedModel;
    }

    /// <summary>The session (variables restored when there was something to restore from).</summary>
    public Session Session { get; }

    /// <summary>The graph.</summary>
    public Graph Graph => Session.Graph;

    /// <summary>The SavedModel, when the model was one.</summary>
    public SavedModelBundle? SavedModel { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (SavedModel is not null) SavedModel.Dispose();
        else Session.Dispose();
    }
}

/// <summary>Loading model files for the CLI, with errors that name the file.</summary>
public static class Models
{
    /// <summary>The kind of <paramref name="path"/>; a path to <c>saved_model.pb</c> counts as its directory.</summary>
    public static ModelKind KindOf(ref string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            if (SavedModelBundle.IsSavedModelDirectory(path)) return ModelKind.SavedModel;
            throw new CliException($"{path}: a directory, but not a SavedModel (no saved_model.pb or saved_model.pbtxt)");
        }
        if (!File.Exists(path)) throw new CliException(ExitCode.Io, $"{path}: no such file or directory");
        var name = Path.GetFileName(path);
        if (name is "saved_model.pb" or "saved_model.pbtxt")
        {
            path = Path.GetDirectoryName(Path.GetFullPath(path))!;
            return ModelKind.SavedModel;
        }
        if (path.EndsWith(".meta", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".meta.pbtxt", StringComparison.OrdinalIgnoreCase))
            return ModelKind.MetaGraph;
        return ModelKind.GraphDef;
    }

    /// <summary>
    /// Runs <paramref name="read"/>, turning a typed TensorGraph error (other than
    /// <see cref="InternalException"/>) or a file-system error into a <see cref="CliException"/>
    /// naming <paramref name="path"/>. Other exceptions are bugs and pass through unchanged.
    /// </summary>
    public static T Read<T>(string path, Func<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return read();
        }
        catch (Exception e) when (e is TensorGraphException and not InternalException or IOException or UnauthorizedAccessException)
        {
            var msg = e.Message.ReplaceLineEndings(" ").Trim();
            throw new CliException(msg.Contains(path, StringComparison.Ordinal) ? msg : $"{path}: {msg}", e);
        }
    }

    /// <summary>
    /// Loads a model for running, restoring variables from <paramref name="checkpoint"/> when given
    /// (a prefix, its <c>.index</c> file, or a directory such as an Estimator <c>model_dir</c>, whose
    /// <c>checkpoint</c> state file names the latest checkpoint). GraphDefs and MetaGraphDefs are
    /// imported leniently (nodes of unimplemented op types are kept inert) unless
    /// <paramref name="strict"/>; SavedModels leave such nodes out themselves.
    /// </summary>
    public static LoadedModel Load(string path, string tags, string? checkpoint, bool strict = false)
    {
        var options = strict ? ImportOptions.StrictOptions : ImportOptions.Lenient;
        var kind = KindOf(ref path);
        LoadedModel model;
        switch (kind)
        {
            case ModelKind.SavedModel:
            {
                var tagList = tags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var p = path;
                var sm = Read(path, () => SavedModelBundle.Load(p, tagList));
                model = new LoadedModel(sm.Session, sm);
                break;
            }
            case ModelKind.MetaGraph:
            {
                var p = path;
                var meta = Read(path, () => MetaGraphs.Read(p));
                var g = new Graph();
                Read(path, () =>
                {
                    g.ImportMetaGraph(meta, source: p, options: options);
                    return 0;
                });
                model = new LoadedModel(new Session(g), null);
                break;
            }
            default:
            {
                var p = path;
                var g = Read(path, () => Graph.Load(p, options));
                model = new LoadedModel(new Session(g), null);
                break;
            }
        }
        if (checkpoint is not null)
        {
            try
            {
                var prefix = ResolveCheckpoint(checkpoint);
                Read(prefix, () => Saver.RestoreVariableNodes(model.Session, prefix));
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        return model;
    }

    /// <summary>
    /// A checkpoint prefix from what the user typed: the prefix itself, its <c>.index</c> file, a
    /// directory with a <c>checkpoint</c> state file, or a SavedModel directory.
    /// </summary>
    public static string ResolveCheckpoint(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.EndsWith(".index", StringComparison.Ordinal) && File.Exists(input)) return input[..^".index".Length];
        if (CheckpointFiles.Exists(input)) return input;
        if (Directory.Exists(input))
        {
            var sm = Path.Combine(input, "variables", "variables");
            if (CheckpointFiles.Exists(sm)) return sm;
            var latest = Read(input, () => Saver.LatestCheckpoint(input));
            if (latest is not null) return latest;
            throw new CliException(ExitCode.Io, $"{input}: directory holds no checkpoint (no 'checkpoint' file naming an existing one)");
        }
        throw new CliException(ExitCode.Io, $"{input}: not a checkpoint (no {input}.index)");
    }

    /// <summary>Reads the GraphDef of any model kind, without importing it, plus (for meta graphs) the MetaGraphDefs.</summary>
    public static (ModelKind Kind, IReadOnlyList<MetaGraphDef> Metas, GraphDef? Graph) ReadProtos(string path)
    {
        var kind = KindOf(ref path);
        var p = path;
        return kind switch
        {
            ModelKind.SavedModel => (kind, Read(path, () => SavedModelBundle.ReadProto(p)).MetaGraphs.ToArray(), null),
            ModelKind.MetaGraph => (kind, [Read(path, () => MetaGraphs.Read(p))], null),
            _ => (kind, [], Read(path, () => ProtoFiles.Read<GraphDef>(p))),
        };
    }
}
