namespace TensorGraph.Tests.Runtime;

/// <summary>
/// Feed values convert to the placeholder's dtype as TF's <c>session.run</c> converts a feed_dict
/// value (<c>np.asarray(value, dtype=placeholder.dtype)</c>), and fail only where TF fails.
/// </summary>
public class FeedConversionTests
{
    [Test]
    public void IntScalarFeedsAnInt16Placeholder()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Int16, Shape.Scalar, name: "x");
        var y = x * 3;
        using var s = new Session(g);
        var r = s.Run(y, new FeedDict { [x] = 7 });
        Assert.That(r.DType, Is.EqualTo(DType.Int16));
        Assert.That(r.Scalar<short>(), Is.EqualTo((short)21));
    }

    [Test]
    public void DoubleArrayFeedsAFloatPlaceholderRoundedToNearest()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1), name: "x");
        var y = x + 0f;
        using var s = new Session(g);
        double[] v = [0.1, 1.0 / 3, -2.5e-8, 1e300];
        var r = s.Run(y, new FeedDict { [x] = v }).ToArray<float>();
        Assert.That(r, Is.EqualTo(new[] { (float)0.1, (float)(1.0 / 3), (float)-2.5e-8, float.PositiveInfinity }));
    }

    [Test]
    public void FloatsFeedIntAndBoolPlaceholdersAsNumpyCasts()
    {
        var g = new Graph();
        var i = g.Placeholder(DType.Int32, new Shape(-1), name: "i");
        var b = g.Placeholder(DType.Bool, new Shape(-1), name: "b");
        var f = g.Placeholder(DType.Float32, new Shape(-1), name: "f");
        using var s = new Session(g);
        // np.asarray([1.9, -1.9, 0.0], dtype=np.int32) → [1, -1, 0]: truncation toward zero.
        Assert.That(s.Run(g.Identity(i), new FeedDict { [i] = new[] { 1.9f, -1.9f, 0f } }).ToArray<int>(), Is.EqualTo(new[] { 1, -1, 0 }));
        // np.asarray([0.0, 2.0, -0.5], dtype=bool) → [False, True, True].
        Assert.That(s.Run(g.Identity(b), new FeedDict { [b] = new[] { 0.0, 2.0, -0.5 } }).ToArray<bool>(), Is.EqualTo(new[] { false, true, true }));
        // np.asarray([True, False], dtype=np.float32) → [1.0, 0.0].
        Assert.That(s.Run(g.Identity(f), new FeedDict { [f] = new[] { true, false } }).ToArray<float>(), Is.EqualTo(new[] { 1f, 0f }));
        // Int64 into int32 by name.
        Assert.That(s.Run(g.Identity(i), new FeedDict { ["i:0"] = new long[] { 5, -6 } }).ToArray<int>(), Is.EqualTo(new[] { 5, -6 }));
    }

    [Test]
    public void IntScalarThatDoesNotFitIsRefusedNamingThePlaceholder()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Int8, Shape.Scalar, name: "small");
        var f = g.Placeholder(DType.Float32, Shape.Scalar, name: "f");
        using var s = new Session(g);
        // TF: "Type of feed value 300 with type <class 'int'> is not compatible with Tensor type <dtype: 'int8'>".
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(g.Identity(x), new FeedDict { [x] = 300 }))!;
        Assert.That(e.Message, Does.Contain("Type of feed value 300 with type int32 is not compatible with Tensor 'small:0'"));
        Assert.That(e.Message, Does.Contain("FeedConversionTests.cs"));
        Assert.That(e.NodeName, Is.EqualTo("small"));
        // 2^24 + 1 has no float32: refused as np.float32(16777217) != 16777217; 2^24 converts.
        Assert.Throws<InvalidArgumentException>(() => s.Run(g.Identity(f), new FeedDict { [f] = 16777217 }));
        Assert.That(s.Run(g.Identity(f), new FeedDict { [f] = 16777216 }).Scalar<float>(), Is.EqualTo(16777216f));
        Assert.That(s.Run(g.Identity(x), new FeedDict { [x] = -128 }).Scalar<sbyte>(), Is.EqualTo((sbyte)-128));
    }

    [Test]
    public void StringsAndNumbersDoNotConvert()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        var t = g.Placeholder(DType.String, Shape.Scalar, name: "t");
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(g.Identity(x), new FeedDict { [x] = "1.5" }))!;
        Assert.That(e.Message, Does.Contain("Cannot feed value of dtype string for Tensor 'x:0'"));
        Assert.Throws<InvalidArgumentException>(() => s.Run(g.Identity(t), new FeedDict { [t] = 1.5f }));
    }

    [Test]
    public void CallablesTakeTheirFeedsAsTheyAre()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        using var s = new Session(g);
        using var call = s.MakeCallable([x], [g.Identity(x)]);
        var e = Assert.Throws<InvalidArgumentException>(() => call.Run(Tensor.Scalar(2.0)))!;
        Assert.That(e.Message, Does.Contain("Cannot feed value of dtype float64"));
    }

    [Test]
    public void AFeedDictCanAskForExactDtypes()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(g.Identity(x), new FeedDict { ConvertDtypes = false, [x] = 2 }))!;
        Assert.That(e.Message, Does.Contain("Cannot feed value of dtype int32 for Tensor 'x:0'"));
        Assert.That(s.Run(g.Identity(x), new FeedDict { ConvertDtypes = false, [x] = 2f }).Scalar<float>(), Is.EqualTo(2f));
    }

    [Test]
    public void TensorCastFollowsNumpyAstype()
    {
        Tensor d = new[] { 2.7, -2.7, double.NaN, 1e10 };
        Assert.That(d.Cast(DType.Int32).ToArray<int>(), Is.EqualTo(new[] { 2, -2, 0, int.MaxValue }));
        Tensor i = new[] { 300, -1, 7 };
        Assert.That(i.Cast(DType.UInt8).ToArray<byte>(), Is.EqualTo(new byte[] { 44, 255, 7 }));
        Assert.That(i.Cast(DType.Int8).ToArray<sbyte>(), Is.EqualTo(new sbyte[] { 44, -1, 7 }));
        Assert.That(i.Cast(DType.Bool).ToArray<bool>(), Is.EqualTo(new[] { true, true, true }));
        var same = i.Cast(DType.Int32);
        Assert.That(same, Is.Not.SameAs(i));
        Assert.That(same.ToArray<int>(), Is.EqualTo(new[] { 300, -1, 7 }));
        Assert.Throws<InvalidArgumentException>(() => ((Tensor)"a").Cast(DType.Float32));
        Assert.That(Tensor.Create(new[] { 1f, 2f, 3f, 4f }, 2, 2).Cast(DType.Float64).Dims.ToArray(), Is.EqualTo(new[] { 2, 2 }));
    }
}
