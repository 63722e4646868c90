using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using TensorGraph.Proto;
using Tensorflow.Serving;

namespace TensorGraph.Serving;

/// <summary>
/// TF Serving's JSON forms (<c>tensorflow_serving/util/json_tensor.cc</c>): predict requests in the
/// row (<c>instances</c>) and columnar (<c>inputs</c>) formats, classify/regress requests as
/// tf.Examples, and their responses. Bytes travel as <c>{"b64": "..."}</c>; outputs whose alias
/// ends in <c>_bytes</c> are written that way.
/// </summary>
internal static class JsonTensors
{
    private const string Base64Key = "b64";

    internal static ServingException Invalid(string message) => ServingException.InvalidArgument(message);

    private static string Debug(JsonElement e) => e.GetRawText();

    private static string TypeName(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => "Null",
        JsonValueKind.False => "False",
        JsonValueKind.True => "True",
        JsonValueKind.Object => "Object",
        JsonValueKind.Array => "Array",
        JsonValueKind.String => "String",
        JsonValueKind.Number => "Number",
        _ => "Unknown",
    };

    /// <summary>TF's DataTypeString.</summary>
    internal static string DataTypeString(DataType t) => t switch
    {
        DataType.DtFloat => "float",
        DataType.DtDouble => "double",
        DataType.DtInt32 => "int32",
        DataType.DtUint8 => "uint8",
        DataType.DtInt16 => "int16",
        DataType.DtInt8 => "int8",
        DataType.DtString => "string",
        DataType.DtInt64 => "int64",
        DataType.DtBool => "bool",
        DataType.DtUint16 => "uint16",
        DataType.DtUint32 => "uint32",
        DataType.DtUint64 => "uint64",
        _ => t.ToString(),
    };

    public static JsonDocument Parse(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) throw Invalid("JSON Parse error: The document is empty");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw Invalid("JSON Parse error: " + e.Message);
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            var raw = Debug(doc.RootElement);
            doc.Dispose();
            throw Invalid($"JSON Value: {raw} Is not object");
        }
        return doc;
    }

    public static string? SignatureName(JsonElement root)
    {
        if (!root.TryGetProperty("signature_name", out var s)) return null;
        if (s.ValueKind != JsonValueKind.String)
            throw Invalid($"JSON Value: {Debug(root)} not formatted correctly. 'signature_name' key must be a string value.");
        return s.GetString();
    }

    private static bool IsBase64Object(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.EnumerateObject().Count() == 1 && e.TryGetProperty(Base64Key, out var v) && v.ValueKind == JsonValueKind.String;

    private static byte[] DecodeBase64(JsonElement e)
    {
        if (!IsBase64Object(e)) throw Invalid($"JSON Value: {Debug(e)} not formatted correctly for base64 data");
        try
        {
            return Convert.FromBase64String(e.GetProperty(Base64Key).GetString()!);
        }
        catch (FormatException)
        {
            throw Invalid("Unable to base64 decode");
        }
    }

    /// <summary>Values of one nested list, flattened row-major, with its shape.</summary>
    private sealed class Dense(DataType dtype)
    {
        public DataType DType { get; } = dtype;
        public List<int> Shape { get; } = [];
        public bool ShapeFixed { get; set; }
        public List<object> Values { get; } = [];
    }

    private static void Fill(JsonElement e, int level, Dense d)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            int n = e.GetArrayLength();
            if (!d.ShapeFixed)
            {
                d.Shape.Add(n);
                if (n == 0) d.ShapeFixed = true;
            }
            else if (level >= d.Shape.Count)
            {
                throw Invalid($"Encountered list at unexpected level: {level} expected < {d.Shape.Count}");
            }
            else if (d.Shape[level] != n)
            {
                throw Invalid($"Encountered list at unexpected size: {n} at level: {level} expected size: {d.Shape[level]}");
            }
            foreach (var x in e.EnumerateArray()) Fill(x, level + 1, d);
            return;
        }
        if (!d.ShapeFixed) d.ShapeFixed = true;
        else if (level != d.Shape.Count)
            throw Invalid($"JSON Value: {Debug(e)} found at incorrect level: {level + 1} in the JSON DOM. Expected at level: {d.Shape.Count}");
        d.Values.Add(Scalar(e, d.DType));
    }

    private static ServingException TypeError(JsonElement e, DataType t) =>
        Invalid($"JSON Value: {Debug(e)} Type: {TypeName(e)} is not of expected type: {DataTypeString(t)}");

    private static object Scalar(JsonElement e, DataType t)
    {
        switch (t)
        {
            case DataType.DtFloat:
            case DataType.DtDouble:
                if (e.ValueKind != JsonValueKind.Number) throw TypeError(e, t);
                return e.GetDouble();
            case DataType.DtInt32:
            case DataType.DtInt16:
            case DataType.DtInt8:
            case DataType.DtUint8:
            case DataType.DtUint16:
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int i)) throw TypeError(e, t);
                return (long)i;
            case DataType.DtInt64:
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long l)) throw TypeError(e, t);
                return l;
            case DataType.DtBool:
                if (e.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw TypeError(e, t);
                return e.GetBoolean();
            case DataType.DtString:
                if (e.ValueKind == JsonValueKind.String) return Encoding.UTF8.GetBytes(e.GetString()!);
                if (e.ValueKind == JsonValueKind.Object) return DecodeBase64(e);
                throw TypeError(e, t);
            default:
                throw new ServingException(Grpc.Core.StatusCode.Unimplemented, $"Conversion of JSON Value: {Debug(e)} to type: {DataTypeString(t)}");
        }
    }

    private static TensorProto ToProto(DataType dtype, IReadOnlyList<int> shape, List<object> values)
    {
        var p = new TensorProto { Dtype = dtype, TensorShape = new TensorShapeProto() };
        foreach (var d in shape) p.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        foreach (var v in values)
        {
            switch (dtype)
            {
                case DataType.DtFloat: p.FloatVal.Add((float)(double)v); break;
                case DataType.DtDouble: p.DoubleVal.Add((double)v); break;
                case DataType.DtInt64: p.Int64Val.Add((long)v); break;
                case DataType.DtBool: p.BoolVal.Add((bool)v); break;
                case DataType.DtString: p.StringVal.Add(ByteString.CopyFrom((byte[])v)); break;
                default:
                    long x = (long)v;
                    bool ok = dtype switch
                    {
                        DataType.DtInt16 => x is >= short.MinValue and <= short.MaxValue,
                        DataType.DtInt8 => x is >= sbyte.MinValue and <= sbyte.MaxValue,
                        DataType.DtUint8 => x is >= 0 and <= byte.MaxValue,
                        DataType.DtUint16 => x is >= 0 and <= ushort.MaxValue,
                        _ => true,
                    };
                    if (!ok) throw Invalid($"JSON Value: {x} is out of range for type: {DataTypeString(dtype)}");
                    p.IntVal.Add((int)x);
                    break;
            }
        }
        return p;
    }

    private static Dense DenseOf(JsonElement e, DataType dtype)
    {
        var d = new Dense(dtype);
        Fill(e, 0, d);
        return d;
    }

    /// <summary>Fills <paramref name="request"/>'s inputs from a predict body; returns whether it was the row format.</summary>
    public static bool FillPredictRequest(JsonElement root, IReadOnlyDictionary<string, TensorInfo> infos, PredictRequest request, string? signame)
    {
        if (infos.Count == 0) throw Invalid($"Failed to get input map for signature: {(string.IsNullOrEmpty(signame) ? "DEFAULT" : signame)}");
        bool hasInstances = root.TryGetProperty("instances", out var instances);
        bool hasInputs = root.TryGetProperty("inputs", out var inputs);
        if (hasInstances && hasInputs)
            throw Invalid($"JSON Value: {Debug(root)} Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ");
        var names = infos.Keys.Order(StringComparer.Ordinal).ToArray();
        if (hasInstances)
        {
            if (instances.ValueKind != JsonValueKind.Array) throw Invalid($"JSON Value: {Debug(root)} Expecting 'instances' to be an list/array");
            if (instances.GetArrayLength() == 0) throw Invalid($"JSON Value: {Debug(root)} No values in 'instances' array");
            var first = instances[0];
            bool objects = first.ValueKind == JsonValueKind.Object && !IsBase64Object(first);
            if (!objects && infos.Count > 1)
                throw Invalid("instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map");
            var rows = names.ToDictionary(n => n, n => new List<object>(), StringComparer.Ordinal);
            var shapes = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            int count = 0;
            foreach (var elem in instances.EnumerateArray())
            {
                bool isObject = elem.ValueKind == JsonValueKind.Object && !IsBase64Object(elem);
                if (objects)
                {
                    if (!isObject) throw Invalid($"Expecting object but got list at item {count} of input list");
                    var keys = new SortedSet<string>(StringComparer.Ordinal);
                    foreach (var kv in elem.EnumerateObject())
                    {
                        keys.Add(kv.Name);
                        try
                        {
                            AddInstance(kv.Value, kv.Name, infos, rows, shapes);
                        }
                        catch (ServingException e)
                        {
                            throw Invalid($"Failed to process element: {count} key: {kv.Name} of 'instances' list. Error: INVALID_ARGUMENT: {e.Message}");
                        }
                    }
                    if (!keys.SetEquals(names))
                        throw Invalid($"Failed to process element: {count} of 'instances' list. JSON object: {Debug(elem)} keys must be equal to: {string.Join(",", names)}");
                }
                else
                {
                    if (isObject) throw Invalid($"Expecting value/list but got object at item {count} of input list");
                    try
                    {
                        AddInstance(elem, names[0], infos, rows, shapes);
                    }
                    catch (ServingException e)
                    {
                        throw Invalid($"Failed to process element: {count} of 'instances' list. Error: INVALID_ARGUMENT: {e.Message}");
                    }
                }
                count++;
            }
            foreach (var n in names)
            {
                var shape = new List<int> { count };
                shape.AddRange(shapes[n]);
                request.Inputs[n] = ToProto(infos[n].Dtype, shape, rows[n]);
            }
            return true;
        }
        if (hasInputs)
        {
            if (inputs.ValueKind != JsonValueKind.Object || IsBase64Object(inputs))
            {
                if (infos.Count > 1)
                    throw Invalid("inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map");
                var d = DenseOf(inputs, infos[names[0]].Dtype);
                request.Inputs[names[0]] = ToProto(d.DType, d.Shape, d.Values);
            }
            else
            {
                foreach (var n in names)
                {
                    if (!inputs.TryGetProperty(n, out var item)) throw Invalid($"Missing named input: {n} in 'inputs' object.");
                    var d = DenseOf(item, infos[n].Dtype);
                    request.Inputs[n] = ToProto(d.DType, d.Shape, d.Values);
                }
            }
            return false;
        }
        throw Invalid("Missing 'inputs' or 'instances' key");
    }

    private static void AddInstance(JsonElement value, string name, IReadOnlyDictionary<string, TensorInfo> infos,
        Dictionary<string, List<object>> rows, Dictionary<string, List<int>> shapes)
    {
        if (!infos.TryGetValue(name, out var info)) throw Invalid($"JSON object: does not have named input: {name}");
        var d = DenseOf(value, info.Dtype);
        if (shapes.TryGetValue(name, out var shape))
        {
            if (!shape.SequenceEqual(d.Shape))
                throw Invalid($"Expecting shape [{string.Join(",", shape)}] but got: [{string.Join(",", d.Shape)}]");
        }
        else
        {
            shapes[name] = d.Shape;
        }
        rows[name].AddRange(d.Values);
    }

    // ------------------------------------------------------------------ tf.Example requests

    private static Feature AddFeatureValue(JsonElement v, string name, Feature f)
    {
        static ServingException Kind(string name, Feature f) => Invalid($"Unexpected element type in feature: {name} expecting type: " + f.KindCase switch
        {
            Feature.KindOneofCase.BytesList => "bytes",
            Feature.KindOneofCase.FloatList => "float",
            Feature.KindOneofCase.Int64List => "int64",
            _ => "UNKNOWN",
        });
        switch (v.ValueKind)
        {
            case JsonValueKind.True:
            case JsonValueKind.False:
                if (f.KindCase is not (Feature.KindOneofCase.None or Feature.KindOneofCase.Int64List)) throw Kind(name, f);
                (f.Int64List ??= new Int64List()).Value.Add(v.GetBoolean() ? 1 : 0);
                break;
            case JsonValueKind.Object:
                if (!IsBase64Object(v)) throw Invalid($"Feature: {name} has element with unexpected JSON type: Object");
                if (f.KindCase is not (Feature.KindOneofCase.None or Feature.KindOneofCase.BytesList)) throw Kind(name, f);
                (f.BytesList ??= new BytesList()).Value.Add(ByteString.CopyFrom(DecodeBase64(v)));
                break;
            case JsonValueKind.String:
                if (f.KindCase is not (Feature.KindOneofCase.None or Feature.KindOneofCase.BytesList)) throw Kind(name, f);
                (f.BytesList ??= new BytesList()).Value.Add(ByteString.CopyFromUtf8(v.GetString()!));
                break;
            case JsonValueKind.Number:
                var raw = v.GetRawText();
                if (raw.IndexOfAny(['.', 'e', 'E']) >= 0)
                {
                    if (f.KindCase is not (Feature.KindOneofCase.None or Feature.KindOneofCase.FloatList)) throw Kind(name, f);
                    (f.FloatList ??= new FloatList()).Value.Add((float)v.GetDouble());
                }
                else
                {
                    if (f.KindCase is not (Feature.KindOneofCase.None or Feature.KindOneofCase.Int64List)) throw Kind(name, f);
                    if (!v.TryGetInt64(out long l))
                    {
                        if (v.TryGetUInt64(out _)) throw Invalid($"Feature: {name} has uint64_t element. Only int64_t is supported.");
                        throw Invalid($"Feature: {name} has an integer out of range: {raw}");
                    }
                    (f.Int64List ??= new Int64List()).Value.Add(l);
                }
                break;
            default:
                throw Invalid($"Feature: {name} has element with unexpected JSON type: {TypeName(v)}");
        }
        return f;
    }

    private static Example ExampleOf(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Invalid($"Example must be JSON object but got JSON {TypeName(e)}");
        var ex = new Example { Features = new Features() };
        foreach (var kv in e.EnumerateObject())
        {
            var f = new Feature();
            if (kv.Value.ValueKind == JsonValueKind.Array)
                foreach (var x in kv.Value.EnumerateArray()) AddFeatureValue(x, kv.Name, f);
            else AddFeatureValue(kv.Value, kv.Name, f);
            ex.Features.Feature[kv.Name] = f;
        }
        return ex;
    }

    /// <summary>The <c>Input</c> of a classify/regress body (<c>context</c> and <c>examples</c>).</summary>
    public static Tensorflow.Serving.Input ExamplesInput(JsonElement root)
    {
        var input = new Tensorflow.Serving.Input();
        bool context = root.TryGetProperty("context", out var ctx);
        if (context) input.ExampleListWithContext = new ExampleListWithContext { Context = ExampleOf(ctx) };
        if (!root.TryGetProperty("examples", out var examples))
            throw Invalid($"JSON Value: {Debug(root)} When method is classify, key 'examples' is expected and was not found");
        if (examples.ValueKind != JsonValueKind.Array) throw Invalid($"JSON Value: {Debug(root)} Expecting 'examples' value to be an list/array");
        if (examples.GetArrayLength() == 0) throw Invalid($"JSON Value: {Debug(root)} 'examples' value is an empty array");
        if (!context) input.ExampleList = new ExampleList();
        foreach (var e in examples.EnumerateArray())
        {
            var ex = ExampleOf(e);
            if (context) input.ExampleListWithContext.Examples.Add(ex);
            else input.ExampleList.Examples.Add(ex);
        }
        return input;
    }

    // ------------------------------------------------------------------ responses

    /// <summary>A float the way TF Serving writes it: the shortest text that reads back to it; NaN and Infinity as bare tokens.</summary>
    internal static string Decimal(double v, bool single)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsPositiveInfinity(v)) return "Infinity";
        if (double.IsNegativeInfinity(v)) return "-Infinity";
        var s = single ? ((float)v).ToString("R", CultureInfo.InvariantCulture) : v.ToString("R", CultureInfo.InvariantCulture);
        if (s.IndexOfAny(['.', 'E', 'e']) < 0) s += ".0";
        return s;
    }

    private static void WriteString(StringBuilder sb, string s) => sb.Append(JsonSerializer.Serialize(s));

    private static void WriteValue(StringBuilder sb, Tensor t, int i, bool asBytes)
    {
        switch (t.DType)
        {
            case DType.Float32: sb.Append(Decimal(t.AsSpan<float>()[i], true)); break;
            case DType.Float64: sb.Append(Decimal(t.AsSpan<double>()[i], false)); break;
            case DType.Int32: sb.Append(t.AsSpan<int>()[i].ToString(CultureInfo.InvariantCulture)); break;
            case DType.Int16: sb.Append(t.AsSpan<short>()[i].ToString(CultureInfo.InvariantCulture)); break;
            case DType.Int8: sb.Append(t.AsSpan<sbyte>()[i].ToString(CultureInfo.InvariantCulture)); break;
            case DType.UInt8: sb.Append(t.AsSpan<byte>()[i].ToString(CultureInfo.InvariantCulture)); break;
            case DType.UInt16: sb.Append(t.AsSpan<ushort>()[i].ToString(CultureInfo.InvariantCulture)); break;
            case DType.Int64: sb.Append(t.AsSpan<long>()[i].ToString(CultureInfo.InvariantCulture)); break;
            case DType.Bool: sb.Append(t.AsSpan<bool>()[i] ? "true" : "false"); break;
            case DType.String:
                var b = t.AsSpan<byte[]>()[i];
                if (asBytes) sb.Append("{\"b64\": ").Append(JsonSerializer.Serialize(Convert.ToBase64String(b))).Append('}');
                else WriteString(sb, Encoding.UTF8.GetString(b));
                break;
            default: throw Invalid($"Failed to write JSON value for tensor type: {t.DType.Name()}");
        }
    }

    /// <summary>Writes dimensions <paramref name="dim"/>.. of <paramref name="t"/> starting at flat offset <paramref name="offset"/>.</summary>
    private static void WriteValues(StringBuilder sb, Tensor t, int dim, ref int offset, bool asBytes)
    {
        if (dim >= t.Rank)
        {
            WriteValue(sb, t, offset++, asBytes);
            return;
        }
        sb.Append('[');
        for (int i = 0; i < t.Dims[dim]; i++)
        {
            if (i > 0) sb.Append(", ");
            WriteValues(sb, t, dim + 1, ref offset, asBytes);
        }
        sb.Append(']');
    }

    private static bool IsBytes(string name, Tensor t) => t.DType == DType.String && name.EndsWith("_bytes", StringComparison.Ordinal);

    /// <summary><c>{"predictions": ...}</c> (row format) or <c>{"outputs": ...}</c> (columnar) for a Predict response.</summary>
    public static string PredictResponseJson(PredictResponse response, bool row)
    {
        var tensors = response.Outputs.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (Name: kv.Key, Value: TensorProtos.FromProto(kv.Value))).ToArray();
        if (tensors.Length == 0) throw Invalid("Cannot convert empty tensor map to JSON");
        var sb = new StringBuilder();
        bool objects = tensors.Length > 1;
        if (row)
        {
            int batch = -1;
            foreach (var (name, t) in tensors)
            {
                if (t.Rank == 0) throw Invalid($"Tensor name: {name} has no shape information ");
                if (batch >= 0 && batch != t.Dims[0]) throw Invalid($"Tensor name: {name} has inconsistent batch size: {t.Dims[0]} expecting: {batch}");
                batch = t.Dims[0];
            }
            var offsets = new int[tensors.Length];
            sb.Append("{\n    \"predictions\": [");
            for (int item = 0; item < batch; item++)
            {
                sb.Append(item == 0 ? "" : ",").Append("\n        ");
                if (objects) sb.Append('{');
                for (int k = 0; k < tensors.Length; k++)
                {
                    var (name, t) = tensors[k];
                    if (objects)
                    {
                        if (k > 0) sb.Append(", ");
                        WriteString(sb, name);
                        sb.Append(": ");
                    }
                    WriteValues(sb, t, 1, ref offsets[k], IsBytes(name, t));
                }
                if (objects) sb.Append('}');
            }
            sb.Append("\n    ]\n}");
        }
        else
        {
            sb.Append("{\n    \"outputs\": ");
            if (objects) sb.Append('{');
            for (int k = 0; k < tensors.Length; k++)
            {
                var (name, t) = tensors[k];
                if (objects)
                {
                    sb.Append(k > 0 ? "," : "").Append("\n        ");
                    WriteString(sb, name);
                    sb.Append(": ");
                }
                int offset = 0;
                WriteValues(sb, t, 0, ref offset, IsBytes(name, t));
            }
            if (objects) sb.Append("\n    }");
            sb.Append("\n}");
        }
        return sb.ToString();
    }

    /// <summary><c>{"results": [[[label, score], ...], ...]}</c>.</summary>
    public static string ClassificationJson(ClassificationResult result)
    {
        if (result.Classifications.Count == 0) throw Invalid("Cannot convert empty ClassificationResults to JSON");
        var sb = new StringBuilder("{\n    \"results\": [");
        for (int i = 0; i < result.Classifications.Count; i++)
        {
            sb.Append(i == 0 ? "" : ",").Append("\n        [");
            var cs = result.Classifications[i].Classes;
            for (int j = 0; j < cs.Count; j++)
            {
                if (j > 0) sb.Append(", ");
                sb.Append('[');
                WriteString(sb, cs[j].Label);
                sb.Append(", ").Append(Decimal(cs[j].Score, true)).Append(']');
            }
            sb.Append(']');
        }
        return sb.Append("\n    ]\n}").ToString();
    }

    /// <summary><c>{"results": [v1, v2, ...]}</c>.</summary>
    public static string RegressionJson(RegressionResult result)
    {
        if (result.Regressions.Count == 0) throw Invalid("Cannot convert empty RegressionResults to JSON");
        return "{\n    \"results\": [" + string.Join(", ", result.Regressions.Select(r => Decimal(r.Value, true))) + "]\n}";
    }

    /// <summary><c>{"error": message}</c>.</summary>
    public static string ErrorJson(string message) => "{ \"error\": " + JsonSerializer.Serialize(message) + " }";
}
