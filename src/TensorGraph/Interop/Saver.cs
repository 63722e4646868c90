using System.Globalization;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Training;

/// <summary>
/// TF's <c>tf.train.Saver</c> for V2 checkpoints: saves the session values of a set of variables
/// to <c>prefix.index</c> / <c>prefix.data-00000-of-00001</c>, keeps the directory's
/// <c>checkpoint</c> file up to date, deletes checkpoints beyond <see cref="MaxToKeep"/>, and
/// restores values into a session. Keys are the variables' op names (e.g. <c>hidden1/weights</c>).
/// </summary>
public sealed class Saver
{
    private readonly KeyValuePair<string, Variable>[] _vars;
    private readonly List<string> _last = [];

    /// <summary>A saver for every global variable of <paramref name="graph"/> (at construction time).</summary>
    public Saver(Graph graph, int maxToKeep = 5)
        : this(graph?.GlobalVariables ?? throw new ArgumentNullException(nameof(graph)), maxToKeep)
    {
    }

    /// <summary>A saver for <paramref name="variables"/>, keyed by their op names.</summary>
    public Saver(IEnumerable<Variable> variables, int maxToKeep = 5)
        : this((variables ?? throw new ArgumentNullException(nameof(variables))).Select(v => new KeyValuePair<string, Variable>(v.Name, v)), maxToKeep)
    {
    }

    /// <summary>A saver with explicit checkpoint keys (TF's <c>Saver(var_list=dict)</c>).</summary>
    public Saver(IEnumerable<KeyValuePair<string, Variable>> variables, int maxToKeep = 5)
    {
        ArgumentNullException.ThrowIfNull(variables);
        _vars = variables.ToArray();
        if (_vars.Length == 0) throw new InvalidArgumentException("No variables to save");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (k, v) in _vars)
        {
            ArgumentNullException.ThrowIfNull(v);
            if (string.IsNullOrEmpty(k)) throw new InvalidArgumentException("Checkpoint keys must not be empty");
            if (!seen.Add(k)) throw new InvalidArgumentException($"At least two variables have the same name: {k}");
        }
        MaxToKeep = maxToKeep;
    }

    /// <summary>How many recent checkpoints to keep (0 or less keeps all).</summary>
    public int MaxToKeep { get; }

    /// <summary>The checkpoint keys, in order.</summary>
    public IReadOnlyList<string> Keys => _vars.Select(kv => kv.Key).ToArray();

    /// <summary>Prefixes of the checkpoints this saver wrote and still keeps, oldest first.</summary>
    public IReadOnlyList<string> LastCheckpoints => _last.ToArray();

    /// <summary>
    /// TF's <c>Saver.recover_last_checkpoints</c>: takes <paramref name="checkpointPaths"/> (oldest
    /// first, e.g. the <c>checkpoint</c> file's <c>all_model_checkpoint_paths</c>, relative paths
    /// resolved against <paramref name="directory"/>) as the checkpoints this saver wrote, so that
    /// later saves keep counting them against <see cref="MaxToKeep"/>; prefixes whose files are
    /// gone are skipped.
    /// </summary>
    public void RecoverLastCheckpoints(IEnumerable<string> checkpointPaths, string? directory = null)
    {
        ArgumentNullException.ThrowIfNull(checkpointPaths);
        foreach (var p in checkpointPaths)
        {
            var full = directory is not null && !Path.IsPathRooted(p) ? Path.Combine(directory, p) : p;
            if (!CheckpointFiles.Exists(full)) continue;
            _last.Remove(full);
            _last.Add(full);
        }
    }

    /// <summary>
    /// The prefixes the <c>checkpoint</c> file of <paramref name="directory"/> lists in
    /// <c>all_model_checkpoint_paths</c>, oldest first, as written (empty when there is no file).
    /// </summary>
    public static IReadOnlyList<string> AllCheckpointPaths(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var state = CheckpointStateFile.Read(directory);
        return state is null ? [] : state.AllModelCheckpointPaths.ToArray();
    }

    /// <summary>
    /// Saves the variables' current values. Returns the checkpoint prefix: <paramref name="prefix"/>,
    /// or <c>prefix-N</c> when <paramref name="globalStep"/> is given.
    /// </summary>
    public string Save(Session session, string prefix, long? globalStep = null, bool writeState = true)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(prefix);
        if (globalStep is { } step) prefix = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{step}");
        var values = new Tensor[_vars.Length];
        for (int i = 0; i < _vars.Length; i++) values[i] = ValueOf(session, _vars[i].Value);
        using (var w = new CheckpointWriter(prefix))
        {
            for (int i = 0; i < _vars.Length; i++) w.Add(_vars[i].Key, values[i]);
            w.Finish();
        }
        _last.Remove(prefix);
        _last.Add(prefix);
        var stale = new List<string>();
        while (MaxToKeep > 0 && _last.Count > MaxToKeep)
        {
            stale.Add(_last[0]);
            _last.RemoveAt(0);
        }
        if (writeState)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(prefix))!;
            var state = new CheckpointState { ModelCheckpointPath = StatePath(dir, prefix) };
            foreach (var p in _last) state.AllModelCheckpointPaths.Add(StatePath(dir, p));
            CheckpointStateFile.Write(dir, state);
        }
        foreach (var p in stale) CheckpointFiles.Delete(p);
        return prefix;
    }

    private static string StatePath(string dir, string prefix)
    {
        var full = Path.GetFullPath(prefix);
        return string.Equals(Path.GetDirectoryName(full), dir, StringComparison.Ordinal) ? Path.GetFileName(full) : full;
    }

    private static Tensor ValueOf(Session session, Variable v)
    {
        var slot = session.Variables.Get(v.Op);
        lock (slot.Sync)
        {
            var t = slot.Value ?? throw new FailedPreconditionException($"Attempting to use uninitialized value {v.Name}") { NodeName = v.Name };
            return t.Clone();
        }
    }

    /// <summary>
    /// Restores every variable from the checkpoint at <paramref name="prefix"/>. All tensors are
    /// read and checked first, so a failure leaves the session unchanged.
    /// </summary>
    public void Restore(Session session, string prefix)
    {
        CheckRestoreArguments(session, prefix);
        var values = new Tensor[_vars.Length];
        using (var r = new CheckpointReader(prefix))
        {
            for (int i = 0; i < _vars.Length; i++)
            {
                var (key, v) = _vars[i];
                if (!r.HasTensor(key)) throw new NotFoundException($"Key {key} not found in checkpoint {prefix}") { NodeName = v.Name };
                var info = r.GetInfo(key);
                if (info.DType != v.DType) throw DTypeMismatch(key, v.DType, info, v.Name);
                if (!v.Shape.IsCompatibleWith(info.Shape))
                    throw new InvalidArgumentException($"Assign requires shapes of both tensors to match. lhs shape= {v.Shape} rhs shape= {info.Shape} (variable '{v.Name}', checkpoint key '{key}')") { NodeName = v.Name };
                values[i] = r.GetTensor(key);
            }
        }
        for (int i = 0; i < _vars.Length; i++)
        {
            var slot = session.Variables.Get(_vars[i].Value.Op);
            lock (slot.Sync) slot.Value = values[i];
        }
    }

    /// <summary>The session is open and <paramref name="prefix"/> names an existing checkpoint.</summary>
    private static void CheckRestoreArguments(Session session, string prefix)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(prefix);
        if (!CheckpointFiles.Exists(prefix))
            throw new NotFoundException($"The passed save_path is not a valid checkpoint: {prefix}");
    }

    /// <summary>TF's error for a checkpoint tensor whose dtype is not the variable's.</summary>
    private static InvalidArgumentException DTypeMismatch(string key, DType expected, CheckpointTensorInfo info, string variable) =>
        new($"tensor_name = {key}; expected dtype {expected.Name()} does not equal original dtype {(info.DType == DType.Invalid ? info.ProtoDType.ToString() : info.DType.Name())}") { NodeName = variable };

    /// <summary>
    /// Restores every variable node of the session's graph — ref variables (<c>VariableV2</c>/<c>Variable</c>)
    /// and resource variables (<c>VarHandleOp</c>, as TF 2.x Estimators write them) — from the
    /// checkpoint at <paramref name="prefix"/>, by node name: for graphs loaded from a bare
    /// <c>GraphDef</c>, which carry no variable collections. A variable whose name is not a key
    /// (a partition <c>x/part_0</c> of a partitioned variable, an optimizer slot saved as
    /// <c>x/t_0/Adagrad</c>) gets the key and slice that the graph's own saver restores into it:
    /// the <c>tensor_names</c> and <c>shape_and_slices</c> of a RestoreV2 node whose output is
    /// assigned to the variable. Returns how many were restored; variables missing from the
    /// checkpoint are left as they are.
    /// </summary>
    public static int RestoreVariableNodes(Session session, string prefix)
    {
        CheckRestoreArguments(session, prefix);
        var values = new List<(Operation Op, Tensor Value)>();
        Dictionary<Operation, (string Key, string Slice)>? restored = null;
        using (var r = new CheckpointReader(prefix))
        {
            foreach (var op in session.Graph.Operations)
            {
                bool resource = op.Type == VarHandleOpSpec.OpType;
                if (!(op.Spec.IsVariable || resource)) continue;
                string key = op.Name, slice = "";
                if (!r.HasTensor(key))
                {
                    restored ??= RestoredBySaverOps(session.Graph);
                    if (!restored.TryGetValue(op, out var target) || !r.HasTensor(target.Key)) continue;
                    (key, slice) = target;
                }
                var info = r.GetInfo(key);
                var dtype = op.GetAttrType("dtype");
                if (info.DType != dtype) throw DTypeMismatch(key, dtype, info, op.Name);
                var value = slice.Length == 0 ? r.GetTensor(key) : r.GetSlice(key, TensorSliceSpec.Parse(slice));
                var shape = resource ? VariableHandles.DeclaredShape(op[0]) : op[0].Shape;
                if (!shape.IsCompatibleWith(value.Shape))
                    throw new InvalidArgumentException($"Assign requires shapes of both tensors to match. lhs shape= {shape} rhs shape= {value.Shape} (variable '{op.Name}', checkpoint key '{key}')") { NodeName = op.Name };
                values.Add((op, value));
            }
        }
        foreach (var (op, value) in values)
        {
            var slot = op.Type == VarHandleOpSpec.OpType ? session.Variables.GetResource(VarHandleOpSpec.ResourceKey(op), op) : session.Variables.Get(op);
            lock (slot.Sync) slot.Value = value;
        }
        return values.Count;
    }

    /// <summary>
    /// The checkpoint key and shape_and_slice that the graph's saver ops restore into each
    /// variable: RestoreV2 nodes with constant <c>tensor_names</c>/<c>shape_and_slices</c>, whose
    /// output <c>i</c> (through Identity nodes) is the value of an Assign or AssignVariableOp.
    /// </summary>
    private static Dictionary<Operation, (string Key, string Slice)> RestoredBySaverOps(Graph graph)
    {
        var map = new Dictionary<Operation, (string Key, string Slice)>();
        foreach (var op in graph.Operations)
        {
            if (op.Type != RestoreV2Spec.OpType || op.Inputs.Length != 3) continue;
            var names = ConstStrings(op.Inputs[1].Op);
            var slices = ConstStrings(op.Inputs[2].Op);
            if (names is null || slices is null || names.Length != slices.Length || names.Length != op.NumOutputs) continue;
            for (int i = 0; i < names.Length; i++)
            {
                foreach (var variable in AssignedVariables(op, i)) map.TryAdd(variable, (names[i], slices[i]));
            }
        }
        return map;
    }

    private static string[]? ConstStrings(Operation op)
    {
        if (op.Type != ConstSpec.OpType || op.GetAttrType("dtype") != DType.String) return null;
        var t = op.GetAttrTensor("value");
        var s = t.Span<byte[]>();
        var r = new string[s.Length];
        for (int i = 0; i < s.Length; i++) r[i] = System.Text.Encoding.UTF8.GetString(s[i]);
        return r;
    }

    /// <summary>The variables assigned output <paramref name="index"/> of <paramref name="op"/>, directly or through Identity nodes.</summary>
    private static IEnumerable<Operation> AssignedVariables(Operation op, int index)
    {
        foreach (var (consumer, input) in op.Consumers)
        {
            if (consumer.Inputs[input].Index != index) continue;
            if (consumer.Type == IdentitySpec.OpType)
            {
                foreach (var v in AssignedVariables(consumer, 0)) yield return v;
            }
            else if (input == 1 && (consumer.Type == AssignSpec.OpType || consumer.Type == AssignVariableOpSpec.OpType))
            {
                yield return consumer.Inputs[0].Op;
            }
        }
    }

    /// <summary>
    /// Writes the variables' graph as a <c>.meta</c> file (TF's <c>saver.export_meta_graph</c>);
    /// text format for text extensions. Returns the <c>MetaGraphDef</c> written.
    /// </summary>
    public MetaGraphDef ExportMetaGraph(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var meta = _vars[0].Value.Graph.ToMetaGraphDef();
        MetaGraphs.Write(path, meta);
        return meta;
    }

    /// <summary>
    /// Imports a <c>.meta</c> file into <paramref name="graph"/> (TF's <c>tf.train.import_meta_graph</c>)
    /// and returns a saver for its global variables, or null when it has none.
    /// </summary>
    public static Saver? ImportMetaGraph(Graph graph, string path)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(path);
        graph.ImportMetaGraph(MetaGraphs.Read(path), source: path);
        return graph.GlobalVariables.Count == 0 ? null : new Saver(graph);
    }

    /// <summary>
    /// The most recent checkpoint prefix recorded in <c>directory/checkpoint</c> (relative paths
    /// are resolved against the directory), or null when there is none or its files are missing.
    /// </summary>
    public static string? LatestCheckpoint(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var state = CheckpointStateFile.Read(directory);
        if (state is null || state.ModelCheckpointPath.Length == 0) return null;
        var p = state.ModelCheckpointPath;
        if (!Path.IsPathRooted(p)) p = Path.Combine(directory, p);
        return CheckpointFiles.Exists(p) ? p : null;
    }
}
