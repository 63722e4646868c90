using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using TensorGraph.Proto;
using TensorGraph.Serialization;
using TensorGraph.Training;

namespace TensorGraph.Fuzz;

/// <summary>The readers under test, by name.</summary>
internal static class Targets
{
    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        new GraphDefTarget(), new PbtxtTarget(), new MetaGraphTarget(), new SavedModelTarget(),
        new CheckpointTarget(), new EventsTarget(), new NpyTarget(), new IdxTarget(),
    ];

    public static FuzzTarget Get(string name) =>
        All.FirstOrDefault(t => t.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown reader '{name}'; readers: {string.Join(", ", All.Select(t => t.Name))}");
}

/// <summary>Base for readers of one protobuf message: structure-aware mutation of the parsed message.</summary>
internal abstract class ProtoTarget<T> : FuzzTarget where T : class, IMessage<T>, new()
{
    private readonly ConditionalWeakTable<byte[], T?> _parsed = [];

    protected override byte[]? StructureMutate(FuzzInput seed, int part, Rng rng)
    {
        if (part != ProtoPart) return null;
        var msg = _parsed.GetValue(seed.Parts[part], b =>
        {
            try
            {
                var m = new T();
                m.MergeFrom(b);
                return m;
            }
            catch (InvalidProtocolBufferException)
            {
                return null;
            }
        });
        if (msg is null) return null;
        var copy = msg.Clone();
        ProtoMutator.Mutate(copy, rng);
        return copy.ToByteArray();
    }

    protected virtual int ProtoPart => 0;

    public override IEnumerable<byte[]> ShrinkCandidates(byte[] part, int index) =>
        index == ProtoPart ? ProtoShrinker.Candidates<T>(part) : [];
}

/// <summary>Binary GraphDef (<c>Graph.Load</c> of a .pb), then export and re-import of the result.</summary>
internal sealed class GraphDefTarget : ProtoTarget<GraphDef>
{
    public override string Name => "graphdef";
    public override string Extension => ".pb";

    public override IReadOnlyList<FuzzInput> Seeds(string? fixtures, string scratch)
    {
        var s = new List<FuzzInput>();
        foreach (var f in new[]
        {
            "tensorflow.cr_examples/graph.pb", "tfrust/examples/addition/model.pb", "tfrust/tensorflow-sys/examples/assets/multiplication.pb",
            "tfrust/examples/regression/model.pb", "tfrust/examples/regression_checkpoint/model.pb", "tf2onnx/tests/models/regression/graphdef/frozen.pb",
            "mltestdata/Microsoft.ML.TensorFlow.TestModels/model_matmul/frozen_saved_model.pb",
        }) AddFixture(s, fixtures, f);
        s.AddRange(SeedFiles.GraphDefs().Select(d => new FuzzInput(d.ToByteArray())));
        return s;
    }

    public override void Execute(FuzzInput input, string scratch)
    {
        var path = FileIn(scratch, "graph.pb");
        Write(path, input.Parts[0]);
        var g = Graph.Load(path);
        var def = g.ToGraphDef();
        Graph.FromGraphDef(GraphDef.Parser.ParseFrom(def.ToByteArray()));
    }
}

/// <summary>
/// Protobuf text format (<c>Graph.Load</c> of a .pbtxt), then print → parse of the imported graph's
/// GraphDef, which must give the same message back.
/// </summary>
internal sealed class PbtxtTarget : FuzzTarget
{
    private readonly ConditionalWeakTable<byte[], GraphDef?> _parsed = [];

    public override string Name => "pbtxt";
    public override string Extension => ".pbtxt";

    public override IReadOnlyList<FuzzInput> Seeds(string? fixtures, string scratch)
    {
        var s = new List<FuzzInput>();
        AddFixture(s, fixtures, "tensorflow.cr_examples/graph.pbtxt");
        foreach (var d in SeedFiles.GraphDefs()) s.Add(new FuzzInput(System.Text.Encoding.UTF8.GetBytes(TextFormat.Print(d))));
        return s;
    }

    protected override byte[]? StructureMutate(FuzzInput seed, int part, Rng rng)
    {
        var msg = _parsed.GetValue(seed.Parts[0], b =>
        {
            try
            {
                return TextFormat.Parse<GraphDef>(System.Text.Encoding.UTF8.GetString(b));
            }
            catch (TensorGraphException)
            {
                return null;
            }
        });
        if (msg is null) return null;
        var copy = msg.Clone();
        ProtoMutator.Mutate(copy, rng);
        return System.Text.Encoding.UTF8.GetBytes(TextFormat.Print(copy));
    }

    public override void Execute(FuzzInput input, string scratch)
    {
        var path = FileIn(scratch, "graph.pbtxt");
        Write(path, input.Parts[0]);
        var g = Graph.Load(path);
        var def = g.ToGraphDef();
        var text = TextFormat.Print(def);
        var back = TextFormat.Parse<GraphDef>(text);
        if (!back.Equals(def)) throw new RoundTripException("TextFormat.Parse(TextFormat.Print(def)) differs from def");
    }
}

/// <summary>A harness-side oracle failure (a value does not survive a round trip).</summary>
internal sealed class RoundTripException(string message) : Exception(message);

/// <summary>MetaGraphDef (<c>Saver.ImportMetaGraph</c> of a .meta), then export with collections.</summary>
internal sealed class MetaGraphTarget : ProtoTarget<MetaGraphDef>
{
    public override string Name => "meta";
    public override string Extension => ".meta";

    public override IReadOnlyList<FuzzInput> Seeds(string? fixtures, string scratch)
    {
        var s = new List<FuzzInput>();
        AddFixture(s, fixtures, "tfnet/graph/cond_test.meta");
        AddFixture(s, fixtures, "tfnet/graph/xor.meta");
        AddFixture(s, fixtures, "serving/servables/tensorflow/testdata/bad_half_plus_two/00000123/export.meta");
        s.AddRange(SeedFiles.Graphs().Select(g => new FuzzInput(g.ToMetaGraphDef(null, "serve").ToByteArray())));
        return s;
    }

    public override void Execute(FuzzInput input, string scratch)
    {
        var path = FileIn(scratch, "model.meta");
        Write(path, input.Parts[0]);
        var g = new Graph();
        Saver.ImportMetaGraph(g, path);
        g.ToMetaGraphDef().ToByteArray();
    }
}

/// <summary>
/// SavedModel directory: parts saved_model.pb, variables/variables.index and
/// variables/variables.data-00000-of-00001 (an empty index part means "no variables folder").
/// Loads with the first meta graph's tags (restoring variables, running the init op) and resolves every signature.
/// </summary>
internal sealed class SavedModelTarget : ProtoTarget<SavedModel>
{
    public override string Name => "savedmodel";
    public override int Parts => 3;
    public override string Extension => ".case";

    public override IReadOnlyList<FuzzInput> Seeds(string? fixtures, string scratch)
    {
        var s = new List<FuzzInput>();
        foreach (var d in new[]
        {
            "serving/servables/tensorflow/testdata/saved_model_half_plus_two_cpu/00000123",
            "serving/servables/tensorflow/testdata/saved_model_counter/00000123",
            "tfrust/test_resources/regression-model",
            "tf2onnx/tests/models/regression/saved_model",
        }) AddFixture(s, fixtures, d + "/saved_model.pb", d + "/variables/variables.index", d + "/variables/variables.data-00000-of-00001");
        if (fixtures is not null && File.Exists(Path.Combine(fixtures, "serving/batching/testdata/matrix_half_plus_two/1/saved_model.pb")))
            s.Add(new FuzzInput(File.ReadAllBytes(Path.Combine(fixtures, "serving/batching/testdata/matrix_half_plus_two/1/saved_model.pb")), [], []));
        var (sm, index, data) = SeedFiles.SavedModel(scratch);
        s.Add(new FuzzInput(sm, index, data));
        return s;
    }

    protected override byte[]? StructureMutate(FuzzInput seed, int part, Rng rng) =>
        part == 0 ? base.StructureMutate(seed, part, rng) : CheckpointTarget.StructureMutateBundle(seed.Parts[1], seed.Parts[2], part - 1, rng);

    public override void Execute(FuzzInput input, string scratch)
    {
        var dir = FileIn(scratch, "saved_model");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Write(Path.Combine(dir, "saved_model.pb"), input.Parts[0]);
        if (input.Parts[1].Length > 0)
        {
            Write(Path.Combine(dir, "variables", "variables.index"), input.Parts[1]);
            Write(Path.Combine(dir, "variables", "variables.data-00000-of-00001"), input.Parts[2]);
        }
        var proto = SavedModelBundle.ReadProto(dir);
        var tags = proto.MetaGraphs.Count > 0 ? proto.MetaGraphs[0].MetaInfoDef?.Tags.ToArray() ?? [] : [];
        using var bundle = SavedModelBundle.Load(dir, tags.Length > 0 ? tags : ["serve"]);
        foreach (var key in bundle.SignatureDefs.Keys) bundle.GetSignature(key);
    }
}

/// <summary>V2 checkpoint: parts prefix.index and prefix.data-00000-of-00001; lists and reads every tensor.</summary>
internal sealed class CheckpointTarget : FuzzTarget
{
    public override string Name => "checkpoint";
    public override int Parts => 2;
    public override string Extension => ".case";

    public override IReadOnlyList<FuzzInput> Seeds(string? fixtures, string scratch)
    {
        var s = new List<FuzzInput>();
        foreach (var p in new[]
        {
            "serving/servables/tensorflow/testdata/saved_model_half_plus_two_cpu/00000123/variables/variables", // snappy-compressed index
            "serving/servables/tensorflow/testdata/saved_model_half_plus_two_2_versions/00000123/variables/variables",
            "serving/servables/tensorflow/testdata/saved_model_half_plus_two_mkl/00000123/variables/variables",
            "serving/servables/tensorflow/testdata/saved_model_half_plus_two_tf2_cpu/00000123/variables/variables",
            "tf2onnx/tests/models/regression/checkpoint/model",
            "tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/simple_model_from_auto_compile/variables/variables",
        }) AddFixture(s, fixtures, p + ".index", p + ".data-00000-of-00001");
        s.AddRange(SeedFiles.Checkpoints(scratch).Select(c => new FuzzInput(c.Index, c.Data)));
        return s;
    }

    protected override byte[]? StructureMutate(FuzzInput seed, int part, Rng rng) => StructureMutateBundle(seed.Parts[0], seed.Parts[1], part, rng);

    /// <summary>
    /// Rewrites the index table with one entry's proto mutated (or entries dropped/duplicated), or
    /// mutates the data shard and fixes the stored checksums so the decoding behind them is reached.
    /// </summary>
    public static byte[]? StructureMutateBundle(byte[] index, byte[] data, int part, Rng rng)
    {
        IReadOnlyList<KeyValuePair<byte[], byte[]>> entries;
        try
        {
            entries = TableReader.ReadAll(index, "seed");
        }
        catch (TensorGraphException)
        {
            return null;
        }
        if (entries.Count == 0) return null;
        var list = entries.Select(kv => (Key: kv.Key, Value: kv.Value)).ToList();
        if (part == 1)
        {
            // Data mutation is done by the byte mutator; here: mutate values in place and re-checksum.
            return null;
        }
        int i = rng.Next(list.Count);
        switch (rng.Next(6))
        {
            case 0:
                list.RemoveAt(i);
                break;
            case 1: // re-checksum every numeric entry against the (possibly mutated) data
                FixChecksums(list, data);
                break;
            default:
                {
                    IMessage m;
                    try
                    {
                        m = i == 0 ? BundleHeaderProto.Parser.ParseFrom(list[i].Value) : BundleEntryProto.Parser.ParseFrom(list[i].Value);
                    }
                    catch (InvalidProtocolBufferException)
                    {
                        return null;
                    }
                    ProtoMutator.Mutate(m, rng);
                    list[i] = (list[i].Key, m.ToByteArray());
                    break;
                }
        }
        var ms = new MemoryStream();
        var w = new TableWriter(ms);
        foreach (var (k, v) in list) w.Add(k, v);
        w.Finish();
        return ms.ToArray();
    }

    private static void FixChecksums(List<(byte[] Key, byte[] Value)> list, byte[] data)
    {
        for (int k = 1; k < list.Count; k++)
        {
            try
            {
                var e = BundleEntryProto.Parser.ParseFrom(list[k].Value);
                if (e.Offset >= 0 && e.Size >= 0 && e.Offset <= data.Length && e.Size <= data.Length - e.Offset)
                {
                    e.Crc32C = Crc32C.Masked(data.AsSpan((int)e.Offset, (int)e.Size));
                    list[k] = (list[k].Key, e.ToByteArray());
                }
            }
            catch (InvalidProtocolBufferException)
            {
            }
        }
    }

    private static byte[]? WithFixedChecksums(byte[] index, byte[] data)
    {
        try
        {
            var list = TableReader.ReadAll(index, "case").Select(kv => (Key: kv.Key, Value: kv.Value)).ToList();
            FixChecksums(list, data);
            var ms = new MemoryStream();
            var w = new TableWriter(ms);
            foreach (var (k, v) in list) w.Add(k, v);
            w.Finish();
            return ms.ToArray();
        }
        catch (TensorGraphException)
        {
            return null;
        }
    }

    public override FuzzInput Mutate(IReadOnlyList<FuzzInput> corpus, Rng rng)
    {
        var m = base.Mutate(corpus, rng);
        // Often fix the checksums after a data mutation, so corrupt values reach the decoders.
        if (rng.OneIn(3) && WithFixedChecksums(m.Parts[0], m.Parts[1]) is { } fixedIndex) m = m.With(0, fixedIndex);
        return m;
    }

    public override void Execute(FuzzInput input, string scratch)
    {
        var prefix = FileIn(scratch, "model.ckpt");
        Write(CheckpointFiles.IndexFile(prefix), input.Parts[0]);
        Write(CheckpointFiles.DataFile(prefix, 0, 1), input.Parts[1]);
        using var reader = new CheckpointReader(prefix);
        TensorGraphException? first = null;
        foreach (var name in reader.TensorNames)
        {
            try
            {
                reader.GetInfo(name);
                reader.GetTensor(name);
            }
            catch (TensorGraphException e)
            {
                first ??= e;
            }
        }
        if (first is not null) throw first;
    }
}

/// <summary>TFRecord event files: every event, every summary value decoded (tensors, histograms), embedded graphs imported.</summary>
internal sealed class EventsTarget : FuzzTarget
{
    public override string Name => "events";
    public override string Extension => ".tfevents";

    public override IReadOnlyList<FuzzInput> Seeds(string? fixtures, string scratch)
    {
        var s = new List<FuzzInput>();
        AddFixture(s, fixtures, "tensorboard/tensorboard/plugins/profile/end_2_end.tfevents");
        AddFixture(s, fixtures, "tfrust/test_resources/io/expected.tfrecord");
        if (fixtures is not null)
        {
            var test = Path.Combine(fixtures, "tensorboard/log_tayo/test");
            if (Directory.Exists(test))
                foreach (var f in Directory.GetFiles(test).Order(StringComparer.Ordinal).Take(1)) s.Add(new FuzzInput(File.ReadAllBytes(f)));
        }
        s.Add(new FuzzInput(SeedFiles.EventFile()));
        return s;
    }

    /// <summary>The records of a TFRecord byte string (framing only, checksums ignored); null when it does not frame.</summary>
    public static List<byte[]>? SplitRecords(byte[] file)
    {
        var r = new List<byte[]>();
        int pos = 0;
        while (pos < file.Length)
        {
            if (file.Length - pos < 16) return null;
            ulong len = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(pos));
            if (len > (ulong)(file.Length - pos - 16)) return null;
            r.Add(file.AsSpan(pos + 12, (int)len).ToArray());
            pos += 16 + (int)len;
        }
        return r;
    }

    public static byte[] JoinRecords(IEnumerable<byte[]> records)
    {
        var ms = new MemoryStream();
        var w = new RecordWriter(ms);
        foreach (var rec in records) w.Write(rec);
        return ms.ToArray();
    }

    protected override byte[]? StructureMutate(FuzzInput seed, int part, Rng rng)
    {
        var records = SplitRecords(seed.Parts[0]);
        if (records is null || records.Count == 0) return null;
        int i = rng.Next(records.Count);
        switch (rng.Next(4))
        {
            case 0: // corrupt the payload but keep the framing valid
                records[i] = ByteMutator.Mutate(records[i], rng, rng.Pick(records));
                break;
            case 1:
                records.Insert(rng.Next(records.Count + 1), records[i]);
                break;
            default:
                try
                {
                    var e = Event.Parser.ParseFrom(records[i]);
                    ProtoMutator.Mutate(e, rng);
                    records[i] = e.ToByteArray();
                }
                catch (InvalidProtocolBufferException)
                {
                    return null;
                }
                break;
        }
        return JoinRecords(records);
    }

    public override void Execute(FuzzInput input, string scratch)
    {
        var path = FileIn(scratch, "events.out.tfevents.0.fuzz");
        Write(path, input.Parts[0]);
        foreach (var e in EventFileReader.ReadEvents(path))
        {
            switch (e.WhatCase)
            {
                case Event.WhatOneofCase.Summary:
                    foreach (var v in e.Summary.Value)
                    {
                        if (v.ValueCase == Summary.Types.Value.ValueOneofCase.Tensor) TryTyped(() => TensorProtos.FromProto(v.Tensor));
                        else if (v.ValueCase == Summary.Types.Value.ValueOneofCase.Histo) _ = v.Histo.BucketLimit.Zip(v.Histo.Bucket).Count();
                    }
                    break;
                case Event.WhatOneofCase.GraphDef:
                    TryTyped(() => Graph.FromGraphDef(ProtoFiles.ParseBinary<GraphDef>(e.GraphDef.ToByteArray(), path)));
                    break;
                case Event.WhatOneofCase.MetaGraphDef:
                    TryTyped(() => Graph.FromMetaGraphDef(ProtoFiles.ParseBinary<MetaGraphDef>(e.MetaGraphDef.ToByteArray(), path)));
                    break;
            }
        }
    }

    // A bad embedded value is reported by a typed error; reading goes on with the next one, as TensorBoard does.
    private static void TryTyped(Action a)
    {
        try
        {
            a();
        }
        catch (TensorGraphException)
        {
        }
    }
}

/// <summary>NumPy .npy files (<c>Npy.Read</c>), with header-aware mutations of descr, shape and version.</summary>
internal sealed class NpyTarget : FuzzTarget
{
    private static readonly string[] Descrs = ["<f4", "<f8", "<i4", "<i8", "<i2", "<u2", "|i1", "|u1", "|b1", ">f4", "<c8", "<U3", "|O", "<f2", "", "<", "=i4"];

    public override string Name => "npy";
    public override string Extension => ".npy";

    public override IReadOnlyList<FuzzInput> Seeds(string? fixtures, string scratch)
    {
        var s = new List<FuzzInput>();
        AddFixture(s, fixtures, "tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/simple_model_from_auto_compile/bias0.npy");
        AddFixture(s, fixtures, "tfnet/test/TensorFlowNET.Keras.UnitTest/Assets/simple_model_from_auto_compile/kernel1.npy");
        AddFixture(s, fixtures, "tfnet/data/nb_example.npy");
        s.AddRange(SeedFiles.NpyFiles().Select(b => new FuzzInput(b)));
        return s;
    }

    protected override byte[]? StructureMutate(FuzzInput seed, int part, Rng rng)
    {
        var d = seed.Parts[0];
        if (d.Length < 10) return null;
        int headerStart = d[6] == 1 ? 10 : 12;
        int headerLen = d[6] == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(8)) : d.Length >= 12 ? (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(8)), int.MaxValue) : 0;
        if (headerStart + (long)headerLen > d.Length) return null;
        var body = d.AsSpan(headerStart + headerLen).ToArray();
        int rank = rng.Next(5);
        var dims = new string[rank];
        for (int i = 0; i < rank; i++)
            dims[i] = rng.OneIn(3) ? ByteMutator.Interesting(rng).ToString(System.Globalization.CultureInfo.InvariantCulture) : rng.Range(0, 8).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string shape = rank == 1 ? $"({dims[0]},)" : "(" + string.Join(", ", dims) + ")";
        string fortran = rng.OneIn(6) ? "True" : "False";
        var dict = $"{{'descr': '{rng.Pick(Descrs)}', 'fortran_order': {fortran}, 'shape': {shape}, }}";
        if (rng.OneIn(5)) dict = dict.Replace("'", "\"", StringComparison.Ordinal);
        var header = System.Text.Encoding.Latin1.GetBytes(dict + "\n");
        int major = rng.OneIn(4) ? rng.Range(1, 4) : 1;
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)header.Length));
        else ms.Write(BitConverter.GetBytes((uint)header.Length));
        ms.Write(header);
        ms.Write(body);
        return ms.ToArray();
    }

    public override void Execute(FuzzInput input, string scratch)
    {
        var path = FileIn(scratch, "array.npy");
        Write(path, input.Parts[0]);
        Npy.Read(path);
    }
}

/// <summary>IDX files, plain and gzip-compressed (<c>Idx.Read</c>); gzip cases are often mutated inside the compression.</summary>
internal sealed class IdxTarget : FuzzTarget
{
    public override string Name => "idx";
    public override string Extension => ".idx";

    public override IReadOnlyList<FuzzInput> Seeds(string? fixtures, string scratch)
    {
        var s = new List<FuzzInput>();
        foreach (var b in SeedFiles.IdxFiles())
        {
            s.Add(new FuzzInput(b));
            s.Add(new FuzzInput(SeedFiles.Gzip(b)));
        }
        return s;
    }

    protected override byte[]? StructureMutate(FuzzInput seed, int part, Rng rng)
    {
        var d = seed.Parts[0];
        bool gz = d.Length > 2 && d[0] == 0x1F && d[1] == 0x8B;
        var raw = gz ? SeedFiles.Gunzip(d) : d;
        if (raw is null || raw.Length < 4) return null;
        raw = (byte[])raw.Clone();
        if (rng.OneIn(2) && raw[3] > 0)
        {
            // A lying dimension, type code or rank in the header.
            switch (rng.Next(3))
            {
                case 0:
                    int dim = rng.Next(Math.Min((int)raw[3], (raw.Length - 4) / 4));
                    if (4 + dim * 4 + 4 <= raw.Length) BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4 + dim * 4), unchecked((int)ByteMutator.Interesting(rng)));
                    break;
                case 1:
                    raw[2] = rng.Pick<byte>([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x0A, 0x00, 0xFF]);
                    break;
                default:
                    raw[3] = (byte)rng.Pick([0, 1, 2, 3, 4, 16, 17, 255]);
                    break;
            }
        }
        else
        {
            raw = ByteMutator.Mutate(raw, rng, null);
        }
        return gz || rng.OneIn(4) ? SeedFiles.Gzip(raw) : raw;
    }

    public override void Execute(FuzzInput input, string scratch)
    {
        var path = FileIn(scratch, "data.idx");
        Write(path, input.Parts[0]);
        Data.Idx.Read(path);
    }
}
