namespace TensorGraph.Tests.Autodiff;

public class EmbeddingLookupTests
{
    // A table of 11 rows × 2, row r = [r, -r / 2], split into 3 parts the way TF's strategies place ids.
    private const int Total = 11, Parts = 3;

    private static double[] Row(int r) => [r, -r / 2.0];

    // Independent placement: mod puts id i at part i % n, row i / n; div gives the first
    // (total % n) parts ceil(total / n) ids, the rest floor(total / n), in contiguous blocks.
    private static (int Part, int Row) Place(string strategy, int id)
    {
        if (strategy == "mod") return (id % Parts, id / Parts);
        var sizes = Enumerable.Range(0, Parts).Select(p => Total / Parts + (p < Total % Parts ? 1 : 0)).ToArray();
        int start = 0;
        for (int p = 0; p < Parts; p++)
        {
            if (id < start + sizes[p]) return (p, id - start);
            start += sizes[p];
        }
        throw new ArgumentOutOfRangeException(nameof(id));
    }

    private static Tensor[] PartTables(string strategy)
    {
        var rows = Enumerable.Range(0, Parts).Select(_ => new List<double[]>()).ToArray();
        var placed = Enumerable.Range(0, Total).Select(id => (id, Place(strategy, id))).OrderBy(x => x.Item2.Row);
        foreach (var (id, (part, _)) in placed) rows[part].Add(Row(id));
        return [.. rows.Select(r => Tensor.Create(r.SelectMany(x => x).ToArray(), r.Count, 2))];
    }

    [TestCase("mod")]
    [TestCase("div")]
    public void PartitionedLookupFindsEachIdsRow(string strategy)
    {
        var g = new Graph();
        var parts = PartTables(strategy).Select(t => g.Constant(t)).ToArray();
        int[,] ids = { { 10, 0, 4 }, { 7, 7, 3 } };
        var e = g.EmbeddingLookup(parts, g.Constant(Tensor.FromArray(ids)), strategy);
        Assert.That(e.Op.Inputs[0].Op.Name, Is.EqualTo("embedding_lookup"));
        using var s = new Session(g);
        var r = s.Run(e);
        Assert.That(r.Dims.ToArray(), Is.EqualTo(new[] { 2, 3, 2 }));
        var expect = ids.Cast<int>().SelectMany(Row).ToArray();
        Assert.That(r.ToArray<double>(), Is.EqualTo(expect));
    }

    [TestCase("mod")]
    [TestCase("div")]
    public void PartitionedGradientsAreSparsePerPartAndMatchFiniteDifferences(string strategy)
    {
        var g = new Graph();
        var tables = PartTables(strategy);
        var xs = tables.Select((t, i) => g.Placeholder(DType.Float64, t.Shape, $"part{i}")).ToArray();
        var ids = g.Constant(new[] { 5, 1, 9, 5 });
        var e = g.EmbeddingLookup(xs, ids, strategy, maxNorm: 6.0);
        var y = g.Square(e);
        var grads = g.GradientValues([g.ReduceSum(y)], xs);
        Assert.That(grads.All(gr => gr is { IsSparse: true }), Is.True);
        using var s = new Session(g);
        var feeds = new FeedDict();
        for (int i = 0; i < Parts; i++) feeds[xs[i]] = tables[i];
        for (int i = 0; i < Parts; i++)
        {
            var extra = new FeedDict();
            for (int j = 0; j < Parts; j++) if (j != i) extra[xs[j]] = tables[j];
            var check = GradientChecker.Compute(s, xs[i], tables[i], y, extra, delta: 1e-6);
            Assert.That(check.MaxError, Is.LessThan(1e-6), $"part {i}");
        }
    }

    [Test]
    public void DynamicPartitionSplitsRowsInOrderAndItsGradientStitchesBack()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, new Shape(4, 2));
        var outs = g.DynamicPartition(x, g.Constant(new[] { 1, 0, 1, 1 }), 2);
        var xv = Tensor.Create(new[] { 1.0, 2, 3, 4, 5, 6, 7, 8 }, 4, 2);
        using var s = new Session(g);
        var r = s.Run(outs, new FeedDict { [x] = xv });
        Assert.That(r[0].ToArray<double>(), Is.EqualTo(new[] { 3.0, 4 }));
        Assert.That(r[1].ToArray<double>(), Is.EqualTo(new[] { 1.0, 2, 5, 6, 7, 8 }));
        var y = g.Concat([g.Square(outs[0]), outs[1] * 3.0], 0);
        Assert.That(GradientChecker.Compute(s, x, xv, y, delta: 1e-6).MaxError, Is.LessThan(1e-6));
    }
}
