using TensorGraph.Kernels;

namespace TensorGraph.Tests.Kernels;

/// <summary>
/// Large element-wise ops split into ranges across cores give the bits of the same ops run on one
/// thread, for vectorized and scalar functors, tensor-tensor and tensor-scalar forms, and sizes
/// whose last range is not a whole number of vectors.
/// </summary>
[NonParallelizable]
public class ElementwisePartsTests
{
    [TearDown]
    public void Restore() => Gemm.MaxThreads = Environment.ProcessorCount;

    /// <summary>Runs <paramref name="outs"/> in a session whose kernels may use <paramref name="threads"/> threads.</summary>
    private static Tensor?[] RunWithThreads(Graph g, Output[] outs, FeedDict feeds, int threads)
    {
        Gemm.MaxThreads = threads;
        using var s = new Session(g, new SessionOptions { IntraOpParallelismThreads = threads });
        return s.Run(outs, feeds);
    }

    private static float[] Random(int n, int seed, float lo, float hi)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(lo + (hi - lo) * r.NextDouble())).ToArray();
    }

    [TestCase(new[] { 3, 40001 }, new[] { 1 }, TestName = "Trailing axis, three rows")]
    [TestCase(new[] { 300, 707 }, new[] { 0 }, TestName = "Leading axis, column ranges")]
    [TestCase(new[] { 70, 31, 50 }, new[] { 1 }, TestName = "Middle axis, rows of a narrow inner")]
    [TestCase(new[] { 2, 90, 400 }, new[] { 1 }, TestName = "Middle axis, column ranges")]
    [TestCase(new[] { 65, 40, 30 }, new[] { 1, 2 }, TestName = "Two trailing axes")]
    public void SplitReductionsGiveTheBitsOfOneThread(int[] shape, int[] axes)
    {
        var g = new Graph();
        int n = shape.Aggregate(1, (a, b) => a * b);
        var x = g.Placeholder(DType.Float32, shape, name: "x");
        Output[] outs = [g.ReduceSum(x, axes), g.ReduceMean(x, axes, keepDims: true), g.ReduceMax(x, axes), g.ReduceMin(x, axes), g.ReduceProd(g.Add(g.Multiply(x, g.Constant(1e-3f)), g.Constant(1f)), axes)];
        var data = Random(n, 3, -4, 4);
        var feeds = new FeedDict { [x] = Tensor.Create(data, shape) };

        var one = RunWithThreads(g, outs, feeds, 1);
        long before = ElementwiseParts.Splits;
        var three = RunWithThreads(g, outs, feeds, 3);
        Assert.That(ElementwiseParts.Splits - before, Is.GreaterThanOrEqualTo(outs.Length), "every reduction ran in parts");
        for (int i = 0; i < outs.Length; i++) Assert.That(three[i]!.ToArray<float>(), Is.EqualTo(one[i]!.ToArray<float>()), outs[i].Op.Type);
        // And the serial result is the reduction itself (a double-precision sum of the first output element's group).
        if (axes is [1] && shape.Length == 2)
        {
            double want = 0;
            for (int j = 0; j < shape[1]; j++) want += data[j];
            Assert.That(one[0]!.ToArray<float>()[0], Is.EqualTo(want).Within(1e-3 * Math.Sqrt(shape[1])));
        }
    }

    [TestCase(3 * (1 << 15) + 37)]
    [TestCase(2 * (1 << 15) + 1)]
    [TestCase(5 * (1 << 15) + 64 * 7)]
    public void SplitOpsGiveTheBitsOfOneThread(int n)
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [n], name: "x");
        var y = g.Placeholder(DType.Float32, [n], name: "y");
        var two = g.Constant(2.5f);
        Output[] outs =
        [
            g.Exp(x), g.Tanh(x), g.Sigmoid(x), g.Sqrt(g.Abs(x)), g.Square(x), g.Log1p(g.Abs(x)), g.Negative(x),
            g.AddV2(x, y), g.Multiply(x, y), g.RealDiv(x, y), g.Maximum(x, y), g.Subtract(two, x), g.Multiply(x, two),
            g.Pow(g.Abs(x), two), g.Less(x, y),
        ];
        var feeds = new FeedDict { [x] = Random(n, 1, -4, 4), [y] = Random(n, 2, 0.5f, 3) };

        var one = RunWithThreads(g, outs, feeds, 1);
        long before = ElementwiseParts.Splits;
        var three = RunWithThreads(g, outs, feeds, 3);
        Assert.That(ElementwiseParts.Splits - before, Is.GreaterThanOrEqualTo(outs.Length), "every op ran in parts");
        for (int i = 0; i < outs.Length; i++)
        {
            var a = one[i]!;
            var b = three[i]!;
            Assert.That(b.DType, Is.EqualTo(a.DType));
            if (a.DType == DType.Bool) Assert.That(b.ToArray<bool>(), Is.EqualTo(a.ToArray<bool>()), outs[i].Op.Type);
            else Assert.That(b.ToArray<float>(), Is.EqualTo(a.ToArray<float>()), outs[i].Op.Type);
        }
    }

    [TestCase(70, 1000, TestName = "Softmax rows, many rows")]
    [TestCase(3, 40001, TestName = "Softmax rows, three long rows")]
    [TestCase(257, 300, TestName = "Softmax rows, odd row count")]
    public void SplitSoftmaxAndCrossEntropyGiveTheBitsOfOneThread(int rows, int classes)
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [rows, classes], name: "x");
        var p = g.Placeholder(DType.Float32, [rows, classes], name: "p");
        var label = g.Placeholder(DType.Int32, [rows], name: "label");
        var dense = g.SoftmaxCrossEntropyWithLogitsOp(x, p);
        var sparse = g.SparseSoftmaxCrossEntropyWithLogitsOp(x, label);
        Output[] outs = [g.Softmax(x), g.LogSoftmax(x), dense.Loss, dense.Backprop, sparse.Loss, sparse.Backprop];
        var data = Random(rows * classes, 4, -6, 6);
        // Label distributions: each row's positive weights normalized to 1.
        var probs = Random(rows * classes, 5, 0, 1);
        for (int r = 0; r < rows; r++)
        {
            var row = probs.AsSpan(r * classes, classes);
            float sum = 0;
            foreach (var v in row) sum += v;
            for (int j = 0; j < classes; j++) row[j] /= sum;
        }
        var labels = Enumerable.Range(0, rows).Select(r => (r * 7919) % classes).ToArray();
        var feeds = new FeedDict { [x] = Tensor.Create(data, rows, classes), [p] = Tensor.Create(probs, rows, classes), [label] = Tensor.Create(labels, rows) };

        var one = RunWithThreads(g, outs, feeds, 1);
        long before = ElementwiseParts.Splits;
        var three = RunWithThreads(g, outs, feeds, 3);
        Assert.That(ElementwiseParts.Splits - before, Is.GreaterThanOrEqualTo(4), "softmax, log-softmax and both cross-entropies ran in parts");
        for (int i = 0; i < outs.Length; i++) Assert.That(three[i]!.ToArray<float>(), Is.EqualTo(one[i]!.ToArray<float>()), outs[i].Op.Type);

        // The results themselves, per row in double precision, for the first and last rows.
        foreach (int r in new[] { 0, rows - 1 })
        {
            var xr = data.AsSpan(r * classes, classes).ToArray();
            double max = xr.Max(), sum = xr.Sum(v => Math.Exp(v - max)), logSum = Math.Log(sum) + max;
            double denseLoss = 0;
            for (int j = 0; j < classes; j++) denseLoss -= probs[r * classes + j] * (xr[j] - logSum);
            int c = labels[r];
            Assert.That(three[0]!.ToArray<float>()[r * classes + c], Is.EqualTo(Math.Exp(xr[c] - logSum)).Within(1e-6), "softmax");
            Assert.That(three[1]!.ToArray<float>()[r * classes + c], Is.EqualTo(xr[c] - logSum).Within(1e-4), "log-softmax");
            Assert.That(three[2]!.ToArray<float>()[r], Is.EqualTo(denseLoss).Within(1e-4 * Math.Abs(denseLoss)), "dense loss");
            Assert.That(three[3]!.ToArray<float>()[r * classes + c], Is.EqualTo(Math.Exp(xr[c] - logSum) - probs[r * classes + c]).Within(1e-6), "dense backprop");
            Assert.That(three[4]!.ToArray<float>()[r], Is.EqualTo(logSum - xr[c]).Within(1e-4 * Math.Abs(logSum - xr[c]) + 1e-5), "sparse loss");
            Assert.That(three[5]!.ToArray<float>()[r * classes + c], Is.EqualTo(Math.Exp(xr[c] - logSum) - 1).Within(1e-6), "sparse backprop");
        }
    }

    [Test]
    public void SplitSparseCrossEntropyStillRejectsABadLabel()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [100, 1000], name: "x");
        var label = g.Placeholder(DType.Int32, [100], name: "label");
        var loss = g.SparseSoftmaxCrossEntropyWithLogitsOp(x, label, name: "xent").Loss;
        var labels = new int[100];
        labels[77] = 1000;
        Gemm.MaxThreads = 3;
        using var s = new Session(g, new SessionOptions { IntraOpParallelismThreads = 3 });
        var feeds = new FeedDict { [x] = Tensor.Create(new float[100 * 1000], 100, 1000), [label] = Tensor.Create(labels, 100) };
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run([loss], feeds));
        Assert.That(e!.Message, Does.Contain("label value of 1000").And.Contain("row 77").And.Contain("xent"));
    }

    [TestCase(300, 257, TestName = "Row operand, odd row length")]
    [TestCase(5, 20000, TestName = "Row operand, five long rows")]
    public void SplitRowBroadcastsGiveTheBitsOfOneThread(int rows, int cols)
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [rows, cols], name: "x");
        var b = g.Placeholder(DType.Float32, [cols], name: "b");
        var b2 = g.Placeholder(DType.Float32, [1, cols], name: "b2");
        Output[] outs = [g.AddV2(x, b), g.Subtract(b, x), g.Multiply(x, b2), g.RealDiv(b2, x), g.Maximum(x, b)];
        var data = Random(rows * cols, 6, 0.5f, 4);
        var row = Random(cols, 7, -2, 2);
        var feeds = new FeedDict { [x] = Tensor.Create(data, rows, cols), [b] = Tensor.Create(row, cols), [b2] = Tensor.Create(row, 1, cols) };

        var one = RunWithThreads(g, outs, feeds, 1);
        long before = ElementwiseParts.Splits;
        var three = RunWithThreads(g, outs, feeds, 3);
        Assert.That(ElementwiseParts.Splits - before, Is.GreaterThanOrEqualTo(outs.Length), "every broadcast ran in parts");
        for (int i = 0; i < outs.Length; i++) Assert.That(three[i]!.ToArray<float>(), Is.EqualTo(one[i]!.ToArray<float>()), outs[i].Op.Type);
        var sum = three[0]!.ToArray<float>();
        var quotient = three[3]!.ToArray<float>();
        for (int k = 0; k < data.Length; k += 997)
        {
            Assert.That(sum[k], Is.EqualTo(data[k] + row[k % cols]), $"x + b at {k}");
            Assert.That(quotient[k], Is.EqualTo(row[k % cols] / data[k]), $"b2 / x at {k}");
        }
    }

    [Test]
    public void RangesCoverEveryElementOnceInAlignedPieces()
    {
        foreach (int size in new[] { 1 << 16, (1 << 16) + 1, 3 * (1 << 15) + 37, 1_000_003 })
            foreach (int parts in new[] { 2, 3, 7 })
            {
                int next = 0;
                for (int p = 0; p < parts; p++)
                {
                    var (start, count) = ElementwiseParts.Range(size, p, parts);
                    Assert.That(start, Is.EqualTo(next), $"size {size}, part {p} of {parts}");
                    Assert.That(start % 64, Is.Zero);
                    next = start + count;
                }
                Assert.That(next, Is.EqualTo(size));
            }
    }

    [Test]
    public void SmallTensorsStayOnTheCallingThread()
    {
        Gemm.MaxThreads = 4;
        Assert.That(ElementwiseParts.For(2 * ElementwiseParts.MinElementsPerPart - 1), Is.EqualTo(1));
        Assert.That(ElementwiseParts.For(2 * ElementwiseParts.MinElementsPerPart), Is.EqualTo(2));
        Assert.That(ElementwiseParts.For(100 * ElementwiseParts.MinElementsPerPart), Is.EqualTo(4));
    }
}
