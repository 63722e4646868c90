using System.Globalization;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Cli;

/// <summary>The <c>convert</c>, <c>freeze</c>, <c>events</c>, <c>ckpt</c> and <c>ops</c> commands.</summary>
public static class Commands
{
    /// <summary>Converts a GraphDef (or, for <c>.meta</c> names, a MetaGraphDef) between binary and text by extension.</summary>
    public static void Convert(string input, string output, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(stdout);
        if (!File.Exists(input)) throw new CliException(ExitCode.Io, $"{input}: no such file");
        bool meta = IsMeta(input) || IsMeta(output);
        Google.Protobuf.IMessage message = meta
            ? Models.Read(input, () => ProtoFiles.Read<MetaGraphDef>(input))
            : Models.Read(input, () => ProtoFiles.Read<GraphDef>(input));
        Models.Read(output, () =>
        {
            ProtoFiles.Write(output, message);
            return 0;
        });
        stdout.WriteLine($"wrote {output} ({(ProtoFiles.IsTextPath(output) ? "text" : "binary")} {(meta ? "MetaGraphDef" : "GraphDef")})");
    }

    private static bool IsMeta(string path) =>
        path.EndsWith(".meta", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".meta.pbtxt", StringComparison.OrdinalIgnoreCase);

    /// <summary>Freezes a model: variables (from the checkpoint or the SavedModel) become constants, pruned to <paramref name="outputs"/>.</summary>
    public static void Freeze(string model, string? checkpoint, string outputs, string output, string tags, TextWriter stdout, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(stdout);
        using var loaded = Models.Load(model, tags, checkpoint, strict);
        var names = outputs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var def = Models.Read(model, () => FreezeGraph.Freeze(loaded.Graph, loaded.Session, names));
        Models.Read(output, () =>
        {
            ProtoFiles.Write(output, def);
            return 0;
        });
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {output}: {def.Node.Count} nodes, {def.Node.Count(n => n.Op == "Const")} constants"));
    }

    /// <summary>
    /// Lists the scalar summaries of an event file, grouped by tag, by step; tensor summaries
    /// that are not scalars are listed by dtype and shape. Records are streamed one at a time and
    /// summary tensors are never decoded beyond one value, so a small file cannot claim a huge
    /// tensor's worth of memory.
    /// </summary>
    public static void Events(string path, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(stdout);
        if (!File.Exists(path)) throw new CliException(ExitCode.Io, $"{path}: no such file");
        var scalars = new SortedDictionary<string, List<(long Step, double Value)>>(StringComparer.Ordinal);
        var tensors = new SortedDictionary<string, List<(long Step, string What)>>(StringComparer.Ordinal);
        int graphs = 0, metas = 0, others = 0;
        long count = 0;
        string version = "";
        Models.Read(path, () =>
        {
            foreach (var e in EventFileReader.ReadEvents(path))
            {
                count++;
                switch (e.WhatCase)
                {
                    case Event.WhatOneofCase.FileVersion: version = e.FileVersion; break;
                    case Event.WhatOneofCase.GraphDef: graphs++; break;
                    case Event.WhatOneofCase.MetaGraphDef: metas++; break;
                    case Event.WhatOneofCase.Summary:
                        foreach (var v in e.Summary.Value)
                        {
                            double? x = null;
                            if (v.ValueCase == Summary.Types.Value.ValueOneofCase.SimpleValue) x = v.SimpleValue;
                            else if (v.ValueCase == Summary.Types.Value.ValueOneofCase.Tensor)
                            {
                                x = ScalarOf(v.Tensor, out var described);
                                if (x is null && described is not null)
                                {
                                    if (!tensors.TryGetValue(v.Tag, out var tl)) tensors[v.Tag] = tl = [];
                                    tl.Add((e.Step, described));
                                    continue;
                                }
                            }
                            if (x is null) { others++; continue; }
                            if (!scalars.TryGetValue(v.Tag, out var l)) scalars[v.Tag] = l = [];
                            l.Add((e.Step, x.Value));
                        }
                        break;
                    default: others++; break;
                }
            }
            return 0;
        });
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{path}: {count} events{(version.Length > 0 ? $", {version}" : "")}, {graphs} graph_def, {metas} meta_graph_def, {scalars.Sum(s => s.Value.Count)} scalars, {tensors.Sum(s => s.Value.Count)} tensors, {others} other"));
        foreach (var (tag, points) in scalars)
        {
            stdout.WriteLine(tag);
            foreach (var (step, value) in points)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  step {step,8}  {value:G7}"));
        }
        foreach (var (tag, points) in tensors)
        {
            stdout.WriteLine(tag);
            foreach (var (step, what) in points)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  step {step,8}  {what}"));
        }
    }

    /// <summary>
    /// The value of a one-element numeric tensor summary. Anything else is not decoded: a valid
    /// dtype and shape come back as a description (<c>float32 (20000, 20000)</c>), an invalid
    /// proto as null.
    /// </summary>
    private static double? ScalarOf(TensorProto p, out string? described)
    {
        described = null;
        try
        {
            var dtype = (DType)(int)p.Dtype; // DType uses TF's DataType numbers
            if (!Enum.IsDefined(dtype)) return null;
            var shape = Shape.FromProto(p.TensorShape ?? new TensorShapeProto());
            if (!shape.IsFullyDefined) return null;
            if (shape.NumElements != 1)
            {
                described = $"{dtype.Name()} {shape}";
                return null;
            }
            var t = TensorProtos.FromProto(p);
            return t.DType switch
            {
                DType.Float32 => t.ToArray<float>()[0],
                DType.Float64 => t.ToArray<double>()[0],
                DType.Int32 => t.ToArray<int>()[0],
                DType.Int64 => t.ToArray<long>()[0],
                _ => null,
            };
        }
        catch (TensorGraphException)
        {
            return null;
        }
    }

    /// <summary>Lists the tensors of a checkpoint with dtype and shape.</summary>
    public static void Ckpt(string input, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var prefix = Models.ResolveCheckpoint(input);
        using var reader = Models.Read(prefix + ".index", () => new CheckpointReader(prefix));
        var infos = Models.Read(prefix + ".index", () => reader.Tensors);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prefix}: {infos.Count} tensors"));
        foreach (var t in infos)
        {
            var dtype = t.DType == DType.Invalid ? t.ProtoDType.ToString() : t.DType.Name();
            stdout.WriteLine($"  {t.Name,-40} {dtype,-8} {t.Shape}");
        }
    }

    /// <summary>
    /// Prints the OpList of <paramref name="opTypes"/> (every registered op when empty) in
    /// TensorFlow's text format; an op type that is not registered is a usage error.
    /// </summary>
    public static void Ops(IReadOnlyList<string> opTypes, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(opTypes);
        ArgumentNullException.ThrowIfNull(stdout);
        OpList list;
        if (opTypes.Count == 0) list = OpCatalog.ToOpList();
        else
        {
            list = new OpList();
            foreach (var type in opTypes)
                list.Op.Add(OpCatalog.TryGetOpDef(type, out var def) ? def
                    : throw new CliException(ExitCode.Usage, $"op type '{type}' is not registered (see 'tensorgraph ops' for the list)"));
        }
        stdout.Write(TextFormat.Print(list));
    }
}
