namespace TensorGraph.Tests.Ops;

/// <summary>Forward values, shapes and errors of the array ops.</summary>
public class ArrayManipulationOpsTests
{
    private static Tensor Run(Output o, FeedDict? feeds = null)
    {
        using var s = new Session(o.Graph);
        return s.Run(o, feeds);
    }

    private static void Expect<T>(Tensor t, int[] dims, T[] values)
    {
        Assert.That(t.Dims.ToArray(), Is.EqualTo(dims), "dims");
        Assert.That(t.ToArray<T>(), Is.EqualTo(values), "values");
    }

    /// <summary>0..n-1 as float32 of the given shape.</summary>
    private static Tensor Iota(params int[] dims)
    {
        int n = dims.Aggregate(1, (a, b) => a * b);
        return Tensor.Create(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), dims);
    }

    private static float[] F(params float[] v) => v;

    private static InvalidArgumentException BuildError(Action build, string node)
    {
        var e = Assert.Throws<InvalidArgumentException>(() => build())!;
        Assert.That(e.Message, Does.Contain($"'{node}'"));
        return e;
    }

    private static InvalidArgumentException RunError(Output o, FeedDict? feeds, string node)
    {
        var e = Assert.Throws<InvalidArgumentException>(() => Run(o, feeds))!;
        Assert.That(e.Message, Does.Contain($"'{node}'"));
        Assert.That(e.NodeName, Is.EqualTo(node));
        return e;
    }

    // ------------------------------------------------------------------ ExpandDims / Squeeze

    [Test]
    public void ExpandDimsWithNegativeAxes()
    {
        var g = new Graph();
        var x = g.Constant(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.That(g.ExpandDims(x, 0).Shape, Is.EqualTo(new Shape(1, 2, 3)));
        Assert.That(g.ExpandDims(x, -1).Shape, Is.EqualTo(new Shape(2, 3, 1)));
        Assert.That(g.ExpandDims(x, -3).Shape, Is.EqualTo(new Shape(1, 2, 3)));
        Expect(Run(g.ExpandDims(x, 1)), [2, 1, 3], F(1, 2, 3, 4, 5, 6));
        var e = g.ExpandDims(x, 2);
        Assert.That(e.Op.Name, Is.EqualTo("ExpandDims_4"));
        Assert.That(e.Op.Inputs[1].Op.Name, Is.EqualTo("ExpandDims_4/dim"));
        BuildError(() => g.ExpandDims(x, 3, name: "bad"), "bad");
        BuildError(() => g.ExpandDims(x, -4, name: "bad2"), "bad2");
    }

    [Test]
    public void ExpandDimsAtRunTime()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, name: "x");
        var axis = g.Placeholder(DType.Int32, name: "axis");
        var y = g.ExpandDims(x, axis, name: "ed");
        Assert.That(y.Shape.IsRankKnown, Is.False);
        Expect(Run(y, new FeedDict { [x] = Iota(2, 2), [axis] = -1 }), [2, 2, 1], F(0, 1, 2, 3));
        RunError(y, new FeedDict { [x] = Iota(2, 2), [axis] = 4 }, "ed");
    }

    [Test]
    public void Squeeze()
    {
        var g = new Graph();
        var x = g.Constant(Iota(1, 2, 1, 3));
        Expect(Run(g.Squeeze(x)), [2, 3], F(0, 1, 2, 3, 4, 5));
        Assert.That(g.Squeeze(x, [2]).Shape, Is.EqualTo(new Shape(1, 2, 3)));
        Assert.That(g.Squeeze(x, [-4]).Shape, Is.EqualTo(new Shape(2, 1, 3)));
        Assert.That(g.Squeeze(x, [0, -2]).Shape, Is.EqualTo(new Shape(2, 3)));
        var e = BuildError(() => g.Squeeze(x, [1], name: "sq"), "sq");
        Assert.That(e.Message, Does.Contain("Can not squeeze dim[1]"));
        BuildError(() => g.Squeeze(x, [4], name: "sq2"), "sq2");

        var p = g.Placeholder(DType.Float32, [-1, 2, -1], name: "p");
        Assert.That(g.Squeeze(p).Shape.IsRankKnown, Is.False);
        var s2 = g.Squeeze(p, [2], name: "s2");
        Assert.That(s2.Shape, Is.EqualTo(new Shape(-1, 2)));
        Expect(Run(s2, new FeedDict { [p] = Iota(3, 2, 1) }), [3, 2], F(0, 1, 2, 3, 4, 5));
        RunError(s2, new FeedDict { [p] = Iota(3, 2, 2) }, "s2");
    }

    // ------------------------------------------------------------------ Transpose

    [Test]
    public void TransposeRank2AndDefaultPerm()
    {
        var g = new Graph();
        var x = g.Constant(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var t = g.Transpose(x);
        Assert.That(t.Op.Name, Is.EqualTo("transpose"));
        Assert.That(t.Op.Inputs[1].Op.Name, Is.EqualTo("transpose/perm"));
        Expect(Run(t), [3, 2], F(1, 4, 2, 5, 3, 6));
    }

    [Test]
    public void TransposeRank3()
    {
        var g = new Graph();
        var x = g.Constant(Iota(2, 3, 4));
        var t = g.Transpose(x, [2, 0, 1]);
        Assert.That(t.Shape, Is.EqualTo(new Shape(4, 2, 3)));
        var r = Run(t).ToArray<float>();
        // out[i, j, k] = x[j, k, i] = 12j + 4k + i
        var expected = new List<float>();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 3; k++) expected.Add(12 * j + 4 * k + i);
        Assert.That(r, Is.EqualTo(expected));
        Expect(Run(g.Transpose(x, [1, 0, 2])), [3, 2, 4],
            F(0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19, 8, 9, 10, 11, 20, 21, 22, 23));
        // Reversed axes, unknown rank at build time.
        var p = g.Placeholder(DType.Float32, name: "p");
        var tp = g.Transpose(p);
        var rr = Run(tp, new FeedDict { [p] = Iota(2, 3, 4) });
        Assert.That(rr.Dims.ToArray(), Is.EqualTo(new[] { 4, 3, 2 }));
        Assert.That(rr.ToArray<float>()[1], Is.EqualTo(12f));
    }

    [Test]
    public void TransposeStringsAndBadPerms()
    {
        var g = new Graph();
        var s = g.Constant(Tensor.FromArray(new[,] { { "a", "b" }, { "c", "d" } }));
        Expect(Run(g.Transpose(s)), [2, 2], new[] { "a", "c", "b", "d" });
        var x = g.Constant(Iota(2, 3, 4));
        BuildError(() => g.Transpose(x, [0, 0, 1], name: "dup"), "dup");
        BuildError(() => g.Transpose(x, [0, 1, 3], name: "oob"), "oob");
        BuildError(() => g.Transpose(x, [0, 1], name: "short"), "short");
        var perm = g.Placeholder(DType.Int32, [3], name: "perm");
        var t = g.Transpose(x, perm, name: "tp");
        Assert.That(t.Shape, Is.EqualTo(Shape.UnknownOfRank(3)));
        Expect(Run(t, new FeedDict { [perm] = new[] { 0, 2, 1 } }), [2, 4, 3], Run(g.Transpose(x, [0, 2, 1])).ToArray<float>());
        var e = RunError(t, new FeedDict { [perm] = new[] { 2, 2, 0 } }, "tp");
        Assert.That(e.Message, Does.Contain("duplicated"));
    }

    [Test]
    public void InvertPermutation()
    {
        var g = new Graph();
        Expect(Run(g.InvertPermutation(g.Constant(new[] { 2, 0, 1 }))), [3], new[] { 1, 2, 0 });
        Expect(Run(g.InvertPermutation(g.Constant(new long[] { 3, 1, 0, 2 }))), [4], new long[] { 2, 1, 3, 0 });
        RunError(g.InvertPermutation(g.Constant(new[] { 0, 0 }), "ip"), null, "ip");
    }

    // ------------------------------------------------------------------ Concat / Stack / Unstack / Split

    [Test]
    public void ConcatAlongAxes()
    {
        var g = new Graph();
        var a = g.Constant(new float[,] { { 1, 2 }, { 3, 4 } });
        var b = g.Constant(new float[,] { { 5 }, { 6 } });
        var c = g.Constant(new float[,] { { 7, 8, 9 }, { 10, 11, 12 } });
        var y = g.Concat([a, b, c], 1);
        Assert.That(y.Op.Name, Is.EqualTo("concat"));
        Assert.That(y.Op.Type, Is.EqualTo("ConcatV2"));
        Assert.That(y.Op.Inputs[3].Op.Name, Is.EqualTo("concat/axis"));
        Expect(Run(y), [2, 6], F(1, 2, 5, 7, 8, 9, 3, 4, 6, 10, 11, 12));
        Expect(Run(g.Concat([a, g.Transpose(c)], -2)), [5, 2], F(1, 2, 3, 4, 7, 10, 8, 11, 9, 12));
        Expect(Run(g.Concat([a], 0)), [2, 2], F(1, 2, 3, 4));
        var s = g.Concat([g.Constant(new[] { "x" }), g.Constant(new[] { "y", "z" })], 0);
        Expect(Run(s), [3], new[] { "x", "y", "z" });
    }

    [Test]
    public void ConcatErrors()
    {
        var g = new Graph();
        var a = g.Constant(new float[,] { { 1, 2 }, { 3, 4 } });
        var b = g.Constant(new float[,] { { 5, 6, 7 } });
        var e = BuildError(() => g.Concat([a, b], 1, name: "cc"), "cc");
        Assert.That(e.Message, Does.Contain("Dimension 0 in both shapes must be equal"));
        BuildError(() => g.Concat([a, a], 2, name: "axis_oob"), "axis_oob");
        var p = g.Placeholder(DType.Float32, name: "p");
        var y = g.Concat([a, p], 0, name: "rt");
        var re = RunError(y, new FeedDict { [p] = Iota(1, 3) }, "rt");
        Assert.That(re.Message, Does.Contain("Dimensions of inputs should match"));
        Expect(Run(y, new FeedDict { [p] = Iota(1, 2) }), [3, 2], F(1, 2, 3, 4, 0, 1));
    }

    [Test]
    public void ConcatOffsetAndShapeN()
    {
        var g = new Graph();
        var off = g.ConcatOffset(g.Constant(1), [g.Constant(new[] { 2, 2, 7 }), g.Constant(new[] { 2, 3, 7 }), g.Constant(new[] { 2, 5, 7 })]);
        using var s = new Session(g);
        var r = s.Run(off);
        Assert.That(r.Select(t => t.ToArray<int>()), Is.EqualTo(new[] { new[] { 0, 0, 0 }, new[] { 0, 2, 0 }, new[] { 0, 5, 0 } }));
        var shapes = g.ShapeN([g.Constant(Iota(2, 3)), g.Constant(1f)], DType.Int64);
        var sr = s.Run(shapes);
        Assert.That(sr[0].ToArray<long>(), Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(sr[1].Size, Is.Zero);
        var bad = g.ConcatOffset(g.Constant(0), [g.Constant(new[] { 2, 2 }), g.Constant(new[] { 2, 3 })], "co");
        Assert.Throws<InvalidArgumentException>(() => s.Run(bad));
    }

    [Test]
    public void StackAndUnstack()
    {
        var g = new Graph();
        var a = g.Constant(F(1, 2));
        var b = g.Constant(F(3, 4));
        var c = g.Constant(F(5, 6));
        var s0 = g.Stack([a, b, c]);
        Assert.That(s0.Op.Name, Is.EqualTo("stack"));
        Expect(Run(s0), [3, 2], F(1, 2, 3, 4, 5, 6));
        Expect(Run(g.Stack([a, b, c], axis: 1)), [2, 3], F(1, 3, 5, 2, 4, 6));
        Expect(Run(g.Stack([a, b, c], axis: -1)), [2, 3], F(1, 3, 5, 2, 4, 6));
        BuildError(() => g.Stack([a, g.Constant(F(1, 2, 3))], name: "st"), "st");
        BuildError(() => g.Stack([a, b], axis: 2, name: "st2"), "st2");

        var x = g.Constant(Iota(2, 3));
        var parts = g.Unstack(x, axis: 1);
        Assert.That(parts, Has.Length.EqualTo(3));
        Assert.That(parts[0].Op.Name, Is.EqualTo("unstack"));
        using var s = new Session(g);
        var r = s.Run(parts);
        Assert.That(r.Select(t => t.ToArray<float>()), Is.EqualTo(new[] { F(0, 3), F(1, 4), F(2, 5) }));
        Assert.That(r[0].Dims.ToArray(), Is.EqualTo(new[] { 2 }));
        var rows = s.Run(g.Unstack(x));
        Assert.That(rows.Select(t => t.ToArray<float>()), Is.EqualTo(new[] { F(0, 1, 2), F(3, 4, 5) }));
        BuildError(() => g.Unstack(x, num: 4, axis: 1, name: "us"), "us");
        Assert.Throws<InvalidArgumentException>(() => g.Unstack(g.Placeholder(DType.Float32)));
    }

    [Test]
    public void SplitEvenAndSizes()
    {
        var g = new Graph();
        var x = g.Constant(Iota(2, 6));
        var parts = g.Split(x, 3, axis: 1);
        Assert.That(parts[0].Op.Name, Is.EqualTo("split"));
        Assert.That(parts[0].Op.Inputs[0].Op.Name, Is.EqualTo("split/split_dim"));
        using var s = new Session(g);
        var r = s.Run(parts);
        Assert.That(r.Select(t => t.ToArray<float>()), Is.EqualTo(new[] { F(0, 1, 6, 7), F(2, 3, 8, 9), F(4, 5, 10, 11) }));
        var v = g.Split(x, [1, -1, 2], axis: -1);
        Assert.That(v[1].Shape, Is.EqualTo(new Shape(2, 3)));
        Assert.That(v[0].Op.Type, Is.EqualTo("SplitV"));
        var rv = s.Run(v);
        Assert.That(rv.Select(t => t.ToArray<float>()), Is.EqualTo(new[] { F(0, 6), F(1, 2, 3, 7, 8, 9), F(4, 5, 10, 11) }));
        Assert.That(rv[2].Dims.ToArray(), Is.EqualTo(new[] { 2, 2 }));
        var rows = s.Run(g.Split(x, 2));
        Assert.That(rows[1].ToArray<float>(), Is.EqualTo(F(6, 7, 8, 9, 10, 11)));
        BuildError(() => g.Split(x, 4, axis: 1, name: "sp"), "sp");
        BuildError(() => g.Split(x, [1, -1, -1], axis: 1, name: "sv"), "sv");
        BuildError(() => g.Split(x, [1, 2], axis: 1, name: "sv2"), "sv2");
        var p = g.Placeholder(DType.Float32, [2, -1], name: "p");
        var pv = g.Split(p, [2, -1], axis: 1, name: "pv");
        Assert.That(pv[1].Shape, Is.EqualTo(new Shape(2, -1)));
        Assert.Throws<InvalidArgumentException>(() => s.Run(pv, new FeedDict { [p] = Iota(2, 1) }));
    }

    // ------------------------------------------------------------------ Slice / StridedSlice

    [Test]
    public void SliceWithMinusOneSize()
    {
        var g = new Graph();
        var x = g.Constant(Iota(3, 4));
        var y = g.Slice(x, [1, 1], [2, -1]);
        Assert.That(y.Op.Name, Is.EqualTo("Slice"));
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 3)));
        Expect(Run(y), [2, 3], F(5, 6, 7, 9, 10, 11));
        Expect(Run(g.Slice(x, [0, 3], [3, 1])), [3, 1], F(3, 7, 11));
        BuildError(() => g.Slice(x, [4, 0], [1, 1], name: "b"), "b");
        BuildError(() => g.Slice(x, [1, 1], [3, 1], name: "s"), "s");
        var begin = g.Placeholder(DType.Int32, [2], name: "begin");
        var dyn = g.Slice(x, begin, g.Constant(new[] { 1, 2 }), "dyn");
        Assert.That(dyn.Shape, Is.EqualTo(new Shape(1, 2)));
        Expect(Run(dyn, new FeedDict { [begin] = new[] { 2, 2 } }), [1, 2], F(10, 11));
        var e = RunError(dyn, new FeedDict { [begin] = new[] { 2, 3 } }, "dyn");
        Assert.That(e.Message, Does.Contain("Expected size[1] in [0, 1], but got 2"));
    }

    // x[a, b, c] = 12a + 4b + c for the [2, 3, 4] tensor below.
    private static (Graph, Output) Cube()
    {
        var g = new Graph();
        return (g, g.Constant(Iota(2, 3, 4), name: "x"));
    }

    [Test]
    public void StridedSliceIndexSugar()
    {
        var (g, x) = Cube();
        var first = x.Slice(1);
        Assert.That(first.Op.Type, Is.EqualTo("StridedSlice"));
        Assert.That(first.Op.Name, Is.EqualTo("strided_slice"));
        Assert.That(first.Op.Inputs[1].Op.Name, Is.EqualTo("strided_slice/stack"));
        Assert.That(first.Op.Inputs[3].Op.Name, Is.EqualTo("strided_slice/stack_2"));
        Expect(Run(first), [3, 4], Enumerable.Range(12, 12).Select(i => (float)i).ToArray());
        Expect(Run(x.Slice(.., 2)), [2, 4], F(8, 9, 10, 11, 20, 21, 22, 23));
        Expect(Run(x.Slice(SliceItem.Ellipsis, 1)), [2, 3], F(1, 5, 9, 13, 17, 21));
        Expect(Run(x.Slice(1.., ..^1)), [1, 2, 4], F(12, 13, 14, 15, 16, 17, 18, 19));
        Expect(Run(x.Slice(^1, ^1)), [4], F(20, 21, 22, 23));
        Expect(Run(x.Slice(.., -1, -1)), [2], F(11, 23));
        Expect(Run(x.Slice(0, SliceItem.Ellipsis, 0)), [3], F(0, 4, 8));
        Expect(Run(g.Slice(x, 0, 1..3, ..2)), [2, 2], F(4, 5, 8, 9));
    }

    [Test]
    public void StridedSliceNegativeStrides()
    {
        var (g, x) = Cube();
        // x[0, ::-1, 1::2] → b = 2, 1, 0; c = 1, 3.
        Expect(Run(x.Slice(0, SliceItem.Range(null, null, -1), SliceItem.Range(1, null, 2))), [3, 2], F(9, 11, 5, 7, 1, 3));
        // x[-1:0:-1] on axis 0 → only a = 1.
        var y = x.Slice(SliceItem.Range(-1, 0, -1));
        Assert.That(y.Shape, Is.EqualTo(new Shape(1, 3, 4)));
        Assert.That(Run(y).ToArray<float>()[0], Is.EqualTo(12f));
        // x[1, 2, ::-2] → c = 3, 1.
        Expect(Run(x.Slice(1, 2, SliceItem.Range(null, null, -2))), [2], F(23, 21));
        // x[1, 2:0:-1, -1] → b = 2, 1.
        Expect(Run(x.Slice(1, SliceItem.Range(2, 0, -1), -1)), [2], F(23, 19));
        // Out-of-range bounds clamp; empty ranges give zero-size dims.
        Assert.That(x.Slice(SliceItem.Range(0, 10)).Shape, Is.EqualTo(new Shape(2, 3, 4)));
        Expect(Run(x.Slice(SliceItem.Range(2, 0))), [0, 3, 4], Array.Empty<float>());
        Expect(Run(x.Slice(.., SliceItem.Range(-100, null, 2), 0)), [2, 2], F(0, 8, 12, 20));
    }

    [Test]
    public void StridedSliceMasksDirectly()
    {
        var (g, x) = Cube();
        // begin_mask/end_mask on axes 1 and 2: x[1:2, :, :]
        var a = g.StridedSlice(x, [1, 5, 5], [2, 0, 0], [1, 1, 1], beginMask: 6, endMask: 6);
        Assert.That(a.Shape, Is.EqualTo(new Shape(1, 3, 4)));
        Assert.That(Run(a).ToArray<float>(), Is.EqualTo(Enumerable.Range(12, 12).Select(i => (float)i)));
        // ellipsis_mask (bit 0) then shrink on the last axis: x[..., 2]
        Expect(Run(g.StridedSlice(x, [0, 2], [0, 3], [1, 1], ellipsisMask: 1, shrinkAxisMask: 2)), [2, 3], F(2, 6, 10, 14, 18, 22));
        // new_axis_mask: x[newaxis, 1, ..., newaxis] → [1, 3, 4, 1]
        var n = x.Slice(SliceItem.NewAxis, 1, SliceItem.Ellipsis, SliceItem.NewAxis);
        Assert.That(n.Shape, Is.EqualTo(new Shape(1, 3, 4, 1)));
        Assert.That(n.Op.GetAttrInt("new_axis_mask"), Is.EqualTo(9));
        Assert.That(n.Op.GetAttrInt("ellipsis_mask"), Is.EqualTo(4));
        Assert.That(n.Op.GetAttrInt("shrink_axis_mask"), Is.EqualTo(2));
        Expect(Run(n), [1, 3, 4, 1], Enumerable.Range(12, 12).Select(i => (float)i).ToArray());
        Assert.That(x.Slice(SliceItem.Ellipsis, SliceItem.NewAxis).Shape, Is.EqualTo(new Shape(2, 3, 4, 1)));
        Assert.That(x.Slice(SliceItem.NewAxis).Shape, Is.EqualTo(new Shape(1, 2, 3, 4)));
        // end_mask with a negative stride runs to the front: x[1, 2::-1, 0] → b = 2, 1, 0
        Expect(Run(g.StridedSlice(x, [1, 2, 0], [0, 0, 0], [1, -1, 1], endMask: 2, shrinkAxisMask: 5)), [3], F(20, 16, 12));
    }

    [Test]
    public void StridedSliceAtRunTime()
    {
        var g = new Graph();
        var p = g.Placeholder(DType.Float32, name: "p");
        var i = g.Placeholder(DType.Int32, [], name: "i");
        var y = p.Slice(SliceItem.At(i), SliceItem.Range(null, null, -1));
        Assert.That(y.Shape.IsRankKnown, Is.False);
        var feeds = new FeedDict { [p] = Iota(2, 3), [i] = 1 };
        Expect(Run(y, feeds), [3], F(5, 4, 3));
        feeds[i] = -2;
        Expect(Run(y, feeds), [3], F(2, 1, 0));
        feeds[i] = 2;
        var e = Assert.Throws<InvalidArgumentException>(() => Run(y, feeds))!;
        Assert.That(e.Message, Does.Contain("slice index 2 of dimension 0 out of bounds"));
        Assert.That(e.Message, Does.Contain("strided_slice"));

        // With a known input shape the static shape follows from the constant strides and masks.
        var k = g.Placeholder(DType.Float32, [2, 3], name: "k");
        var row = k.Slice(SliceItem.At(i), SliceItem.RangeOf(null, i));
        Assert.That(row.Shape, Is.EqualTo(new Shape(-1)));
        Assert.That(k.Slice(SliceItem.At(i)).Shape, Is.EqualTo(new Shape(3)));
        Assert.That(row.Op.Inputs[1].Op.Type, Is.EqualTo("Pack"));
        Assert.That(row.Op.Inputs[3].Op.Type, Is.EqualTo("Const"));
        Expect(Run(row, new FeedDict { [k] = Iota(2, 3), [i] = 1 }), [1], F(3));
    }

    [Test]
    public void StridedSliceErrors()
    {
        var (g, x) = Cube();
        var e = BuildError(() => g.StridedSlice(x, [5], [6], [1], shrinkAxisMask: 1, name: "ss"), "ss");
        Assert.That(e.Message, Does.Contain("slice index 5 of dimension 0 out of bounds"));
        BuildError(() => g.StridedSlice(x, [0], [1], [0], name: "zero"), "zero");
        BuildError(() => g.StridedSlice(x, [0, 0], [1, 1], [1, 1], ellipsisMask: 3, name: "ell"), "ell");
        BuildError(() => g.StridedSlice(x, [0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1], name: "many"), "many");
        BuildError(() => g.StridedSlice(x, [0], [1], [-1], shrinkAxisMask: 1, name: "neg"), "neg");
        Assert.Throws<InvalidArgumentException>(() => x.Slice(SliceItem.Ellipsis, 0, SliceItem.Ellipsis));
        Assert.Throws<InvalidArgumentException>(() => x.Slice(SliceItem.Range(0, 1, 0)));
        Assert.Throws<InvalidArgumentException>(() => x.Slice(^0));
    }

    [Test]
    public void StridedSliceGradScatters()
    {
        var g = new Graph();
        var y = g.StridedSliceGrad(g.Constant(new[] { 5 }), g.Constant(new[] { 1 }), g.Constant(new[] { 4 }), g.Constant(new[] { 2 }),
            g.Constant(F(7, 8)));
        Expect(Run(y), [5], F(0, 7, 0, 8, 0));
        var z = g.StridedSliceGrad(g.Constant(new[] { 2, 3 }), g.Constant(new[] { 0, -1 }), g.Constant(new[] { 0, 0 }), g.Constant(new[] { 1, -1 }),
            g.Constant(new float[,] { { 1, 2 }, { 3, 4 } }), beginMask: 1, endMask: 1, shrinkAxisMask: 0);
        Assert.That(z.Shape, Is.EqualTo(new Shape(2, 3)));
        Expect(Run(z), [2, 3], F(0, 2, 1, 0, 4, 3));
        BuildError(() => g.StridedSliceGrad(g.Constant(new[] { 5 }), g.Constant(new[] { 1 }), g.Constant(new[] { 4 }), g.Constant(new[] { 1 }),
            g.Constant(F(7, 8)), name: "bad_dy"), "bad_dy");
    }

    // ------------------------------------------------------------------ Pad / MirrorPad

    [Test]
    public void PadConstant()
    {
        var g = new Graph();
        var x = g.Constant(new float[,] { { 1, 2 }, { 3, 4 } });
        var p = g.Pad(x, new[,] { { 1, 0 }, { 0, 2 } });
        Assert.That(p.Op.Type, Is.EqualTo("Pad"));
        Assert.That(p.Op.Inputs[1].Op.Name, Is.EqualTo("Pad/paddings"));
        Expect(Run(p), [3, 4], F(0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0));
        var v2 = g.Pad(x, new[,] { { 0, 1 }, { 1, 0 } }, constantValue: 9);
        Assert.That(v2.Op.Type, Is.EqualTo("PadV2"));
        Expect(Run(v2), [3, 3], F(9, 1, 2, 9, 3, 4, 9, 9, 9));
        var s = g.Pad(g.Constant(new[] { "a" }), new[,] { { 1, 1 } });
        Expect(Run(s), [3], new[] { "", "a", "" });
        var ints = g.Pad(g.Constant(new[] { 5 }), new[,] { { 2, 0 } }, constantValue: -1);
        Expect(Run(ints), [3], new[] { -1, -1, 5 });
        BuildError(() => g.Pad(x, new[,] { { -1, 0 }, { 0, 0 } }, name: "neg"), "neg");
        BuildError(() => g.Pad(x, new[,] { { 1, 0 } }, name: "rank"), "rank");
        Assert.Throws<InvalidArgumentException>(() => g.Pad(x, new[,] { { 1, 0 }, { 0, 0 } }, mode: "WRAP"));
    }

    [Test]
    public void MirrorPad()
    {
        var g = new Graph();
        var x = g.Constant(F(1, 2, 3));
        Expect(Run(g.Pad(x, new[,] { { 2, 2 } }, mode: "REFLECT")), [7], F(3, 2, 1, 2, 3, 2, 1));
        Expect(Run(g.Pad(x, new[,] { { 2, 3 } }, mode: "symmetric")), [8], F(2, 1, 1, 2, 3, 3, 2, 1));
        var m = g.Constant(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Expect(Run(g.Pad(m, new[,] { { 1, 1 }, { 2, 0 } }, mode: "REFLECT")), [4, 5],
            F(6, 5, 4, 5, 6, 3, 2, 1, 2, 3, 6, 5, 4, 5, 6, 3, 2, 1, 2, 3));
        BuildError(() => g.Pad(x, new[,] { { 3, 0 } }, mode: "REFLECT", name: "refl"), "refl");
        Expect(Run(g.Pad(x, new[,] { { 3, 0 } }, mode: "SYMMETRIC")), [6], F(3, 2, 1, 1, 2, 3));
        // MirrorPadGrad folds the padded positions back: [a b c d e f g] REFLECT [2,2] over 3 elements.
        var grad = g.MirrorPadGrad(g.Constant(F(1, 2, 3, 4, 5, 6, 7)), g.Constant(new[,] { { 2, 2 } }), "REFLECT");
        Expect(Run(grad), [3], F(3 + 7, 2 + 4 + 6, 1 + 5));
    }

    // ------------------------------------------------------------------ Gather / UnsortedSegmentSum / OneHot

    [Test]
    public void GatherOnAxes()
    {
        var g = new Graph();
        var p = g.Constant(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var a1 = g.Gather(p, g.Constant(new[] { 2, 0, 2 }), axis: 1);
        Assert.That(a1.Op.Name, Is.EqualTo("GatherV2"));
        Assert.That(a1.Op.Inputs[2].Op.Name, Is.EqualTo("GatherV2/axis"));
        Expect(Run(a1), [2, 3], F(3, 1, 3, 6, 4, 6));
        Expect(Run(g.Gather(p, g.Constant(Tensor.FromArray(new long[,] { { 1 }, { 0 } })))), [2, 1, 3], F(4, 5, 6, 1, 2, 3));
        Expect(Run(g.Gather(p, g.Constant(1), axis: -1)), [2], F(2, 5));
        var b = g.Gather(p, g.Constant(new[,] { { 2, 0 }, { 1, 1 } }), axis: 1, batchDims: 1);
        Assert.That(b.Shape, Is.EqualTo(new Shape(2, 2)));
        Expect(Run(b), [2, 2], F(3, 1, 5, 5));
        var s = g.Gather(g.Constant(new[] { "a", "b", "c" }), g.Constant(new[] { 2, 2, 0 }));
        Expect(Run(s), [3], new[] { "c", "c", "a" });
    }

    [Test]
    public void GatherErrors()
    {
        var g = new Graph();
        var p = g.Constant(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var e = RunError(g.Gather(p, g.Constant(new[] { 0, 7 }), axis: 1, name: "gx"), null, "gx");
        Assert.That(e.Message, Does.Contain("indices[1] = 7 is not in [0, 3)"));
        var e2 = RunError(g.Gather(p, g.Constant(new[,] { { 0 }, { -1 } }), name: "gn"), null, "gn");
        Assert.That(e2.Message, Does.Contain("indices[1,0] = -1 is not in [0, 2)"));
        BuildError(() => g.Gather(p, g.Constant(0), axis: 2, name: "ga"), "ga");
        BuildError(() => g.Gather(p, g.Constant(new[] { 0 }), axis: 0, batchDims: 1, name: "gb"), "gb");
    }

    [Test]
    public void UnsortedSegmentSum()
    {
        var g = new Graph();
        var y = g.UnsortedSegmentSum(g.Constant(F(1, 2, 3, 4)), g.Constant(new[] { 0, 2, 0, -1 }), 3);
        Expect(Run(y), [3], F(4, 0, 2));
        var m = g.UnsortedSegmentSum(g.Constant(new[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } }), g.Constant(new long[] { 1, 1, 0 }), 2);
        Expect(Run(m), [2, 2], new[] { 5, 6, 4, 6 });
        var e = RunError(g.UnsortedSegmentSum(g.Constant(F(1, 2)), g.Constant(new[] { 0, 3 }), 2, "useg"), null, "useg");
        Assert.That(e.Message, Does.Contain("segment_ids[1] = 3 is out of range [0, 2)"));
        BuildError(() => g.UnsortedSegmentSum(g.Constant(F(1, 2)), g.Constant(new[] { 0, 1, 1 }), 2, "shape"), "shape");
    }

    [Test]
    public void OneHotWithAxis()
    {
        var g = new Graph();
        var ind = g.Constant(new[] { 0, 2, -1, 1 });
        var last = g.OneHot(ind, 3);
        Assert.That(last.Op.Name, Is.EqualTo("one_hot"));
        Expect(Run(last), [4, 3], F(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0));
        Expect(Run(g.OneHot(ind, 3, axis: 0)), [3, 4], F(1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0));
        Expect(Run(g.OneHot(ind, 2, 5, -1, dtype: DType.Int32)), [4, 2], new[] { 5, -1, -1, -1, -1, -1, -1, 5 });
        var m = g.OneHot(g.Constant(Tensor.FromArray(new long[,] { { 1, 0 }, { 2, 1 } })), 3, axis: 1);
        Assert.That(m.Shape, Is.EqualTo(new Shape(2, 3, 2)));
        Expect(Run(m), [2, 3, 2], F(0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0));
        BuildError(() => g.OneHot(ind, 3, axis: 2, name: "oh"), "oh");
        BuildError(() => g.OneHot(ind, -1, name: "depth"), "depth");
    }

    // ------------------------------------------------------------------ Reverse / ArgMax / Where / SelectV2 / BroadcastTo

    [Test]
    public void Reverse()
    {
        var g = new Graph();
        var x = g.Constant(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var r = g.Reverse(x, [1]);
        Assert.That(r.Op.Type, Is.EqualTo("ReverseV2"));
        Expect(Run(r), [2, 3], F(3, 2, 1, 6, 5, 4));
        Expect(Run(g.Reverse(x, [0, -1])), [2, 3], F(6, 5, 4, 3, 2, 1));
        Expect(Run(g.Reverse(x, Array.Empty<int>())), [2, 3], F(1, 2, 3, 4, 5, 6));
        Expect(Run(g.Reverse(g.Constant(new[] { true, false, false }), [0])), [3], new[] { false, false, true });
        Expect(Run(g.ReverseDims(x, g.Constant(new[] { true, false }))), [2, 3], F(4, 5, 6, 1, 2, 3));
        BuildError(() => g.Reverse(x, [1, -1], name: "dup"), "dup");
        BuildError(() => g.Reverse(x, [2], name: "oob"), "oob");
    }

    [Test]
    public void ArgMaxAndArgMin()
    {
        var g = new Graph();
        var x = g.Constant(new float[,] { { 1, 5, 3 }, { 7, 2, 7 } });
        var a = g.ArgMax(x, 1);
        Assert.That(a.DType, Is.EqualTo(DType.Int64));
        Assert.That(a.Op.Inputs[1].Op.Name, Is.EqualTo("ArgMax/dimension"));
        Expect(Run(a), [2], new long[] { 1, 0 });
        Expect(Run(g.ArgMax(x)), [3], new long[] { 1, 0, 1 });
        Expect(Run(g.ArgMin(x, -1, DType.Int32)), [2], new[] { 0, 1 });
        Expect(Run(g.ArgMax(g.Constant(new[] { 3, 9, 9 }))), [], new long[] { 1 });
        BuildError(() => g.ArgMax(x, 2, name: "am"), "am");
        var empty = g.Placeholder(DType.Float32, [-1, 2], name: "e");
        RunError(g.ArgMax(empty, 0, name: "ae"), new FeedDict { [empty] = Tensor.Zeros(DType.Float32, 0, 2) }, "ae");
    }

    [Test]
    public void WhereCoordinates()
    {
        var g = new Graph();
        var w = g.Where(g.Constant(Tensor.FromArray(new[,] { { true, false }, { false, true } })));
        Assert.That(w.DType, Is.EqualTo(DType.Int64));
        Expect(Run(w), [2, 2], new long[] { 0, 0, 1, 1 });
        Expect(Run(g.Where(g.Constant(F(0, 3, 0, -1)))), [2, 1], new long[] { 1, 3 });
        Expect(Run(g.Where(g.Constant(new[] { false }))), [0, 1], Array.Empty<long>());
        Assert.That(g.Where(g.Constant(true), g.Constant(1f), g.Constant(2f)).Op.Type, Is.EqualTo("Select"));
    }

    [Test]
    public void SelectV2Broadcasts()
    {
        var g = new Graph();
        var c = g.Constant(new[] { true, false });
        var x = g.Constant(new float[,] { { 1, 2 }, { 3, 4 } });
        var y = g.SelectV2(c, x, g.Constant(0f));
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 2)));
        Expect(Run(y), [2, 2], F(1, 0, 3, 0));
        var col = g.Constant(Tensor.FromArray(new[,] { { true }, { false } }));
        Expect(Run(g.WhereV2(col, g.Constant(F(1, 2)), g.Constant(F(10, 20)))), [2, 2], F(1, 2, 10, 20));
        Expect(Run(g.SelectV2(g.Constant(false), x, g.Constant(F(7, 8)))), [2, 2], F(7, 8, 7, 8));
        Expect(Run(g.SelectV2(g.Constant(true), x, g.Constant(F(7, 8)))), [2, 2], F(1, 2, 3, 4));
        BuildError(() => g.SelectV2(g.Constant(new[] { true, false, true }), x, x, "sv"), "sv");
    }

    [Test]
    public void BroadcastTo()
    {
        var g = new Graph();
        Expect(Run(g.BroadcastTo(g.Constant(F(1, 2, 3)), [2, 3])), [2, 3], F(1, 2, 3, 1, 2, 3));
        Expect(Run(g.BroadcastTo(g.Constant(new float[,] { { 1 }, { 2 } }), [2, 2, 3])), [2, 2, 3],
            F(1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2));
        Expect(Run(g.BroadcastTo(g.Constant("s"), [2])), [2], new[] { "s", "s" });
        BuildError(() => g.BroadcastTo(g.Constant(Iota(2, 3)), [3, 3], name: "bt"), "bt");
        var shape = g.Placeholder(DType.Int32, [2], name: "shape");
        var dyn = g.BroadcastTo(g.Constant(F(1, 2)), shape, "dyn");
        RunError(dyn, new FeedDict { [shape] = new[] { 2, 3 } }, "dyn");
        Expect(Run(dyn, new FeedDict { [shape] = new[] { 3, 2 } }), [3, 2], F(1, 2, 1, 2, 1, 2));
    }

    // ------------------------------------------------------------------ PyTorch-style conveniences

    [Test]
    public void TorchStyleConveniences()
    {
        var g = new Graph();
        var x = g.Constant(Iota(2, 3));
        Assert.That(g.View(x, 3, -1).Shape, Is.EqualTo(new Shape(3, 2)));
        Assert.That(g.View(x, 3, -1).Op.Type, Is.EqualTo("Reshape"));
        Assert.That(g.Unsqueeze(x, -1).Shape, Is.EqualTo(new Shape(2, 3, 1)));
        Assert.That(g.Unsqueeze(x, 0).Op.Type, Is.EqualTo("ExpandDims"));
        var u = g.Unsqueeze(x, 1);
        Assert.That(g.Squeeze(u, 1).Shape, Is.EqualTo(new Shape(2, 3)));
        Assert.That(g.Squeeze(x, 0), Is.EqualTo(x), "squeezing a dimension that is not 1 is a no-op");
        var d = g.Dist(g.Constant(F(1, 1)), g.Constant(F(4, 5)));
        Assert.That(Run(d).Scalar<float>(), Is.EqualTo(5f));
        Assert.That(d.Op.Name, Does.StartWith("dist/"));
    }

    [Test]
    public void ViewsDoNotAliasAfterReuse()
    {
        // ExpandDims/Squeeze forward their input; repeated runs must still give fresh values.
        var g = new Graph();
        var p = g.Placeholder(DType.Float32, [2], name: "p");
        var y = g.Squeeze(g.ExpandDims(p * 2f, 0)) + 1f;
        using var s = new Session(g);
        Assert.That(s.Run(y, new FeedDict { [p] = F(1, 2) }).ToArray<float>(), Is.EqualTo(F(3, 5)));
        Assert.That(s.Run(y, new FeedDict { [p] = F(3, 4) }).ToArray<float>(), Is.EqualTo(F(7, 9)));
    }

    [Test]
    public void SteadyStateRunsAllocateNothing()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [2, 3], name: "x");
        var b = g.Squeeze(g.ExpandDims(x, 0));
        var c = g.Concat([b, g.Transpose(g.Transpose(b))], 1);
        var st = g.Stack([b, b * 2f], axis: 1);
        var terms = new List<Output>
        {
            g.AddN(g.Unstack(st, axis: 1)), g.Split(c, 2, axis: 1)[1], g.Split(c, [1, -1], axis: 1)[1],
            g.Slice(c, [0, 1], [2, 2]), c.Slice(.., SliceItem.Range(null, null, -2)),
            g.Pad(b, new[,] { { 1, 1 }, { 0, 1 } }), g.Pad(b, new[,] { { 0, 1 }, { 1, 0 } }, constantValue: 2),
            g.Pad(b, new[,] { { 1, 1 }, { 2, 2 } }, mode: "REFLECT"), g.Gather(b, g.Constant(new[] { 2, 0 }), axis: 1),
            g.Gather(b, g.Constant(new[] { 1, 1, 0 })), g.Reverse(b, [1]), g.SelectV2(g.Greater(b, g.Constant(0f)), b, g.Constant(0f)),
            g.BroadcastTo(g.ReduceSum(b, [0]), [2, 3]), g.Tile(b, g.Constant(new[] { 2, 1 })),
            g.UnsortedSegmentSum(b, g.Constant(new[] { 1, 0 }), 3),
        };
        var loss = g.AddN([.. terms.Select(t => g.ReduceSum(g.Square(t)))]);
        var side = g.ReduceSum(g.Cast(g.ArgMax(b, 1), DType.Float32)) + g.ReduceSum(g.Cast(g.Where(g.Greater(b, g.Constant(0f))), DType.Float32))
            + g.ReduceSum(g.OneHot(g.Constant(new[] { 0, 2 }), 3));
        var grad = g.Gradients(loss, x)[0]!.Value;
        using var s = new Session(g);
        var call = s.MakeCallable([x], [loss, grad, side]);
        var feed = Iota(2, 3);
        for (int i = 0; i < 20; i++) call.Run(feed);
        Assert.That(AllocationProbe.SteadyState(() => call.Run(feed), 100), Is.EqualTo(0), "bytes allocated by 100 runs");
    }
}
