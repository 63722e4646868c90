namespace TensorGraph.Tests.Runtime;

public class FusionTests
{
    private static (Graph G, Output X, Output Y, Output Loss, Operation Train) Mlp(bool relu)
    {
        var g = new Graph { Seed = 5 };
        var x = g.Placeholder(DType.Float32, [-1, 6], name: "x");
        var w1 = g.Variable(g.RandomUniform([6, 5], -1, 1), name: "w1");
        var b1 = g.Variable(g.RandomUniform([5], -1, 1), name: "b1");
        var w2 = g.Variable(g.RandomUniform([5, 3], -1, 1), name: "w2");
        var b2 = g.Variable(g.RandomUniform([3], -1, 1), name: "b2");
        var h = g.BiasAdd(g.MatMul(x, w1), b1);
        if (relu) h = g.Relu(h);
        var y = g.BiasAdd(g.MatMul(h, w2, transposeB: false), b2);
        var loss = g.ReduceMean(g.Square(y));
        var train = new TensorGraph.Training.GradientDescentOptimizer(0.1).Minimize(loss);
        return (g, x, y, loss, train);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void FusedPlansMatchUnfusedOnes(bool relu)
    {
        var batch = Tensor.FromArray(new float[,] { { 1, -2, 3, 0.5f, -1, 2 }, { 0, 1, -1, 2, 3, -3 } });
        float[] Run(bool fuse, out float[] lossTrail)
        {
            var (g, x, y, loss, train) = Mlp(relu);
            using var s = new Session(g) { EnableFusion = fuse };
            s.Run(g.GlobalVariablesInitializer());
            var step = s.MakeCallable([x], [loss], train);
            lossTrail = Enumerable.Range(0, 5).Select(_ => step.Run(batch)[0].Scalar<float>()).ToArray();
            return s.Run(y, new FeedDict { [x] = batch }).ToArray<float>();
        }
        var fused = Run(true, out var fusedLoss);
        var plain = Run(false, out var plainLoss);
        Assert.That(fused, Is.EqualTo(plain).Within(1e-5));
        Assert.That(fusedLoss, Is.EqualTo(plainLoss).Within(1e-5));
    }

    [Test]
    public void FusedReluKeepsNaNsAndMatchesReluBitForBit()
    {
        // Wide enough for the vector path plus a scalar tail; NaN and infinities in the input.
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 3], name: "x");
        var w = g.Constant(Tensor.Create(Enumerable.Range(0, 3 * 37).Select(i => (i % 7 - 3) * 0.5f).ToArray(), 3, 37));
        var b = g.Constant(Tensor.Create(Enumerable.Range(0, 37).Select(i => (i % 5 - 2) * 0.25f).ToArray(), 37));
        var y = g.Relu(g.BiasAdd(g.MatMul(x, w), b));
        var feed = new FeedDict { [x] = new float[,] { { 1, -2, 0.5f }, { float.NaN, 0, 0 }, { float.PositiveInfinity, 1, 0 }, { 0, 0, 0 } } };
        float[] Run(bool fuse)
        {
            using var s = new Session(g) { EnableFusion = fuse };
            return s.Run(y, feed).ToArray<float>();
        }
        var fused = Run(true);
        var plain = Run(false);
        Assert.That(fused.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(plain.Select(BitConverter.SingleToInt32Bits)));
        Assert.That(fused.Skip(37).Take(37), Has.All.NaN, "a NaN row stays NaN");
    }

    [TestCase(true, 1)]
    [TestCase(false, 1)]
    [TestCase(true, 2)]
    public void FusedConvolutionsMatchUnfusedOnesBitForBit(bool relu, int stride)
    {
        // Conv2D → BiasAdd (→ Relu), forward and a few training steps; NaN and infinity in the input.
        float[] Run(bool fuse, out float[] losses, out string[] traced)
        {
            var g = new Graph { Seed = 3 };
            var x = g.Placeholder(DType.Float32, [-1, 9, 7, 3], name: "x");
            var f = g.Variable(g.RandomUniform([3, 3, 3, 5], -1, 1), name: "f");
            var b = g.Variable(g.RandomUniform([5], -1, 1), name: "b");
            var y = g.BiasAdd(g.Conv2D(x, f, [1, stride, stride, 1], "SAME"), b);
            if (relu) y = g.Relu(y);
            var loss = g.ReduceMean(g.Square(y));
            var train = new TensorGraph.Training.GradientDescentOptimizer(0.01).Minimize(loss);
            using var s = new Session(g) { EnableFusion = fuse };
            s.Run(g.GlobalVariablesInitializer());
            var rng = new Random(4);
            var data = Enumerable.Range(0, 4 * 9 * 7 * 3).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
            var batch = Tensor.Create(data, 4, 9, 7, 3);
            var step = s.MakeCallable([x], [loss], train);
            losses = [.. Enumerable.Range(0, 4).Select(_ => step.Run(batch)[0].Scalar<float>())];
            data[5] = float.NaN;
            data[40] = float.PositiveInfinity;
            var meta = new Proto.RunMetadata();
            var result = s.Run([y], new FeedDict { [x] = Tensor.Create(data, 4, 9, 7, 3) }, [], new RunOptions { TraceLevel = TraceLevel.FullTrace }, meta)[0].ToArray<float>();
            traced = [.. meta.StepStats.DevStats.SelectMany(d => d.NodeStats).Select(n => n.TimelineLabel)];
            return result;
        }
        var fused = Run(true, out var fusedLoss, out var fusedNodes);
        var plain = Run(false, out var plainLoss, out _);
        Assert.That(fused.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(plain.Select(BitConverter.SingleToInt32Bits)));
        Assert.That(fusedLoss, Is.EqualTo(plainLoss));
        Assert.That(fused.Any(float.IsNaN), Is.True, "the NaN reaches the output");
        Assert.That(fusedNodes, Has.Some.Contains(relu ? "Conv2D+BiasAdd+Relu" : "Conv2D+BiasAdd"), "the chain ran as one fused node");
    }

    [Test]
    public void AConvolutionWhoseOutputIsFetchedIsNotFused()
    {
        var g = new Graph();
        var x = g.Constant(Tensor.Create(Enumerable.Range(0, 2 * 4 * 4 * 2).Select(i => (i % 5) - 2f).ToArray(), 2, 4, 4, 2));
        var f = g.Constant(Tensor.Create(Enumerable.Range(0, 2 * 2 * 2 * 3).Select(i => (i % 3) - 1f).ToArray(), 2, 2, 2, 3));
        var conv = g.Conv2D(x, f, [1, 1, 1, 1], "VALID");
        var y = g.Relu(g.BiasAdd(conv, g.Constant(new float[] { 1, -1, 0.5f })));
        using var s = new Session(g);
        var (c, r) = s.Run(conv, y);
        var bias = new[] { 1f, -1, 0.5f };
        Assert.That(r.ToArray<float>(), Is.EqualTo(c.ToArray<float>().Select((v, i) => Math.Max(0, v + bias[i % 3])).ToArray()));
    }

    [Test]
    public void FetchedIntermediatesAreNotFusedAway()
    {
        var (g, x, _, _, _) = Mlp(relu: true);
        var mm = g.Operations.First(o => o.Type == "MatMul")[0];
        var relu = g.Operations.First(o => o.Type == "Relu")[0];
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var (m, r) = s.Run(mm, relu, new FeedDict { [x] = new float[,] { { 1, 2, 3, 4, 5, 6 } } });
        var bias = s.Run(g.GetTensor("b1/read:0")).ToArray<float>();
        var expected = m.ToArray<float>().Select((v, i) => Math.Max(0, v + bias[i])).ToArray();
        Assert.That(r.ToArray<float>(), Is.EqualTo(expected).Within(1e-5));
    }

    [Test]
    public void GraphDefKeepsTensorFlowsOps()
    {
        var (g, x, y, _, _) = Mlp(relu: true);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        s.Run(y, new FeedDict { [x] = new float[1, 6] });
        var types = g.ToGraphDef().Node.Select(n => n.Op).ToHashSet();
        Assert.That(types, Does.Contain("MatMul").And.Contain("BiasAdd").And.Contain("Relu"));
    }
}

public class TrainingStepAllocationTests
{
    [Test]
    public void AWholeTrainingStepThroughACallableAllocatesNothing()
    {
        var g = new Graph { Seed = 2 };
        var x = g.Placeholder(DType.Float32, [-1, 784], name: "images");
        var y = g.Placeholder(DType.Int32, [-1], name: "labels");
        var w1 = g.Variable(g.RandomUniform([784, 64], -0.1, 0.1), name: "w1");
        var b1 = g.Variable(g.Zeros([64]), name: "b1");
        var w2 = g.Variable(g.RandomUniform([64, 10], -0.1, 0.1), name: "w2");
        var b2 = g.Variable(g.Zeros([10]), name: "b2");
        var logits = g.BiasAdd(g.MatMul(g.Relu(g.BiasAdd(g.MatMul(x, w1), b1)), w2), b2);
        var loss = g.ReduceMean(g.SparseSoftmaxCrossEntropyWithLogits(y, logits));
        var train = TensorGraph.Training.RMSPropOptimizer.KerasDefaults().Minimize(loss);
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var step = s.MakeCallable([x, y], [loss], train);
        var rng = new Random(1);
        var images = Tensor.FromArray(Enumerable.Range(0, 32 * 784).Select(_ => (float)rng.NextDouble()).ToArray());
        var xs = Tensor.Create(images.ToArray<float>(), 32, 784);
        var ys = Tensor.Create(Enumerable.Range(0, 32).Select(i => i % 10).ToArray(), 32);
        for (int i = 0; i < 50; i++) step.Run(xs, ys);
        float last = 0;
        Assert.That(AllocationProbe.SteadyState(() => last = step.Run(xs, ys)[0].AsSpan<float>()[0], 25), Is.EqualTo(0));
        Assert.That(last, Is.LessThan(2.3f));
    }
}
