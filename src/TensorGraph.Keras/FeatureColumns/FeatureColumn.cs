using TensorGraph.Estimator;

namespace TensorGraph.FeatureColumns;

/// <summary>
/// A TF 1.15 v1 feature column (<c>tf.feature_column</c>, <c>feature_column.py</c>): how one input
/// feature becomes model input. Dense columns (<see cref="IDenseColumn"/>) give a float tensor of
/// <see cref="IDenseColumn.VariableSize"/> values per example; categorical columns
/// (<see cref="ICategoricalColumn"/>) give ids in [0, <see cref="ICategoricalColumn.NumBuckets"/>).
/// Features are dense tensors: one example per row (a vector is one value per example); a
/// categorical feature may hold several ids per example ([batch, k]), where −1 (an integer
/// feature) or the empty string (a string feature) is a missing value, as TF drops them when it
/// makes a dense input sparse.
/// </summary>
public abstract class FeatureColumn
{
    /// <summary>The column's name (TF's <c>name</c>): the key for raw columns, derived for the others.</summary>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name}('{Name}')";

    /// <summary>The raw feature <paramref name="key"/> as a tensor with a row dimension ([batch] becomes [batch, 1]).</summary>
    internal static Output RawFeature(TensorDict features, string key)
    {
        if (!features.IsDictionary) throw new ArgumentException($"features should be a dictionary of tensors, got a single tensor (looking for '{key}')");
        if (features.Items!.TryGetValue(key, out var t) is false)
            throw new KeyError($"The feature '{key}' is not in the features dictionary; there are: {string.Join(", ", features.Items.Keys.Order(StringComparer.Ordinal))}");
        var g = t.Op.Graph;
        if (t.Shape.IsRankKnown && t.Shape.Rank == 0) throw new ArgumentException($"Feature (key: {key}) cannot have rank 0. Given: {t.Name}");
        if (t.Shape.IsRankKnown && t.Shape.Rank == 1) t = g.ExpandDims(t, -1);
        return t;
    }
}

/// <summary>A missing feature key (Python's KeyError).</summary>
public sealed class KeyError(string message) : KeyNotFoundException(message);

/// <summary>A column that gives a dense float tensor (TF's <c>_DenseColumn</c>).</summary>
public interface IDenseColumn
{
    /// <summary>The column's name.</summary>
    string Name { get; }

    /// <summary>The number of values per example (TF's <c>_variable_shape.num_elements()</c>).</summary>
    int VariableSize { get; }

    /// <summary>
    /// The column's dense tensor, [batch, …] (TF's <c>_get_dense_tensor</c>); variables it needs are
    /// made with <see cref="Graph.GetVariable(string, Shape?, DType?, Initializers.Initializer?, Func{Output, Output?}?, bool?, IEnumerable{string}?)"/>
    /// in the current variable scope.
    /// </summary>
    Output GetDenseTensor(TensorDict features, bool trainable, IDictionary<string, Variable>? colsToVars);
}

/// <summary>A column of category ids (TF's <c>_CategoricalColumn</c>).</summary>
public interface ICategoricalColumn
{
    /// <summary>The column's name.</summary>
    string Name { get; }

    /// <summary>The number of ids (TF's <c>_num_buckets</c>).</summary>
    int NumBuckets { get; }

    /// <summary>The ids, int64 [batch, k]; −1 marks a missing value (TF's <c>_get_sparse_tensors</c> on a dense input).</summary>
    Output GetIds(TensorDict features);
}

/// <summary>
/// TF's <c>numeric_column(key, shape=(1,), default_value=None, dtype=float32, normalizer_fn=None)</c>:
/// the feature, normalized by <c>normalizer_fn</c> when given, cast to float32.
/// </summary>
public sealed class NumericColumn : FeatureColumn, IDenseColumn
{
    /// <summary>Creates the column; every dimension of <paramref name="shape"/> must be positive.</summary>
    public NumericColumn(string key, int[]? shape = null, double? defaultValue = null, DType dtype = DType.Float32, Func<Output, Output>? normalizerFn = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        shape ??= [1];
        if (shape.Length == 0 || shape.Any(d => d <= 0)) throw new ArgumentException($"shape dimensions must be greater than 0. shape: [{string.Join(", ", shape)}], key: {key}");
        if (!dtype.IsFloating() && dtype is not (DType.Int32 or DType.Int64))
            throw new ArgumentException($"dtype must be convertible to float. dtype: {dtype.Name()}, key: {key}");
        Key = key;
        Shape = (int[])shape.Clone();
        DefaultValue = defaultValue;
        DType = dtype;
        NormalizerFn = normalizerFn;
    }

    /// <summary>The feature key.</summary>
    public string Key { get; }

    /// <summary>The shape of one example's value.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The value for a missing feature when parsing examples (kept for parity; dense inputs have none missing).</summary>
    public double? DefaultValue { get; }

    /// <summary>The feature's dtype.</summary>
    public DType DType { get; }

    /// <summary>The normalizer applied to the raw feature, if any.</summary>
    public Func<Output, Output>? NormalizerFn { get; }

    /// <inheritdoc/>
    public override string Name => Key;

    /// <inheritdoc/>
    public int VariableSize => Shape.Aggregate(1, (a, b) => a * b);

    /// <inheritdoc/>
    public Output GetDenseTensor(TensorDict features, bool trainable, IDictionary<string, Variable>? colsToVars) => Transform(features);

    /// <summary>The normalized float32 feature (TF's <c>_transform_feature</c>).</summary>
    internal Output Transform(TensorDict features)
    {
        var t = RawFeature(features, Key);
        var g = t.Op.Graph;
        if (NormalizerFn is { } f) t = f(t);
        return g.Cast(t, DType.Float32);
    }
}

/// <summary>
/// TF's <c>bucketized_column(source_column, boundaries)</c>: each value of a numeric column becomes
/// the index of its bucket (a Bucketize node: the number of boundaries ≤ the value), so bucket
/// 0 is (−∞, b0), bucket i is [b(i−1), b(i)), the last [b(n−1), +∞). As a dense column it is the
/// one-hot encoding of every value's bucket; as a categorical one, value j's bucket i is id
/// i + j·(boundaries + 1).
/// </summary>
public sealed class BucketizedColumn : FeatureColumn, IDenseColumn, ICategoricalColumn
{
    /// <summary>Creates the column; <paramref name="boundaries"/> must be sorted and increasing.</summary>
    public BucketizedColumn(NumericColumn sourceColumn, IReadOnlyList<double> boundaries)
    {
        ArgumentNullException.ThrowIfNull(sourceColumn);
        ArgumentNullException.ThrowIfNull(boundaries);
        if (sourceColumn.Shape.Count != 1)
            throw new ArgumentException($"source_column must be one-dimensional column. Given: {sourceColumn}");
        if (boundaries.Count == 0) throw new ArgumentException($"boundaries must be a sorted list. boundaries: []");
        for (int i = 1; i < boundaries.Count; i++)
        {
            if (boundaries[i - 1] >= boundaries[i]) throw new ArgumentException($"boundaries must be a sorted list. boundaries: [{string.Join(", ", boundaries)}]");
        }
        Source = sourceColumn;
        Boundaries = boundaries.ToArray();
    }

    /// <summary>The numeric column bucketized.</summary>
    public NumericColumn Source { get; }

    /// <summary>The bucket boundaries.</summary>
    public IReadOnlyList<double> Boundaries { get; }

    /// <inheritdoc/>
    public override string Name => Source.Name + "_bucketized";

    /// <inheritdoc/>
    public int VariableSize => Source.VariableSize * (Boundaries.Count + 1);

    /// <inheritdoc/>
    public int NumBuckets => VariableSize;

    /// <summary>The bucket of every value, int64 [batch, source size].</summary>
    private Output Buckets(TensorDict features)
    {
        var x = Source.Transform(features);
        var g = x.Op.Graph;
        x = g.Reshape(x, [-1, Source.VariableSize]);
        return g.Cast(g.Bucketize(x, Boundaries.Select(v => (float)v)), DType.Int64);
    }

    /// <inheritdoc/>
    public Output GetDenseTensor(TensorDict features, bool trainable, IDictionary<string, Variable>? colsToVars)
    {
        var buckets = Buckets(features);
        var g = buckets.Op.Graph;
        return g.Reshape(g.OneHot(buckets, Boundaries.Count + 1), [-1, VariableSize]);
    }

    /// <inheritdoc/>
    public Output GetIds(TensorDict features)
    {
        var buckets = Buckets(features);
        var g = buckets.Op.Graph;
        int n = Source.VariableSize, width = Boundaries.Count + 1;
        if (n == 1) return buckets;
        var offsets = g.Constant(Tensor.Create(Enumerable.Range(0, n).Select(i => (long)i * width).ToArray(), n));
        return g.Add(buckets, offsets);
    }
}

/// <summary>
/// TF's <c>categorical_column_with_identity(key, num_buckets, default_value=None)</c>: integer ids
/// used as they are. An id outside [0, num_buckets) becomes <c>default_value</c> when given, else
/// fails the run (TF's assertion "Bucket index for categorical column exceeds number of buckets").
/// </summary>
public sealed class CategoricalColumnWithIdentity : FeatureColumn, ICategoricalColumn
{
    /// <summary>Creates the column; <paramref name="numBuckets"/> must be at least 1.</summary>
    public CategoricalColumnWithIdentity(string key, int numBuckets, long? defaultValue = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (numBuckets < 1) throw new ArgumentException($"num_buckets {numBuckets} < 1, column_name {key}");
        if (defaultValue is { } d && (d < 0 || d >= numBuckets))
            throw new ArgumentException($"default_value {d} not in range [0, {numBuckets}), column_name {key}");
        Key = key;
        NumBuckets = numBuckets;
        DefaultValue = defaultValue;
    }

    /// <summary>The feature key.</summary>
    public string Key { get; }

    /// <inheritdoc/>
    public int NumBuckets { get; }

    /// <summary>The id for out-of-range values, or null to fail on them.</summary>
    public long? DefaultValue { get; }

    /// <inheritdoc/>
    public override string Name => Key;

    /// <inheritdoc/>
    public Output GetIds(TensorDict features)
    {
        var raw = RawFeature(features, Key);
        var g = raw.Op.Graph;
        if (!raw.DType.IsInteger()) throw new ArgumentException($"Invalid input, not integer. key: {Key} dtype: {raw.DType.Name()}");
        var ids = g.Cast(raw, DType.Int64);
        var present = g.NotEqual(ids, g.Constant(-1L));
        var inRange = g.LogicalAnd(g.GreaterEqual(ids, g.Constant(0L)), g.Less(ids, g.Constant((long)NumBuckets)));
        if (DefaultValue is { } d)
        {
            var fill = g.Fill(g.ShapeOf(ids), g.Constant(d));
            var missing = g.Fill(g.ShapeOf(ids), g.Constant(-1L));
            return g.Select(inRange, ids, g.Select(present, fill, missing));
        }
        var ok = g.ReduceAll(g.LogicalOr(inRange, g.LogicalNot(present)));
        var check = g.Assert(ok, [g.Constant($"Bucket index for categorical column exceeds number of buckets ({NumBuckets}) or is negative, key: {Key}"), ids]);
        using (g.ControlDependencies([check])) return g.Identity(ids);
    }
}

/// <summary>
/// TF's <c>categorical_column_with_vocabulary_list(key, vocabulary_list, dtype=None,
/// default_value=-1, num_oov_buckets=0)</c>: the id of a value is its index in the vocabulary;
/// a value not in it gets <c>default_value</c> (−1: missing). Out-of-vocabulary hash buckets are
/// not implemented.
/// </summary>
public sealed class CategoricalColumnWithVocabularyList : FeatureColumn, ICategoricalColumn
{
    private readonly Tensor _vocab;

    /// <summary>A string vocabulary.</summary>
    public CategoricalColumnWithVocabularyList(string key, IReadOnlyList<string> vocabularyList, long defaultValue = -1, int numOovBuckets = 0)
        : this(key, Tensor.Create(Checked(key, vocabularyList).ToArray(), vocabularyList.Count), vocabularyList.Count, defaultValue, numOovBuckets)
    {
    }

    /// <summary>An integer vocabulary.</summary>
    public CategoricalColumnWithVocabularyList(string key, IReadOnlyList<long> vocabularyList, long defaultValue = -1, int numOovBuckets = 0)
        : this(key, Tensor.Create(Checked(key, vocabularyList).ToArray(), vocabularyList.Count), vocabularyList.Count, defaultValue, numOovBuckets)
    {
    }

    private CategoricalColumnWithVocabularyList(string key, Tensor vocab, int size, long defaultValue, int numOovBuckets)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (numOovBuckets < 0) throw new ArgumentException($"Invalid num_oov_buckets {numOovBuckets} in {key}.");
        if (numOovBuckets > 0) throw new UnimplementedException($"num_oov_buckets > 0 (hashed out-of-vocabulary buckets) is not implemented, column {key}");
        if (defaultValue != -1 && (defaultValue < 0 || defaultValue >= size))
            throw new ArgumentException($"Invalid default_value {defaultValue} for vocabulary of size {size} in {key}.");
        Key = key;
        _vocab = vocab;
        VocabularySize = size;
        DefaultValue = defaultValue;
    }

    private static IReadOnlyList<T> Checked<T>(string key, IReadOnlyList<T> vocab)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        if (vocab.Count < 1) throw new ArgumentException($"vocabulary_list {key} must be non-empty");
        if (vocab.Distinct().Count() != vocab.Count) throw new ArgumentException($"Duplicate keys in vocabulary_list [{string.Join(", ", vocab)}], column_name: {key}");
        return vocab;
    }

    /// <summary>The feature key.</summary>
    public string Key { get; }

    /// <summary>The number of vocabulary entries.</summary>
    public int VocabularySize { get; }

    /// <summary>The id of values not in the vocabulary (−1: missing).</summary>
    public long DefaultValue { get; }

    /// <inheritdoc/>
    public int NumBuckets => VocabularySize;

    /// <inheritdoc/>
    public override string Name => Key;

    /// <inheritdoc/>
    public Output GetIds(TensorDict features)
    {
        var raw = RawFeature(features, Key);
        var g = raw.Op.Graph;
        bool isString = _vocab.DType == DType.String;
        if (isString != (raw.DType == DType.String))
            throw new ArgumentException($"Column dtype and SparseTensors dtype must be compatible. key: {Key}, column dtype: {_vocab.DType.Name()}, tensor dtype: {raw.DType.Name()}");
        var vocab = g.Constant(isString ? _vocab : _vocab.Cast(raw.DType));
        var hits = g.Equal(g.ExpandDims(raw, -1), vocab);
        var found = g.ReduceAny(hits, [-1]);
        var index = g.ArgMax(g.Cast(hits, DType.Int32), -1);
        var fallback = g.Fill(g.ShapeOf(index), g.Constant(DefaultValue));
        return g.Select(found, index, fallback);
    }
}

/// <summary>
/// TF's <c>indicator_column(categorical_column)</c>: a multi-hot [batch, num_buckets] float
/// tensor, each id counted once per occurrence (missing values count nothing).
/// </summary>
public sealed class IndicatorColumn : FeatureColumn, IDenseColumn
{
    /// <summary>Wraps <paramref name="categoricalColumn"/>.</summary>
    public IndicatorColumn(ICategoricalColumn categoricalColumn) => Categorical = categoricalColumn ?? throw new ArgumentNullException(nameof(categoricalColumn));

    /// <summary>The categorical column.</summary>
    public ICategoricalColumn Categorical { get; }

    /// <inheritdoc/>
    public override string Name => Categorical.Name + "_indicator";

    /// <inheritdoc/>
    public int VariableSize => Categorical.NumBuckets;

    /// <inheritdoc/>
    public Output GetDenseTensor(TensorDict features, bool trainable, IDictionary<string, Variable>? colsToVars)
    {
        var ids = Categorical.GetIds(features);
        var g = ids.Op.Graph;
        return g.ReduceSum(g.OneHot(ids, Categorical.NumBuckets), [1]);
    }
}

/// <summary>
/// TF's <c>embedding_column(categorical_column, dimension, combiner='mean', initializer=None,
/// trainable=True)</c>: the rows of a [num_buckets, dimension] variable <c>embedding_weights</c>
/// (initializer truncated_normal(0, 1/√dimension) by default) for the ids, combined per example by
/// "sum", "mean" (sum / number of ids) or "sqrtn" (sum / √number of ids); an example without ids
/// gets zeros.
/// </summary>
public sealed class EmbeddingColumn : FeatureColumn, IDenseColumn
{
    /// <summary>Creates the column.</summary>
    public EmbeddingColumn(ICategoricalColumn categoricalColumn, int dimension, string combiner = "mean", Initializers.Initializer? initializer = null,
        bool trainable = true)
    {
        ArgumentNullException.ThrowIfNull(categoricalColumn);
        if (dimension < 1) throw new ArgumentException($"Invalid dimension {dimension}.");
        if (combiner is not ("mean" or "sqrtn" or "sum")) throw new ArgumentException($"Unrecognized combiner: {combiner}");
        Categorical = categoricalColumn;
        Dimension = dimension;
        Combiner = combiner;
        Initializer = initializer ?? new Initializers.TruncatedNormal(0.0, 1.0 / Math.Sqrt(dimension));
        Trainable = trainable;
    }

    /// <summary>The categorical column.</summary>
    public ICategoricalColumn Categorical { get; }

    /// <summary>The embedding size.</summary>
    public int Dimension { get; }

    /// <summary>"sum", "mean" or "sqrtn".</summary>
    public string Combiner { get; }

    /// <summary>The initializer of <c>embedding_weights</c>.</summary>
    public Initializers.Initializer Initializer { get; }

    /// <summary>Whether the embedding is trainable.</summary>
    public bool Trainable { get; }

    /// <inheritdoc/>
    public override string Name => Categorical.Name + "_embedding";

    /// <inheritdoc/>
    public int VariableSize => Dimension;

    /// <inheritdoc/>
    public Output GetDenseTensor(TensorDict features, bool trainable, IDictionary<string, Variable>? colsToVars)
    {
        var ids = Categorical.GetIds(features);
        var g = ids.Op.Graph;
        var w = g.GetVariable("embedding_weights", new Shape(Categorical.NumBuckets, Dimension), DType.Float32, Initializer, trainable: trainable && Trainable);
        if (colsToVars is not null) colsToVars[Name] = w;
        return FeatureLayers.CombineRows(g, w, ids, Combiner);
    }
}
