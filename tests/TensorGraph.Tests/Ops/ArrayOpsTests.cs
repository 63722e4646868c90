using static TensorGraph.Tests.Ops.OpTestUtil;

namespace TensorGraph.Tests.Ops;

/// <summary>Shape, Rank, Size, Reshape, Fill, ZerosLike, OnesLike and the Zeros/Ones builders.</summary>
public class ArrayOpsTests
{
    // ------------------------------------------------------------------ Shape / Rank / Size

    [Test]
    public void Shape_Rank_Size_OfFedTensor()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 3]);
        var shape = g.ShapeOf(x);
        var shape64 = g.ShapeOf(x, DType.Int64);
        var rank = g.Rank(x);
        var size = g.Size(x);
        var size64 = g.Size(x, DType.Int64);
        Assert.Multiple(() =>
        {
            Assert.That(shape.Op.Type, Is.EqualTo("Shape"));
            Assert.That(shape.DType, Is.EqualTo(DType.Int32));
            Assert.That(shape.Shape, Is.EqualTo(new Shape(2)));
            Assert.That(shape64.DType, Is.EqualTo(DType.Int64));
            Assert.That(rank.Op.Type, Is.EqualTo("Rank"));
            Assert.That(rank.Shape, Is.EqualTo(Shape.Scalar));
            Assert.That(size.Op.Type, Is.EqualTo("Size"));
            Assert.That(size.Shape, Is.EqualTo(Shape.Scalar));
        });
        var feed = new FeedDict { [x] = new float[4, 3] };
        using var s = new Session(g);
        AssertTensor(s.Run(shape, feed), [2], 4, 3);
        AssertTensor(s.Run(shape64, feed), [2], 4L, 3L);
        AssertTensor(s.Run(rank, feed), [], 2);
        AssertTensor(s.Run(size, feed), [], 12);
        AssertTensor(s.Run(size64, feed), [], 12L);
    }

    [Test]
    public void Shape_Rank_Size_OfScalarAndEmpty()
    {
        var g = new Graph();
        var scalar = g.Constant(3f);
        var empty = g.Constant(Tensor.Create(Array.Empty<int>(), 2, 0, 5));
        AssertTensor(Eval(g.ShapeOf(scalar)), [0], Array.Empty<int>());
        AssertTensor(Eval(g.Rank(scalar)), [], 0);
        AssertTensor(Eval(g.Size(scalar)), [], 1);
        AssertTensor(Eval(g.ShapeOf(empty)), [3], 2, 0, 5);
        AssertTensor(Eval(g.Rank(empty)), [], 3);
        AssertTensor(Eval(g.Size(empty)), [], 0);
    }

    [Test]
    public void Shape_OfUnknownRank_HasUnknownLength()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.String);
        var shape = g.ShapeOf(x);
        Assert.That(shape.Shape, Is.EqualTo(new Shape(-1)));
        AssertTensor(Eval(shape, new FeedDict { [x] = new[] { "a", "b" } }), [1], 2);
    }

    [Test]
    public void Shape_BadOutType_IsRejected()
    {
        var g = new Graph();
        Assert.Throws<InvalidArgumentException>(() => g.ShapeOf(g.Constant(1f), DType.Float32));
        Assert.Throws<InvalidArgumentException>(() => g.Size(g.Constant(1f), DType.Int16));
    }

    // ------------------------------------------------------------------ Reshape

    [Test]
    public void Reshape_Basic()
    {
        var g = new Graph();
        var x = g.Constant(new[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var r = g.Reshape(x, [3, 2]);
        Assert.That(r.Op.Type, Is.EqualTo("Reshape"));
        Assert.That(r.Op.Name, Is.EqualTo("Reshape"));
        Assert.That(r.Op.Inputs[1].Op.Name, Is.EqualTo("Reshape/shape"));
        Assert.That(r.Shape, Is.EqualTo(new Shape(3, 2)));
        AssertTensor(Eval(r), [3, 2], 1, 2, 3, 4, 5, 6);
    }

    [Test]
    public void Reshape_MinusOneIsInferred()
    {
        var g = new Graph();
        var x = g.Constant(new[] { 1f, 2, 3, 4, 5, 6 });
        var r = g.Reshape(x, [-1, 2]);
        Assert.That(r.Shape, Is.EqualTo(new Shape(3, 2)));
        AssertTensor(Eval(r), [3, 2], 1f, 2, 3, 4, 5, 6);
        AssertTensor(Eval(g.Reshape(x, [2, -1, 1])), [2, 3, 1], 1f, 2, 3, 4, 5, 6);
        AssertTensor(Eval(g.Reshape(x, [-1])), [6], 1f, 2, 3, 4, 5, 6);
    }

    [Test]
    public void Reshape_ToAndFromScalar()
    {
        var g = new Graph();
        AssertTensor(Eval(g.Reshape(g.Constant(new[] { 9 }), [])), [], 9);
        AssertTensor(Eval(g.Reshape(g.Constant(9), [1, 1])), [1, 1], 9);
    }

    [Test]
    public void Reshape_Empty()
    {
        var g = new Graph();
        var e = g.Constant(Tensor.Create(Array.Empty<float>(), 0, 3));
        AssertTensor(Eval(g.Reshape(e, [-1, 3])), [0, 3], Array.Empty<float>());
        AssertTensor(Eval(g.Reshape(e, [3, 0, 2])), [3, 0, 2], Array.Empty<float>());
        // TF 1.15: beside a requested 0 the -1 is left unknown at build time, and the kernel leaves
        // the input's zero dims out of the count it divides: [0, 3] → [-1, 0] is [3, 0].
        var r = g.Reshape(e, [-1, 0]);
        Assert.That(r.Shape.ToString(), Is.EqualTo(new Shape(-1, 0).ToString()));
        AssertTensor(Eval(r), [3, 0], Array.Empty<float>());
    }

    [Test]
    public void Reshape_WithFedInputAndRuntimeShape()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Int64, [-1]);
        var shape = g.Placeholder(DType.Int32, [2]);
        var r = g.Reshape(x, shape);
        Assert.That(r.Shape, Is.EqualTo(Shape.UnknownOfRank(2)));
        var r2 = g.Reshape(x, [-1, 2]);
        Assert.That(r2.Shape, Is.EqualTo(new Shape(-1, 2)));
        using var s = new Session(g);
        AssertTensor(s.Run(r, new FeedDict { [x] = new long[] { 1, 2, 3, 4 }, [shape] = new[] { 2, -1 } }), [2, 2], 1L, 2, 3, 4);
        AssertTensor(s.Run(r2, new FeedDict { [x] = new long[] { 1, 2, 3, 4, 5, 6 } }), [3, 2], 1L, 2, 3, 4, 5, 6);
        Assert.Throws<InvalidArgumentException>(() => s.Run(r2, new FeedDict { [x] = new long[] { 1, 2, 3 } }));
        Assert.Throws<InvalidArgumentException>(() => s.Run(r, new FeedDict { [x] = new long[] { 1, 2, 3 }, [shape] = new[] { 2, 2 } }));
        Assert.Throws<InvalidArgumentException>(() => s.Run(r, new FeedDict { [x] = new long[] { 1, 2 }, [shape] = new[] { -1, -1 } }));
    }

    [Test]
    public void Reshape_Int64ShapeTensor()
    {
        var g = new Graph();
        var r = g.Reshape(g.Constant(new[] { 1, 2, 3, 4 }), g.Constant(new long[] { 2, 2 }));
        Assert.That(r.Op.GetAttrType("Tshape"), Is.EqualTo(DType.Int64));
        AssertTensor(Eval(r), [2, 2], 1, 2, 3, 4);
    }

    [Test]
    public void Reshape_BuildTimeErrors()
    {
        var g = new Graph();
        var x = g.Constant(new[] { 1, 2, 3, 4, 5, 6 });
        var ex = Assert.Throws<InvalidArgumentException>(() => g.Reshape(x, [4, 2], name: "bad_reshape"));
        Assert.That(ex!.Message, Does.Contain("bad_reshape").And.Contain(ThisFile()));
        Assert.Throws<InvalidArgumentException>(() => g.Reshape(x, [-1, 4]));
        Assert.Throws<InvalidArgumentException>(() => g.Reshape(x, [-1, -1]));
        Assert.Throws<InvalidArgumentException>(() => g.Reshape(x, [-2, 3]));
        Assert.Throws<InvalidArgumentException>(() => g.Reshape(x, g.Constant(new[] { 2f, 3f })));
        Assert.Throws<InvalidArgumentException>(() => g.Reshape(x, g.Constant(new[,] { { 2, 3 } })));
    }

    // ------------------------------------------------------------------ Fill

    [Test]
    public void Fill_ConstantDims()
    {
        var g = new Graph();
        var f = g.Fill(g.Constant(new[] { 2, 3 }), g.Constant(5f));
        Assert.That(f.Op.Type, Is.EqualTo("Fill"));
        Assert.That(f.Shape, Is.EqualTo(new Shape(2, 3)));
        AssertTensor(Eval(f), [2, 3], 5f, 5, 5, 5, 5, 5);
        AssertTensor(Eval(g.Fill(g.Constant(new long[] { 2 }), g.Constant(7L))), [2], 7L, 7);
        AssertTensor(Eval(g.Fill(g.Constant(new[] { 2 }), g.Constant(true))), [2], true, true);
        AssertTensor(Eval(g.Fill(g.Constant(new[] { 3 }), g.Constant("ab"))), [3], "ab", "ab", "ab");
        AssertTensor(Eval(g.Fill(g.Constant(Array.Empty<int>()), g.Constant(1.5))), [], 1.5);
        AssertTensor(Eval(g.Fill(g.Constant(new[] { 0, 4 }), g.Constant(1))), [0, 4], Array.Empty<int>());
    }

    [Test]
    public void Fill_RuntimeDims()
    {
        var g = new Graph();
        var dims = g.Placeholder(DType.Int32, [2]);
        var f = g.Fill(dims, g.Constant(-1.0));
        Assert.That(f.Shape, Is.EqualTo(Shape.UnknownOfRank(2)));
        AssertTensor(Eval(f, new FeedDict { [dims] = new[] { 1, 2 } }), [1, 2], -1.0, -1.0);
        Assert.Throws<InvalidArgumentException>(() => Eval(f, new FeedDict { [dims] = new[] { 1, -2 } }));
    }

    [Test]
    public void Fill_BuildTimeErrors()
    {
        var g = new Graph();
        Assert.Throws<InvalidArgumentException>(() => g.Fill(g.Constant(new[] { 2, -1 }), g.Constant(1f)));
        Assert.Throws<InvalidArgumentException>(() => g.Fill(g.Constant(new[] { 2 }), g.Constant(new[] { 1f, 2f })));
        Assert.Throws<InvalidArgumentException>(() => g.Fill(g.Constant(new[] { 2f }), g.Constant(1f)));
        Assert.Throws<InvalidArgumentException>(() => g.Fill(g.Constant(2), g.Constant(1f)));
    }

    // ------------------------------------------------------------------ Zeros / Ones builders

    [Test]
    public void Zeros_Ones_SmallAreConsts()
    {
        var g = new Graph();
        var z = g.Zeros([2, 3]);
        var o = g.Ones([2], DType.Int32);
        Assert.Multiple(() =>
        {
            Assert.That(z.Op.Type, Is.EqualTo("Const"));
            Assert.That(z.Op.Name, Is.EqualTo("zeros"));
            Assert.That(o.Op.Type, Is.EqualTo("Const"));
            Assert.That(o.Op.Name, Is.EqualTo("ones"));
        });
        AssertTensor(Eval(z), [2, 3], 0f, 0, 0, 0, 0, 0);
        AssertTensor(Eval(o), [2], 1, 1);
        AssertTensor(Eval(g.Ones([1], DType.Float64)), [1], 1.0);
        AssertTensor(Eval(g.Zeros([2], DType.Int64)), [2], 0L, 0L);
        AssertTensor(Eval(g.Ones([2], DType.Bool)), [2], true, true);
        AssertTensor(Eval(g.Zeros([0, 2])), [0, 2], Array.Empty<float>());
    }

    [Test]
    public void Zeros_String_AreEmptyStrings_OnesAreRejected()
    {
        // TF's tf.zeros uses "" as the zero of tf.string; tf.ones has no string one.
        var g = new Graph();
        AssertTensor(Eval(g.Zeros([2], DType.String)), [2], "", "");
        var big = Eval(g.Zeros([1000], DType.String));
        Assert.That(big.ToArray<string>(), Has.Length.EqualTo(1000).And.All.EqualTo(""));
        AssertTensor(Eval(g.Zeros(g.Constant(new[] { 1 }), DType.String)), [1], "");
        Assert.Throws<InvalidArgumentException>(() => g.Ones([2], DType.String));
    }

    [Test]
    public void Zeros_LargeUsesFill()
    {
        var g = new Graph();
        var z = g.Zeros([10, 100]);
        Assert.Multiple(() =>
        {
            Assert.That(z.Op.Type, Is.EqualTo("Fill"));
            Assert.That(z.Op.Name, Is.EqualTo("zeros"));
            Assert.That(z.Op.Inputs[0].Op.Name, Is.EqualTo("zeros/shape_as_tensor"));
            Assert.That(z.Op.Inputs[1].Op.Name, Is.EqualTo("zeros/Const"));
            Assert.That(z.Shape, Is.EqualTo(new Shape(10, 100)));
        });
        var v = Eval(z);
        Assert.That(v.Dims.ToArray(), Is.EqualTo(new[] { 10, 100 }));
        Assert.That(v.ToArray<float>(), Is.All.EqualTo(0f));
        var ones = Eval(g.Ones([1000], DType.Int32));
        Assert.That(ones.ToArray<int>(), Has.Length.EqualTo(1000).And.All.EqualTo(1));
    }

    [Test]
    public void Zeros_RuntimeShape()
    {
        var g = new Graph();
        var shape = g.Placeholder(DType.Int32, [3]);
        var z = g.Zeros(shape, DType.Float64);
        Assert.That(z.Op.Type, Is.EqualTo("Fill"));
        AssertTensor(Eval(z, new FeedDict { [shape] = new[] { 1, 2, 1 } }), [1, 2, 1], 0.0, 0.0);
        Assert.Throws<InvalidArgumentException>(() => g.Zeros(new Shape(-1, 2)));
    }

    // ------------------------------------------------------------------ ZerosLike / OnesLike

    [Test]
    public void ZerosLike_OnesLike_KeepShapeAndDtype()
    {
        var g = new Graph();
        var x = g.Constant(new[,] { { 1.5f, 2 }, { 3, 4 } });
        var i = g.Constant(new long[] { 5, 6, 7 });
        var b = g.Constant(new[] { true, false });
        Assert.That(g.ZerosLike(x).Op.Type, Is.EqualTo("ZerosLike"));
        Assert.That(g.OnesLike(x).Op.Type, Is.EqualTo("OnesLike"));
        AssertTensor(Eval(g.ZerosLike(x)), [2, 2], 0f, 0, 0, 0);
        AssertTensor(Eval(g.OnesLike(x)), [2, 2], 1f, 1, 1, 1);
        AssertTensor(Eval(g.ZerosLike(i)), [3], 0L, 0, 0);
        AssertTensor(Eval(g.OnesLike(i)), [3], 1L, 1, 1);
        AssertTensor(Eval(g.ZerosLike(b)), [2], false, false);
        AssertTensor(Eval(g.OnesLike(b)), [2], true, true);
        AssertTensor(Eval(g.OnesLike(g.Constant(Tensor.Create(new byte[] { 9 }, 1)))), [1], (byte)1);
        AssertTensor(Eval(g.ZerosLike(g.Constant(new[] { "x", "y" }))), [2], "", "");
    }

    [Test]
    public void ZerosLike_OnesLike_OfFedTensor()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [-1]);
        var z = g.ZerosLike(x);
        var o = g.OnesLike(x);
        Assert.That(o.Shape, Is.EqualTo(new Shape(-1)));
        using var s = new Session(g);
        var feed = new FeedDict { [x] = new[] { 3.0, 4.0, 5.0 } };
        AssertTensor(s.Run(z, feed), [3], 0.0, 0, 0);
        AssertTensor(s.Run(o, feed), [3], 1.0, 1, 1);
        AssertTensor(s.Run(o, new FeedDict { [x] = Array.Empty<double>() }), [0], Array.Empty<double>());
    }

    [Test]
    public void OnesLike_String_IsRejected()
    {
        var g = new Graph();
        Assert.Throws<InvalidArgumentException>(() => g.OnesLike(g.Constant("s")));
    }
}
