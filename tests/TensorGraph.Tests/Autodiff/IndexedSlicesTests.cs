namespace TensorGraph.Tests.Autodiff;

public class IndexedSlicesTests
{
    // params [5, 3]: p[r, c] = r + c / 10.
    private static double[] Params() => [.. Enumerable.Range(0, 15).Select(i => i / 3 + (i % 3) / 10.0)];

    private static double[] Weights(int rows) => [.. Enumerable.Range(0, rows * 3).Select(i => 0.5 + 0.25 * i)];

    [Test]
    public void GatherGradientIsIndexedSlicesOfTheUpstreamGradient()
    {
        var g = new Graph();
        var p = g.Constant(Tensor.Create(Params(), 5, 3));
        var ids = g.Constant(new[] { 1, 3, 1 });
        var w = g.Constant(Tensor.Create(Weights(3), 3, 3));
        var loss = g.ReduceSum(g.Gather(p, ids) * w);
        var grad = g.GradientValues([loss], [p])[0]!;
        Assert.That(grad.IsSparse, Is.True);
        using var s = new Session(g);
        var sp = grad.Sparse!;
        var r = s.Run([sp.Values, sp.Indices, sp.DenseShape, g.Gradients(loss, p)[0]!.Value], null);
        Assert.That(r[0].ToArray<double>(), Is.EqualTo(Weights(3)));
        Assert.That(r[0].Dims.ToArray(), Is.EqualTo(new[] { 3, 3 }));
        Assert.That(r[1].ToArray<int>(), Is.EqualTo(new[] { 1, 3, 1 }));
        Assert.That(r[2].ToArray<int>(), Is.EqualTo(new[] { 5, 3 }));
        // Dense: row 1 gets the sum of weight rows 0 and 2, row 3 weight row 1, others zero.
        var wv = Weights(3);
        var expect = new double[15];
        int[] idv = [1, 3, 1];
        for (int k = 0; k < 3; k++)
            for (int c = 0; c < 3; c++) expect[idv[k] * 3 + c] += wv[k * 3 + c];
        Assert.That(r[3].ToArray<double>(), Is.EqualTo(expect));
    }

    [Test]
    public void TwoGathersSumByConcatenation()
    {
        var g = new Graph();
        var p = g.Constant(Tensor.Create(Params(), 5, 3));
        var a = g.Gather(p, g.Constant(new[] { 4, 0 }));
        var b = g.Gather(p, g.Constant(new[] { 0 }));
        var loss = g.ReduceSum(a * g.Constant(Tensor.Create(Weights(2), 2, 3))) + g.ReduceSum(b * 3.0);
        var grad = g.GradientValues([loss], [p])[0]!;
        Assert.That(grad.IsSparse, Is.True);
        Assert.That(grad.Sparse!.Values.Op.Type, Is.EqualTo("ConcatV2"));
        using var s = new Session(g);
        var r = s.Run([grad.Sparse.Values, grad.Sparse.Indices], null);
        var idx = r[1].ToArray<int>();
        var vals = r[0].ToArray<double>();
        Assert.That(idx.Order(), Is.EqualTo(new[] { 0, 0, 4 }));
        // Whatever the order of the parts, each (index, row) pair matches its source.
        var wv = Weights(2);
        var rows = Enumerable.Range(0, 3).Select(k => (idx[k], vals.Skip(k * 3).Take(3).ToArray())).ToList();
        Assert.That(rows, Has.Some.Matches<(int I, double[] V)>(x => x.I == 4 && x.V.SequenceEqual(wv.Take(3))));
        Assert.That(rows, Has.Some.Matches<(int I, double[] V)>(x => x.I == 0 && x.V.SequenceEqual(wv.Skip(3))));
        Assert.That(rows, Has.Some.Matches<(int I, double[] V)>(x => x.I == 0 && x.V.SequenceEqual(new[] { 3.0, 3.0, 3.0 })));
    }

    [Test]
    public void DenseAndSparseGradientsSumAsIndexedSlicesWithRangeIndices()
    {
        var g = new Graph();
        var p = g.Constant(Tensor.Create(Params(), 5, 3));
        var loss = g.ReduceSum(g.Gather(p, g.Constant(new[] { 2 }))) + g.ReduceSum(g.Square(p));
        var grad = g.GradientValues([loss], [p])[0]!;
        Assert.That(grad.IsSparse, Is.True);
        var dense = g.Gradients(loss, p)[0]!.Value;
        using var s = new Session(g);
        var r = s.Run([grad.Sparse!.Indices, dense], null);
        Assert.That(r[0].ToArray<int>().Order(), Is.EqualTo(new[] { 0, 1, 2, 2, 3, 4 }));
        var pv = Params();
        var expect = pv.Select((v, i) => 2 * v + (i / 3 == 2 ? 1 : 0)).ToArray();
        Assert.That(r[1].ToArray<double>(), Is.EqualTo(expect).Within(1e-12));
    }

    [Test]
    public void SparseGradientPassesThroughIdentityAndNamesFollowTf()
    {
        var g = new Graph();
        var table = g.Variable(Tensor.Create(Params(), 5, 3), name: "table");
        var e = g.EmbeddingLookup(table, g.Constant(new[] { 0, 2 }));
        Assert.That(e.Op.Name, Is.EqualTo("embedding_lookup/Identity"));
        Assert.That(e.Op.Inputs[0].Op.Name, Is.EqualTo("embedding_lookup"));
        var grad = g.GradientValues([g.ReduceSum(e)], [table.Ref])[0]!;
        Assert.That(grad.IsSparse, Is.True);
        Assert.That(grad.Sparse!.Values.Op.Name, Does.StartWith("gradients/embedding_lookup_grad/"));
        Assert.That(grad.Sparse.Indices.Op.Name, Does.StartWith("gradients/embedding_lookup_grad/"));
        Assert.That(g.Operations.Any(o => o.Type == "UnsortedSegmentSum"), Is.False);
    }

    [Test]
    public void EmbeddingLookupRowsAndMaxNormMatchTheFormula()
    {
        var g = new Graph();
        var pv = Params();
        var p = g.Constant(Tensor.Create(pv, 5, 3));
        int[,] ids = { { 4, 0 }, { 1, 4 } };
        var idsT = g.Constant(Tensor.FromArray(ids));
        var plain = g.EmbeddingLookup(p, idsT);
        var clipped = g.EmbeddingLookup(p, idsT, maxNorm: 1.5);
        using var s = new Session(g);
        var r = s.Run([plain, clipped], null);
        Assert.That(r[0].Dims.ToArray(), Is.EqualTo(new[] { 2, 2, 3 }));
        var got = r[0].ToArray<double>();
        var gotClip = r[1].ToArray<double>();
        int k = 0;
        foreach (var id in new[] { 4, 0, 1, 4 })
        {
            var row = pv.Skip(id * 3).Take(3).ToArray();
            double norm = Math.Sqrt(row.Sum(v => v * v));
            for (int c = 0; c < 3; c++)
            {
                Assert.That(got[k * 3 + c], Is.EqualTo(row[c]));
                Assert.That(gotClip[k * 3 + c], Is.EqualTo(norm > 1.5 ? row[c] * 1.5 / norm : row[c]).Within(1e-12));
            }
            k++;
        }
    }

    [Test]
    public void EmbeddingLookupGradientMatchesFiniteDifferences()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, new Shape(5, 3));
        var e = g.EmbeddingLookup(x, g.Constant(new[] { 3, 1, 3 }), maxNorm: 2.0);
        var y = g.Square(e) * g.Constant(Tensor.Create(Weights(3), 3, 3));
        using var s = new Session(g);
        var check = GradientChecker.Compute(s, x, Tensor.Create(Params(), 5, 3), y, delta: 1e-6);
        Assert.That(check.MaxError, Is.LessThan(1e-6));
    }
}
