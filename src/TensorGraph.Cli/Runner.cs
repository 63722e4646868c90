using System.Globalization;
using System.Text;
using System.Text.Json;
using TensorGraph.Serialization;

namespace TensorGraph.Cli;

/// <summary>Options of the <c>run</c> command.</summary>
public sealed class RunOptions
{
    /// <summary>Model path.</summary>
    public required string Model { get; init; }
    /// <summary>SavedModel tag set, comma-separated.</summary>
    public string Tags { get; init; } = "serve";
    /// <summary>SavedModel signature key, if any.</summary>
    public string? Signature { get; init; }
    /// <summary>Checkpoint to restore.</summary>
    public string? Checkpoint { get; init; }
    /// <summary><c>NAME=VALUE</c> feeds.</summary>
    public IReadOnlyList<string> Feeds { get; init; } = [];
    /// <summary>Fetch names.</summary>
    public IReadOnlyList<string> Fetches { get; init; } = [];
    /// <summary>Directory for <c>.npy</c> outputs.</summary>
    public string? OutDir { get; init; }
    /// <summary>Print JSON.</summary>
    public bool Json { get; init; }
    /// <summary>Refuse a graph that uses op types TensorGraph does not implement (instead of keeping those nodes inert).</summary>
    public bool Strict { get; init; }
    /// <summary>The run's timeout in milliseconds (TF's <c>timeout_in_ms</c>); 0 for none.</summary>
    public long TimeoutMs { get; init; }
    /// <summary>Trace the run (TF's FULL_TRACE) and write its Chrome trace JSON here; the per-op-type summary goes to the error writer.</summary>
    public string? TracePath { get; init; }
}

/// <summary>The <c>run</c> command.</summary>
public static class Runner
{
    /// <summary>Runs the model as described by <paramref name="options"/> and prints the fetched tensors.</summary>
    public static void Run(RunOptions options, TextWriter output) => Run(options, output, TextWriter.Null);

    /// <summary>
    /// Runs the model as described by <paramref name="options"/> and prints the fetched tensors;
    /// with <see cref="RunOptions.TracePath"/>, writes the run's Chrome trace there and its
    /// per-op-type summary to <paramref name="errors"/>.
    /// </summary>
    public static void Run(RunOptions options, TextWriter output, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        using var model = Models.Load(options.Model, options.Tags, options.Checkpoint, options.Strict);
        var graph = model.Graph;
        Signature? sig = null;
        if (options.Signature is { } key)
        {
            if (model.SavedModel is null) throw new CliException(ExitCode.Usage, $"{options.Model}: --signature needs a SavedModel");
            sig = Models.Read(options.Model, () => model.SavedModel.GetSignature(key));
        }

        var feeds = new FeedDict();
        foreach (var f in options.Feeds)
        {
            int eq = f.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new CliException(ExitCode.Usage, $"--feed '{f}': expected NAME=VALUE");
            var name = f[..eq];
            var text = f[(eq + 1)..];
            Output target;
            if (sig is not null)
            {
                if (!sig.Inputs.TryGetValue(name, out target))
                    throw new CliException($"--feed {name}: signature '{sig.Key}' has no input '{name}'; inputs: {string.Join(", ", sig.Inputs.Keys.Order(StringComparer.Ordinal))}");
            }
            else
            {
                target = ResolveTensor(graph, name, "--feed");
            }
            feeds[target] = ParseValue(text, target.DType, name);
        }

        var fetchNames = new List<string>();
        var typedNames = new List<string>();
        var fetches = new List<Output>();
        var targets = new List<Operation>();
        IEnumerable<string> requested = options.Fetches;
        if (!options.Fetches.Any())
        {
            if (sig is null) throw new CliException(ExitCode.Usage, "run: give at least one --fetch (or a --signature to fetch all its outputs)");
            requested = sig.Outputs.Keys.Order(StringComparer.Ordinal);
        }
        foreach (var name in requested)
        {
            if (sig is not null)
            {
                if (!sig.Outputs.TryGetValue(name, out var o))
                    throw new CliException($"--fetch {name}: signature '{sig.Key}' has no output '{name}'; outputs: {string.Join(", ", sig.Outputs.Keys.Order(StringComparer.Ordinal))}");
                fetchNames.Add(name);
                typedNames.Add(name);
                fetches.Add(o);
                continue;
            }
            if (!name.Contains(':', StringComparison.Ordinal) && graph.TryGetOperation(name) is { NumOutputs: 0 } op)
            {
                targets.Add(op);
                continue;
            }
            var t = ResolveTensor(graph, name, "--fetch");
            fetchNames.Add(t.Name);
            typedNames.Add(name);
            fetches.Add(t);
        }
        if (options.OutDir is not null) CheckFileNames(fetchNames, typedNames);

        var runOptions = new TensorGraph.RunOptions
        {
            TimeoutInMs = options.TimeoutMs,
            TraceLevel = options.TracePath is null ? TraceLevel.NoTrace : TraceLevel.FullTrace,
        };
        var metadata = options.TracePath is null ? null : new TensorGraph.Proto.RunMetadata();
        var values = model.Session.Run(fetches.ToArray(), feeds, targets.ToArray(), runOptions, metadata);
        if (options.TracePath is { } tracePath) WriteTrace(tracePath, metadata!, errors);
        if (options.OutDir is { } dir) WriteOutputs(dir, fetchNames, values);
        if (options.Json)
        {
            output.WriteLine(ToJson(fetchNames, values));
        }
        else
        {
            for (int i = 0; i < values.Length; i++) output.WriteLine($"{fetchNames[i]} = {values[i]}");
            if (targets.Count > 0 && values.Length == 0) output.WriteLine("ran " + string.Join(", ", targets.Select(t => t.Name)));
        }
    }

    /// <summary>Writes the run's Chrome trace to <paramref name="path"/> and its per-op-type summary to <paramref name="errors"/>.</summary>
    private static void WriteTrace(string path, TensorGraph.Proto.RunMetadata metadata, TextWriter errors)
    {
        var stats = metadata.StepStats ?? new TensorGraph.Proto.StepStats();
        File.WriteAllText(path, new Timeline(stats).GenerateChromeTraceFormat());
        errors.Write(Timeline.OpTypeSummary(stats));
        errors.WriteLine($"trace written to {path}");
    }

    /// <summary>
    /// Rejects fetches whose <c>.npy</c> files would have the same name (<c>a/b:0</c> and
    /// <c>a_b:0</c>), naming both as typed. The same tensor fetched twice is one file.
    /// </summary>
    private static void CheckFileNames(IReadOnlyList<string> fetchNames, IReadOnlyList<string> typedNames)
    {
        // Case-insensitive file systems would merge names differing only by case.
        var comparer = OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;
        var seen = new Dictionary<string, int>(comparer);
        for (int i = 0; i < fetchNames.Count; i++)
        {
            var file = FileNameFor(fetchNames[i]) + ".npy";
            if (!seen.TryAdd(file, i) && !string.Equals(fetchNames[seen[file]], fetchNames[i], StringComparison.Ordinal))
                throw new CliException(ExitCode.Usage,
                    $"--fetch {typedNames[seen[file]]} and --fetch {typedNames[i]} would both be written to {file} in --out; fetch one of them");
        }
    }

    /// <summary>The name staging folders inside an existing <c>--out</c> folder start with.</summary>
    internal const string StagingName = ".tensorgraph-out";

    /// <summary>
    /// Writes each fetched tensor to <c>dir/&lt;name&gt;.npy</c>, all or nothing: the files go to a
    /// staging folder (named like a temporary file, with the process id) that becomes
    /// <paramref name="dir"/> by a rename when it does not exist yet (the staging folder is then
    /// its sibling), or, when it does, is inside it (<c>.tensorgraph-out.tmp-…</c>) and whose
    /// files are moved into it. A failure removes the staging folder, and a later run removes the
    /// staging folders of runs that were killed.
    /// </summary>
    private static void WriteOutputs(string dir, IReadOnlyList<string> fetchNames, IReadOnlyList<Tensor> values)
    {
        var full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        Models.Read(dir, () =>
        {
            if (File.Exists(full)) throw new IOException($"--out {dir}: a file, not a folder");
            var parent = Path.GetDirectoryName(full);
            if (parent is not null) Directory.CreateDirectory(parent);
            var inside = Path.Combine(full, StagingName);
            AtomicFile.CleanStaleTemps(full);
            AtomicFile.CleanStaleTemps(inside);
            bool exists = Directory.Exists(full);
            var staging = AtomicFile.TempPathFor(exists ? inside : full);
            try
            {
                Directory.CreateDirectory(staging);
                var names = new List<string>();
                for (int i = 0; i < values.Count; i++)
                {
                    var name = FileNameFor(fetchNames[i]) + ".npy";
                    if (names.Contains(name, StringComparer.Ordinal)) continue;
                    names.Add(name);
                    File.WriteAllBytes(Path.Combine(staging, name), Npy.ToBytes(values[i]));
                }
                if (!exists)
                {
                    Directory.Move(staging, full);
                    return 0;
                }
                MoveInto(staging, full, names);
            }
            finally
            {
                DeleteQuietly(staging);
            }
            return 0;
        });
    }

    /// <summary>
    /// Moves the staged files into the existing folder <paramref name="dir"/>; the files they
    /// replace are kept in the staging folder until all are in, and put back if a move fails.
    /// </summary>
    private static void MoveInto(string staging, string dir, IReadOnlyList<string> names)
    {
        var backups = Path.Combine(staging, "replaced");
        Directory.CreateDirectory(backups);
        var done = new List<(string Target, string? Backup)>();
        try
        {
            foreach (var name in names)
            {
                var target = Path.Combine(dir, name);
                string? backup = null;
                if (File.Exists(target))
                {
                    backup = Path.Combine(backups, name);
                    File.Move(target, backup);
                }
                done.Add((target, backup));
                File.Move(Path.Combine(staging, name), target);
            }
        }
        catch
        {
            for (int i = done.Count - 1; i >= 0; i--)
            {
                var (target, backup) = done[i];
                try
                {
                    if (File.Exists(target) && (backup is null || File.Exists(backup))) File.Delete(target);
                    if (backup is not null && File.Exists(backup)) File.Move(backup, target);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Best effort: the original error is the one reported.
                }
            }
            throw;
        }
    }

    private static void DeleteQuietly(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next run's stale-folder cleanup.
        }
    }

    /// <summary>The <c>.npy</c> file name (without extension) for a fetch: '/' and ':' become '_'.</summary>
    public static string FileNameFor(string fetchName)
    {
        ArgumentNullException.ThrowIfNull(fetchName);
        return fetchName.Replace('/', '_').Replace(':', '_');
    }

    /// <summary>The tensor <paramref name="name"/> (<c>op</c> or <c>op:k</c>) of <paramref name="graph"/>; an error names the option <paramref name="what"/>.</summary>
    internal static Output ResolveTensor(Graph graph, string name, string what)
    {
        var full = name.Contains(':', StringComparison.Ordinal) ? name : name + ":0";
        var opName = full[..full.LastIndexOf(':')];
        var op = graph.TryGetOperation(opName) ?? throw new CliException($"{what} {name}: the graph has no node '{opName}'");
        if (!int.TryParse(full.AsSpan(full.LastIndexOf(':') + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int k) || k >= op.NumOutputs)
            throw new CliException($"{what} {name}: '{opName}' ({op.Type}) has {op.NumOutputs} output(s)");
        return op[k];
    }

    /// <summary>Parses a feed value: <c>@file.npy</c>, or a JSON literal converted to <paramref name="dtype"/>.</summary>
    public static Tensor ParseValue(string text, DType dtype, string name = "value")
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith('@'))
        {
            var path = text[1..];
            var t = Models.Read(path, () => Npy.Read(path));
            if (t.DType != dtype && dtype != DType.Invalid)
                throw new CliException($"{path}: holds {t.DType.Name()}, but '{name}' takes {dtype.Name()}");
            return t;
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new CliException($"--feed {name}: '{text}' is not a JSON value ({e.Message.ReplaceLineEndings(" ")})", e);
        }
        using (doc)
        {
            var dims = new List<int>();
            var e = doc.RootElement;
            while (e.ValueKind == JsonValueKind.Array)
            {
                dims.Add(e.GetArrayLength());
                if (e.GetArrayLength() == 0) break;
                e = e[0];
            }
            var leaves = new List<JsonElement>();
            Collect(doc.RootElement, 0, dims, leaves, name);
            var d = dims.ToArray();
            try
            {
                return FromLeaves(leaves, d, dtype, name);
            }
            catch (OverflowException ex)
            {
                throw new CliException($"--feed {name}: a value is out of the range of {dtype.Name()}", ex);
            }
        }
    }

    private static Tensor FromLeaves(List<JsonElement> leaves, int[] d, DType dtype, string name) =>
        dtype switch
        {
            DType.Float32 => Tensor.Create(leaves.Select(l => (float)Num(l, name)).ToArray(), d),
            DType.Float64 => Tensor.Create(leaves.Select(l => Num(l, name)).ToArray(), d),
            DType.Int32 => Tensor.Create(leaves.Select(l => checked((int)Int(l, name))).ToArray(), d),
            DType.Int64 => Tensor.Create(leaves.Select(l => Int(l, name)).ToArray(), d),
            DType.Int16 => Tensor.Create(leaves.Select(l => checked((short)Int(l, name))).ToArray(), d),
            DType.Int8 => Tensor.Create(leaves.Select(l => checked((sbyte)Int(l, name))).ToArray(), d),
            DType.UInt8 => Tensor.Create(leaves.Select(l => checked((byte)Int(l, name))).ToArray(), d),
            DType.UInt16 => Tensor.Create(leaves.Select(l => checked((ushort)Int(l, name))).ToArray(), d),
            DType.Bool => Tensor.Create(leaves.Select(l => l.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new CliException($"--feed {name}: expected true/false, got {l.GetRawText()}"),
            }).ToArray(), d),
            DType.String => Tensor.Create(leaves.Select(l => l.ValueKind == JsonValueKind.String
                ? Encoding.UTF8.GetBytes(l.GetString()!) : throw new CliException($"--feed {name}: expected a string, got {l.GetRawText()}")).ToArray(), d),
            _ => throw new CliException($"--feed {name}: cannot feed dtype {dtype.Name()} from JSON"),
        };

    private static void Collect(JsonElement e, int depth, List<int> dims, List<JsonElement> leaves, string name)
    {
        if (depth == dims.Count)
        {
            if (e.ValueKind is JsonValueKind.Array or JsonValueKind.Object or JsonValueKind.Null)
                throw new CliException($"--feed {name}: the JSON value is not a rectangular array of numbers/strings/booleans");
            leaves.Add(e);
            return;
        }
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != dims[depth])
            throw new CliException($"--feed {name}: the JSON array is ragged (expected {dims[depth]} elements at depth {depth})");
        foreach (var c in e.EnumerateArray()) Collect(c, depth + 1, dims, leaves, name);
    }

    private static double Num(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Number ? e.GetDouble()
        : e.ValueKind == JsonValueKind.String && double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
        : throw new CliException($"--feed {name}: expected a number, got {e.GetRawText()}");

    private static long Int(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var v) ? v
        : throw new CliException($"--feed {name}: expected an integer, got {e.GetRawText()}");

    /// <summary>The fetched tensors as JSON: <c>{"name": {"dtype": …, "shape": […], "values": […]}}</c>, values flattened in C order.</summary>
    public static string ToJson(IReadOnlyList<string> names, IReadOnlyList<Tensor> values)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(values);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            for (int i = 0; i < names.Count; i++)
            {
                var t = values[i];
                w.WriteStartObject(names[i]);
                w.WriteString("dtype", t.DType.Name());
                w.WriteStartArray("shape");
                foreach (var d in t.Dims) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("values");
                WriteValues(w, t);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteValues(Utf8JsonWriter w, Tensor t)
    {
        switch (t.DType)
        {
            case DType.Float32:
                foreach (var v in t.AsSpan<float>())
                {
                    if (float.IsFinite(v)) w.WriteNumberValue(v);
                    else w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
                }
                break;
            case DType.Float64:
                foreach (var v in t.AsSpan<double>())
                {
                    if (double.IsFinite(v)) w.WriteNumberValue(v);
                    else w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
                }
                break;
            case DType.Int32: foreach (var v in t.AsSpan<int>()) w.WriteNumberValue(v); break;
            case DType.Int64: foreach (var v in t.AsSpan<long>()) w.WriteNumberValue(v); break;
            case DType.Int16: foreach (var v in t.AsSpan<short>()) w.WriteNumberValue(v); break;
            case DType.Int8: foreach (var v in t.AsSpan<sbyte>()) w.WriteNumberValue(v); break;
            case DType.UInt8: foreach (var v in t.AsSpan<byte>()) w.WriteNumberValue(v); break;
            case DType.UInt16: foreach (var v in t.AsSpan<ushort>()) w.WriteNumberValue(v); break;
            case DType.Bool: foreach (var v in t.AsSpan<bool>()) w.WriteBooleanValue(v); break;
            case DType.String: foreach (var v in t.ToArray<string>()) w.WriteStringValue(v); break;
            default: break;
        }
    }
}
