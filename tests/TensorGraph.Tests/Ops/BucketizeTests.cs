namespace TensorGraph.Tests.Ops;

/// <summary>Bucketize against TF's documented example and the upper_bound rule.</summary>
public class BucketizeTests
{
    [Test]
    public void TensorFlowsDocumentedExample()
    {
        // tf.raw_ops.Bucketize docs: boundaries [0, 10, 100], input [[-5, 10000], [150, 10], [5, 100]] → [[0, 3], [3, 2], [1, 3]].
        var g = new Graph();
        var y = g.Bucketize(g.Constant(Tensor.Create(new[] { -5, 10000, 150, 10, 5, 100 }, 3, 2)), [0f, 10f, 100f]);
        Assert.That(y.DType, Is.EqualTo(DType.Int32));
        Assert.That(y.Shape, Is.EqualTo(new Shape(3, 2)));
        using var s = new Session(g);
        Assert.That(s.Run(y).ToArray<int>(), Is.EqualTo(new[] { 0, 3, 3, 2, 1, 3 }));
    }

    [Test]
    public void ValuesOnABoundaryGoToTheBucketAboveIt()
    {
        var g = new Graph();
        double[] x = [-1, 0, 0.25, 0.5, 0.75, 1, 3, double.NaN];
        var y = g.Bucketize(g.Constant(x), [0f, 0.5f, 1f]);
        using var s = new Session(g);
        // The number of boundaries b with b <= x (NaN compares false with all: bucket 3, as upper_bound gives).
        var expect = x.Select(v => new[] { 0.0, 0.5, 1.0 }.Count(b => !(v < b))).ToArray();
        Assert.That(s.Run(y).ToArray<int>(), Is.EqualTo(expect));
        Assert.That(expect, Is.EqualTo(new[] { 0, 1, 1, 2, 2, 3, 3, 3 }));
    }

    [Test]
    public void UnsortedBoundariesAreRefusedAndTheOpHasNoGradient()
    {
        var g = new Graph();
        var x = g.Constant(new[] { 1f, 2f });
        Assert.That(Assert.Throws<InvalidArgumentException>(() => g.Bucketize(x, [1f, 0f]))!.Message, Does.Contain("Expected sorted boundaries"));
        var y = g.Cast(g.Bucketize(x, [1.5f]), DType.Float32);
        Assert.That(g.Gradients([g.ReduceSum(y)], [x])[0], Is.Null);
    }
}
