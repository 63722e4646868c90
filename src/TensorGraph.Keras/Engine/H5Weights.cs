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
        var strings = Write(file, layers, read);
        file.Write(path, new H5WriteOptions(DefaultStringLength: StringLength(strings)));
    }

    /// <summary>The fixed string length that holds every string of the file.</summary>
    public static int StringLength(IEnumerable<string> strings) => Math.Max(1, strings.Max(s => System.Text.Encoding.UTF8.GetByteCount(s)));

    /// <summary>Writes the layers' weights into <paramref name="file"/> (the root or <c>model_weights</c>); returns the strings written.</summary>
    public static List<string> Write(H5Group file, IReadOnlyList<Layer> layers, Func<IReadOnlyList<Variable>, Tensor[]> read)
    {
        string[] layerNames = [.. layers.Select(l => l.Name)];
        var strings = new List<string>(layerNames) { "tensorflow", "2.2.4-tf" };
        file.Attributes["layer_names"] = new H5Attribute(layerNames, [(ulong)layerNames.Length]);
        file.Attributes["backend"] = "tensorflow";
        file.Attributes["keras_version"] = "2.2.4-tf";
        foreach (var layer in layers)
        {
            var group = new H5Group();
            var weights = layer.Weights;
            string[] names = [.. weights.Select(w => w.Name + ":0")];
            strings.AddRange(names);
            group.Attributes["weight_names"] = names.Length == 0
                ? new H5Attribute(Array.Empty<double>(), [0UL])
                : new H5Attribute(names, [(ulong)names.Length]);
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
        return Read(file.AttributeExists("layer_names") ? file : file.Group("model_weights"), layers);
    }

    /// <summary>Reads weights from a group in Keras's layout (the root of a weights file or <c>model_weights</c>).</summary>
    public static List<Tensor> Read(IH5Group file, IReadOnlyList<Layer> layers)
    {
        var root = file.Attribute("layer_names").Read<string[]>();
        var fileLayers = new List<(string Name, string[] Weights, IH5Group Group)>();
        foreach (var name in root.Select(n => n.TrimEnd('\0')))
        {
            var g = file.Group(name);
            var wn = g.Attribute("weight_names");
            string[] weights = wn.Space.Rank == 0 || wn.Space.Dimensions[0] == 0 ? [] : [.. wn.Read<string[]>().Select(n => n.TrimEnd('\0'))];
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
}
