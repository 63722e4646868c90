namespace TensorGraph.Tests.Building;

/// <summary>Named binary methods take a literal operand as TF's op wrappers do (<c>tf.pow(x, 2)</c>).</summary>
public class LiteralOperandTests
{
    [Test]
    public void PowWithAnIntLiteralBuildsTfsNodes()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(3), name: "x");
        var y = g.Pow(x, 2);
        // tf.pow(x, 2): Const "Pow/y" (float, converted to x's dtype) and op "Pow".
        Assert.That(y.Op.Name, Is.EqualTo("Pow"));
        Assert.That(y.Op.Type, Is.EqualTo("Pow"));
        var c = g.GetOperation("Pow/y");
        Assert.That(c.Type, Is.EqualTo("Const"));
        Assert.That(c.Outputs[0].DType, Is.EqualTo(DType.Float32));
        using var s = new Session(g);
        Assert.That(s.Run(y, new FeedDict { [x] = new[] { 1f, -3f, 0.5f } }).ToArray<float>(), Is.EqualTo(new[] { 1f, 9f, 0.25f }));
    }

    [Test]
    public void EveryNamedBinaryMethodTakesLiteralsOnEitherSide()
    {
        var g = new Graph();
        var x = g.Constant(new[] { 1.0, 4.0, -2.0 }, name: "x");
        var cases = new (string Op, Output Left, Output Right, double[] Expected)[]
        {
            ("Add", g.Add(x, 1), g.Add(1, x), [2, 5, -1]),
            ("Sub", g.Subtract(x, 1), g.Subtract(1, x), [0, 3, -3]),
            ("Mul", g.Multiply(x, 3), g.Multiply(3, x), [3, 12, -6]),
            ("RealDiv", g.RealDiv(x, 2), g.RealDiv(2, x), [0.5, 2, -1]),
            ("Maximum", g.Maximum(x, 0), g.Maximum(0, x), [1, 4, 0]),
            ("Minimum", g.Minimum(x, 0), g.Minimum(0, x), [0, 0, -2]),
            ("SquaredDifference", g.SquaredDifference(x, 1), g.SquaredDifference(1, x), [0, 9, 9]),
            ("FloorDiv", g.FloorDiv(x, 3), g.FloorDiv(3, x), [0, 1, -1]),
            ("FloorMod", g.FloorMod(x, 3), g.FloorMod(3, x), [1, 1, 1]),
            ("Div", g.Div(x, 2), g.Div(2, x), [0.5, 2, -1]),
        };
        using var s = new Session(g);
        foreach (var (op, left, right, expected) in cases)
        {
            Assert.That(left.Op.Type, Is.EqualTo(op));
            Assert.That(s.Run(left).ToArray<double>(), Is.EqualTo(expected), op);
            Assert.That(right.Op.Inputs[0].Op.Name, Is.EqualTo(right.Op.Name + "/x"), op);
        }
        // Literal on the left: 1 - x, 2 / x, 3 // x, 3 mod x.
        Assert.That(s.Run(g.Subtract(1, x)).ToArray<double>(), Is.EqualTo(new[] { 0.0, -3, 3 }));
        Assert.That(s.Run(g.RealDiv(2, x)).ToArray<double>(), Is.EqualTo(new[] { 2.0, 0.5, -1 }));
        Assert.That(s.Run(g.FloorMod(3, x)).ToArray<double>(), Is.EqualTo(new[] { 0.0, 3, -1 }));
        var cmp = new (Output Got, bool[] Expected)[]
        {
            (g.Less(x, 1), [false, false, true]),
            (g.LessEqual(x, 1), [true, false, true]),
            (g.Greater(x, 1), [false, true, false]),
            (g.GreaterEqual(1, x), [true, false, true]),
            (g.Equal(x, 4), [false, true, false]),
            (g.NotEqual(4, x), [true, false, true]),
        };
        foreach (var (got, expected) in cmp) Assert.That(s.Run(got).ToArray<bool>(), Is.EqualTo(expected), got.Op.Type);
    }

    [Test]
    public void ALiteralThatTheDtypeCannotHoldIsRefused()
    {
        var g = new Graph();
        var i = g.Constant(new[] { 1, 2 });
        Assert.Throws<InvalidArgumentException>(() => g.Pow(i, 0.5));
        Assert.That(g.Maximum(i, 2.0).DType, Is.EqualTo(DType.Int32), "an integral literal converts exactly, as the operators convert it");
    }
}
