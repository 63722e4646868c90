using TensorGraph.Keras.Layers;
using static TensorGraph.Keras.Tests.RecurrentReference;

namespace TensorGraph.Keras.Tests;

public class RecurrentTests
{
    private const int B = 2, T = 5, F = 3;

    [SetUp]
    public void SetUp() => Backend.ClearSession(seed: 7);

    private static float[] Rand(int n, int seed, double scale = 1)
    {
        var r = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 2 - 1) * scale))];
    }

    /// <summary>Sets every weight of <paramref name="model"/> to uniform values in ±<paramref name="scale"/>; returns them.</summary>
    private static List<float[]> Randomize(Model model, int seed, double scale = 0.6)
    {
        var values = new List<float[]>();
        var tensors = new List<Tensor>();
        int k = 0;
        foreach (var w in model.Weights)
        {
            var dims = w.Shape.ToArray();
            var v = Rand((int)w.Shape.NumElements, seed + 31 * k++, scale);
            values.Add(v);
            tensors.Add(Tensor.Create(v, dims));
        }
        model.SetWeights(tensors);
        return values;
    }

    private static void AssertClose(Tensor actual, double[] expected, double tol = 2e-5)
    {
        var a = actual.DType == DType.Float64 ? actual.ToArray<double>() : [.. actual.ToArray<float>().Select(v => (double)v)];
        Assert.That(a.Length, Is.EqualTo(expected.Length), "element count");
        for (int i = 0; i < a.Length; i++) Assert.That(a[i], Is.EqualTo(expected[i]).Within(tol), $"element {i}");
    }

    // ------------------------------------------------------------------ SimpleRNN

    [Test]
    public void SimpleRnnSequencesAndStateMatchTheRecurrence()
    {
        var input = Keras.Input([T, F]);
        var outs = new SimpleRNN(4, returnSequences: true, returnState: true).ApplyAll(input);
        Assert.That(outs, Has.Length.EqualTo(2));
        Assert.That(outs[0].Shape.ToArray(), Is.EqualTo(new[] { -1, T, 4 }));
        Assert.That(outs[1].Shape.ToArray(), Is.EqualTo(new[] { -1, 4 }));
        var model = new Model([input], outs);
        Assert.That(model.Weights.Select(w => w.Name), Is.EqualTo(new[] { "simple_rnn/kernel", "simple_rnn/recurrent_kernel", "simple_rnn/bias" }));
        Assert.That(model.OutputNames, Is.EqualTo(new[] { "simple_rnn", "simple_rnn_1" }));
        var w = Randomize(model, 1);
        var x = Rand(B * T * F, 2);
        var r = model.PredictMany([Tensor.Create(x, B, T, F)]);
        var (o, s) = Run(x, B, T, F, 4, 1, SimpleRnn(w[0], w[1], w[2], 4, Math.Tanh));
        AssertClose(r[0], Flatten(o));
        AssertClose(r[1], Flatten(s[0]));
    }

    [Test]
    public void SimpleRnnGoBackwardsReturnsTheReversedSequence()
    {
        var model = new Sequential(new SimpleRNN(3, activation: null, returnSequences: true, goBackwards: true, inputShape: [T, F]));
        var w = Randomize(model, 3);
        var x = Rand(B * T * F, 4);
        var y = model.Predict(Tensor.Create(x, B, T, F));
        var (o, _) = Run(x, B, T, F, 3, 1, SimpleRnn(w[0], w[1], w[2], 3, v => v), goBackwards: true);
        AssertClose(y, Flatten(o));
        Assert.That(model.Graph.GetOperation("simple_rnn/ReverseV2"), Is.Not.Null);
    }

    // ------------------------------------------------------------------ LSTM

    [Test]
    public void LstmHasKerasWeightsDefaultsAndGraphNames()
    {
        const int u = 6;
        var model = new Sequential(new LSTM(u, inputShape: [T, F]));
        var g = model.Graph;
        Assert.That(model.Inputs[0].Output.Op.Name, Is.EqualTo("lstm_input"));
        Assert.That(model.Weights.Select(v => v.Name), Is.EqualTo(new[] { "lstm/kernel", "lstm/recurrent_kernel", "lstm/bias" }));
        Assert.That(model.Weights.Select(v => v.Shape.ToArray()), Is.EqualTo(new[] { new[] { F, 4 * u }, new[] { u, 4 * u }, new[] { 4 * u } }));
        Assert.That(model.CountParams(), Is.EqualTo(4 * (u * (F + u) + u)));
        foreach (var n in new[] { "lstm/transpose", "lstm/zeros", "lstm/zeros_1", "lstm/TensorArray", "lstm/TensorArray_1", "lstm/time",
                     "lstm/while/Enter", "lstm/while/LoopCond", "lstm/while/MatMul", "lstm/while/split", "lstm/while/BiasAdd",
                     "lstm/TensorArrayStack/TensorArrayGatherV3", "lstm/transpose_1",
                     "lstm/kernel/Initializer/random_uniform", "lstm/recurrent_kernel/Initializer/random_normal", "lstm/bias/Initializer/concat" })
            Assert.That(g.GetOperation(n), Is.Not.Null, n);
        Assert.That(g.GetOperation("lstm/while/clip_by_value"), Is.Not.Null, "hard_sigmoid is the default recurrent activation");

        var w = model.GetWeights();
        double limit = Math.Sqrt(6.0 / (F + 4 * u));
        Assert.That(w[0].ToArray<float>().All(v => Math.Abs(v) <= limit), Is.True, "glorot_uniform kernel");
        // Orthogonal recurrent kernel [u, 4u]: its rows are orthonormal, U·Uᵀ = I.
        var rk = w[1].ToArray<float>();
        for (int i = 0; i < u; i++)
            for (int j = 0; j < u; j++)
            {
                double dot = 0;
                for (int k = 0; k < 4 * u; k++) dot += rk[i * 4 * u + k] * rk[j * 4 * u + k];
                Assert.That(dot, Is.EqualTo(i == j ? 1 : 0).Within(1e-5), $"(U Uᵀ)[{i},{j}]");
            }
        // unit_forget_bias: zeros for i, ones for f, zeros for c and o.
        Assert.That(w[2].ToArray<float>(), Is.EqualTo(Enumerable.Range(0, 4 * u).Select(i => i / u == 1 ? 1f : 0f).ToArray()));
    }

    [Test]
    public void OrthogonalOfATallShapeHasOrthonormalColumns()
    {
        var g = Backend.Graph;
        var q = new Orthogonal(gain: 2.0).Create(g, [7, 3], DType.Float64);
        var v = new Session(g).Run(q).ToArray<double>();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double dot = 0;
                for (int k = 0; k < 7; k++) dot += v[k * 3 + i] * v[k * 3 + j];
                Assert.That(dot, Is.EqualTo(i == j ? 4 : 0).Within(1e-9), $"(QᵀQ)[{i},{j}]");
            }
    }

    [TestCase(1, false, false)]
    [TestCase(1, true, true)]
    [TestCase(2, false, true)]
    [TestCase(2, true, false)]
    public void LstmOutputsAndStatesMatchTheRecurrence(int implementation, bool goBackwards, bool returnSequences)
    {
        const int u = 4;
        var input = Keras.Input([T, F]);
        var outs = new LSTM(u, implementation: implementation, returnSequences: returnSequences, returnState: true, goBackwards: goBackwards).ApplyAll(input);
        Assert.That(outs, Has.Length.EqualTo(3));
        var model = new Model([input], outs);
        var w = Randomize(model, 5);
        var x = Rand(B * T * F, 6, 2);
        var r = model.PredictMany([Tensor.Create(x, B, T, F)]);
        var (o, s) = Run(x, B, T, F, u, 2, Lstm(w[0], w[1], w[2], u, Math.Tanh, HardSigmoid), goBackwards);
        AssertClose(r[0], returnSequences ? Flatten(o) : Flatten(Last(o)));
        AssertClose(r[1], Flatten(s[0]));
        AssertClose(r[2], Flatten(s[1]));
        // The last output is the final h.
        AssertClose(r[1], Flatten(Last(o)));
    }

    [Test]
    public void LstmTakesInitialStates()
    {
        const int u = 3;
        var input = Keras.Input([T, F]);
        var h0 = Keras.Input([u]);
        var c0 = Keras.Input([u]);
        var y = new LSTM(u, recurrentActivation: "sigmoid").ApplyAll(input, h0, c0)[0];
        var model = new Model([input, h0, c0], [y]);
        var w = Randomize(model, 9);
        var x = Rand(B * T * F, 10);
        var hv = Rand(B * u, 11);
        var cv = Rand(B * u, 12);
        var r = model.PredictMany([Tensor.Create(x, B, T, F), Tensor.Create(hv, B, u), Tensor.Create(cv, B, u)]);
        double[][] Rows(float[] v) => [.. Enumerable.Range(0, B).Select(b => v.Skip(b * u).Take(u).Select(f => (double)f).ToArray())];
        var (o, _) = Run(x, B, T, F, u, 2, Lstm(w[0], w[1], w[2], u, Math.Tanh, Sigmoid), initial: [Rows(hv), Rows(cv)]);
        AssertClose(r[0], Flatten(Last(o)));
        Assert.Throws<ArgumentException>(() => new LSTM(u).ApplyAll(input, h0));
    }

    // ------------------------------------------------------------------ GRU

    [TestCase(false, 1)]
    [TestCase(false, 2)]
    [TestCase(true, 1)]
    [TestCase(true, 2)]
    public void GruMatchesTheRecurrence(bool resetAfter, int implementation)
    {
        const int u = 4;
        var model = new Sequential(new GRU(u, resetAfter: resetAfter, implementation: implementation, returnSequences: true, inputShape: [T, F]));
        Assert.That(model.Weights.Select(v => v.Name), Is.EqualTo(new[] { "gru/kernel", "gru/recurrent_kernel", "gru/bias" }));
        Assert.That(model.Weights[2].Shape.ToArray(), Is.EqualTo(resetAfter ? new[] { 2, 3 * u } : new[] { 3 * u }));
        Assert.That(model.CountParams(), Is.EqualTo(3 * (u * (F + u) + u) + (resetAfter ? 3 * u : 0)));
        var w = Randomize(model, 13);
        var x = Rand(B * T * F, 14, 2);
        var y = model.Predict(Tensor.Create(x, B, T, F));
        var (o, _) = Run(x, B, T, F, u, 1, Gru(w[0], w[1], w[2], u, resetAfter, Math.Tanh, HardSigmoid));
        AssertClose(y, Flatten(o));
    }

    // ------------------------------------------------------------------ Bidirectional

    [TestCase("concat", true)]
    [TestCase("concat", false)]
    [TestCase("sum", true)]
    [TestCase("mul", false)]
    [TestCase("ave", true)]
    [TestCase(null, true)]
    public void BidirectionalMergesBothDirections(string? mergeMode, bool returnSequences)
    {
        const int u = 3;
        var input = Keras.Input([T, F]);
        var bi = new Bidirectional(new LSTM(u, returnSequences: returnSequences), mergeMode: mergeMode);
        var outs = bi.ApplyAll(input);
        var model = new Model([input], outs);
        Assert.That(bi.Name, Is.EqualTo("bidirectional"));
        Assert.That(model.Weights.Select(v => v.Name), Is.EqualTo(new[] {
            "bidirectional/forward_lstm/kernel", "bidirectional/forward_lstm/recurrent_kernel", "bidirectional/forward_lstm/bias",
            "bidirectional/backward_lstm/kernel", "bidirectional/backward_lstm/recurrent_kernel", "bidirectional/backward_lstm/bias" }));
        Assert.That(model.CountParams(), Is.EqualTo(2 * 4 * (u * (F + u) + u)));
        Assert.That(bi.BackwardLayer.GoBackwards, Is.True);
        var w = Randomize(model, 17);
        var x = Rand(B * T * F, 18, 2);
        var r = model.PredictMany([Tensor.Create(x, B, T, F)]);
        var (fo, _) = Run(x, B, T, F, u, 2, Lstm(w[0], w[1], w[2], u, Math.Tanh, HardSigmoid));
        var (bo, _) = Run(x, B, T, F, u, 2, Lstm(w[3], w[4], w[5], u, Math.Tanh, HardSigmoid), goBackwards: true);
        // The backward sequence is reversed back in time; without sequences it is its last step (input step 0).
        var fw = returnSequences ? Flatten(fo) : Flatten(Last(fo));
        var bw = returnSequences ? Flatten(Reversed(bo)) : Flatten(Last(bo));
        if (mergeMode is null)
        {
            Assert.That(r, Has.Length.EqualTo(2));
            AssertClose(r[0], fw);
            AssertClose(r[1], bw);
            return;
        }
        Assert.That(r, Has.Length.EqualTo(1));
        double[] expected;
        if (mergeMode == "concat")
        {
            int rows = fw.Length / u;
            expected = [.. Enumerable.Range(0, rows).SelectMany(i => fw.Skip(i * u).Take(u).Concat(bw.Skip(i * u).Take(u)))];
            Assert.That(r[0].Dims[^1], Is.EqualTo(2 * u));
        }
        else expected = [.. fw.Zip(bw, (a, b) => mergeMode switch { "sum" => a + b, "mul" => a * b, _ => (a + b) / 2 })];
        AssertClose(r[0], expected);
    }

    [Test]
    public void BidirectionalReturnsForwardThenBackwardStates()
    {
        const int u = 2;
        var input = Keras.Input([T, F]);
        var outs = new Bidirectional(new GRU(u, returnState: true)).ApplyAll(input);
        Assert.That(outs, Has.Length.EqualTo(3));
        var model = new Model([input], outs);
        var w = Randomize(model, 21);
        var x = Rand(B * T * F, 22);
        var r = model.PredictMany([Tensor.Create(x, B, T, F)]);
        var (_, fs) = Run(x, B, T, F, u, 1, Gru(w[0], w[1], w[2], u, false, Math.Tanh, HardSigmoid));
        var (_, bs) = Run(x, B, T, F, u, 1, Gru(w[3], w[4], w[5], u, false, Math.Tanh, HardSigmoid), goBackwards: true);
        AssertClose(r[1], Flatten(fs[0]));
        AssertClose(r[2], Flatten(bs[0]));
    }

    [Test]
    public void BadRecurrentUsesRaise()
    {
        Assert.Throws<ArgumentException>(() => new Bidirectional(new LSTM(2), mergeMode: "max"));
        Assert.Throws<ArgumentException>(() => new Sequential(new LSTM(2, returnState: true, inputShape: [T, F])));
        var input = Keras.Input([T, F]);
        Assert.Throws<InvalidOperationException>(() => new LSTM(2, returnState: true).Apply(input));
        var flat = Keras.Input([F]);
        var e = Assert.Throws<InvalidArgumentException>(() => new GRU(2).Apply(flat))!;
        Assert.That(e.Message, Does.Contain("expected ndim=3"));
        Assert.Throws<ArgumentException>(() => new GRU(2, recurrentActivation: "nope"));
        // A built layer called on inputs of another width.
        var gru = new GRU(2);
        gru.Apply(input);
        var wide = Keras.Input([T, F + 1]);
        e = Assert.Throws<InvalidArgumentException>(() => gru.Apply(wide))!;
        Assert.That(e.Message, Does.Contain($"expected shape (None, None, {F})"));
    }

    // ------------------------------------------------------------------ masking

    /// <summary>
    /// Embedding(maskZero) before an LSTM: padded steps (id 0, at the end and in the middle) keep
    /// the states and repeat the previous output, forwards, backwards and in both directions.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void MaskedStepsAreSkipped(bool goBackwards)
    {
        const int u = 3, d = 2, vocab = 7;
        float[] ids = [3, 1, 0, 5, 0, 0, 2, 6, 4, 0];   // [2, 5]: zeros are padding
        var mask = ids.Select(v => v != 0).ToArray();
        var input = Keras.Input([T]);
        var emb = new Embedding(vocab, d, maskZero: true);
        var e = emb.Apply(input);
        Assert.That(e.Mask, Is.Not.Null);
        Assert.That(e.Mask!.Value.Op.Name, Is.EqualTo("embedding/NotEqual"));
        var seq = new LSTM(u, returnSequences: true, goBackwards: goBackwards).Apply(e);
        Assert.That(seq.Mask, Is.Not.Null, "a sequence output keeps the mask");
        var last = new LSTM(u, goBackwards: goBackwards).Apply(e);
        Assert.That(last.Mask, Is.Null, "the last output carries no mask");
        var bi = new Bidirectional(new GRU(u, returnSequences: true), mergeMode: "concat").Apply(e);
        var model = new Model([input], [seq, last, bi]);
        var w = Randomize(model, 31);
        var r = model.PredictMany([Tensor.Create(ids, B, T)]);
        // The embedded inputs, from the table.
        var table = w[0];
        var x = new float[B * T * d];
        for (int i = 0; i < B * T; i++)
            for (int k = 0; k < d; k++) x[i * d + k] = table[(int)ids[i] * d + k];
        var (o1, _) = Run(x, B, T, d, u, 2, Lstm(w[1], w[2], w[3], u, Math.Tanh, HardSigmoid), goBackwards, mask: mask);
        var (o2, _) = Run(x, B, T, d, u, 2, Lstm(w[4], w[5], w[6], u, Math.Tanh, HardSigmoid), goBackwards, mask: mask);
        AssertClose(r[0], Flatten(o1));
        AssertClose(r[1], Flatten(Last(o2)));
        var (fo, _) = Run(x, B, T, d, u, 1, Gru(w[7], w[8], w[9], u, false, Math.Tanh, HardSigmoid), mask: mask);
        var (bo, _) = Run(x, B, T, d, u, 1, Gru(w[10], w[11], w[12], u, false, Math.Tanh, HardSigmoid), goBackwards: true, mask: mask);
        var fw = Flatten(fo);
        var bw = Flatten(Reversed(bo));
        AssertClose(r[2], [.. Enumerable.Range(0, B * T).SelectMany(i => fw.Skip(i * u).Take(u).Concat(bw.Skip(i * u).Take(u)))]);
        // A masked sequence output cannot feed a loss (masked losses are not supported).
        var ex = Assert.Throws<NotSupportedException>(() => model.Compile("sgd", "mse"))!;
        Assert.That(ex.Message, Does.Contain("carries a mask"));
        Assert.That(model.Graph.GetOperation("lstm/transpose_2"), Is.Not.Null, "input, mask and output transposes, as K.rnn names them");
    }

    /// <summary>A masked model trains and round-trips its mask_zero through the .h5 config.</summary>
    [Test]
    public void MaskedModelTrainsAndSaves()
    {
        var model = new Sequential(new Embedding(10, 4, inputLength: T, maskZero: true), new LSTM(4), new Dense(1, activation: "sigmoid"));
        model.Compile("adam", "binary_crossentropy");
        float[] ids = [1, 2, 0, 0, 0, 3, 4, 5, 0, 0];
        var h = model.Fit(Tensor.Create(ids, B, T), Tensor.Create(new float[] { 0, 1 }, B), epochs: 3, verbose: 0);
        Assert.That(h["loss"].All(double.IsFinite), Is.True);
        var path = Path.Combine(Path.GetTempPath(), $"masked_{Guid.NewGuid():N}.h5");
        try
        {
            model.Save(path);
            var again = Models.LoadModel(path);
            Assert.That(((Embedding)again.Layers[0]).MaskZero, Is.True);
            Assert.That(again.Predict(Tensor.Create(ids, B, T)).ToArray<float>(), Is.EqualTo(model.Predict(Tensor.Create(ids, B, T)).ToArray<float>()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    // ------------------------------------------------------------------ summary

    [Test]
    public void SummaryCountsParametersAsKeras()
    {
        var model = new Sequential(new Embedding(100, 8, inputLength: 10), new LSTM(32, returnSequences: true), new Bidirectional(new GRU(16)), new Dense(1, activation: "sigmoid"));
        var lines = new List<string>();
        model.Summary(printFn: lines.Add);
        int lstm = 4 * (32 * (8 + 32) + 32), gru = 2 * 3 * (16 * (32 + 16) + 16);
        Assert.That(lines.Any(l => l.StartsWith("lstm (LSTM)", StringComparison.Ordinal) && l.Contains("(None, 10, 32)") && l.TrimEnd().EndsWith($" {lstm}", StringComparison.Ordinal)), Is.True, string.Join("\n", lines));
        Assert.That(lines.Any(l => l.StartsWith("bidirectional (Bidirectional ", StringComparison.Ordinal) && l.Contains("(None, 32)") && l.TrimEnd().EndsWith($" {gru}", StringComparison.Ordinal)), Is.True, string.Join("\n", lines));
        Assert.That(lines, Does.Contain("Total params: " + (800 + lstm + gru + 33).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
