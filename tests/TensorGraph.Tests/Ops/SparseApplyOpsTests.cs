namespace TensorGraph.Tests.Ops;

/// <summary>
/// SparseApply* and ResourceSparseApply* (TF 1.15 training ops on rows), ResourceGather,
/// ResourceScatter* and VariableShape: values against the update formulas computed here, rows
/// applied in order for repeated indices, and errors that leave the variables untouched.
/// </summary>
public class SparseApplyOpsTests
{
    private const int Rows = 4, Width = 3;
    private const double Lr = 0.1, Mu = 0.9, Rho = 0.8, Eps = 1e-3;

    /// <summary>One optimizer's sparse op: its slot count, how to build the ref and resource forms, and its per-element formula.</summary>
    private sealed record Case(
        string Name,
        int Slots,
        Func<Graph, Output[], Output, Output, Operation> BuildRef,
        Func<Graph, Output[], Output, Output, Operation> BuildResource,
        Action<double[], int, double> Step);

    private static Output C(Graph g, double v) => g.Constant(Tensor.Scalar(v));

    private static IEnumerable<Case> Cases()
    {
        yield return new Case("Momentum", 1,
            (g, v, grad, idx) => g.SparseApplyMomentum(v[0], v[1], C(g, Lr), grad, idx, C(g, Mu)).Op,
            (g, v, grad, idx) => g.ResourceSparseApplyMomentum(v[0], v[1], C(g, Lr), grad, idx, C(g, Mu)),
            (s, i, gr) =>
            {
                // s = [w, accum] flattened per element: s[0] = w, s[1] = accum.
                s[1] = s[1] * Mu + gr;
                s[0] -= Lr * s[1];
            });
        yield return new Case("MomentumNesterov", 1,
            (g, v, grad, idx) => g.SparseApplyMomentum(v[0], v[1], C(g, Lr), grad, idx, C(g, Mu), useNesterov: true).Op,
            (g, v, grad, idx) => g.ResourceSparseApplyMomentum(v[0], v[1], C(g, Lr), grad, idx, C(g, Mu), useNesterov: true),
            (s, i, gr) =>
            {
                s[1] = s[1] * Mu + gr;
                s[0] -= gr * Lr + s[1] * Mu * Lr;
            });
        yield return new Case("Adagrad", 1,
            (g, v, grad, idx) => g.SparseApplyAdagrad(v[0], v[1], C(g, Lr), grad, idx).Op,
            (g, v, grad, idx) => g.ResourceSparseApplyAdagrad(v[0], v[1], C(g, Lr), grad, idx),
            (s, i, gr) =>
            {
                s[1] += gr * gr;
                s[0] -= Lr * gr / Math.Sqrt(s[1]);
            });
        yield return new Case("RMSProp", 2,
            (g, v, grad, idx) => g.SparseApplyRMSProp(v[0], v[1], v[2], C(g, Lr), C(g, Rho), C(g, Mu), C(g, Eps), grad, idx).Op,
            (g, v, grad, idx) => g.ResourceSparseApplyRMSProp(v[0], v[1], v[2], C(g, Lr), C(g, Rho), C(g, Mu), C(g, Eps), grad, idx),
            (s, i, gr) =>
            {
                // s = [w, ms, mom]
                s[1] += (gr * gr - s[1]) * (1 - Rho);
                s[2] = s[2] * Mu + Lr * gr / Math.Sqrt(s[1] + Eps);
                s[0] -= s[2];
            });
        yield return new Case("CenteredRMSProp", 3,
            (g, v, grad, idx) => g.SparseApplyCenteredRMSProp(v[0], v[1], v[2], v[3], C(g, Lr), C(g, Rho), C(g, Mu), C(g, Eps), grad, idx).Op,
            (g, v, grad, idx) => g.ResourceSparseApplyCenteredRMSProp(v[0], v[1], v[2], v[3], C(g, Lr), C(g, Rho), C(g, Mu), C(g, Eps), grad, idx),
            (s, i, gr) =>
            {
                // s = [w, mg, ms, mom]
                s[2] += (gr * gr - s[2]) * (1 - Rho);
                s[1] += (gr - s[1]) * (1 - Rho);
                s[3] = s[3] * Mu + Lr * gr / Math.Sqrt(s[2] - s[1] * s[1] + Eps);
                s[0] -= s[3];
            });
    }

    private static IEnumerable<TestCaseData> CaseData() => Cases().Select(c => new TestCaseData(c.Name).SetName($"{{m}}({c.Name})"));

    private static Case Get(string name) => Cases().Single(c => c.Name == name);

    /// <summary>Start values of the variable (k = 0) and its slots (k ≥ 1); slots stay positive where a root is taken.</summary>
    private static double[] Start(int k) => [.. Enumerable.Range(0, Rows * Width).Select(i => k == 0 ? 0.25 * i - 1.2 : 0.05 * (i % 5) + 0.1 * k)];

    private static readonly int[] Indices = [2, 0, 2];

    private static double[] GradRows() => [.. Enumerable.Range(0, Indices.Length * Width).Select(i => 0.3 * i - 0.7)];

    /// <summary>The rows updated one after another with the case's formula (row 2 twice, in order).</summary>
    private static double[][] Expected(Case c)
    {
        var values = Enumerable.Range(0, c.Slots + 1).Select(Start).ToArray();
        var grad = GradRows();
        var s = new double[c.Slots + 1];
        for (int i = 0; i < Indices.Length; i++)
            for (int j = 0; j < Width; j++)
            {
                int e = Indices[i] * Width + j;
                for (int k = 0; k < s.Length; k++) s[k] = values[k][e];
                c.Step(s, e, grad[i * Width + j]);
                for (int k = 0; k < s.Length; k++) values[k][e] = s[k];
            }
        return values;
    }

    [TestCaseSource(nameof(CaseData))]
    public void RefForm_UpdatesTheIndexedRowsInOrder(string name)
    {
        var c = Get(name);
        var g = new Graph();
        var vars = Enumerable.Range(0, c.Slots + 1).Select(k => g.Variable(Tensor.Create(Start(k), Rows, Width), name: $"v{k}")).ToArray();
        var op = c.BuildRef(g, [.. vars.Select(v => v.Ref)], g.Constant(Tensor.Create(GradRows(), Indices.Length, Width)), g.Constant(Indices));
        Assert.That(op.Type, Is.EqualTo(c.Name.StartsWith("Momentum", StringComparison.Ordinal) ? "SparseApplyMomentum" : "SparseApply" + c.Name));
        Assert.That(op[0].Shape, Is.EqualTo(new Shape(Rows, Width)));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var output = s.Run(op[0]).ToArray<double>();
        var expected = Expected(c);
        for (int k = 0; k <= c.Slots; k++)
            Assert.That(s.Run(vars[k].Value).ToArray<double>(), Is.EqualTo(expected[k]).Within(1e-12), $"variable {k}");
        Assert.That(output, Is.EqualTo(expected[0]).Within(1e-12), "the op's output is the updated variable");
        // Rows 1 and 3 are not in the indices: untouched.
        var w = s.Run(vars[0].Value).ToArray<double>();
        foreach (int r in new[] { 1, 3 })
            Assert.That(w.Skip(r * Width).Take(Width), Is.EqualTo(Start(0).Skip(r * Width).Take(Width)));
    }

    [TestCaseSource(nameof(CaseData))]
    public void ResourceForm_MatchesTheRefForm(string name)
    {
        var c = Get(name);
        var g = new Graph();
        var handles = Enumerable.Range(0, c.Slots + 1).Select(k => g.VarHandleOp(DType.Float64, new Shape(Rows, Width), name: $"h{k}")).ToArray();
        var init = handles.Select((h, k) => g.AssignVariableOp(h, g.Constant(Tensor.Create(Start(k), Rows, Width)))).ToArray();
        var indices = g.Placeholder(DType.Int64, [-1]);
        var op = c.BuildResource(g, handles, g.Constant(Tensor.Create(GradRows(), Indices.Length, Width)), indices);
        Assert.That(op.NumOutputs, Is.Zero);
        using var s = new Session(g);
        s.Run(init);
        s.Run([], new FeedDict { [indices] = Indices.Select(i => (long)i).ToArray() }, op);
        var expected = Expected(c);
        for (int k = 0; k <= c.Slots; k++)
            Assert.That(s.Run(g.ReadVariableOp(handles[k], DType.Float64)).ToArray<double>(), Is.EqualTo(expected[k]).Within(1e-12), $"variable {k}");
    }

    [TestCaseSource(nameof(CaseData))]
    public void AnIndexOutOfRange_FailsBeforeAnyRowIsWritten(string name)
    {
        var c = Get(name);
        var g = new Graph();
        var vars = Enumerable.Range(0, c.Slots + 1).Select(k => g.Variable(Tensor.Create(Start(k), Rows, Width), name: $"v{k}")).ToArray();
        var indices = g.Placeholder(DType.Int32, [-1]);
        var op = c.BuildRef(g, [.. vars.Select(v => v.Ref)], g.Constant(Tensor.Create(GradRows(), Indices.Length, Width)), indices);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run([], new FeedDict { [indices] = new[] { 1, 4, 0 } }, op))!;
        Assert.That(e.Message, Does.Contain("Index 4 at offset 1 in indices is out of range"));
        Assert.That(e.NodeName, Is.EqualTo(op.Name));
        for (int k = 0; k <= c.Slots; k++)
            Assert.That(s.Run(vars[k].Value).ToArray<double>(), Is.EqualTo(Start(k)), $"variable {k} is unchanged");
        var bad = Assert.Throws<InvalidArgumentException>(() => s.Run([], new FeedDict { [indices] = new[] { 1, 0 } }, op))!;
        Assert.That(bad.Message, Does.Contain("grad must be the same size as indices in the first dimension"));
    }

    [Test]
    public void ShapeInference_RejectsMismatchedRowsAndIndices()
    {
        var g = new Graph();
        var v = g.Variable(Tensor.Create(Start(0), Rows, Width));
        var a = g.Variable(Tensor.Create(Start(1), Rows, Width));
        var lr = C(g, Lr);
        var e1 = Assert.Throws<InvalidArgumentException>(() => g.SparseApplyAdagrad(v.Ref, a.Ref, lr, g.Constant(new double[2, 2]), g.Constant(new[] { 0, 1 })))!;
        Assert.That(e1.Message, Does.Contain("var and grad must match in dimension 1"));
        var e2 = Assert.Throws<InvalidArgumentException>(() => g.SparseApplyAdagrad(v.Ref, a.Ref, lr, g.Constant(new double[2, 3]), g.Constant(new[] { 0, 1, 2 })))!;
        Assert.That(e2.Message, Does.Contain("grad must be the same size as indices in the first dimension"));
        var e3 = Assert.Throws<InvalidArgumentException>(() => g.SparseApplyAdagrad(v.Ref, a.Ref, lr, g.Constant(new double[2, 3]), g.Constant(new[,] { { 0, 1 } })))!;
        Assert.That(e3.Message, Does.Contain("indices must be one-dimensional"));
    }

    [Test]
    public void ResourceGather_ReadsRowsAndItsGradientIsIndexedSlicesOfTheVariableShape()
    {
        var g = new Graph();
        var h = g.VarHandleOp(DType.Float32, new Shape(Rows, Width), name: "table");
        var init = g.AssignVariableOp(h, g.Constant(Tensor.Create(Start(0).Select(x => (float)x).ToArray(), Rows, Width)));
        var ids = g.Constant(new[,] { { 3, 1 }, { 3, 0 } });
        var rows = g.ResourceGather(h, ids, DType.Float32);
        Assert.That(rows.Shape, Is.EqualTo(new Shape(2, 2, Width)));
        var weights = g.Constant(Tensor.Create(Enumerable.Range(0, 4 * Width).Select(i => (float)i).ToArray(), 2, 2, Width));
        var loss = g.ReduceSum(rows * weights);
        var grad = g.GradientValues([loss], [h])[0]!;
        Assert.That(grad.IsSparse, Is.True);
        using var s = new Session(g);
        s.Run(init);
        var table = Start(0);
        var got = s.Run(rows).ToArray<float>();
        int[] flat = [3, 1, 3, 0];
        for (int i = 0; i < flat.Length; i++)
            for (int j = 0; j < Width; j++) Assert.That(got[i * Width + j], Is.EqualTo((float)table[flat[i] * Width + j]));
        var r = s.Run([grad.Sparse!.Values, grad.Sparse.Indices, grad.Sparse.DenseShape]);
        Assert.That(r[0].Dims.ToArray(), Is.EqualTo(new[] { 4, Width }));
        Assert.That(r[0].ToArray<float>(), Is.EqualTo(Enumerable.Range(0, 4 * Width).Select(i => (float)i).ToArray()));
        Assert.That(r[1].ToArray<int>(), Is.EqualTo(flat));
        Assert.That(r[2].ToArray<int>(), Is.EqualTo(new[] { Rows, Width }));
        Assert.Throws<InvalidArgumentException>(() => s.Run(g.ResourceGather(h, g.Constant(new[] { 4 }), DType.Float32)));
    }

    /// <summary>TF's _ReadGrad: a resource variable's gradient arrives at its handle through ReadVariableOp.</summary>
    [Test]
    public void GradientWithRespectToAHandle_FlowsThroughReadVariableOp()
    {
        var g = new Graph();
        var h = g.VarHandleOp(DType.Float64, new Shape(2), name: "w");
        var init = g.AssignVariableOp(h, g.Constant(new[] { 1.5, -2.0 }));
        var w = g.ReadVariableOp(h, DType.Float64);
        var loss = g.ReduceSum(w * w * w);
        var grad = g.Gradients(loss, h)[0]!.Value;
        using var s = new Session(g);
        s.Run(init);
        Assert.That(s.Run(grad).ToArray<double>(), Is.EqualTo(new[] { 3 * 1.5 * 1.5, 3 * 4.0 }).Within(1e-12));
    }

    [Test]
    public void ResourceScatter_AddSubUpdate_AndVariableShape()
    {
        var g = new Graph();
        var h = g.VarHandleOp(DType.Float32, new Shape(3, 2), name: "v");
        var init = g.AssignVariableOp(h, g.Constant(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }));
        var idx = g.Constant(new[] { 2, 0, 2 });
        var upd = g.Constant(new float[,] { { 10, 20 }, { 30, 40 }, { 50, 60 } });
        using var s = new Session(g);
        s.Run(init);
        s.Run(g.ResourceScatterAdd(h, idx, upd));
        Assert.That(s.Run(g.ReadVariableOp(h, DType.Float32)).ToArray<float>(), Is.EqualTo(new float[] { 31, 42, 3, 4, 65, 86 }), "repeated indices accumulate");
        s.Run(g.ResourceScatterSub(h, g.Constant(new[] { 1 }), g.Constant(new float[,] { { 1, 1 } })));
        s.Run(g.ResourceScatterUpdate(h, g.Constant(new[] { 0 }), g.Constant(new float[,] { { -1, -2 } })));
        Assert.That(s.Run(g.ReadVariableOp(h, DType.Float32)).ToArray<float>(), Is.EqualTo(new float[] { -1, -2, 2, 3, 65, 86 }));
        Assert.That(s.Run(g.VariableShape(h)).ToArray<int>(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(s.Run(g.VariableShape(h, DType.Int64)).ToArray<long>(), Is.EqualTo(new long[] { 3, 2 }));
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(g.ResourceScatterAdd(h, g.Constant(new[] { 3 }), g.Constant(new float[,] { { 1, 1 } }))))!;
        Assert.That(e.Message, Does.Contain("indices[0] = 3 is not in [0, 3)"));
        var uninit = g.VarHandleOp(DType.Float32, new Shape(3, 2), name: "never_assigned");
        Assert.Throws<FailedPreconditionException>(() => s.Run(g.ResourceGather(uninit, g.Constant(new[] { 0 }), DType.Float32)));
    }
}
