namespace TensorGraph.Tests.Core;

public class ShapeTests
{
    [Test]
    public void Printing()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new Shape(-1, 784).ToString(), Is.EqualTo("(?, 784)"));
            Assert.That(new Shape(3).ToString(), Is.EqualTo("(3,)"));
            Assert.That(Shape.Scalar.ToString(), Is.EqualTo("()"));
            Assert.That(Shape.Unknown.ToString(), Is.EqualTo("<unknown>"));
        });
    }

    [Test]
    public void Compatibility()
    {
        Shape a = [-1, 784];
        Assert.Multiple(() =>
        {
            Assert.That(a.IsCompatibleWith(new Shape(100, 784)), Is.True);
            Assert.That(a.IsCompatibleWith(new Shape(100, 783)), Is.False);
            Assert.That(a.IsCompatibleWith(new Shape(784)), Is.False);
            Assert.That(a.IsCompatibleWith(Shape.Unknown), Is.True);
            Assert.That(a.MergeWith(new Shape(5, -1)), Is.EqualTo(new Shape(5, 784)));
            Assert.That(a.IsFullyDefined, Is.False);
            Assert.That(a.NumElements, Is.EqualTo(-1));
            Assert.That(new Shape(2, 3).NumElements, Is.EqualTo(6));
            Assert.That(Shape.Unknown.Rank, Is.EqualTo(-1));
        });
        Assert.Throws<InvalidArgumentException>(() => a.MergeWith(new Shape(1, 2)));
        Assert.Throws<InvalidArgumentException>(() => _ = new Shape(-2));
    }

    [Test]
    public void UnknownOfRank_refuses_ranks_tensorflow_cannot_have()
    {
        Assert.That(Shape.UnknownOfRank(254).Rank, Is.EqualTo(254));
        Assert.Throws<InvalidArgumentException>(() => Shape.UnknownOfRank(255));
        Assert.Throws<InvalidArgumentException>(() => Shape.UnknownOfRank(-1));
        // Tile of an input of unknown rank takes its output rank from the static length of
        // multiples: a lying placeholder shape is a typed error, not an attempt to allocate 8 GB.
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Unknown, name: "x");
        var m = g.Placeholder(DType.Int32, new Shape(int.MaxValue), name: "m");
        var e = Assert.Throws<InvalidArgumentException>(() => g.Tile(x, m));
        Assert.That(e!.Message, Does.Contain("rank 2147483647"));
    }

    [Test]
    public void ProtoRoundTrip()
    {
        foreach (var s in new[] { Shape.Unknown, Shape.Scalar, new Shape(-1, 3), new Shape(0) })
            Assert.That(Shape.FromProto(s.ToProto()), Is.EqualTo(s));
    }

    [Test]
    public void DTypeNumbersMatchTensorFlow()
    {
        Assert.Multiple(() =>
        {
            Assert.That((int)DType.Float32, Is.EqualTo(1));
            Assert.That((int)DType.Float64, Is.EqualTo(2));
            Assert.That((int)DType.Int32, Is.EqualTo(3));
            Assert.That((int)DType.UInt8, Is.EqualTo(4));
            Assert.That((int)DType.Int16, Is.EqualTo(5));
            Assert.That((int)DType.Int8, Is.EqualTo(6));
            Assert.That((int)DType.String, Is.EqualTo(7));
            Assert.That((int)DType.Int64, Is.EqualTo(9));
            Assert.That((int)DType.Bool, Is.EqualTo(10));
            Assert.That(DTypes.Parse("float32"), Is.EqualTo(DType.Float32));
            Assert.That(DType.Int64.Name(), Is.EqualTo("int64"));
        });
    }
}
