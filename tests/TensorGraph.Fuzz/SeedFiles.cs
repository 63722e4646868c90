using Google.Protobuf;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Fuzz;

/// <summary>Small seed files written by TensorGraph itself (deterministic: no clocks, fixed values).</summary>
internal static class SeedFiles
{
    /// <summary>A few small graphs: dense layer with variables, a conditional, a while loop, strings and shapes.</summary>
    public static IReadOnlyList<Graph> Graphs()
    {
        var dense = new Graph();
        var x = dense.Placeholder(DType.Float32, new Shape(-1, 3), name: "x");
        var w = dense.Variable(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }, name: "w");
        var b = dense.Variable(new float[] { 0.5f, -0.5f }, name: "b");
        var y = dense.Softmax(dense.Relu(dense.MatMul(x, w) + b), name: "y");
        dense.Reshape(y, [-1], name: "flat");
        dense.GlobalVariablesInitializer();

        var cond = new Graph();
        var p = cond.Placeholder(DType.Float32, Shape.Scalar, name: "p");
        cond.Cond(cond.Less(p, cond.Constant(1f)), () => p * 2f, () => p + 3f, name: "cond");

        var loop = new Graph();
        var i0 = loop.Constant(0, name: "i0");
        loop.WhileLoop(i => loop.Less(i, loop.Constant(10)), i => i + 1, i0);

        var misc = new Graph();
        misc.Constant(new[] { "a", "bc", "" }, name: "s");
        var m = misc.Constant(new int[,] { { 1, 2, 3 }, { 4, 5, 6 } }, name: "m");
        misc.StridedSlice(m, [0, 1], [2, 3], name: "slice");
        misc.Concat([m, m], 0, name: "concat");
        misc.Constant(new double[] { 1.5, double.NaN, -0.0 }, name: "d");
        misc.Constant(new bool[] { true, false }, name: "bools");
        // Ops whose build-time inference reads constant inputs (shapes, axes, multiples, paddings):
        // the targeted mutations give those constants interesting values.
        var shapes = new Graph();
        var a = shapes.Placeholder(DType.Float32, new Shape(2, 3, 4), name: "a");
        var u = shapes.Placeholder(DType.Float32, Shape.Unknown, name: "u");
        shapes.Fill(shapes.Constant(new[] { 2, 3 }), shapes.Constant(1f), name: "fill");
        shapes.Reshape(a, shapes.Constant(new[] { 6, -1 }), name: "reshape");
        shapes.Tile(a, shapes.Constant(new[] { 1, 2, 1 }), name: "tile");
        shapes.Tile(u, shapes.Constant(new[] { 1, 2 }), name: "tile_u");
        shapes.Transpose(a, shapes.Constant(new[] { 2, 0, 1 }), name: "transpose");
        shapes.Slice(a, shapes.Constant(new[] { 0, 1, 0 }), shapes.Constant(new[] { 1, -1, 2 }), name: "slice");
        shapes.Pad(a, shapes.Constant(new int[,] { { 0, 1 }, { 1, 0 }, { 0, 0 } }), name: "pad");
        shapes.Concat([a, a], shapes.Constant(1), name: "concat");
        shapes.ExpandDims(a, shapes.Constant(-1), name: "expand");
        shapes.Gather(a, shapes.Constant(new[] { 0, 1 }), shapes.Constant(1), name: "gather");
        shapes.Split(a, shapes.Constant(2), 2, name: "split");
        shapes.OneHot(shapes.Constant(new[] { 0, 2 }), shapes.Constant(3), shapes.Constant(1f), shapes.Constant(0f), name: "onehot");
        shapes.Range(shapes.Constant(0), shapes.Constant(10), shapes.Constant(3), name: "range");
        shapes.BroadcastTo(shapes.Constant(1f), shapes.Constant(new[] { 2, 2 }), name: "broadcast");
        shapes.Zeros(shapes.Constant(new[] { 3, 1 }), name: "zeros");
        shapes.Reverse(a, shapes.Constant(new[] { 0 }), name: "reverse");
        shapes.StridedSlice(a, shapes.Constant(new[] { 0, 0 }), shapes.Constant(new[] { 2, -1 }), shapes.Constant(new[] { 1, 2 }), name: "strided");
        shapes.ReduceSum(a, [1], keepDims: true, name: "sum");
        shapes.Cumsum(a, shapes.Constant(2), name: "cumsum");
        shapes.ArgMax(a, shapes.Constant(1), name: "argmax");
        shapes.MaxPool(shapes.Placeholder(DType.Float32, new Shape(1, 4, 4, 1), name: "img"), [1, 2, 2, 1], [1, 2, 2, 1], "VALID", name: "pool");
        shapes.Squeeze(shapes.Placeholder(DType.Float32, new Shape(1, 3, 1), name: "sq"), [0], name: "squeeze");
        return [dense, cond, loop, misc, shapes];
    }

    public static IReadOnlyList<GraphDef> GraphDefs() => Graphs().Select(g => g.ToGraphDef()).ToArray();

    /// <summary>The dense graph as a SavedModel (tag serve, a serving_default signature) and its variables.</summary>
    public static (byte[] SavedModel, byte[] Index, byte[] Data) SavedModel(string scratch)
    {
        var g = Graphs()[0];
        var meta = g.ToMetaGraphDef(null, "serve");
        var sig = new SignatureDef { MethodName = "tensorflow/serving/predict" };
        sig.Inputs["x"] = new TensorInfo { Name = "x:0", Dtype = DataType.DtFloat };
        sig.Outputs["y"] = new TensorInfo { Name = "y:0", Dtype = DataType.DtFloat };
        meta.SignatureDef["serving_default"] = sig;
        var sm = new SavedModel { SavedModelSchemaVersion = 1 };
        sm.MetaGraphs.Add(meta);
        var (index, data) = Checkpoint(scratch, "sm", ("w", new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }), ("b", new float[] { 0.5f, -0.5f }));
        return (sm.ToByteArray(), index, data);
    }

    /// <summary>A one-shard V2 checkpoint written by <see cref="CheckpointWriter"/>: (index, data).</summary>
    public static (byte[] Index, byte[] Data) Checkpoint(string scratch, string name, params (string Name, Tensor Value)[] tensors)
    {
        Directory.CreateDirectory(scratch);
        var prefix = Path.Combine(scratch, name);
        using (var w = new CheckpointWriter(prefix))
        {
            foreach (var (n, v) in tensors) w.Add(n, v);
            w.Finish();
        }
        return (File.ReadAllBytes(CheckpointFiles.IndexFile(prefix)), File.ReadAllBytes(CheckpointFiles.DataFile(prefix, 0, 1)));
    }

    /// <summary>Checkpoints of every dtype the writer supports, strings included.</summary>
    public static IEnumerable<(byte[] Index, byte[] Data)> Checkpoints(string scratch)
    {
        yield return Checkpoint(scratch, "all",
            ("f32", new float[,] { { 1, 2 }, { 3, 4 } }), ("f64", new double[] { 1, -2 }), ("i32", new[] { 7, 8, 9 }),
            ("i64", new long[] { long.MaxValue }), ("b", new[] { true, false }), ("s", new[] { "hello", "", "world" }),
            ("scalar", 3f), ("u8", Tensor.Create(new byte[] { 1, 2, 3 }, 3)), ("i16", Tensor.Create(new short[] { -1, 1 }, 2)),
            ("empty", Tensor.Create(Array.Empty<float>(), 0, 4)));
        yield return Checkpoint(scratch, "strings", ("names", new[] { "a", "bb", "ccc", "dddd" }), ("global_step", 1000L));
    }

    /// <summary>An event file as FileWriter writes it: file_version, a graph, scalars, a histogram, a tensor summary.</summary>
    public static byte[] EventFile()
    {
        var ms = new MemoryStream();
        var rw = new RecordWriter(ms);
        void Add(Event e)
        {
            e.WallTime = 1.5e9;
            rw.Write(e.ToByteArray());
        }
        Add(new Event { FileVersion = "brain.Event:2" });
        Add(new Event { GraphDef = GraphDefs()[1].ToByteString() });
        var h = new Summaries.Histogram();
        foreach (var v in new[] { -1.0, 0, 0.5, 2, 1e6 }) h.Add(v);
        for (int step = 0; step < 3; step++)
        {
            var s = new Summary();
            s.Value.Add(new Summary.Types.Value { Tag = "loss", SimpleValue = 1f / (step + 1) });
            s.Value.Add(new Summary.Types.Value { Tag = "w", Histo = h.ToProto() });
            s.Value.Add(new Summary.Types.Value { Tag = "t", Tensor = TensorProtos.ToProto(new float[] { step, 2 }) });
            s.Value.Add(new Summary.Types.Value { Tag = "str", Tensor = TensorProtos.ToProto(new[] { "x", "yz" }) });
            Add(new Event { Step = step, Summary = s });
        }
        Add(new Event { SessionLog = new SessionLog { Status = SessionLog.Types.SessionStatus.Checkpoint, CheckpointPath = "/tmp/model.ckpt" } });
        Add(new Event { MetaGraphDef = Graphs()[2].ToMetaGraphDef().ToByteString() });
        return ms.ToArray();
    }

    public static IEnumerable<byte[]> NpyFiles()
    {
        yield return Npy.ToBytes(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        yield return Npy.ToBytes(new double[] { 1, double.NaN });
        yield return Npy.ToBytes(7);
        yield return Npy.ToBytes(new long[] { 1, -1 });
        yield return Npy.ToBytes(new[] { true, false, true });
        yield return Npy.ToBytes(Tensor.Create(new byte[] { 1, 2, 3, 4 }, 2, 2));
        yield return Npy.ToBytes(Tensor.Create(new short[] { 1, 2 }, 2, 1, 1));
        yield return Npy.ToBytes(Tensor.Create(new ushort[] { 1, 2 }, 2));
        yield return Npy.ToBytes(Tensor.Create(new sbyte[] { -1 }, 1));
        yield return Npy.ToBytes(Tensor.Create(Array.Empty<float>(), 0, 3));
    }

    public static IEnumerable<byte[]> IdxFiles()
    {
        static byte[] Idx(Tensor t)
        {
            var ms = new MemoryStream();
            Data.Idx.Write(ms, t);
            return ms.ToArray();
        }
        var images = new byte[2 * 4 * 4];
        for (int i = 0; i < images.Length; i++) images[i] = (byte)(i * 7);
        yield return Idx(Tensor.Create(images, 2, 4, 4));
        yield return Idx(Tensor.Create(new byte[] { 3, 1, 4, 1, 5 }, 5));
        yield return Idx(Tensor.Create(new sbyte[] { -1, 2 }, 2));
        yield return Idx(Tensor.Create(new short[] { -1, 2, 3, 4 }, 2, 2));
        yield return Idx(new[] { 1, 2, 3 });
        yield return Idx(new float[,] { { 1.5f, 2 }, { 3, 4 } });
        yield return Idx(new double[] { 1, 2 });
    }

    public static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    public static byte[]? Gunzip(byte[] data)
    {
        try
        {
            using var gz = new System.IO.Compression.GZipStream(new MemoryStream(data), System.IO.Compression.CompressionMode.Decompress);
            var ms = new MemoryStream();
            gz.CopyTo(ms);
            return ms.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
