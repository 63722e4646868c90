using TensorGraph.Rnn;
using TensorGraph.Training;
using static TensorGraph.Tests.Rnn.RnnCellTests;

namespace TensorGraph.Tests.Rnn;

/// <summary>
/// tf.nn.dynamic_rnn: the while loop over TensorArrays gives the same values as the unrolled
/// static RNN with the same weights, honours sequence lengths, is differentiable (finite
/// differences through the loop gradients), and builds TF's node names.
/// </summary>
public class DynamicRnnTests
{
    private static Tensor Shaped<T>(T[] data, params int[] dims) where T : unmanaged
    {
        var t = Tensor.Zeros(typeof(T) == typeof(double) ? DType.Float64 : DType.Float32, dims);
        data.CopyTo(t.AsSpan<T>());
        return t;
    }

    private static double[] Inputs(int n, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1)];
    }

    [Test]
    public void MatchesTheUnrolledRnnWithTheSameWeights()
    {
        var g = new Graph();
        // batch-major [batch 2, time 4, depth 3]
        var x = g.Placeholder(DType.Float64, [2, 4, 3], name: "x");
        var len = g.Placeholder(DType.Int32, [2], name: "len");
        var cell = new BasicLstmCell(5);
        var (outputs, state) = g.DynamicRnn(cell, x, dtype: DType.Float64);
        var (outputsLen, stateLen) = g.DynamicRnn(cell, x, sequenceLength: len, dtype: DType.Float64, scope: "rnn_len");
        var steps = g.Unstack(g.Transpose(x, [1, 0, 2]));
        var (staticOut, staticState) = g.StaticRnn(cell, steps, dtype: DType.Float64, scope: "unrolled");
        var (staticOutLen, staticStateLen) = g.StaticRnn(cell, steps, dtype: DType.Float64, sequenceLength: len, scope: "unrolled_len");
        Assert.That(g.Operations.Count(o => o.Type == "VariableV2"), Is.EqualTo(2), "one cell, one set of weights");
        Assert.That(outputs.Shape, Is.EqualTo(new Shape(2, 4, 5)));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var xv = Shaped(Inputs(24, 1), 2, 4, 3);
        var feeds = new FeedDict { [x] = xv, [len] = new[] { 4, 2 } };
        var got = s.Run([outputs, state[0], state[1], g.Stack(staticOut, 1), staticState[0], staticState[1]], feeds);
        for (int k = 0; k < 3; k++)
            Assert.That(got[k].ToArray<double>(), Is.EqualTo(got[k + 3].ToArray<double>()).Within(1e-12));
        var gotLen = s.Run([outputsLen, stateLen[1], g.Stack(staticOutLen, 1), staticStateLen[1]], feeds);
        Assert.That(gotLen[0].ToArray<double>(), Is.EqualTo(gotLen[2].ToArray<double>()).Within(1e-12));
        Assert.That(gotLen[1].ToArray<double>(), Is.EqualTo(gotLen[3].ToArray<double>()).Within(1e-12));
        // The second sequence has length 2: outputs at t >= 2 are zeros, its state is the one after step 2.
        var o = gotLen[0].ToArray<double>();
        for (int t = 2; t < 4; t++)
            for (int u = 0; u < 5; u++) Assert.That(o[(1 * 4 + t) * 5 + u], Is.EqualTo(0.0));
        var h = gotLen[1].ToArray<double>();
        for (int u = 0; u < 5; u++) Assert.That(h[5 + u], Is.EqualTo(o[(1 * 4 + 1) * 5 + u]).Within(1e-12));
    }

    [Test]
    public void NodeNamesFollowTensorFlow()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 4, 3], name: "x");
        var (outputs, _) = g.DynamicRnn(new BasicLstmCell(5), x, dtype: DType.Float32);
        var ops = g.Operations.ToDictionary(o => o.Name);
        Assert.That(ops["rnn/basic_lstm_cell/kernel"].Type, Is.EqualTo("VariableV2"));
        Assert.That(ops["rnn/TensorArray"].Type, Is.EqualTo("TensorArrayV3"));
        Assert.That(ops["rnn/TensorArray"].GetAttrString("tensor_array_name"), Is.EqualTo("rnn/dynamic_rnn/output_0"));
        Assert.That(ops["rnn/TensorArray_1"].GetAttrString("tensor_array_name"), Is.EqualTo("rnn/dynamic_rnn/input_0"));
        Assert.That(ops["rnn/TensorArrayUnstack/TensorArrayScatter/TensorArrayScatterV3"].Type, Is.EqualTo("TensorArrayScatterV3"));
        Assert.That(ops["rnn/while/Enter"].GetAttrString("frame_name"), Is.EqualTo("rnn/while/while_context"));
        Assert.That(ops["rnn/while/Enter"].GetAttrInt("parallel_iterations"), Is.EqualTo(32));
        Assert.That(ops["rnn/while/TensorArrayReadV3"].Type, Is.EqualTo("TensorArrayReadV3"));
        Assert.That(ops["rnn/while/basic_lstm_cell/MatMul"].Type, Is.EqualTo("MatMul"));
        Assert.That(ops["rnn/while/basic_lstm_cell/MatMul/Enter"].Inputs[0].Op.Name, Is.EqualTo("rnn/basic_lstm_cell/kernel/read"));
        Assert.That(ops["rnn/while/TensorArrayWrite/TensorArrayWriteV3"].Type, Is.EqualTo("TensorArrayWriteV3"));
        Assert.That(outputs.Op.Name, Is.EqualTo("rnn/transpose_1"));
        Assert.That(ops["rnn/TensorArrayStack/TensorArrayGatherV3"].Type, Is.EqualTo("TensorArrayGatherV3"));
        Assert.That(outputs.Shape, Is.EqualTo(new Shape(-1, 4, 5)));
    }

    [Test]
    public void GradientsThroughTheLoopMatchFiniteDifferences()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [2, 3, 2], name: "x");
        var len = g.Placeholder(DType.Int32, [2], name: "len");
        var cell = new MultiRnnCell([new GruCell(3), new BasicLstmCell(2)]);
        var (outputs, state) = g.DynamicRnn(cell, x, sequenceLength: len, dtype: DType.Float64);
        var loss = g.ReduceSum(outputs * outputs) + g.ReduceSum(state[1]);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var xv = Shaped(Inputs(12, 2), 2, 3, 2);
        var lens = new FeedDict { [len] = new[] { 3, 2 } };
        var check = GradientChecker.Compute(s, x, xv, loss, lens);
        Assert.That(check.MaxRelativeError, Is.LessThan(1e-6), $"inputs: {check.MaxError}");
        // The kernels are loop invariants: their gradients are summed by accumulator loops.
        foreach (var v in cell.Cells.SelectMany(c => c.Variables))
        {
            var wv = s.Run(v.Value);
            var extra = new FeedDict { [len] = new[] { 3, 2 }, [x] = xv };
            var cw = GradientChecker.Compute(s, v.Value, wv, loss, extra);
            Assert.That(cw.MaxRelativeError, Is.LessThan(1e-6), $"{v.Op.Name}: {cw.MaxError}");
        }
    }

    [Test]
    public void BidirectionalRunsTheBackwardCellOverEachSequenceReversed()
    {
        // Seeded: unseeded weights now and then put the finite-difference check just past 1e-6.
        var g = new Graph { Seed = 7 };
        var x = g.Placeholder(DType.Float64, [2, 4, 3], name: "x");
        var len = g.Placeholder(DType.Int32, [2], name: "len");
        var fw = new GruCell(3);
        var bw = new BasicRnnCell(2);
        var ((outFw, outBw), (stFw, stBw)) = g.BidirectionalDynamicRnn(fw, bw, x, sequenceLength: len, dtype: DType.Float64);
        Assert.That(fw.Variables[0].Op.Name, Is.EqualTo("bidirectional_rnn/fw/gru_cell/gates/kernel"));
        Assert.That(bw.Variables[0].Op.Name, Is.EqualTo("bidirectional_rnn/bw/basic_rnn_cell/kernel"));
        // The backward direction by hand: each sequence reversed within its length, run, reversed back.
        var steps = g.Unstack(g.Transpose(g.ReverseSequence(x, len, 1), [1, 0, 2]));
        var (manual, manualState) = g.StaticRnn(bw, steps, dtype: DType.Float64, sequenceLength: len, scope: "manual");
        var manualOut = g.ReverseSequence(g.Stack(manual, 1), len, 1);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var feeds = new FeedDict { [x] = Shaped(Inputs(24, 3), 2, 4, 3), [len] = new[] { 4, 3 } };
        var got = s.Run([outBw, manualOut, stBw[0], manualState[0]], feeds);
        Assert.That(got[0].ToArray<double>(), Is.EqualTo(got[1].ToArray<double>()).Within(1e-12));
        Assert.That(got[2].ToArray<double>(), Is.EqualTo(got[3].ToArray<double>()).Within(1e-12));
        Assert.That(outFw.Shape, Is.EqualTo(new Shape(2, 4, 3)));
        // And it is differentiable through both loops and the reversals.
        var loss = g.ReduceSum(outFw * outFw) + g.ReduceSum(outBw * outBw) + g.ReduceSum(stFw[0]);
        var check = GradientChecker.Compute(s, x, Shaped(Inputs(24, 3), 2, 4, 3), loss, new FeedDict { [len] = new[] { 4, 3 } });
        Assert.That(check.MaxRelativeError, Is.LessThan(1e-6));
    }

    [Test]
    public void StackedBidirectionalLayersFeedEachOtherTheConcatenation()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [2, 3, 2], name: "x");
        var (outputs, statesFw, statesBw) = g.StackBidirectionalDynamicRnn(
            [new BasicLstmCell(2), new BasicLstmCell(3)], [new BasicLstmCell(2), new BasicLstmCell(3)], x, dtype: DType.Float64);
        Assert.That(outputs.Shape, Is.EqualTo(new Shape(2, 3, 6)));
        Assert.That(statesFw.Length, Is.EqualTo(2));
        var kernels = g.Operations.Where(o => o.Type == "VariableV2" && o.Name.EndsWith("/kernel", StringComparison.Ordinal)).Select(o => o.Name).ToArray();
        Assert.That(kernels, Does.Contain("stack_bidirectional_rnn/cell_1/bidirectional_rnn/bw/basic_lstm_cell/kernel"));
        // Layer 1's kernels read the 2 + 2 concatenated outputs of layer 0 plus their own 3 units.
        Assert.That(g["stack_bidirectional_rnn/cell_1/bidirectional_rnn/fw/basic_lstm_cell/kernel:0"].Shape, Is.EqualTo(new Shape(7, 12)));
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var r = s.Run(outputs, new FeedDict { [x] = Shaped(Inputs(12, 4), 2, 3, 2) });
        Assert.That(r.ToArray<double>().All(double.IsFinite), Is.True);
        Assert.That(statesBw[1].Length, Is.EqualTo(2), "c and h of the top backward layer");
    }

    [Test]
    public void AnLstmLearnsToCountOnes()
    {
        // Sequences of 0/1 of length 6; the target is the number of ones. An LSTM + linear read-out
        // trained with Adam through dynamic_rnn brings the squared error down.
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 6, 1], name: "x");
        var y = g.Placeholder(DType.Float32, [-1, 1], name: "y");
        var (outputs, state) = g.DynamicRnn(new BasicLstmCell(8), x, dtype: DType.Float32);
        var w = g.Variable(Shaped(Enumerable.Range(0, 8).Select(i => 0.1f * (i % 3 - 1)).ToArray(), 8, 1), name: "w");
        var b = g.Variable(Tensor.FromArray(new[] { 0f }), name: "b");
        var pred = g.MatMul(state[1], w) + b;
        var loss = g.ReduceMean(g.Square(pred - y));
        var train = new AdamOptimizer(0.05).Minimize(loss);
        var rng = new Random(7);
        var xs = new float[64 * 6];
        var ys = new float[64];
        for (int i = 0; i < 64; i++)
            for (int t = 0; t < 6; t++)
            {
                xs[i * 6 + t] = rng.Next(2);
                ys[i] += xs[i * 6 + t];
            }
        var feeds = new FeedDict { [x] = Shaped(xs, 64, 6, 1), [y] = Shaped(ys, 64, 1) };
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        float first = s.Run(loss, feeds).Scalar<float>();
        for (int step = 0; step < 150; step++) s.Run(train, feeds);
        float last = s.Run(loss, feeds).Scalar<float>();
        Assert.That(first, Is.GreaterThan(2f));
        Assert.That(last, Is.LessThan(0.1f * first));
    }
}
