using TensorGraph.Training;

namespace TensorGraph.Tests.Training;

public class SparseOptimizerTests
{
    private const int Rows = 6, Dim = 2;
    private static readonly int[] Ids = [4, 1, 4, 0];

    private static double[] Table() => [.. Enumerable.Range(0, Rows * Dim).Select(i => 0.3 * i - 1.0)];

    private static double[] Weights() => [.. Enumerable.Range(0, Ids.Length * Dim).Select(i => 0.7 - 0.2 * i)];

    // loss = Σ (lookup(table, ids) · W)² / 2, looked up sparsely or as OneHot(ids) × table (dense gradient).
    private static double[] Train(Func<Optimizer> make, bool sparse, int steps = 3)
    {
        var g = new Graph();
        var table = g.Variable(Tensor.Create(Table(), Rows, Dim), name: "table");
        var ids = g.Constant(Ids);
        var rows = sparse ? g.EmbeddingLookup(table, ids) : g.MatMul(g.OneHot(ids, Rows, dtype: DType.Float64), table.Value);
        var loss = 0.5 * g.ReduceSum(g.Square(rows * g.Constant(Tensor.Create(Weights(), Ids.Length, Dim))));
        var opt = make();
        var gv = opt.ComputeGradientValues(loss);
        Assert.That(gv[0].Gradient!.IsSparse, Is.EqualTo(sparse));
        var train = opt.ApplyGradients(gv);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        for (int i = 0; i < steps; i++) s.Run(train);
        return s.Run(table.Value).ToArray<double>();
    }

    private static IEnumerable<TestCaseData> Optimizers()
    {
        yield return new TestCaseData((Func<Optimizer>)(() => new GradientDescentOptimizer(0.1))).SetName("GradientDescent");
        yield return new TestCaseData((Func<Optimizer>)(() => new MomentumOptimizer(0.1, 0.9))).SetName("Momentum");
        yield return new TestCaseData((Func<Optimizer>)(() => new AdagradOptimizer(0.1))).SetName("Adagrad");
        yield return new TestCaseData((Func<Optimizer>)(() => new RMSPropOptimizer(0.01))).SetName("RMSProp");
        yield return new TestCaseData((Func<Optimizer>)(() => new RMSPropOptimizer(0.01, momentum: 0.5, centered: true))).SetName("CenteredRMSProp");
        yield return new TestCaseData((Func<Optimizer>)(() => new AdamOptimizer(0.05))).SetName("Adam");
    }

    [TestCaseSource(nameof(Optimizers))]
    public void SparseUpdateEqualsDenseWithDuplicateIndices(Func<Optimizer> make)
    {
        var dense = Train(make, sparse: false);
        var sparse = Train(make, sparse: true);
        Assert.That(sparse, Is.EqualTo(dense).Within(1e-12));
        Assert.That(sparse, Is.Not.EqualTo(Table()));
    }

    private static IEnumerable<TestCaseData> SparseApplyOptimizers()
    {
        yield return new TestCaseData((Func<Optimizer>)(() => new MomentumOptimizer(0.1, 0.9)), "SparseApplyMomentum", "ApplyMomentum").SetName("Momentum uses SparseApplyMomentum");
        yield return new TestCaseData((Func<Optimizer>)(() => new AdagradOptimizer(0.1)), "SparseApplyAdagrad", "ApplyAdagrad").SetName("Adagrad uses SparseApplyAdagrad");
        yield return new TestCaseData((Func<Optimizer>)(() => new FtrlOptimizer(0.1)), "SparseApplyFtrl", "ApplyFtrl").SetName("Ftrl uses SparseApplyFtrl");
        yield return new TestCaseData((Func<Optimizer>)(() => new RMSPropOptimizer(0.01)), "SparseApplyRMSProp", "ApplyRMSProp").SetName("RMSProp uses SparseApplyRMSProp");
        yield return new TestCaseData((Func<Optimizer>)(() => new RMSPropOptimizer(0.01, centered: true)), "SparseApplyCenteredRMSProp", "ApplyCenteredRMSProp").SetName("centered RMSProp uses SparseApplyCenteredRMSProp");
    }

    /// <summary>As TF 1.15: the deduplicated rows (Unique + UnsortedSegmentSum) go to the optimizer's SparseApply* op, with no dense update.</summary>
    [TestCaseSource(nameof(SparseApplyOptimizers))]
    public void SparseGradientsUseTheSparseApplyOp(Func<Optimizer> make, string sparseOp, string denseOp)
    {
        var g = new Graph();
        var table = g.Variable(Tensor.Create(Table(), Rows, Dim), name: "table");
        var loss = g.ReduceSum(g.Square(g.EmbeddingLookup(table, g.Constant(Ids))));
        make().Minimize(loss);
        var ops = g.Operations.Select(o => o.Type).ToList();
        Assert.That(ops, Does.Contain(sparseOp));
        Assert.That(ops, Does.Contain("Unique"));
        Assert.That(ops, Does.Not.Contain(denseOp));
    }

    [Test]
    public void GradientDescentSparseUpdateIsAScatterSubOfTheRows()
    {
        var g = new Graph();
        var table = g.Variable(Tensor.Create(Table(), Rows, Dim), name: "table");
        var loss = g.ReduceSum(g.EmbeddingLookup(table, g.Constant(Ids)));
        var train = new GradientDescentOptimizer(0.5).Minimize(loss);
        var ops = g.Operations.Select(o => o.Type).ToHashSet();
        Assert.That(ops, Does.Contain("ScatterSub"));
        Assert.That(ops, Does.Not.Contain("ApplyGradientDescent"));
        Assert.That(ops, Does.Not.Contain("UnsortedSegmentSum"));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        s.Run(train);
        var expect = Table();
        foreach (var id in Ids)
            for (int c = 0; c < Dim; c++) expect[id * Dim + c] -= 0.5;
        Assert.That(s.Run(table.Value).ToArray<double>(), Is.EqualTo(expect).Within(1e-12));
    }

    [Test]
    public void LargeEmbeddingTrainsOneStepWithoutADenseGradient()
    {
        const int rows = 563_000, dim = 8;
        var g = new Graph();
        var table = g.Variable(g.Fill(g.Constant(new[] { rows, dim }), g.Constant(1f)), name: "embedding");
        int[] ids = [7, 562_999, 7, 123_456];
        var e = g.EmbeddingLookup(table, g.Constant(ids));
        var loss = g.ReduceSum(e * g.Constant(Tensor.Create(Enumerable.Range(0, ids.Length * dim).Select(i => (float)i).ToArray(), ids.Length, dim)));
        var train = new GradientDescentOptimizer(0.25).Minimize(loss);
        // No node of the gradient or the update has the table's [rows, dim] shape.
        foreach (var op in g.Operations.Where(o => o.Name.StartsWith("gradients/", StringComparison.Ordinal) || o.Name.StartsWith("GradientDescent/", StringComparison.Ordinal)))
        {
            foreach (var o in Enumerable.Range(0, op.NumOutputs).Select(k => op[k]))
                Assert.That(o.Shape.IsRankKnown && o.Shape.Rank == 2 && o.Shape[0] == rows && op.Type != "ScatterSub", Is.False, $"{op.Name} is dense-sized");
        }
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        s.Run(train);
        var after = s.Run(table.Value).ToArray<float>();
        var expect = new float[rows * dim];
        Array.Fill(expect, 1f);
        for (int k = 0; k < ids.Length; k++)
            for (int c = 0; c < dim; c++) expect[ids[k] * dim + c] -= 0.25f * (k * dim + c);
        Assert.That(after, Is.EqualTo(expect));
    }
}
