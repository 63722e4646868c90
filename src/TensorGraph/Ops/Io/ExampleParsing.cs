using System.Text;
using Google.Protobuf;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph;

/// <summary>
/// What ParseExample and ParseExampleV2 share: reading and checking the dense configuration,
/// TF's output shapes, and parsing serialized <c>tf.Example</c> protos into dense tensors. A dense
/// shape is either fully known or has an unknown first dimension (a variable number of rows,
/// padded to the longest example with the single default value). Sparse and ragged features are
/// not implemented: their outputs are inferred, and the kernel refuses to be created.
/// </summary>
internal static class ExampleParsing
{
    public static DType[] Types(InferContext c, string attr) => Types(c.Attr(attr));

    public static DType[] Types(AttrValue a) => a.List?.Type.Select(DTypes.FromProto).ToArray() ?? [];

    public static Shape[] Shapes(AttrValue a) => a.List?.Shape.Select(Shape.FromProto).ToArray() ?? [];

    /// <summary>Build-time checks of the dense features: types, default dtypes, shapes.</summary>
    public static void CheckDense(InferContext c, DType[] tdense, Shape[] shapes, int firstDefault)
    {
        if (shapes.Length != tdense.Length) throw c.Error($"len(dense_keys) != len(dense_shapes): Tdense has {tdense.Length} entries, dense_shapes {shapes.Length}");
        for (int i = 0; i < tdense.Length; i++)
        {
            if (tdense[i] is not (DType.Float32 or DType.Int64 or DType.String)) throw c.Error($"Tdense[{i}] must be float, int64 or string, got {tdense[i].Name()}");
            var t = c.InputType(firstDefault + i);
            if (t != tdense[i]) throw c.Error($"dense_defaults[{i}] has dtype {t.Name()}, Tdense says {tdense[i].Name()}");
            var s = shapes[i];
            if (!s.IsRankKnown || s.Skip(1).Any(d => d < 0))
                throw c.Error($"dense_shapes[{i}] has unknown rank or unknown inner dimensions: {s}");
        }
    }

    public static void CheckSparseTypes(InferContext c, DType[] types, string attr)
    {
        for (int i = 0; i < types.Length; i++)
            if (types[i] is not (DType.Float32 or DType.Int64 or DType.String)) throw c.Error($"{attr}[{i}] must be float, int64 or string, got {types[i].Name()}");
    }

    /// <summary>TF's sparse outputs: indices [?, rank], values [?], dense shapes [rank], where rank is the input's plus one.</summary>
    public static void AddSparseOutputs(InferContext c, DType[] types, Shape input)
    {
        int rank = input.IsRankKnown ? input.Rank + 1 : -1;
        foreach (var _ in types) c.AddOutput(DType.Int64, Shape.Wrap([-1, rank]));
        foreach (var t in types) c.AddOutput(t, Shape.Wrap([-1]));
        foreach (var _ in types) c.AddOutput(DType.Int64, Shape.Wrap([rank]));
    }

    /// <summary>TF's dense outputs: the serialized input's shape followed by the feature's shape.</summary>
    public static void AddDenseOutputs(InferContext c, DType[] tdense, Shape[] shapes, Shape input)
    {
        for (int i = 0; i < tdense.Length; i++)
            c.AddOutput(tdense[i], input.IsRankKnown ? Shape.Wrap([.. input.ToArray(), .. shapes[i].ToArray()]) : Shape.Unknown);
    }

    /// <summary>Parses every record; a record that is not an Example is an InvalidArgument error.</summary>
    public static Example[] ParseAll(ReadOnlySpan<byte[]> records)
    {
        var examples = new Example[records.Length];
        for (int e = 0; e < records.Length; e++)
        {
            try
            {
                examples[e] = Example.Parser.ParseFrom(records[e]);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new InvalidArgumentException($"Could not parse example input, value {e}: {ex.Message}");
            }
        }
        return examples;
    }

    /// <summary>The run-time checks TF makes of <c>names</c> against <c>serialized</c>.</summary>
    public static void CheckNames(Tensor serialized, Tensor names)
    {
        if (names.Size > 0 && !names.Dims.SequenceEqual(serialized.Dims))
            throw new InvalidArgumentException($"Expected names have the same shape as serialized: name.shape={Shape.Format(names.Dims)}, serialized.shape={Shape.Format(serialized.Dims)}");
    }

    private static string NameOf(Tensor names, int e) => names.Size > 0 ? Encoding.UTF8.GetString(names.Span<byte[]>()[e]) : "<unknown>";

    private static Feature? Find(Example ex, string key)
    {
        Feature? f = null;
        ex.Features?.Feature.TryGetValue(key, out f);
        return f is null || f.KindCase == Feature.KindOneofCase.None ? null : f;
    }

    private static bool Matches(Feature f, DType t) => (t, f.KindCase) is (DType.Float32, Feature.KindOneofCase.FloatList)
        or (DType.Int64, Feature.KindOneofCase.Int64List) or (DType.String, Feature.KindOneofCase.BytesList);

    private static string KindName(Feature f) => f.KindCase switch
    {
        Feature.KindOneofCase.FloatList => "float",
        Feature.KindOneofCase.Int64List => "int64",
        Feature.KindOneofCase.BytesList => "string",
        _ => "none",
    };

    private static int Count(Feature f) => f.KindCase switch
    {
        Feature.KindOneofCase.FloatList => f.FloatList.Value.Count,
        Feature.KindOneofCase.Int64List => f.Int64List.Value.Count,
        Feature.KindOneofCase.BytesList => f.BytesList.Value.Count,
        _ => 0,
    };

    private static void CopyValues(Feature f, Tensor o, int offset)
    {
        switch (f.KindCase)
        {
            case Feature.KindOneofCase.FloatList:
                CopyInto(f.FloatList.Value, o.Span<float>().Slice(offset));
                break;
            case Feature.KindOneofCase.Int64List:
                CopyInto(f.Int64List.Value, o.Span<long>().Slice(offset));
                break;
            case Feature.KindOneofCase.BytesList:
                var dst = o.Span<byte[]>();
                for (int j = 0; j < f.BytesList.Value.Count; j++) dst[offset + j] = f.BytesList.Value[j].ToByteArray();
                break;
        }
    }

    private static void CopyInto<T>(IList<T> src, Span<T> dst)
    {
        for (int j = 0; j < src.Count; j++) dst[j] = src[j];
    }

    /// <summary>
    /// Writes dense feature <paramref name="key"/> of every example to output <paramref name="output"/>:
    /// shaped [batch] + <paramref name="shape"/> (no batch dimension when <paramref name="batched"/> is
    /// false, for a scalar <c>serialized</c>), an unknown first dimension becoming the most rows any
    /// example has.
    /// </summary>
    public static void WriteDense(OpContext ctx, int output, Example[] examples, Tensor names, int index, string key, Tensor def, DType type, Shape shape, bool batched)
    {
        bool variable = shape.Rank > 0 && shape[0] < 0;
        var inner = shape.ToArray();
        if (variable) inner[0] = 1;
        int stride = inner.Aggregate(1, (a, d) => a * d);
        if (def.DType != type) throw new InvalidArgumentException($"dense_defaults[{index}].dtype() == {def.DType.Name()} != dense_types_[{index}] == {type.Name()}");
        if (variable && def.Size != 1)
            throw new InvalidArgumentException($"dense_shape[{index}] is a variable length shape: {shape}, therefore def_value[{index}] must contain a single element (the padding element).  But its shape is: {Shape.Format(def.Dims)}");
        if (!variable && def.Size > 0 && !shape.IsCompatibleWith(def.Dims))
            throw new InvalidArgumentException($"def_value[{index}].shape() == {Shape.Format(def.Dims)} is not compatible with dense_shapes_[{index}] == {shape}");

        int batch = examples.Length, rows = 0;
        var features = new Feature?[batch];
        for (int e = 0; e < batch; e++)
        {
            var f = features[e] = Find(examples[e], key);
            if (f is not null && !Matches(f, type))
                throw new InvalidArgumentException($"Name: {NameOf(names, e)}, Feature: {key}.  Data types don't match. Data type: {KindName(f)} but expected type: {type.Name()}");
            int n = f is null ? 0 : Count(f);
            if (variable)
            {
                if (stride == 0 ? n != 0 : n % stride != 0)
                    throw new InvalidArgumentException($"Name: {NameOf(names, e)}, Key: {key}, Index: {e}.  Number of {type.Name()} values is not a multiple of stride length. Saw {n} values but output shape is: {shape}");
                if (stride > 0) rows = Math.Max(rows, n / stride);
            }
            else if (f is null && def.Size == 0)
            {
                throw new InvalidArgumentException($"Name: {NameOf(names, e)}, Feature: {key} (data type: {type.Name()}) is required but could not be found.");
            }
            else if (f is not null && n != stride)
            {
                throw new InvalidArgumentException($"Name: {NameOf(names, e)}, Key: {key}, Index: {e}.  Number of {type.Name()} values != expected.  values size: {n} but output shape: {shape}");
            }
        }

        var featureDims = shape.ToArray();
        if (variable) featureDims[0] = rows;
        int per = variable ? rows * stride : stride;
        int[] dims = batched ? [batch, .. featureDims] : featureDims;
        var o = ctx.AllocateOutput(output, type, dims);
        for (int e = 0; e < batch; e++)
        {
            int offset = e * per;
            if (features[e] is { } f)
            {
                CopyValues(f, o, offset);
                int n = Count(f);
                if (n < per) Fill(o, def, offset + n, per - n);
            }
            else if (variable) Fill(o, def, offset, per);
            else Array.Copy(def.Data, 0, o.Data, offset, per);
        }
    }

    /// <summary>Fills <paramref name="count"/> elements from <paramref name="offset"/> with the single padding value.</summary>
    private static void Fill(Tensor o, Tensor pad, int offset, int count)
    {
        switch (o.DType)
        {
            case DType.Float32: o.Span<float>().Slice(offset, count).Fill(pad.Span<float>()[0]); break;
            case DType.Int64: o.Span<long>().Slice(offset, count).Fill(pad.Span<long>()[0]); break;
            default: o.Span<byte[]>().Slice(offset, count).Fill(pad.Span<byte[]>()[0]); break;
        }
    }
}

