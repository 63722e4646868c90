namespace TensorGraph.Estimator;

/// <summary>TF's <c>tf.estimator.inputs</c> (<c>numpy_io.py</c>): input functions over in-memory arrays.</summary>
public static class NumpyIo
{
    /// <summary>
    /// TF's <c>numpy_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None,
    /// queue_capacity=1000, num_threads=1)</c> for a single feature array (the features are then
    /// that tensor). See <see cref="NumpyInputFn(IReadOnlyDictionary{string, Tensor}, Tensor?, int, long?, bool?, int, int)"/>.
    /// </summary>
    public static InputFn NumpyInputFn(Tensor x, Tensor? y = null, int batchSize = 128, long? numEpochs = 1, bool? shuffle = null,
        int queueCapacity = 1000, int numThreads = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Build([new KeyValuePair<string, Tensor>("", x)], single: true, y, batchSize, numEpochs, shuffle, queueCapacity, numThreads);
    }

    /// <summary>
    /// TF's <c>numpy_input_fn</c> for a dictionary of feature arrays: batches of
    /// <paramref name="batchSize"/> rows through <paramref name="numEpochs"/> passes, one epoch
    /// running on into the next within a batch so that only the very last batch may be partial
    /// (TF's <c>dequeue_up_to</c>; null epochs: forever, every batch full), each epoch shuffled
    /// with a buffer of <paramref name="queueCapacity"/> rows (seeded by the graph's seed,
    /// <c>tf_random_seed</c>) when <paramref name="shuffle"/>, which must
    /// be given, as TF requires. All arrays must have the same number of rows. The arrays are fed to
    /// the pipeline when its iterator starts, not stored in the graph.
    /// </summary>
    public static InputFn NumpyInputFn(IReadOnlyDictionary<string, Tensor> x, Tensor? y = null, int batchSize = 128, long? numEpochs = 1, bool? shuffle = null,
        int queueCapacity = 1000, int numThreads = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Count == 0) throw new ArgumentException("x cannot be an empty dict");
        return Build(x.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray(), single: false, y, batchSize, numEpochs, shuffle, queueCapacity, numThreads);
    }

    private static InputFn Build(KeyValuePair<string, Tensor>[] x, bool single, Tensor? y, int batchSize, long? numEpochs, bool? shuffle, int queueCapacity, int numThreads)
    {
        if (shuffle is null)
            throw new ArgumentException("shuffle must be provided and explicitly set as boolean (it is recommended to set it as True for training); got None");
        if (batchSize <= 0) throw new ArgumentException($"batch_size must be positive, got {batchSize}");
        if (numEpochs is <= 0) throw new ArgumentException($"num_epochs must be positive or None, got {numEpochs}");
        if (queueCapacity <= 0 || numThreads <= 0) throw new ArgumentException("queue_capacity and num_threads must be positive");
        foreach (var (k, v) in x)
        {
            ArgumentNullException.ThrowIfNull(v, k);
            if (v.Dims.Length == 0) throw new ArgumentException($"The feature '{k}' is a scalar; numpy_input_fn needs arrays with a row dimension");
        }
        if (single && x[0].Value.Size == 0) throw new ArgumentException("x cannot be an empty array");
        int rows = x[0].Value.Dims[0];
        if (x.Any(kv => kv.Value.Dims[0] != rows) || (y is not null && (y.Dims.Length == 0 || y.Dims[0] != rows)))
        {
            var shapesX = string.Join(", ", x.Select(kv => $"'{kv.Key}': {kv.Value.Shape}"));
            throw new ArgumentException("Length of tensors in x and y is mismatched. All elements in x and y must have the same length.\n"
                + $"Shapes in x: {{{shapesX}}}\nShapes in y: {(y is null ? "None" : y.Shape.ToString())}\n");
        }
        return g =>
        {
            var feeds = new FeedDict();
            var components = new List<Output>();
            Output Feed(Tensor t, string name)
            {
                var p = g.Placeholder(t.DType, new Shape(t.Dims.ToArray()), name);
                feeds[p] = t;
                return p;
            }
            using (g.NameScope("numpy_input_fn"))
            {
                foreach (var (k, v) in x) components.Add(Feed(v, single ? "x" : "x_" + k));
                if (y is not null) components.Add(Feed(y, "y"));
            }
            var ds = Dataset.FromTensorSlices(g, [.. components]);
            if (shuffle.Value) ds = ds.Shuffle(queueCapacity);
            ds = ds.Repeat(numEpochs ?? -1).Batch(batchSize);
            return InputFnResult.FromDataset(ds, single ? null : x.Select(kv => kv.Key).ToArray(), feeds);
        };
    }
}
