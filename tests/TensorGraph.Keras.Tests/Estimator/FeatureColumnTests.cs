using TensorGraph.Estimator;
using TensorGraph.FeatureColumns;

namespace TensorGraph.Keras.Tests.Estimator;

/// <summary>v1 feature columns, input_layer and linear_model against values written out here.</summary>
public class FeatureColumnTests
{
    private static TensorDict Features(Graph g) => new Dictionary<string, Output>
    {
        ["price"] = g.Constant(new float[,] { { 1, 2 }, { -3, 0.5f }, { 0, 4 } }),
        ["age"] = g.Constant(new float[] { -1, 0.5f, 7 }),
        ["kind"] = g.Constant(Tensor.Create(new long[] { 0, 2, 1, -1, 2, 2 }, 3, 2)),
        ["color"] = g.Constant(new[] { "red", "blue", "green" }),
    };

    private static readonly string[] Colors = ["green", "red"];

    [Test]
    public void InputLayerConcatenatesColumnsInNameOrder()
    {
        var g = new Graph { Seed = 3 };
        var features = Features(g);
        var price = new NumericColumn("price", [2], normalizerFn: x => g.Multiply(x, g.Constant(2f)));
        var age = new BucketizedColumn(new NumericColumn("age"), [0.0, 1.0, 5.0]);
        var kind = new IndicatorColumn(new CategoricalColumnWithIdentity("kind", 3));
        var color = new EmbeddingColumn(new CategoricalColumnWithVocabularyList("color", Colors), 2);
        var vars = new Dictionary<string, Variable>();
        // Given out of order: the layer sorts by name (age_bucketized, color_embedding, kind_indicator, price).
        var net = FeatureLayers.InputLayer(features, [price, kind, color, age], colsToVars: vars);
        Assert.That(net.Shape[1], Is.EqualTo(11));
        Assert.That(vars["color_embedding"].Name, Is.EqualTo("input_layer/color_embedding/embedding_weights"));
        Assert.That(vars["color_embedding"].Shape, Is.EqualTo(new Shape(2, 2)));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var emb = s.Run(vars["color_embedding"]).ToArray<float>();
        var got = s.Run(net).ToArray<float>();
        // age buckets: -1 → 0, 0.5 → 1, 7 → 3 (4 buckets); color: red → row 1, blue → missing (zeros), green → row 0;
        // kind counts of ids in 0..2 (−1 missing); price doubled.
        float[][] expect =
        [
            [1, 0, 0, 0, emb[2], emb[3], 1, 0, 1, 2, 4],
            [0, 1, 0, 0, 0, 0, 0, 1, 0, -6, 1],
            [0, 0, 0, 1, emb[0], emb[1], 0, 0, 2, 0, 8],
        ];
        Assert.That(got, Is.EqualTo(expect.SelectMany(r => r).ToArray()));
        // The default initializer is truncated_normal(0, 1/sqrt(2)): within two standard deviations.
        Assert.That(emb.All(v => Math.Abs(v) <= 2 / Math.Sqrt(2) + 1e-6), Is.True);
        Assert.That(emb.Distinct().Count(), Is.EqualTo(4));
    }

    [TestCase("sum")]
    [TestCase("mean")]
    [TestCase("sqrtn")]
    public void EmbeddingCombinersOverSeveralIds(string combiner)
    {
        var g = new Graph { Seed = 5 };
        var features = Features(g);
        var col = new EmbeddingColumn(new CategoricalColumnWithIdentity("kind", 3), 3, combiner);
        var vars = new Dictionary<string, Variable>();
        var net = FeatureLayers.InputLayer(features, [col], colsToVars: vars);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var w = s.Run(vars["kind_embedding"]).ToArray<float>();
        var got = s.Run(net).ToArray<float>();
        long[][] ids = [[0, 2], [1], [2, 2]];
        for (int r = 0; r < 3; r++)
        {
            for (int d = 0; d < 3; d++)
            {
                double sum = ids[r].Sum(i => w[i * 3 + d]);
                double n = ids[r].Length;
                double e = combiner == "sum" ? sum : combiner == "mean" ? sum / n : sum / Math.Sqrt(n);
                Assert.That(got[r * 3 + d], Is.EqualTo(e).Within(1e-6), $"row {r} dim {d}");
            }
        }
    }

    [Test]
    public void LinearModelNamesItsWeightsAsTensorFlowAndSumsThem()
    {
        var g = new Graph();
        var features = Features(g);
        var price = new NumericColumn("price", [2]);
        var age = new BucketizedColumn(new NumericColumn("age"), [0.0, 1.0, 5.0]);
        var kind = new CategoricalColumnWithIdentity("kind", 3);
        var color = new CategoricalColumnWithVocabularyList("color", Colors);
        var vars = new Dictionary<string, Variable>();
        Output logits;
        using (g.VariableScope("linear")) logits = FeatureLayers.LinearModel(features, [price, kind, color, age], units: 2, colsToVars: vars);
        Assert.Multiple(() =>
        {
            Assert.That(vars["price"].Name, Is.EqualTo("linear/linear_model/price/weights"));
            Assert.That(vars["price"].Shape, Is.EqualTo(new Shape(2, 2)));
            Assert.That(vars["age_bucketized"].Name, Is.EqualTo("linear/linear_model/age_bucketized/weights"));
            Assert.That(vars["age_bucketized"].Shape, Is.EqualTo(new Shape(4, 2)));
            Assert.That(vars["kind"].Name, Is.EqualTo("linear/linear_model/kind/weights"));
            Assert.That(vars["color"].Shape, Is.EqualTo(new Shape(2, 2)));
            Assert.That(vars["bias"].Name, Is.EqualTo("linear/linear_model/bias_weights"));
            Assert.That(logits.Op.Name, Is.EqualTo("linear/linear_model/weighted_sum"));
        });
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        Assert.That(s.Run(logits).ToArray<float>(), Is.All.EqualTo(0f), "weights start at zero");
        // Give every weight a distinct value, then check the sum by hand.
        float[] W(Variable v, float start) => [.. Enumerable.Range(0, (int)v.Shape.NumElements).Select(i => start + 0.1f * i)];
        var values = new Dictionary<string, float[]>
        {
            ["price"] = W(vars["price"], 1), ["age_bucketized"] = W(vars["age_bucketized"], -1),
            ["kind"] = W(vars["kind"], 0.5f), ["color"] = W(vars["color"], 2), ["bias"] = [0.25f, -0.5f],
        };
        foreach (var (k, v) in values) s.Run(g.Assign(vars[k], g.Constant(Tensor.Create(v, vars[k].Shape.ToArray()))));
        var got = s.Run(logits).ToArray<float>();
        float[,] price0 = { { 1, 2 }, { -3, 0.5f }, { 0, 4 } };
        int[] ageBucket = [0, 1, 3];
        long[][] kinds = [[0, 2], [1], [2, 2]];
        int[] colorId = [1, -1, 0];
        for (int r = 0; r < 3; r++)
        {
            for (int u = 0; u < 2; u++)
            {
                double e = values["bias"][u];
                e += price0[r, 0] * values["price"][0 * 2 + u] + price0[r, 1] * values["price"][1 * 2 + u];
                e += values["age_bucketized"][ageBucket[r] * 2 + u];
                e += kinds[r].Sum(i => values["kind"][i * 2 + u]);
                if (colorId[r] >= 0) e += values["color"][colorId[r] * 2 + u];
                Assert.That(got[r * 2 + u], Is.EqualTo(e).Within(1e-5), $"row {r} unit {u}");
            }
        }
    }

    [Test]
    public void BadColumnsAndIdsAreRefused()
    {
        var g = new Graph();
        var features = Features(g);
        Assert.Throws<ArgumentException>(() => FeatureLayers.InputLayer(features, [new CategoricalColumnWithIdentity("kind", 3)]));
        Assert.Throws<ArgumentException>(() => FeatureLayers.InputLayer(features, [new NumericColumn("age"), new NumericColumn("age")]));
        Assert.Throws<ArgumentException>(() => new BucketizedColumn(new NumericColumn("age"), [1.0, 0.5]));
        Assert.Throws<ArgumentException>(() => new CategoricalColumnWithVocabularyList("color", ["a", "a"]));
        Assert.Throws<KeyError>(() => FeatureLayers.InputLayer(features, [new NumericColumn("missing")]));
        var tooSmall = FeatureLayers.InputLayer(features, [new IndicatorColumn(new CategoricalColumnWithIdentity("kind", 2))]);
        using var s = new Session(g);
        var ex = Assert.Throws<InvalidArgumentException>(() => s.Run(tooSmall));
        Assert.That(ex!.Message, Does.Contain("exceeds number of buckets"));
        var withDefault = FeatureLayers.InputLayer(features, [new IndicatorColumn(new CategoricalColumnWithIdentity("kind", 2, defaultValue: 0))], scope: "d");
        Assert.That(s.Run(withDefault).ToArray<float>(), Is.EqualTo(new float[] { 2, 0, 0, 1, 2, 0 }));
    }
}
