namespace TensorGraph.Tests.Ops;

/// <summary>Ops recurrent models use: Softsign, IsFinite, ReverseSequence, ResourceApplyAdam (values against independent formulas, TF's errors).</summary>
public class SequenceOpsTests
{
    [Test]
    public void SoftsignAndItsGradientHelper()
    {
        var g = new Graph();
        var x = g.Constant(new double[] { -3, -0.5, 0, 0.5, 4 });
        var dy = g.Constant(new double[] { 1, 2, 3, 4, 5 });
        using var s = new Session(g);
        var (y, d) = s.Run(g.Softsign(x), g.SoftsignGrad(dy, x));
        double[] xs = [-3, -0.5, 0, 0.5, 4], dys = [1, 2, 3, 4, 5];
        Assert.That(y.ToArray<double>(), Is.EqualTo(xs.Select(v => v / (1 + Math.Abs(v)))).Within(1e-15));
        Assert.That(d.ToArray<double>(), Is.EqualTo(xs.Zip(dys, (v, g) => g / ((1 + Math.Abs(v)) * (1 + Math.Abs(v))))).Within(1e-15));
        Assert.That(g.Gradients(g.Softsign(x), x)[0]!.Value.Op.Type, Is.EqualTo("SoftsignGrad"), "TF 1.15's _SoftsignGrad");
    }

    [Test]
    public void IsFiniteIsFalseForInfinitiesAndNaN()
    {
        var g = new Graph();
        var f = g.Placeholder(DType.Float32, [-1], name: "f");
        var d = g.Placeholder(DType.Float64, [-1], name: "d");
        var yf = g.IsFinite(f);
        Assert.That(yf.DType, Is.EqualTo(DType.Bool));
        Assert.That(yf.Shape, Is.EqualTo(new Shape(-1)));
        using var s = new Session(g);
        var (rf, rd) = s.Run(yf, g.IsFinite(d), new FeedDict
        {
            [f] = new[] { 1f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 0f, float.MaxValue },
            [d] = new[] { double.NaN, -1e308, double.Epsilon },
        });
        Assert.That(rf.ToArray<bool>(), Is.EqualTo(new[] { true, false, false, false, true, true }));
        Assert.That(rd.ToArray<bool>(), Is.EqualTo(new[] { false, true, true }));
        Assert.That(() => g.IsFinite(g.Constant(1)), Throws.TypeOf<InvalidArgumentException>());
        Assert.That(g.Gradients(g.Cast(g.IsFinite(d), DType.Float64), d)[0], Is.Null, "not differentiable");
    }

    /// <summary>ReverseSequence computed directly: out[.., s, .., b, ..] = in[.., len[b]-1-s, .., b, ..] for s &lt; len[b].</summary>
    private static float[] Reference(float[] x, int[] dims, long[] lens, int seqDim, int batchDim)
    {
        var strides = new int[dims.Length];
        int stride = 1;
        for (int i = dims.Length - 1; i >= 0; i--) { strides[i] = stride; stride *= dims[i]; }
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            var idx = new int[dims.Length];
            for (int a = 0, r = i; a < dims.Length; a++) { idx[a] = r / strides[a]; r %= strides[a]; }
            long l = lens[idx[batchDim]];
            if (idx[seqDim] < l) idx[seqDim] = (int)(l - 1 - idx[seqDim]);
            int src = 0;
            for (int a = 0; a < dims.Length; a++) src += idx[a] * strides[a];
            y[i] = x[src];
        }
        return y;
    }

    [TestCase(1, 0)]
    [TestCase(0, 1)]
    [TestCase(2, 0)]
    [TestCase(0, 2)]
    [TestCase(1, 2)]
    public void ReverseSequenceReversesEachRowsPrefix(int seqDim, int batchDim)
    {
        int[] dims = [4, 5, 3];
        var x = Enumerable.Range(0, 60).Select(i => (float)i).ToArray();
        var lens = Enumerable.Range(0, dims[batchDim]).Select(b => (long)((b * 3 + 1) % (dims[seqDim] + 1))).ToArray();
        var g = new Graph();
        var input = g.Placeholder(DType.Float32, [-1, 5, -1], name: "x");
        var y = g.ReverseSequence(input, g.Constant(lens), seqDim, batchDim);
        Assert.That(y.Shape.Rank, Is.EqualTo(3));
        Assert.That(y.Shape[batchDim], Is.EqualTo(dims[batchDim]), "the batch dim comes from seq_lengths' length");
        using var s = new Session(g);
        var r = s.Run(y, new FeedDict { [input] = Tensor.Create(x, dims) });
        Assert.That(r.ToArray<float>(), Is.EqualTo(Reference(x, dims, lens, seqDim, batchDim)));
    }

    [Test]
    public void ReverseSequenceMatchesTheTensorFlowDocExampleWithInt32Lengths()
    {
        // tf.reverse_sequence docs: seq_lengths = [7, 2, 3, 5], seq_axis = 1, batch_axis = 0 on a [4, 8] input.
        var g = new Graph();
        var x = g.Constant(Tensor.Create(Enumerable.Range(0, 32).ToArray(), 4, 8));
        var y = g.ReverseSequence(x, g.Constant(new[] { 7, 2, 3, 5 }), seqAxis: 1);
        Assert.That(y.Op.GetAttrType("Tlen"), Is.EqualTo(DType.Int32));
        using var s = new Session(g);
        Assert.That(s.Run(y).ToArray<int>(), Is.EqualTo(new[]
        {
            6, 5, 4, 3, 2, 1, 0, 7,
            9, 8, 10, 11, 12, 13, 14, 15,
            18, 17, 16, 19, 20, 21, 22, 23,
            28, 27, 26, 25, 24, 29, 30, 31,
        }));
    }

    [Test]
    public void ReverseSequenceErrors()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Unknown, name: "x");
        var lens = g.Placeholder(DType.Int64, Shape.Unknown, name: "lens");
        var y = g.ReverseSequence(x, lens, seqAxis: 1);
        using var s = new Session(g);
        void Fails(long[] l, string message) =>
            Assert.That(() => s.Run(y, new FeedDict { [x] = new float[2, 3], [lens] = l }),
                Throws.TypeOf<InvalidArgumentException>().With.Message.Contains(message).And.Message.Contains("ReverseSequence"));
        Fails([4, 1], "seq_lens(0) > input.dims(1)");
        Fails([1, -1], "seq_lens(1) < 0");
        Fails([1, 1, 1], "len(seq_lens) != input.dims(0), (3 vs. 2)");
        var same = g.ReverseSequence(x, lens, seqAxis: 0, batchAxis: 0);
        Assert.That(() => s.Run(same, new FeedDict { [x] = new float[2, 2], [lens] = new long[] { 1, 1 } }),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("batch_dim == seq_dim == 0"));
        Assert.That(() => g.ReverseSequence(g.Constant(new float[2, 3]), g.Constant(new long[] { 1, 1 }), seqAxis: 2),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("seq_dim must be < input rank: 2 vs. 2"));
        Assert.That(() => g.ReverseSequence(g.Constant(new float[2, 3]), g.Constant(new long[] { 1, 1, 1 }), seqAxis: 1),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Dimensions must be equal"));
    }

    [Test]
    public void ResourceApplyAdamUpdatesLikeApplyAdam()
    {
        var g = new Graph();
        float[,] w0 = { { 1, -2, 3 }, { 0.5f, 4, -1 } }, m0 = { { 0.1f, 0, -0.2f }, { 0, 0.3f, 0 } }, v0 = { { 0.01f, 0.2f, 0.5f }, { 1, 0, 0.04f } };
        float[,] grad = { { 0.5f, -1, 2 }, { -0.25f, 0, 3 } };
        Output[] Scalars() => [g.Constant(0.9f), g.Constant(0.99f), g.Constant(0.01f), g.Constant(0.9f), g.Constant(0.999f), g.Constant(1e-8f)];
        var rw = g.Variable(w0, name: "rw");
        var rm = g.Variable(m0, name: "rm");
        var rv = g.Variable(v0, name: "rv");
        var sc = Scalars();
        var refUpdate = g.ApplyAdam(rw.Ref, rm.Ref, rv.Ref, sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], g.Constant(grad));
        Output Res(float[,] init, string name, List<Operation> inits)
        {
            var h = g.VarHandleOp(DType.Float32, [2, 3], name: name);
            inits.Add(g.AssignVariableOp(h, g.Constant(init)));
            return h;
        }
        var resInits = new List<Operation>();
        var hw = Res(w0, "hw", resInits);
        var hm = Res(m0, "hm", resInits);
        var hv = Res(v0, "hv", resInits);
        var sc2 = Scalars();
        var resUpdate = g.ResourceApplyAdam(hw, hm, hv, sc2[0], sc2[1], sc2[2], sc2[3], sc2[4], sc2[5], g.Constant(grad));
        Assert.That(resUpdate.NumOutputs, Is.EqualTo(0));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        s.Run(resInits.ToArray());
        for (int step = 0; step < 3; step++)
        {
            s.Run([refUpdate.Op, resUpdate]);
        }
        var read = new[] { hw, hm, hv }.Select(h => g.ReadVariableOp(h, DType.Float32)).ToArray();
        var got = s.Run(read);
        var want = s.Run([rw.Value, rm.Value, rv.Value]);
        for (int i = 0; i < 3; i++) Assert.That(got[i].ToArray<float>(), Is.EqualTo(want[i].ToArray<float>()), $"slot {i}");
        Assert.That(got[0].ToArray<float>(), Is.Not.EqualTo(w0.Cast<float>().ToArray()), "the variable moved");

        var uninit = g.VarHandleOp(DType.Float32, [2, 3], name: "never");
        var bad = g.ResourceApplyAdam(uninit, hm, hv, sc2[0], sc2[1], sc2[2], sc2[3], sc2[4], sc2[5], g.Constant(grad), name: "bad");
        Assert.That(() => s.Run([bad]), Throws.TypeOf<FailedPreconditionException>().With.Message.Contains("never"));
        Assert.That(() => g.ResourceApplyAdam(g.Constant(1f), hm, hv, sc2[0], sc2[1], sc2[2], sc2[3], sc2[4], sc2[5], g.Constant(grad)),
            Throws.TypeOf<InvalidArgumentException>());
    }
}
