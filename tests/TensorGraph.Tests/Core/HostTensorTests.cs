namespace TensorGraph.Tests.Core;

/// <summary>Host-side reshape (a view), row slicing (a copy) and stacking, as numpy does them.</summary>
public class HostTensorTests
{
    [Test]
    public void ReshapeIsAViewAndInfersMinusOne()
    {
        var t = Tensor.Create(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 3, 4);
        var r = t.Reshape(2, -1);
        Assert.That(r.Dims.ToArray(), Is.EqualTo(new[] { 2, 6 }));
        Assert.That(r.ToArray<float>(), Is.EqualTo(t.ToArray<float>()));
        r.AsSpan<float>()[7] = -1;
        Assert.That(t.AsSpan<float>()[7], Is.EqualTo(-1f), "the view shares storage");
        Assert.That(t.Dims.ToArray(), Is.EqualTo(new[] { 3, 4 }), "the original keeps its shape");
        Assert.That(t.Reshape(12).Rank, Is.EqualTo(1));
        Assert.That(Tensor.Scalar(5).Reshape(1, 1, -1).Dims.ToArray(), Is.EqualTo(new[] { 1, 1, 1 }));
        Assert.Throws<InvalidArgumentException>(() => t.Reshape(5, -1));
        Assert.Throws<InvalidArgumentException>(() => t.Reshape(-1, -1));
        Assert.Throws<InvalidArgumentException>(() => t.Reshape(2, 2));
        Assert.Throws<InvalidArgumentException>(() => t.Reshape(-2, -6));
    }

    [Test]
    public void RowSlicesCopyRows()
    {
        var t = Tensor.Create(Enumerable.Range(0, 12).ToArray(), 4, 3);
        var mid = t[1..3];
        Assert.That(mid.Dims.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(mid.ToArray<int>(), Is.EqualTo(new[] { 3, 4, 5, 6, 7, 8 }));
        Assert.That(t[^1..].ToArray<int>(), Is.EqualTo(new[] { 9, 10, 11 }));
        Assert.That(t[2..2].Dims.ToArray(), Is.EqualTo(new[] { 0, 3 }));
        mid.AsSpan<int>()[0] = 100;
        Assert.That(t.AsSpan<int>()[3], Is.EqualTo(3), "a slice is a copy");
        var s = Tensor.Create(new[] { "a", "b", "c" }, 3);
        Assert.That(s[1..].ToArray<string>(), Is.EqualTo(new[] { "b", "c" }));
        Assert.Throws<InvalidArgumentException>(() => _ = t[2..9]);
        Assert.Throws<InvalidArgumentException>(() => _ = Tensor.Scalar(1f)[0..1]);
    }

    [Test]
    public void StackMakesANewLeadingDimension()
    {
        var a = Tensor.Create(new[] { 1f, 2f }, 2);
        var b = Tensor.Create(new[] { 3f, 4f }, 2);
        var s = Tensor.Stack(a, b, a);
        Assert.That(s.Dims.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(s.ToArray<float>(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 1f, 2f }));
        Assert.That(Tensor.Stack(Tensor.Scalar(1L), Tensor.Scalar(2L)).ToArray<long>(), Is.EqualTo(new[] { 1L, 2L }));
        var strings = Tensor.Stack(Tensor.Scalar("x"), Tensor.Scalar("y"));
        Assert.That(strings.ToArray<string>(), Is.EqualTo(new[] { "x", "y" }));
        // Rows sliced off and stacked back give the original, as batching code does it.
        var t = Tensor.Create(Enumerable.Range(0, 6).Select(i => (double)i).ToArray(), 3, 2);
        Assert.That(Tensor.Stack(t[0..1].Reshape(2), t[1..2].Reshape(2), t[2..3].Reshape(2)).ValueEquals(t), Is.True);
        Assert.Throws<InvalidArgumentException>(() => Tensor.Stack());
        Assert.Throws<InvalidArgumentException>(() => Tensor.Stack(a, Tensor.Create(new[] { 1f, 2f, 3f }, 3)));
        Assert.Throws<InvalidArgumentException>(() => Tensor.Stack(a, Tensor.Create(new[] { 1, 2 }, 2)));
    }
}
