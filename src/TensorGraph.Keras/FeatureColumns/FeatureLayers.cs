using TensorGraph.Estimator;
using TensorGraph.Initializers;

namespace TensorGraph.FeatureColumns;

/// <summary>TF 1.15's v1 <c>tf.feature_column.input_layer</c> and <c>tf.feature_column.linear_model</c>.</summary>
public static class FeatureLayers
{
    /// <summary>
    /// TF's <c>input_layer(features, feature_columns, weight_collections=None, trainable=True,
    /// cols_to_vars=None)</c>: in variable scope <paramref name="scope"/> (default
    /// <c>input_layer</c>, made unique), each dense column in name order, under a variable scope of
    /// its name, gives its tensor reshaped to [batch, VariableSize]; the result is their
    /// concatenation along axis 1. <paramref name="colsToVars"/>, when given, receives the
    /// variables the columns make (an embedding's <c>embedding_weights</c>) by column name.
    /// </summary>
    /// <exception cref="ArgumentException">No columns, a column that is not dense (TF: wrap categorical columns in
    /// an embedding or indicator column), or two columns with one name.</exception>
    public static Output InputLayer(TensorDict features, IEnumerable<FeatureColumn> featureColumns, bool trainable = true,
        IDictionary<string, Variable>? colsToVars = null, string? scope = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        var columns = Checked(featureColumns);
        foreach (var c in columns)
        {
            if (c is not IDenseColumn)
                throw new ArgumentException($"Items of feature_columns must be a _DenseColumn. You can wrap a categorical column with an embedding_column or indicator_column. Given: {c}");
        }
        var g = features.Graph;
        using var vs = g.VariableScope(scope, "input_layer");
        var outputs = new List<Output>();
        foreach (var c in columns)
        {
            var dense = (IDenseColumn)c;
            using (g.VariableScope(null, c.Name))
            {
                var t = dense.GetDenseTensor(features, trainable, colsToVars);
                outputs.Add(g.Reshape(t, [-1, dense.VariableSize]));
            }
        }
        return g.Concat([.. outputs], 1);
    }

    /// <summary>
    /// TF's <c>linear_model(features, feature_columns, units=1, sparse_combiner='sum',
    /// weight_collections=None, trainable=True, cols_to_vars=None)</c>: in variable scope
    /// <c>linear_model</c> (made unique), each column in name order gets a zero-initialized
    /// variable <c>&lt;column&gt;/weights</c> — [VariableSize, units] for a dense column (its tensor
    /// times the weights), [NumBuckets, units] for a categorical one (the sum of its ids' rows,
    /// or their mean or sum/√n with <paramref name="sparseCombiner"/>; a bucketized column counts as
    /// categorical, as in TF) — and the model is their sum (<c>weighted_sum_no_bias</c>) plus the
    /// zero-initialized <c>bias_weights</c> [units] (<c>weighted_sum</c>). <paramref name="colsToVars"/>
    /// receives each column's weights by column name and the bias under <c>"bias"</c>.
    /// </summary>
    public static Output LinearModel(TensorDict features, IEnumerable<FeatureColumn> featureColumns, int units = 1, string sparseCombiner = "sum",
        bool trainable = true, IDictionary<string, Variable>? colsToVars = null, string name = "linear_model")
    {
        ArgumentNullException.ThrowIfNull(features);
        if (units < 1) throw new ArgumentException($"units must be positive, got {units}");
        if (sparseCombiner is not ("mean" or "sqrtn" or "sum")) throw new ArgumentException($"Unrecognized combiner: {sparseCombiner}");
        var columns = Checked(featureColumns);
        foreach (var c in columns)
        {
            if (c is not (IDenseColumn or ICategoricalColumn))
                throw new ArgumentException($"Items of feature_columns must be either a _DenseColumn or _CategoricalColumn. Given: {c}");
        }
        var g = features.Graph;
        using var vs = g.VariableScope(null, name);
        var sums = new List<Output>();
        foreach (var c in columns)
        {
            using (g.VariableScope(null, c.Name))
            {
                if (c is ICategoricalColumn cat)
                {
                    var ids = cat.GetIds(features);
                    var w = g.GetVariable("weights", new Shape(cat.NumBuckets, units), DType.Float32, new Zeros(), trainable: trainable);
                    if (colsToVars is not null) colsToVars[c.Name] = w;
                    sums.Add(g.Identity(CombineRows(g, w, ids, sparseCombiner), name: "weighted_sum"));
                }
                else
                {
                    var dense = (IDenseColumn)c;
                    var t = g.Reshape(dense.GetDenseTensor(features, trainable, null), [-1, dense.VariableSize]);
                    var w = g.GetVariable("weights", new Shape(dense.VariableSize, units), DType.Float32, new Zeros(), trainable: trainable);
                    if (colsToVars is not null) colsToVars[c.Name] = w;
                    sums.Add(g.MatMul(t, w.Value, name: "weighted_sum"));
                }
            }
        }
        var noBias = g.AddN([.. sums], name: "weighted_sum_no_bias");
        var bias = g.GetVariable("bias_weights", new Shape(units), DType.Float32, new Zeros(), trainable: trainable);
        if (colsToVars is not null) colsToVars["bias"] = bias;
        return g.BiasAdd(noBias, bias.Value, name: "weighted_sum");
    }

    /// <summary>
    /// The rows of <paramref name="weights"/> for ids [batch, k] (−1: missing) combined per example:
    /// "sum", "mean" (sum / count) or "sqrtn" (sum / √count); an example with no ids gets zeros.
    /// </summary>
    internal static Output CombineRows(Graph g, Variable weights, Output ids, string combiner)
    {
        var valid = g.GreaterEqual(ids, g.Constant(0L));
        var safe = g.Select(valid, ids, g.ZerosLike(ids));
        var rows = g.EmbeddingLookup(weights, safe);
        var mask = g.Cast(valid, DType.Float32);
        var sum = g.ReduceSum(g.Multiply(rows, g.ExpandDims(mask, -1)), [1]);
        if (combiner == "sum") return sum;
        var count = g.ReduceSum(mask, [1], keepDims: true);
        return g.DivNoNan(sum, combiner == "mean" ? count : g.Sqrt(count));
    }

    private static FeatureColumn[] Checked(IEnumerable<FeatureColumn> featureColumns)
    {
        ArgumentNullException.ThrowIfNull(featureColumns);
        var columns = featureColumns.ToArray();
        if (columns.Length == 0) throw new ArgumentException("feature_columns must not be empty.");
        if (columns.Any(c => c is null)) throw new ArgumentException("feature_columns must not contain null");
        var dup = columns.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(gr => gr.Count() > 1);
        if (dup is not null) throw new ArgumentException($"Duplicate feature column name found for columns: {dup.First()} and {dup.Skip(1).First()}. This usually means that these columns refer to same base feature. Either one must be discarded or a duplicated but renamed item must be inserted in features dict.");
        return [.. columns.OrderBy(c => c.Name, StringComparer.Ordinal)];
    }
}
