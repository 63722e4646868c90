using PureHDF;
using TensorGraph.Keras.Layers;

namespace TensorGraph.Keras;

/// <summary>
/// Keras's HDF5 weight layout (<c>save_weights_to_hdf5_group</c> /
/// <c>load_weights_from_hdf5_group</c>): root attributes <c>layer_names</c>, <c>backend</c>,
/// <c>keras_version</c>; a group per layer with the attribute <c>weight_names</c>
/// (<c>dense/kernel:0</c>, …) and each weight as a dataset at <c>&lt;layer&gt;/&lt;weight name&gt;</c>
/// (so <c>dense/dense/kernel:0</c>). Strings are fixed-length, as h5py writes numpy bytes.
/// </summary>
internal static class H5Weights
{
    public static bool IsH5Path(string path) =>
        path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase) ||
        path.EndsWith(".keras", StringComparison.OrdinalIgnoreCase);

    public static void Save(string path, IReadOnlyList<Layer> layers, Func<IReadOnlyList<Variable>, Tensor[]> read)
    {
        var file = new H5File();
        var arrays = new List<(H5Group, string, string[])>();
        var strings = Write(file, layers, read, arrays);
        int length = StringLength(strings);
        SetStringArrays(arrays, length);
        file.Write(path, new H5WriteOptions(DefaultStringLength: length));
    }

    /// <summary>HDF5's object header limit Keras keeps string-array attributes under (<c>HDF5_OBJECT_HEADER_LIMIT</c>).</summary>
    private const int HeaderLimit = 64512;

    /// <summary>
    /// Writes string-array attributes as <c>save_attributes_to_hdf5_group</c> does: one attribute,
    /// or, when <c>count · length</c> bytes pass the header limit, the fewest chunks
    /// <c>name0</c>, <c>name1</c>, … (numpy's <c>array_split</c> sizes) that each stay under it.
    /// An empty array is h5py's float64 array of length 0.
    /// </summary>
    public static void SetStringArrays(IEnumerable<(H5Group Group, string Name, string[] Values)> arrays, int length)
    {
        foreach (var (group, name, values) in arrays)
        {
            if (values.Length == 0) { group.Attributes[name] = new H5Attribute(Array.Empty<double>(), [0UL]); continue; }
            if (length > HeaderLimit) throw new NotSupportedException($"A string of {length} bytes (the model config) is too long for an HDF5 attribute header; saving this model as .h5 is not supported");
            int chunks = 1;
            while ((values.Length + chunks - 1) / chunks * (long)length > HeaderLimit) chunks++;
            if (chunks == 1) { group.Attributes[name] = new H5Attribute(values, [(ulong)values.Length]); continue; }
            int start = 0;
            for (int k = 0; k < chunks; k++)
            {
                int size = values.Length / chunks + (k < values.Length % chunks ? 1 : 0);
                group.Attributes[name + k.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new H5Attribute(values[start..(start + size)], [(ulong)size]);
                start += size;
            }
        }
    }

    /// <summary>The fixed string length that holds every string of the file.</summary>
    public static int StringLength(IEnumerable<string> strings) => Math.Max(1, strings.Max(s => System.Text.Encoding.UTF8.GetByteCount(s)));

    /// <summary>Writes the layers' weights into <paramref name="file"/> (the root or <c>model_weights</c>); returns the strings written.</summary>
    /// <remarks>The string-array attributes (<c>layer_names</c>, <c>weight_names</c>) go to <paramref name="arrays"/>, for <see cref="SetStringArrays"/> once the file's string length is known.</remarks>
    public static List<string> Write(H5Group file, IReadOnlyList<Layer> layers, Func<IReadOnlyList<Variable>, Tensor[]> read, List<(H5Group, string, string[])> arrays)
    {
        string[] layerNames = [.. layers.Select(l => l.Name)];
        var strings = new List<string>(layerNames) { "tensorflow", "2.2.4-tf" };
        arrays.Add((file, "layer_names", layerNames));
        file.Attributes["backend"] = "tensorflow";
        file.Attributes["keras_version"] = "2.2.4-tf";
        foreach (var layer in layers)
        {
            var group = new H5Group();
            var weights = layer.Weights;
            string[] names = [.. weights.Select(w => w.Name + ":0")];
            strings.AddRange(names);
            arrays.Add((group, "weight_names", names));
            var values = weights.Count == 0 ? [] : read(weights);
            for (int i = 0; i < weights.Count; i++)
            {
                var parts = names[i].Split('/');
                var g = group;
                for (int p = 0; p < parts.Length - 1; p++)
                {
                    if (!g.TryGetValue(parts[p], out var child)) g[parts[p]] = child = new H5Group();
                    g = (H5Group)child;
                }
                var v = values[i];
                g[parts[^1]] = new H5Dataset(v.ToArray<float>(), fileDims: [.. v.Dims.ToArray().Select(d => (ulong)d)]);
            }
            file[layer.Name] = group;
        }
        return strings;
    }

    /// <summary>Values in <paramref name="layers"/>' weight order, matched layer by layer among the layers that have weights (Keras's topological loading).</summary>
    public static List<Tensor> Load(string path, IReadOnlyList<Layer> layers)
    {
        using var file = H5File.OpenRead(path);
        IH5Group group = file.AttributeExists("layer_names") || file.AttributeExists("layer_names0") ? file : file.Group("model_weights");
        // When the file's layers with weights carry exactly the model's names (a model built from the
        // same config), match by name: what Keras's topological order gives, independent of the order
        // this model lists its layers in.
        var withWeights = Strings(group, "layer_names").Where(n => Strings(group.Group(n), "weight_names").Length > 0).ToHashSet(StringComparer.Ordinal);
        var ours = layers.Where(l => l.Weights.Count > 0).Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        return withWeights.SetEquals(ours) ? ReadByName(group, layers, path, intoUserModel: true) : Read(group, layers);
    }

    /// <summary>Reads weights from a group in Keras's layout (the root of a weights file or <c>model_weights</c>).</summary>
    public static List<Tensor> Read(IH5Group file, IReadOnlyList<Layer> layers)
    {
        var fileLayers = new List<(string Name, string[] Weights, IH5Group Group)>();
        foreach (var name in Strings(file, "layer_names"))
        {
            var g = file.Group(name);
            string[] weights = Strings(g, "weight_names");
            if (weights.Length > 0) fileLayers.Add((name, weights, g));
        }
        var ours = layers.Where(l => l.Weights.Count > 0).ToArray();
        if (ours.Length != fileLayers.Count)
            throw new ArgumentException($"You are trying to load a weight file containing {fileLayers.Count} layers into a model with {ours.Length} layers.");
        var result = new List<Tensor>();
        for (int i = 0; i < ours.Length; i++)
        {
            var (name, weights, g) = fileLayers[i];
            if (weights.Length != ours[i].Weights.Count)
                throw new ArgumentException($"Layer #{i} (named \"{ours[i].Name}\") expects {ours[i].Weights.Count} weight(s), but the saved weights have {weights.Length} element(s).");
            for (int k = 0; k < weights.Length; k++)
            {
                var ds = g.Dataset(weights[k]);
                var dims = ds.Space.Dimensions.Select(d => checked((int)d)).ToArray();
                var data = ds.Read<float[]>();
                var want = ours[i].Weights[k].Shape;
                if (!want.IsCompatibleWith(dims))
                    throw new ArgumentException($"Layer #{i} (named \"{ours[i].Name}\"), weight {ours[i].Weights[k].Name} has shape {want}, but the saved weight {name}/{weights[k]} has shape ({string.Join(", ", dims)}).");
                result.Add(Tensor.Create(data, dims));
            }
        }
        return result;
    }

    /// <summary>
    /// A string-array attribute as <c>save_attributes_to_hdf5_group</c> writes it: one attribute, or
    /// chunks <c>name0</c>, <c>name1</c>, … when it would pass HDF5's 64 KiB header limit; an empty
    /// array (h5py writes a float64 array of length 0) is no strings.
    /// </summary>
    public static string[] Strings(IH5Object obj, string name)
    {
        if (obj.AttributeExists(name)) return Read(obj.Attribute(name));
        var parts = new List<string>();
        for (int i = 0; obj.AttributeExists(name + i.ToString(System.Globalization.CultureInfo.InvariantCulture)); i++)
            parts.AddRange(Read(obj.Attribute(name + i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        return [.. parts];

        static string[] Read(IH5Attribute a) =>
            a.Space.Rank == 0 || a.Space.Dimensions[0] == 0 ? [] : [.. a.Read<string[]>().Select(n => n.TrimEnd('\0'))];
    }

    /// <summary>
    /// The weights of a whole-model file (<c>model_weights</c>), matched to <paramref name="layers"/>
    /// by layer name (the loaded layers carry the file's names), in each layer's weight order, with
    /// the shapes checked. A mismatch is an <see cref="ArgumentException"/> when the weights go into
    /// the caller's model (<paramref name="intoUserModel"/>), an <see cref="InvalidDataException"/>
    /// when the file's own config and weights disagree.
    /// </summary>
    public static List<Tensor> ReadByName(IH5Group group, IReadOnlyList<Layer> layers, string path, bool intoUserModel = false)
    {
        Exception Mismatch(string message) => intoUserModel ? new ArgumentException(message) : new InvalidDataException(message);
        var names = Strings(group, "layer_names");
        var known = new HashSet<string>(names, StringComparer.Ordinal);
        var ours = new HashSet<string>(layers.Select(l => l.Name), StringComparer.Ordinal);
        foreach (var n in names)
            if (!ours.Contains(n) && Strings(group.Group(n), "weight_names").Length > 0)
                throw Mismatch($"{path}: model_weights holds weights for layer {n}, which the model config does not have");
        var result = new List<Tensor>();
        foreach (var layer in layers)
        {
            var want = layer.Weights;
            if (want.Count == 0) continue;
            if (!known.Contains(layer.Name)) throw Mismatch($"{path}: model_weights has no weights for layer {layer.Name}");
            var g = group.Group(layer.Name);
            var weights = Strings(g, "weight_names");
            if (weights.Length != want.Count)
                throw Mismatch($"{path}: layer {layer.Name} expects {want.Count} weight(s), but the file has {weights.Length} ({string.Join(", ", weights)})");
            for (int k = 0; k < weights.Length; k++)
            {
                var ds = g.Dataset(weights[k]);
                var dims = ds.Space.Dimensions.Select(d => checked((int)d)).ToArray();
                if (!want[k].Shape.IsCompatibleWith(dims))
                    throw Mismatch($"{path}: weight {want[k].Name} of layer {layer.Name} has shape {want[k].Shape}, but the file's {weights[k]} has shape ({string.Join(", ", dims)})");
                result.Add(Tensor.Create(ds.Read<float[]>(), dims));
            }
        }
        return result;
    }
}
