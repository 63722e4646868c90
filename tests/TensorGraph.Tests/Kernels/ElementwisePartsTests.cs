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

    private static float[] Random(int n, int seed, float lo, float hi)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(lo + (hi - lo) * r.NextDouble())).ToArray();
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

        Tensor?[] Run(int threads)
        {
            Gemm.MaxThreads = threads;
            using var s = new Session(g, new SessionOptions { IntraOpParallelismThreads = threads });
            return s.Run(outs, feeds);
        }

        var one = Run(1);
        long before = ElementwiseParts.Splits;
        var three = Run(3);
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
