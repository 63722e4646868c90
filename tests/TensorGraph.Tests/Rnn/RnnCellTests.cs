using TensorGraph.Rnn;

namespace TensorGraph.Tests.Rnn;

/// <summary>
/// The cells against their formulas (rnn_cell_impl.py), recomputed here in plain C# from the
/// weights the session initialized; TF's variable names; the unrolled RNN with sequence lengths.
/// </summary>
public class RnnCellTests
{
    internal static double Sig(double v) => 1 / (1 + Math.Exp(-v));

    internal static double[,] Get(Session s, Output t) => ToMatrix(s.Run(t));

    internal static double[,] ToMatrix(Tensor t)
    {
        var d = t.ToArray<double>();
        int rows = t.Rank == 1 ? 1 : t.Dims[0], cols = t.Rank == 1 ? t.Dims[0] : t.Dims[1];
        var m = new double[rows, cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) m[i, j] = d[i * cols + j];
        return m;
    }

    /// <summary>[x, h] · W + b for one batch row.</summary>
    internal static double[] Affine(double[] x, double[] h, double[,] w, double[,] b)
    {
        var xh = x.Concat(h).ToArray();
        var z = new double[w.GetLength(1)];
        for (int j = 0; j < z.Length; j++)
        {
            double acc = b[0, j];
            for (int i = 0; i < xh.Length; i++) acc += xh[i] * w[i, j];
            z[j] = acc;
        }
        return z;
    }

    internal static double[] Row(double[,] m, int r) => Enumerable.Range(0, m.GetLength(1)).Select(j => m[r, j]).ToArray();

    private static readonly double[,] X = { { 0.5, -1.0, 0.25 }, { -0.3, 0.8, 1.2 } };

    [Test]
    public void BasicLstmCellFollowsTheFormulaAndTfNames()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [2, 3], name: "x");
        var cell = new BasicLstmCell(4, forgetBias: 1.0);
        var c0 = g.Placeholder(DType.Float64, [2, 4], name: "c0");
        var h0 = g.Placeholder(DType.Float64, [2, 4], name: "h0");
        Output output;
        Output[] state;
        using (g.NameScope("rnn")) (output, state) = cell.Call(g, x, [c0, h0]);
        Assert.That(cell.Variables.Select(v => v.Op.Name), Is.EqualTo(new[] { "rnn/basic_lstm_cell/kernel", "rnn/basic_lstm_cell/bias" }));
        Assert.That(cell.Variables[0].Shape, Is.EqualTo(new Shape(7, 16)));
        Assert.That(g.Operations.Select(o => o.Name), Does.Contain("rnn/basic_lstm_cell/MatMul").And.Contain("rnn/basic_lstm_cell/split"));
        Assert.That(g["rnn/basic_lstm_cell/Mul_2"].Op.Type, Is.EqualTo("Mul"));
        Assert.That(g["rnn/basic_lstm_cell/Add_1"].Op.Type, Is.EqualTo("Add"));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        // A non-zero bias, so its place in the formula is checked too.
        s.Run(g.Assign(cell.Variables[1], g.Constant(Enumerable.Range(0, 16).Select(i => 0.05 * i - 0.4).ToArray())).Op);
        var w = Get(s, cell.Variables[0]);
        var b = Get(s, cell.Variables[1]);
        var c0v = new double[,] { { 0.1, -0.2, 0.3, 0.0 }, { 0.5, 0.5, -0.5, 1.0 } };
        var h0v = new double[,] { { -0.1, 0.2, 0.0, 0.4 }, { 0.3, -0.6, 0.1, 0.0 } };
        var feeds = new FeedDict { [x] = X, [c0] = c0v, [h0] = h0v };
        var got = s.Run([output, state[0], state[1]], feeds);
        for (int r = 0; r < 2; r++)
        {
            var z = Affine(Row(X, r), Row(h0v, r), w, b);
            for (int u = 0; u < 4; u++)
            {
                double i = z[u], j = z[4 + u], f = z[8 + u], o = z[12 + u];
                double c = c0v[r, u] * Sig(f + 1.0) + Sig(i) * Math.Tanh(j);
                double h = Math.Tanh(c) * Sig(o);
                Assert.That(ToMatrix(got[1])[r, u], Is.EqualTo(c).Within(1e-12));
                Assert.That(ToMatrix(got[2])[r, u], Is.EqualTo(h).Within(1e-12));
                Assert.That(ToMatrix(got[0])[r, u], Is.EqualTo(h).Within(1e-12));
            }
        }
    }

    [Test]
    public void LstmCellWithPeepholesClippingAndProjection()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [2, 3], name: "x");
        var cell = new LstmCell(4, usePeepholes: true, cellClip: 0.3, numProj: 2, projClip: 0.1, forgetBias: 0.5);
        var zero = cell.ZeroState(g, g.Constant(2), DType.Float64);
        var (m, state) = cell.Call(g, x, zero);
        Assert.That(m.Shape, Is.EqualTo(new Shape(2, 2)));
        Assert.That(cell.Variables.Select(v => v.Op.Name), Is.EqualTo(new[]
        {
            "rnn/lstm_cell/kernel", "rnn/lstm_cell/bias", "rnn/lstm_cell/w_f_diag", "rnn/lstm_cell/w_i_diag", "rnn/lstm_cell/w_o_diag",
            "rnn/lstm_cell/projection/kernel",
        }));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var w = Get(s, cell.Variables[0]);
        var b = Get(s, cell.Variables[1]);
        var wf = Get(s, cell.Variables[2]);
        var wi = Get(s, cell.Variables[3]);
        var wo = Get(s, cell.Variables[4]);
        var p = Get(s, cell.Variables[5]);
        var got = s.Run([m, state[0]], new FeedDict { [x] = X });
        for (int r = 0; r < 2; r++)
        {
            var z = Affine(Row(X, r), [0, 0], w, b);
            var c = new double[4];
            var mm = new double[4];
            for (int u = 0; u < 4; u++)
            {
                double cPrev = 0;
                c[u] = Sig(z[8 + u] + 0.5 + wf[0, u] * cPrev) * cPrev + Sig(z[u] + wi[0, u] * cPrev) * Math.Tanh(z[4 + u]);
                c[u] = Math.Clamp(c[u], -0.3, 0.3);
                mm[u] = Sig(z[12 + u] + wo[0, u] * c[u]) * Math.Tanh(c[u]);
                Assert.That(ToMatrix(got[1])[r, u], Is.EqualTo(c[u]).Within(1e-12));
            }
            for (int k = 0; k < 2; k++)
            {
                double proj = 0;
                for (int u = 0; u < 4; u++) proj += mm[u] * p[u, k];
                Assert.That(ToMatrix(got[0])[r, k], Is.EqualTo(Math.Clamp(proj, -0.1, 0.1)).Within(1e-12));
            }
        }
    }

    [Test]
    public void GruCellFollowsTheFormula()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [2, 3], name: "x");
        var h0 = g.Placeholder(DType.Float64, [2, 2], name: "h0");
        var cell = new GruCell(2);
        var (o, state) = cell.Call(g, x, [h0]);
        Assert.That(cell.Variables.Select(v => v.Op.Name), Is.EqualTo(new[]
            { "rnn/gru_cell/gates/kernel", "rnn/gru_cell/gates/bias", "rnn/gru_cell/candidate/kernel", "rnn/gru_cell/candidate/bias" }));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var wg = Get(s, cell.Variables[0]);
        var bg = Get(s, cell.Variables[1]);
        Assert.That(bg, Is.EqualTo(new double[,] { { 1, 1, 1, 1 } }));
        var wc = Get(s, cell.Variables[2]);
        var bc = Get(s, cell.Variables[3]);
        var h0v = new double[,] { { 0.2, -0.4 }, { 0.9, 0.1 } };
        var got = ToMatrix(s.Run(o, new FeedDict { [x] = X, [h0] = h0v }));
        for (int r = 0; r < 2; r++)
        {
            var h = Row(h0v, r);
            var gates = Affine(Row(X, r), h, wg, bg).Select(Sig).ToArray();
            double[] rr = gates[..2], u = gates[2..];
            var c = Affine(Row(X, r), [rr[0] * h[0], rr[1] * h[1]], wc, bc).Select(Math.Tanh).ToArray();
            for (int k = 0; k < 2; k++) Assert.That(got[r, k], Is.EqualTo(u[k] * h[k] + (1 - u[k]) * c[k]).Within(1e-12));
        }
        Assert.That(state[0], Is.EqualTo(o));
    }

    [Test]
    public void BasicRnnCellAndMultiRnnCellNames()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [2, 3], name: "x");
        var cell = new MultiRnnCell([new BasicRnnCell(5), new BasicLstmCell(2)]);
        Assert.That(cell.StateSizes, Is.EqualTo(new[] { 5, 2, 2 }));
        var zero = cell.ZeroState(g, g.Constant(2), DType.Float64);
        var (o, state) = cell.Call(g, x, zero);
        Assert.That(o.Shape, Is.EqualTo(new Shape(2, 2)));
        Assert.That(state.Length, Is.EqualTo(3));
        var names = g.Operations.Where(op => op.Type == "VariableV2").Select(op => op.Name).ToArray();
        Assert.That(names, Is.EqualTo(new[]
        {
            "rnn/multi_rnn_cell/cell_0/basic_rnn_cell/kernel", "rnn/multi_rnn_cell/cell_0/basic_rnn_cell/bias",
            "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/kernel", "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/bias",
        }));
        Assert.That(g.Operations.Select(op => op.Name), Does.Contain("rnn/multi_rnn_cell/cell_1/basic_lstm_cell/Mul_2"));
        Assert.Throws<InvalidArgumentException>(() => _ = new MultiRnnCell([cell.Cells[0], cell.Cells[0]]));
    }

    [Test]
    public void StaticRnnReusesTheVariablesAndHonoursSequenceLengths()
    {
        var g = new Graph();
        var xs = Enumerable.Range(0, 3).Select(t => g.Placeholder(DType.Float64, [2, 3], name: $"x{t}")).ToArray();
        var len = g.Placeholder(DType.Int32, [2], name: "len");
        var cell = new BasicRnnCell(2);
        var (outs, state) = g.StaticRnn(cell, xs, dtype: DType.Float64, sequenceLength: len);
        Assert.That(g.Operations.Count(op => op.Type == "VariableV2"), Is.EqualTo(2));
        Assert.That(g.Operations.Select(op => op.Name), Does.Contain("rnn/basic_rnn_cell/MatMul").And.Contain("rnn/basic_rnn_cell_2/MatMul"));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var w = Get(s, cell.Variables[0]);
        var b = Get(s, cell.Variables[1]);
        var xv = new[] { X, new double[,] { { 1, 0, 0 }, { 0, 1, 0 } }, new double[,] { { 0.3, 0.3, 0.3 }, { -1, -1, 2 } } };
        var feeds = new FeedDict { [len] = new[] { 3, 1 } };
        for (int t = 0; t < 3; t++) feeds[xs[t]] = xv[t];
        var got = s.Run([.. outs, state[0]], feeds);
        for (int r = 0; r < 2; r++)
        {
            var h = new double[2];
            int n = r == 0 ? 3 : 1;
            for (int t = 0; t < 3; t++)
            {
                var o = new double[2];
                if (t < n)
                {
                    h = Affine(Row(xv[t], r), h, w, b).Select(Math.Tanh).ToArray();
                    o = h;
                }
                for (int k = 0; k < 2; k++) Assert.That(ToMatrix(got[t])[r, k], Is.EqualTo(o[k]).Within(1e-12), $"t={t} r={r}");
            }
            for (int k = 0; k < 2; k++) Assert.That(ToMatrix(got[3])[r, k], Is.EqualTo(h[k]).Within(1e-12));
        }
        // The gradient of the last output with respect to an input matches finite differences.
        var check = GradientChecker.Compute(s, xs[0], Tensor.FromArray(X), g.ReduceSum(outs[2] * outs[2]),
            new FeedDict { [len] = new[] { 3, 3 }, [xs[1]] = xv[1], [xs[2]] = xv[2] });
        Assert.That(check.MaxRelativeError, Is.LessThan(1e-6));
    }
}
