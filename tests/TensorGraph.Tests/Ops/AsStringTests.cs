namespace TensorGraph.Tests.Ops;

/// <summary>AsString against the strings C's printf gives for TF's formats (%d, %lld, %f, %e, %g with width, fill and precision).</summary>
public class AsStringTests
{
    private static string[] Run(Func<Graph, Output> build)
    {
        var g = new Graph();
        var y = build(g);
        Assert.That(y.DType, Is.EqualTo(DType.String));
        using var s = new Session(g);
        return s.Run(y).ToArray<string>();
    }

    [Test]
    public void Integers()
    {
        Assert.That(Run(g => g.AsString(g.Constant(new long[] { 0, -7, 123, long.MinValue }))), Is.EqualTo(new[] { "0", "-7", "123", "-9223372036854775808" }));
        Assert.That(Run(g => g.AsString(g.Constant(new[] { 42, -42 }), width: 5, fill: "0")), Is.EqualTo(new[] { "00042", "-0042" }));
        Assert.That(Run(g => g.AsString(g.Constant(new[] { 7, 123456 }), width: 4)), Is.EqualTo(new[] { "   7", "123456" }));
        Assert.That(Run(g => g.AsString(g.Constant(new[] { 7, -7 }), width: 3, fill: "-")), Is.EqualTo(new[] { "7  ", "-7 " }));
        Assert.That(Run(g => g.AsString(g.Constant(new[] { 7, -7 }), fill: "+", width: 0)), Is.EqualTo(new[] { "+7", "-7" }));
        Assert.That(Run(g => g.AsString(g.Constant(new[] { 7 }), fill: "+")), Is.EqualTo(new[] { "7" }), "without a width TF leaves the fill out");
        Assert.That(Run(g => g.AsString(g.Constant(new[] { true, false }))), Is.EqualTo(new[] { "true", "false" }));
    }

    [Test]
    public void FixedIsTheDefaultForFloats()
    {
        Assert.That(Run(g => g.AsString(g.Constant(new[] { 1.5f, -0.25f, 1e10f, 0f }))), Is.EqualTo(new[] { "1.500000", "-0.250000", "10000000000.000000", "0.000000" }));
        Assert.That(Run(g => g.AsString(g.Constant(new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity }))), Is.EqualTo(new[] { "nan", "inf", "-inf" }));
        // 2.675 is 2.67499999999999982… in binary: printf rounds the exact value.
        Assert.That(Run(g => g.AsString(g.Constant(new[] { 3.14159, 2.675 }), precision: 2)), Is.EqualTo(new[] { "3.14", "2.67" }));
        Assert.That(Run(g => g.AsString(g.Constant(new[] { 3.5, -3.5 }), precision: 1, width: 7, fill: "0")), Is.EqualTo(new[] { "00003.5", "-0003.5" }));
        Assert.That(Run(g => g.AsString(g.Constant(new[] { double.NaN }), width: 5, fill: "0")), Is.EqualTo(new[] { "  nan" }));
    }

    [Test]
    public void ScientificAndShortest()
    {
        Assert.That(Run(g => g.AsString(g.Constant(new[] { 1234.5, 1e100, 0.0 }), scientific: true)), Is.EqualTo(new[] { "1.234500e+03", "1.000000e+100", "0.000000e+00" }));
        Assert.That(Run(g => g.AsString(g.Constant(new[] { 0.000123 }), scientific: true, precision: 1)), Is.EqualTo(new[] { "1.2e-04" }));
        Assert.That(Run(g => g.AsString(g.Constant(new[] { 0.0001, 0.00001, 123456, 1234567, 100, 0.5, 0, 9.9999999, -2.5e-7 }), shortest: true)),
            Is.EqualTo(new[] { "0.0001", "1e-05", "123456", "1.23457e+06", "100", "0.5", "0", "10", "-2.5e-07" }));
        Assert.That(Run(g => g.AsString(g.Constant(new[] { 3.14159 }), shortest: true, precision: 3)), Is.EqualTo(new[] { "3.14" }));
    }

    [Test]
    public void AttrsAreCheckedAsTensorFlowChecksThem()
    {
        var g = new Graph();
        var i = g.Constant(new[] { 1 });
        var f = g.Constant(new[] { 1f });
        Assert.Throws<InvalidArgumentException>(() => g.AsString(i, precision: 2));
        Assert.Throws<InvalidArgumentException>(() => g.AsString(i, shortest: true));
        Assert.Throws<InvalidArgumentException>(() => g.AsString(f, fill: "ab"));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => g.AsString(f, scientific: true, shortest: true))!.Message,
            Does.Contain("Cannot select both scientific and shortest notation"));
    }
}
