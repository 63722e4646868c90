namespace TensorGraph.Tests.Autodiff;

/// <summary>Gradients of Softsign, SoftsignGrad and ReverseSequence against central differences, in float64.</summary>
public class SequenceOpGradientTests
{
    private const double Tol = 1e-6;

    private static Tensor Values(int[] dims, int seed, double lo = -2, double hi = 2)
    {
        var r = new Random(seed);
        int n = dims.Aggregate(1, (a, b) => a * b);
        // Kept 0.05 away from 0, where |x| has its kink.
        return Tensor.Create(Enumerable.Range(0, n).Select(_ =>
        {
            double v;
            do v = lo + (hi - lo) * r.NextDouble();
            while (Math.Abs(v) < 0.05);
            return v;
        }).ToArray(), dims);
    }

    private static void Check(Func<Graph, Output, Output> f, int[] dims, int seed = 1)
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.FromSpan(dims), name: "x");
        var y = f(g, x);
        using var s = new Session(g);
        var check = GradientChecker.Compute(s, x, Values(dims, seed), y, delta: 1e-6);
        Assert.That(check.MaxRelativeError, Is.LessThanOrEqualTo(Tol), $"max error {check.MaxError}");
        Assert.That(check.Theoretical.Cast<double>().Any(v => v != 0), Is.True);
    }

    [Test]
    public void SoftsignFirstSecondAndThirdDerivatives()
    {
        Output D(Graph g, Output y, Output x) => g.Gradients(y, x)[0]!.Value;
        Check((g, x) => g.Softsign(x), [2, 3]);
        Check((g, x) => D(g, g.Softsign(x), x), [2, 3]);
        Check((g, x) => D(g, D(g, g.Softsign(x), x), x), [2, 3]);
    }

    [Test]
    public void SoftsignGradBothInputs()
    {
        var g = new Graph();
        var dy = g.Placeholder(DType.Float64, [2, 3], name: "dy");
        var x = g.Placeholder(DType.Float64, [2, 3], name: "x");
        var z = g.SoftsignGrad(dy, x);
        using var s = new Session(g);
        var dyv = Values([2, 3], 5);
        var xv = Values([2, 3], 6);
        Assert.That(GradientChecker.Compute(s, dy, dyv, z, new FeedDict { [x] = xv }, 1e-6).MaxRelativeError, Is.LessThanOrEqualTo(Tol));
        Assert.That(GradientChecker.Compute(s, x, xv, z, new FeedDict { [dy] = dyv }, 1e-6).MaxRelativeError, Is.LessThanOrEqualTo(Tol));
    }

    [Test]
    public void ReverseSequence()
    {
        var w = Tensor.Create(Enumerable.Range(1, 24).Select(i => (double)i).ToArray(), 3, 4, 2);
        Check((g, x) => g.Square(g.ReverseSequence(x, g.Constant(new long[] { 2, 0, 1, 3 }), seqAxis: 0, batchAxis: 1)) * g.Constant(w), [3, 4, 2]);
        Check((g, x) => g.ReverseSequence(g.Exp(x), g.Constant(new[] { 4, 1, 3 }), seqAxis: 1) * g.Constant(w), [3, 4, 2]);
        var gg = new Graph();
        var xx = gg.Placeholder(DType.Float64, [3, 4], name: "x");
        var grad = gg.Gradients(gg.ReverseSequence(xx, gg.Constant(new long[] { 1, 2, 3 }), seqAxis: 1), xx)[0]!.Value;
        Assert.That(grad.Op.Type, Is.EqualTo("ReverseSequence"), "TF's _ReverseSequenceGrad reverses the gradient");
    }
}
