namespace TensorGraph.Tests.Autodiff;

/// <summary>
/// Gradients of the TensorArray ops (TF 1.15's tensor_array_grad.py: read↔write, gather↔scatter,
/// concat↔split through TensorArrayGradV3) against central differences, in float64.
/// </summary>
public class TensorArrayGradientTests
{
    private const double Tol = 1e-6;

    private static Tensor Values(params int[] dims)
    {
        var r = new Random(7);
        int n = dims.Aggregate(1, (a, b) => a * b);
        return Tensor.Create(Enumerable.Range(0, n).Select(_ => -2 + 4 * r.NextDouble()).ToArray(), dims);
    }

    /// <summary>Checks dy/dx for y = f(g, x), x a float64 placeholder of <paramref name="dims"/>.</summary>
    private static void Check(Func<Graph, Output, Output> f, params int[] dims)
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, Shape.FromSpan(dims), name: "x");
        var y = f(g, x);
        using var s = new Session(g);
        var check = GradientChecker.Compute(s, x, Values(dims), y, delta: 1e-5);
        Assert.That(check.MaxRelativeError, Is.LessThanOrEqualTo(Tol), $"max error {check.MaxError}");
        Assert.That(check.Theoretical.Cast<double>().Any(v => v != 0), Is.True, "the gradient should not be all zeros");
    }

    /// <summary>A nonlinear scalar of <paramref name="t"/> with distinct weights per element, so every entry's gradient differs.</summary>
    private static Output Loss(Graph g, Output t, params int[] dims)
    {
        int n = dims.Aggregate(1, (a, b) => a * b);
        var w = g.Constant(Tensor.Create(Enumerable.Range(1, n).Select(i => (double)i).ToArray(), dims));
        return g.ReduceSum(g.Square(t) * w + t);
    }

    [Test]
    public void WriteThenReadGoesThroughTheGradientArray()
    {
        Check((g, x) =>
        {
            var ta = g.TensorArray(DType.Float64, 2).Write(0, x * 3.0).Write(1, g.Square(x));
            return Loss(g, ta.Read(1), 2, 3) + Loss(g, ta.Read(0), 2, 3);
        }, 2, 3);
    }

    [Test]
    public void GradientNodesFollowTensorFlow()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, new Shape(3), name: "x");
        var ta = g.TensorArray(DType.Float64, 1).Write(0, x);
        var y = g.ReduceSum(ta.Read(0));
        var dx = g.Gradients([y], [x])[0]!.Value;
        var names = g.Operations.ToDictionary(o => o.Name, o => o.Type);
        Assert.That(names, Does.ContainKey("gradients/TensorArrayReadV3_grad/TensorArrayGrad/TensorArrayGradV3").WithValue("TensorArrayGradV3"));
        Assert.That(names, Does.ContainKey("gradients/TensorArrayReadV3_grad/TensorArrayGrad/gradient_flow").WithValue("Identity"));
        Assert.That(names, Does.ContainKey("gradients/TensorArrayReadV3_grad/TensorArrayWrite/TensorArrayWriteV3").WithValue("TensorArrayWriteV3"));
        Assert.That(names, Does.ContainKey("gradients/TensorArrayWrite/TensorArrayWriteV3_grad/TensorArrayReadV3").WithValue("TensorArrayReadV3"));
        Assert.That(g.GetOperation("gradients/TensorArrayReadV3_grad/TensorArrayGrad/TensorArrayGradV3").GetAttrString("source"), Is.EqualTo("gradients"));
        using var s = new Session(g);
        Assert.That(s.Run(dx, new FeedDict { [x] = new double[] { 1, 2, 3 } }).ToArray<double>(), Is.EqualTo(new double[] { 1, 1, 1 }));
    }

    [Test]
    public void UnstackThenStack()
    {
        // scatter's gradient gathers, gather's (stack's) scatters.
        Check((g, x) => Loss(g, g.TensorArray(DType.Float64, 3).Unstack(g.Exp(x)).Stack(), 3, 2), 3, 2);
    }

    [Test]
    public void ScatterThenGatherSomeIndicesTwice()
    {
        // Index 1 is gathered twice: its gradient entry gets two writes, which the gradient array sums;
        // index 3 is never gathered: its gradient reads as zeros.
        Check((g, x) =>
        {
            var ta = g.TensorArray(DType.Float64, 4, clearAfterRead: false).Scatter(g.Constant(new[] { 2, 0, 1, 3 }), x);
            return Loss(g, ta.Gather(g.Constant(new[] { 1, 2, 1, 0 })), 4, 2);
        }, 4, 2);
    }

    [Test]
    public void SplitThenConcat()
    {
        // Pieces of different lengths need infer_shape = false (identical_element_shapes fixes the first piece's shape), as in TF.
        Check((g, x) => Loss(g, g.TensorArray(DType.Float64, 3, inferShape: false).Split(g.Sin(x), g.Constant(new[] { 2, 1, 2 })).Concat(), 5, 2), 5, 2);
    }

    [Test]
    public void UnstackThenReadEach()
    {
        Check((g, x) =>
        {
            var ta = g.TensorArray(DType.Float64, 3).Unstack(x);
            return Loss(g, ta.Read(2) * ta.Read(0), 2) + g.ReduceSum(ta.Read(1));
        }, 3, 2);
    }

    [Test]
    public void WritesStackedAndReadAgainWithoutClearing()
    {
        // A read and a stack of one index: two partial gradients summed in one gradient entry.
        Check((g, x) =>
        {
            var ta = g.TensorArray(DType.Float64, 2, clearAfterRead: false).Write(0, x).Write(1, x * x);
            return Loss(g, ta.Stack(), 2, 3) + Loss(g, ta.Read(1), 3);
        }, 3);
    }
}
