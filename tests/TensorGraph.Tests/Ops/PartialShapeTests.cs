namespace TensorGraph.Tests.Ops;

/// <summary>
/// Shape arguments known only in part at build time (TF's <c>constant_value_as_shape</c>): a
/// Pack of scalars, the Shape of a tensor, a ConcatV2 of such parts. Reshape infers what TF 1.15
/// infers, and the run gives the same values as a fully constant shape. Also <c>EnsureShape</c>
/// and <c>SetShape</c>, which refine a static shape by hand.
/// </summary>
public class PartialShapeTests
{
    private static float[] Range(int n) => [.. Enumerable.Range(0, n).Select(i => (float)i)];

    [Test]
    public void ReshapeToAStackOfMinusOneAndAConstantKeepsTheConstantDim()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 4, 3], name: "x");
        var y = g.Reshape(x, g.Stack([g.Constant(-1), g.Constant(12)]));
        Assert.That(y.Shape.ToString(), Is.EqualTo("(?, 12)"));
        using var s = new Session(g);
        var r = s.Run(y, new FeedDict { [x] = Tensor.Create(Range(24), 2, 4, 3) });
        Assert.That(r.Dims.ToArray(), Is.EqualTo(new[] { 2, 12 }));
        Assert.That(r.ToArray<float>(), Is.EqualTo(Range(24)));
    }

    [Test]
    public void ARunTimeScalarInTheStackIsAnUnknownDim()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 4, 3], name: "x");
        var batch = g.ShapeOf(x)[0];
        var y = g.Reshape(x, g.Stack([batch, g.Constant(12)]));
        Assert.That(y.Shape.ToString(), Is.EqualTo("(?, 12)"));
        using var s = new Session(g);
        Assert.That(s.Run(y, new FeedDict { [x] = Tensor.Create(Range(36), 3, 4, 3) }).Dims.ToArray(), Is.EqualTo(new[] { 3, 12 }));
    }

    [Test]
    public void AKnownElementCountFixesTheOneUnknownDim()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [2, 3, 4], name: "x");
        var y = g.Reshape(x, g.Stack([g.Constant(-1), g.Constant(6)]));
        Assert.That(y.Shape.ToString(), Is.EqualTo("(4, 6)"));
    }

    [Test]
    public void TheShapeOfAnotherTensorGivesItsStaticShape()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 3], name: "x");
        var like = g.Placeholder(DType.Float32, [-1, 3, 1], name: "like");
        var y = g.Reshape(x, g.ShapeOf(like));
        Assert.That(y.Shape.ToString(), Is.EqualTo("(?, 3, 1)"));
    }

    [Test]
    public void AConcatOfPartsJoinsTheirPartialShapes()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 2, 3], name: "x");
        var shape = g.Concat([g.Constant(new[] { -1 }), g.Constant(new[] { 2, 3 })], 0);
        var y = g.Reshape(x, shape);
        Assert.That(y.Shape.ToString(), Is.EqualTo("(?, 2, 3)"));
        using var s = new Session(g);
        Assert.That(s.Run(y, new FeedDict { [x] = Tensor.Create(Range(12), 2, 2, 3) }).Dims.ToArray(), Is.EqualTo(new[] { 2, 2, 3 }));
    }

    [Test]
    public void ASliceOfAShapeKeepsTheSlicedDims()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 4, 3], name: "x");
        var h = g.Placeholder(DType.Float32, [-1, 12], name: "h");
        var y = g.Reshape(h, g.Concat([g.Constant(new[] { -1 }), g.ShapeOf(x)[1..]], 0));
        Assert.That(y.Shape.ToString(), Is.EqualTo("(?, 4, 3)"));
        var reversed = g.Reshape(g.Placeholder(DType.Float32, [3, 4], name: "r"), g.ShapeOf(x)[SliceItem.Range(null, 0, -1)]);
        Assert.That(reversed.Shape.ToString(), Is.EqualTo("(3, 4)"));
        using var s = new Session(g);
        var feeds = new FeedDict { [h] = Tensor.Create(Range(24), 2, 12), [x] = Tensor.Create(Range(12), 1, 4, 3) };
        Assert.That(s.Run(y, feeds).Dims.ToArray(), Is.EqualTo(new[] { 2, 4, 3 }));
    }

    [Test]
    public void AStackOfConstantsWithTheWrongCountFailsAtBuildTime()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [2, 3], name: "x");
        var e = Assert.Throws<InvalidArgumentException>(() => g.Reshape(x, g.Stack([g.Constant(5), g.Constant(7)]), name: "bad"))!;
        Assert.That(e.Message, Does.Contain("Cannot reshape a tensor with 6 elements to shape [5, 7]").And.Contain("'bad'"));
    }

    [Test]
    public void EnsureShapeMergesStaticShapesAndChecksAtRunTime()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 3], name: "x");
        var y = g.EnsureShape(x, new Shape(2, -1));
        Assert.That(y.Op.Type, Is.EqualTo("EnsureShape"));
        Assert.That(y.Shape.ToString(), Is.EqualTo("(2, 3)"));
        using var s = new Session(g);
        Assert.That(s.Run(y, new FeedDict { [x] = Tensor.Create(Range(6), 2, 3) }).ToArray<float>(), Is.EqualTo(Range(6)));
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(y, new FeedDict { [x] = Tensor.Create(Range(12), 4, 3) }))!;
        Assert.That(e.Message, Does.Contain("Shape of tensor x:0 [4,3] is not compatible with expected shape [2,?]."));
        Assert.That(e.Message, Does.Contain("EnsureShape"));
    }

    [Test]
    public void EnsureShapeRefusesAnIncompatibleStaticShape()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 3], name: "x");
        var e = Assert.Throws<InvalidArgumentException>(() => g.EnsureShape(x, new Shape(2, 4)))!;
        Assert.That(e.Message, Does.Contain("(?, 3) is not compatible with expected shape (2, 4)"));
    }

    [Test]
    public void EnsureShapePassesTheGradientThrough()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [2, 3], name: "x");
        var y = g.ReduceSum(g.Square(g.EnsureShape(x, new Shape(-1, 3))));
        using var s = new Session(g);
        var check = GradientChecker.Compute(s, x, Tensor.Create(new[] { 0.5, -1, 2, 3, -0.25, 1.5 }, 2, 3), y, delta: 1e-5);
        Assert.That(check.MaxRelativeError, Is.LessThan(1e-8));
    }

    [Test]
    public void SetShapeRefinesTheStaticShapeOfLaterOps()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, -1], name: "x");
        g.SetShape(x, new Shape(-1, 3));
        Assert.That(x.Shape.ToString(), Is.EqualTo("(?, 3)"));
        var w = g.Constant(new float[3, 4]);
        Assert.That(g.MatMul(x, w).Shape.ToString(), Is.EqualTo("(?, 4)"));
        var e = Assert.Throws<InvalidArgumentException>(() => g.SetShape(x, new Shape(4, 4)))!;
        Assert.That(e.Message, Does.Contain("Shapes (?, 3) and (4, 4) are incompatible"));
        Assert.That(x.Shape.ToString(), Is.EqualTo("(?, 3)"), "a refused SetShape leaves the shape as it was");
    }
}
