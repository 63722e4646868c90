using static TensorGraph.Tests.Ops.OpTestUtil;

namespace TensorGraph.Tests.Ops;

/// <summary>Const, Placeholder, PlaceholderWithDefault, Identity, NoOp and Cast.</summary>
public class CoreOpsTests
{
    // ------------------------------------------------------------------ Const

    [Test]
    public void Const_Float32_ScalarAndMatrix()
    {
        var g = new Graph();
        var s = g.Constant(2.5f);
        var m = g.Constant(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Multiple(() =>
        {
            Assert.That(s.Op.Type, Is.EqualTo("Const"));
            Assert.That(s.Op.Name, Is.EqualTo("Const"));
            Assert.That(m.Op.Name, Is.EqualTo("Const_1"));
            Assert.That(s.Shape, Is.EqualTo(Shape.Scalar));
            Assert.That(m.Shape, Is.EqualTo(new Shape(2, 3)));
            Assert.That(m.DType, Is.EqualTo(DType.Float32));
        });
        AssertTensor(Eval(s), [], 2.5f);
        AssertTensor(Eval(m), [2, 3], 1f, 2, 3, 4, 5, 6);
    }

    [Test]
    public void Const_Float64() =>
        AssertTensor(Eval(new Graph().Constant(new[] { 1.25, -1e300, double.Epsilon })), [3], 1.25, -1e300, double.Epsilon);

    [Test]
    public void Const_Int32AndInt64()
    {
        var g = new Graph();
        AssertTensor(Eval(g.Constant(new[] { int.MinValue, 0, int.MaxValue })), [3], int.MinValue, 0, int.MaxValue);
        AssertTensor(Eval(g.Constant(long.MaxValue)), [], long.MaxValue);
        AssertTensor(Eval(g.Constant(new[] { long.MinValue, 1L << 40 })), [2], long.MinValue, 1L << 40);
    }

    [Test]
    public void Const_SmallIntegerTypes_ScalarAndVector()
    {
        var g = new Graph();
        AssertTensor(Eval(g.Constant(Tensor.Create(new sbyte[] { -128, -1, 127 }, 3))), [3], (sbyte)-128, (sbyte)-1, (sbyte)127);
        AssertTensor(Eval(g.Constant(Tensor.Scalar((sbyte)-7))), [], (sbyte)-7);
        AssertTensor(Eval(g.Constant(Tensor.Create(new short[] { -32768, 5, 32767 }, 3))), [3], (short)-32768, (short)5, (short)32767);
        AssertTensor(Eval(g.Constant(Tensor.Scalar((short)-300))), [], (short)-300);
        AssertTensor(Eval(g.Constant(Tensor.Create(new byte[] { 0, 128, 255 }, 3))), [3], (byte)0, (byte)128, (byte)255);
        AssertTensor(Eval(g.Constant(Tensor.Scalar((byte)200))), [], (byte)200);
        AssertTensor(Eval(g.Constant(Tensor.Create(new ushort[] { 0, 40000, 65535 }, 3))), [3], (ushort)0, (ushort)40000, (ushort)65535);
        AssertTensor(Eval(g.Constant(Tensor.Scalar((ushort)65535))), [], (ushort)65535);
    }

    [Test]
    public void Const_Bool()
    {
        var g = new Graph();
        AssertTensor(Eval(g.Constant(new[] { true, false, true })), [3], true, false, true);
        AssertTensor(Eval(g.Constant(true)), [], true);
        AssertTensor(Eval(g.Constant(false)), [], false);
    }

    [Test]
    public void Const_String_Utf8()
    {
        var g = new Graph();
        var s = g.Constant("Hello world!");
        var v = g.Constant(new[] { "a", "", "héllo ✓" });
        Assert.That(s.DType, Is.EqualTo(DType.String));
        AssertTensor(Eval(s), [], "Hello world!");
        AssertTensor(Eval(v), [3], "a", "", "héllo ✓");
        Assert.That(Eval(v).ToArray<byte[]>()[2], Is.EqualTo(System.Text.Encoding.UTF8.GetBytes("héllo ✓")));
    }

    [Test]
    public void Const_Empty()
    {
        var g = new Graph();
        var e = g.Constant(Tensor.Create(Array.Empty<float>(), 0, 3));
        Assert.That(e.Shape, Is.EqualTo(new Shape(0, 3)));
        AssertTensor(Eval(e), [0, 3], Array.Empty<float>());
    }

    [Test]
    public void Const_WithDtype_ConvertsExactly()
    {
        var g = new Graph();
        AssertTensor(Eval(g.Constant(2, DType.Float32)), [], 2f);
        AssertTensor(Eval(g.Constant(3.0, DType.Int64)), [], 3L);
        AssertTensor(Eval(g.Constant(new[] { 1, 2 }, DType.Float64)), [2], 1.0, 2.0);
        Assert.Throws<InvalidArgumentException>(() => g.Constant(0.5, DType.Int32));
        Assert.Throws<InvalidArgumentException>(() => g.Constant(300, DType.UInt8));
        Assert.Throws<InvalidArgumentException>(() => g.Constant("x", DType.Int32));
    }

    [Test]
    public void Const_WithShape_RepeatsScalarOrReshapes()
    {
        var g = new Graph();
        AssertTensor(Eval(g.Constant(7, new Shape(2, 2))), [2, 2], 7, 7, 7, 7);
        AssertTensor(Eval(g.Constant(new[] { 1f, 2, 3, 4, 5, 6 }, new Shape(3, 2))), [3, 2], 1f, 2, 3, 4, 5, 6);
        Assert.Throws<InvalidArgumentException>(() => g.Constant(new[] { 1f, 2, 3 }, new Shape(2, 2)));
        Assert.Throws<InvalidArgumentException>(() => g.Constant(1f, new Shape(-1, 2)));
    }

    [Test]
    public void Const_SameOutputTwiceInOneRun()
    {
        var g = new Graph();
        var c = g.Constant(new[] { 1, 2 });
        using var s = new Session(g);
        var (a, b) = s.Run(c, c);
        AssertTensor(a, [2], 1, 2);
        AssertTensor(b, [2], 1, 2);
    }

    [Test]
    public void FetchedValues_DoNotAliasGraphConstantsOrFeeds()
    {
        var g = new Graph();
        var c = g.Constant(new[] { 1f, 2 });
        var x = g.Placeholder(DType.Float32, [2]);
        var id = g.Identity(x);
        var r = g.Reshape(c, [2, 1]);
        using var s = new Session(g);
        var first = s.Run(c);
        first.AsSpan<float>()[0] = 100;
        AssertTensor(s.Run(c), [2], 1f, 2);
        var reshaped = s.Run(r);
        reshaped.AsSpan<float>()[1] = 100;
        AssertTensor(s.Run(r), [2, 1], 1f, 2);
        AssertTensor(s.Run(c), [2], 1f, 2);
        Tensor fed = new float[] { 5, 6 };
        var got = s.Run(id, new FeedDict { [x] = fed });
        got.AsSpan<float>()[0] = -1;
        AssertTensor(fed, [2], 5f, 6);
    }

    // ------------------------------------------------------------------ Placeholder

    [Test]
    public void Placeholder_FedValueFlowsThrough()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 3], name: "x");
        Assert.Multiple(() =>
        {
            Assert.That(x.Op.Type, Is.EqualTo("Placeholder"));
            Assert.That(x.Name, Is.EqualTo("x:0"));
            Assert.That(x.Shape, Is.EqualTo(new Shape(-1, 3)));
        });
        var y = x * 2f;
        using var s = new Session(g);
        AssertTensor(s.Run(y, new FeedDict { [x] = new float[,] { { 1, 2, 3 }, { 4, 5, 6 } } }), [2, 3], 2f, 4, 6, 8, 10, 12);
        AssertTensor(s.Run(y, new FeedDict { ["x:0"] = new float[,] { { 1, 1, 1 } } }), [1, 3], 2f, 2, 2);
        // Feeding the placeholder itself returns the fed value.
        AssertTensor(s.Run(x, new FeedDict { [x] = new float[,] { { 7, 8, 9 } } }), [1, 3], 7f, 8, 9);
    }

    [Test]
    public void Placeholder_UnknownRankAcceptsAnyShape()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Int32);
        Assert.That(x.Shape.IsRankKnown, Is.False);
        AssertTensor(Eval(x + 1, new FeedDict { [x] = 5 }), [], 6);
        AssertTensor(Eval(x + 1, new FeedDict { [x] = new[,] { { 1, 2 }, { 3, 4 } } }), [2, 2], 2, 3, 4, 5);
    }

    [Test]
    public void Placeholder_NotFed_IsInvalidArgumentNamingIt()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [2], name: "input_x");
        var y = g.Negative(x);
        var ex = Assert.Throws<InvalidArgumentException>(() => Eval(y));
        Assert.That(ex!.Message, Does.Contain("input_x").And.Contain("must feed"));
    }

    [Test]
    public void Placeholder_WrongDtypeOrShapeFeed_IsInvalidArgument()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1, 3], name: "x");
        Assert.Throws<InvalidArgumentException>(() => Eval(x, new FeedDict { [x] = new[] { "1", "2", "3" } }));
        Assert.Throws<InvalidArgumentException>(() => Eval(x, new FeedDict { [x] = new float[,] { { 1, 2 } } }));
        Assert.Throws<InvalidArgumentException>(() => Eval(x, new FeedDict { [x] = new float[] { 1, 2, 3 } }));
    }

    // ------------------------------------------------------------------ PlaceholderWithDefault

    [Test]
    public void PlaceholderWithDefault_UsesDefaultUnlessFed()
    {
        var g = new Graph();
        var d = g.Constant(new float[,] { { 1, 2, 3 } });
        var p = g.PlaceholderWithDefault(d, [-1, 3], name: "p");
        var y = p + 1f;
        Assert.Multiple(() =>
        {
            Assert.That(p.Op.Type, Is.EqualTo("PlaceholderWithDefault"));
            Assert.That(p.Shape, Is.EqualTo(new Shape(-1, 3)));
            Assert.That(p.DType, Is.EqualTo(DType.Float32));
        });
        using var s = new Session(g);
        AssertTensor(s.Run(y), [1, 3], 2f, 3, 4);
        AssertTensor(s.Run(y, new FeedDict { [p] = new float[,] { { 0, 0, 0 }, { 1, 1, 1 } } }), [2, 3], 1f, 1, 1, 2, 2, 2);
    }

    [Test]
    public void PlaceholderWithDefault_ShapeDefaultsToInputAndMustBeCompatible()
    {
        var g = new Graph();
        var d = g.Constant(new[] { 1, 2 });
        var p = g.PlaceholderWithDefault(d);
        Assert.That(p.Shape, Is.EqualTo(new Shape(2)));
        AssertTensor(Eval(p), [2], 1, 2);
        Assert.Throws<InvalidArgumentException>(() => g.PlaceholderWithDefault(d, [3]));
        Assert.Throws<InvalidArgumentException>(() => g.PlaceholderWithDefault(d, [-1, 2]));
    }

    // ------------------------------------------------------------------ Identity / NoOp

    [Test]
    public void Identity_PassesValuesOfAnyDtype()
    {
        var g = new Graph();
        var f = g.Identity(g.Constant(new[] { 1.5f, -2 }), name: "id");
        Assert.That(f.Op.Type, Is.EqualTo("Identity"));
        Assert.That(f.Op.Name, Is.EqualTo("id"));
        AssertTensor(Eval(f), [2], 1.5f, -2);
        AssertTensor(Eval(g.Identity(g.Constant(new[] { "a", "b" }))), [2], "a", "b");
        AssertTensor(Eval(g.Identity(g.Constant(true))), [], true);
        AssertTensor(Eval(g.Identity(g.Constant(new long[] { 1, 2, 3 }))), [3], 1L, 2, 3);
    }

    [Test]
    public void Identity_OfFedPlaceholder()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float64, [-1]);
        var y = g.Identity(x);
        Assert.That(y.Shape, Is.EqualTo(new Shape(-1)));
        AssertTensor(Eval(y, new FeedDict { [x] = new[] { 1.0, 2.0, 3.0 } }), [3], 1.0, 2.0, 3.0);
    }

    [Test]
    public void NoOp_RunsAndReturnsNull_GroupRunsItsDependencies()
    {
        var g = new Graph();
        var noop = g.NoOp(name: "nothing");
        Assert.Multiple(() =>
        {
            Assert.That(noop.Type, Is.EqualTo("NoOp"));
            Assert.That(noop.Name, Is.EqualTo("nothing"));
            Assert.That(noop.NumOutputs, Is.EqualTo(0));
        });
        var v = g.Variable(new[] { 1, 2 }, name: "v");
        var inc = g.AssignAdd(v, g.Constant(new[] { 10, 10 }));
        var group = g.Group(inc.Op);
        Assert.That(group.Name, Is.EqualTo("group_deps"));
        using var s = new Session(g);
        Assert.That(s.Run(noop), Is.Null);
        s.Run(g.GlobalVariablesInitializer());
        s.Run(group);
        s.Run(group);
        AssertTensor(s.Run(v), [2], 21, 22);
    }

    // ------------------------------------------------------------------ Cast

    [Test]
    public void Cast_FloatToInt_TruncatesTowardZero()
    {
        var g = new Graph();
        var x = g.Constant(new[] { 1.7f, -1.7f, 2.5f, -0.5f, 0f, 100.99f });
        var c = g.Cast(x, DType.Int32);
        Assert.That(c.Op.Type, Is.EqualTo("Cast"));
        Assert.That(c.Op.GetAttrType("SrcT"), Is.EqualTo(DType.Float32));
        Assert.That(c.Op.GetAttrType("DstT"), Is.EqualTo(DType.Int32));
        AssertTensor(Eval(c), [6], 1, -1, 2, 0, 0, 100);
        AssertTensor(Eval(g.Cast(g.Constant(new[] { -3.99, 3.99 }), DType.Int64)), [2], -3L, 3L);
    }

    [Test]
    public void Cast_IntToFloat_AndFloat64ToFloat32()
    {
        var g = new Graph();
        AssertTensor(Eval(g.Cast(g.Constant(new[] { 1, -2, 3 }), DType.Float32)), [3], 1f, -2, 3);
        AssertTensor(Eval(g.Cast(g.Constant(new[] { 1L << 40 }), DType.Float64)), [1], (double)(1L << 40));
        AssertTensor(Eval(g.Cast(g.Constant(new[] { 0.1, 1e10 }), DType.Float32)), [2], 0.1f, 1e10f);
    }

    [Test]
    public void Cast_BoolAndNumbers()
    {
        var g = new Graph();
        AssertTensor(Eval(g.Cast(g.Constant(new[] { true, false }), DType.Float32)), [2], 1f, 0f);
        AssertTensor(Eval(g.Cast(g.Constant(new[] { true, false }), DType.Int64)), [2], 1L, 0L);
        AssertTensor(Eval(g.Cast(g.Constant(new[] { 0f, -0.5f, 2f }), DType.Bool)), [3], false, true, true);
        AssertTensor(Eval(g.Cast(g.Constant(new[] { 0, 3 }), DType.Bool)), [2], false, true);
    }

    [Test]
    public void Cast_IntegerNarrowingWraps()
    {
        var g = new Graph();
        AssertTensor(Eval(g.Cast(g.Constant(new[] { 300, -1, 255 }), DType.UInt8)), [3], (byte)44, (byte)255, (byte)255);
        AssertTensor(Eval(g.Cast(g.Constant(new[] { 4294967297L, -1L }), DType.Int32)), [2], 1, -1);
        AssertTensor(Eval(g.Cast(g.Constant(new[] { 40000 }), DType.Int16)), [1], (short)-25536);
        AssertTensor(Eval(g.Cast(g.Constant(Tensor.Create(new sbyte[] { -1 }, 1)), DType.UInt16)), [1], (ushort)65535);
    }

    [Test]
    public void Cast_SameDtypeAddsNoNode()
    {
        var g = new Graph();
        var x = g.Constant(1f);
        int before = g.OperationCount;
        Assert.That(g.Cast(x, DType.Float32), Is.EqualTo(x));
        Assert.That(g.OperationCount, Is.EqualTo(before));
    }

    [Test]
    public void Cast_StringIsRejectedAtBuildTime()
    {
        var g = new Graph();
        var ex = Assert.Throws<InvalidArgumentException>(() => g.Cast(g.Constant("1"), DType.Int32, name: "to_int"));
        Assert.That(ex!.Message, Does.Contain("to_int").And.Contain(ThisFile()));
        Assert.Throws<InvalidArgumentException>(() => g.Cast(g.Constant(1), DType.String));
    }

    [Test]
    public void Cast_PreservesShape_WithUnknownDims()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Int32, [-1, 2]);
        var c = g.Cast(x, DType.Float64);
        Assert.That(c.Shape, Is.EqualTo(new Shape(-1, 2)));
        AssertTensor(Eval(c, new FeedDict { [x] = new[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } } }), [3, 2], 1.0, 2, 3, 4, 5, 6);
    }
}
