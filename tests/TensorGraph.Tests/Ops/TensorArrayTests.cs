namespace TensorGraph.Tests.Ops;

/// <summary>TensorArrayV3 and its ops: TF's Python API shape, node names, per-run arrays, write-once/read-once rules and errors.</summary>
public class TensorArrayTests
{
    private static Tensor Run(Graph g, Output y, FeedDict? feeds = null)
    {
        using var s = new Session(g);
        return s.Run(y, feeds ?? new FeedDict());
    }

    private static T Fails<T>(Graph g, Output y) where T : TensorGraphException
    {
        using var s = new Session(g);
        return Assert.Throws<T>(() => s.Run(y))!;
    }

    [Test]
    public void WriteThenReadWithTensorFlowsNodes()
    {
        var g = new Graph();
        var ta = g.TensorArray(DType.Float32, 3);
        var w = ta.Write(0, g.Constant(new float[] { 1, 2 })).Write(1, g.Constant(new float[] { 3, 4 })).Write(2, g.Constant(new float[] { 5, 6 }));
        var r = w.Read(1);
        var create = g.GetOperation("TensorArray");
        Assert.That(create.Type, Is.EqualTo("TensorArrayV3"));
        Assert.That(create.Inputs[0].Op.Name, Is.EqualTo("TensorArray/size"));
        Assert.That(create.GetAttrBool("identical_element_shapes"), Is.True, "infer_shape");
        Assert.That(create.GetAttrBool("clear_after_read"), Is.True);
        Assert.That(create.GetAttrBool("dynamic_size"), Is.False);
        Assert.That(ta.Handle.DType, Is.EqualTo(DType.Resource));
        Assert.That(ta.Flow.Name, Is.EqualTo("TensorArray:1"));
        Assert.That(g.GetOperation("TensorArrayWrite/TensorArrayWriteV3").Type, Is.EqualTo("TensorArrayWriteV3"));
        Assert.That(g.GetOperation("TensorArrayWrite_2/TensorArrayWriteV3").Inputs[3].Name, Is.EqualTo("TensorArrayWrite_1/TensorArrayWriteV3:0"), "each write takes the previous flow");
        Assert.That(r.Op.Name, Is.EqualTo("TensorArrayReadV3"));
        Assert.That(r.Shape, Is.EqualTo(new Shape(2)), "the element shape inferred from the writes");
        Assert.That(ta.ElementShape, Is.EqualTo(new Shape(2)), "shared by the objects of one array");
        Assert.That(Run(g, r).ToArray<float>(), Is.EqualTo(new[] { 3f, 4f }));
        Assert.That(Run(g, w.Size()).Scalar<int>(), Is.EqualTo(3));
    }

    [Test]
    public void StackUnstackGatherScatterConcatSplit()
    {
        var g = new Graph();
        var x = g.Constant(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } });
        var un = g.TensorArray(DType.Float32, 3).Unstack(x);
        Assert.That(g.GetOperation("TensorArrayUnstack/TensorArrayScatter/TensorArrayScatterV3").Type, Is.EqualTo("TensorArrayScatterV3"));
        var stacked = un.Stack();
        Assert.That(stacked.Op.Name, Is.EqualTo("TensorArrayStack/TensorArrayGatherV3"));
        Assert.That(g.GetOperation("TensorArrayStack/TensorArraySizeV3").Type, Is.EqualTo("TensorArraySizeV3"));
        Assert.That(g.GetOperation("TensorArrayStack/range").Type, Is.EqualTo("Range"));
        Assert.That(stacked.Shape, Is.EqualTo(new Shape(-1, 2)));
        Assert.That(Run(g, stacked).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));

        var clearOff = g.TensorArray(DType.Float32, 3, clearAfterRead: false).Unstack(x);
        var gathered = clearOff.Gather(g.Constant(new[] { 2, 0, 2 }));
        Assert.That(gathered.Shape, Is.EqualTo(new Shape(-1, 2)), "as TF: the handle knows no element shape, the API sets [None] + element shape");
        Assert.That(Run(g, gathered).ToArray<float>(), Is.EqualTo(new float[] { 5, 6, 1, 2, 5, 6 }));

        var scattered = g.TensorArray(DType.Float32, 4, elementShape: new Shape(2)).Scatter(g.Constant(new[] { 3, 1, 0 }), x);
        // Index 2 was never written: with a fully defined element shape it reads as zeros.
        Assert.That(Run(g, scattered.Stack()).ToArray<float>(), Is.EqualTo(new float[] { 5, 6, 3, 4, 0, 0, 1, 2 }));

        var split = g.TensorArray(DType.Float32, 3, inferShape: false).Split(x, g.Constant(new[] { 2, 0, 1 }));
        Assert.That(g.GetOperation("TensorArraySplit/TensorArraySplitV3").Inputs[2].DType, Is.EqualTo(DType.Int64), "lengths are cast to int64");
        var (cat, lengths) = g.TensorArrayConcatV3(split.Handle, split.Flow, DType.Float32);
        using var s = new Session(g);
        var (cv, lv) = s.Run(cat, lengths);
        Assert.That(cv.Dims.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(cv.ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(lv.ToArray<long>(), Is.EqualTo(new long[] { 2, 0, 1 }));
        var second = g.TensorArray(DType.Float32, 3, inferShape: false).Split(x, g.Constant(new[] { 2, 0, 1 }));
        Assert.That(s.Run(second.Read(1)).Dims.ToArray(), Is.EqualTo(new[] { 0, 2 }), "an empty piece");
        Assert.That(s.Run(g.TensorArray(DType.Float32, 3).Split(x, g.Constant(new[] { 1, 1, 1 })).Concat()).ToArray<float>(),
            Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));
    }

    [Test]
    public void ArraysLiveForOneRun()
    {
        var g = new Graph();
        var v = g.Placeholder(DType.Float32, Shape.Scalar, name: "v");
        var ta = g.TensorArray(DType.Float32, 1).Write(0, v);
        var r = ta.Read(0);
        using var s = new Session(g);
        // The same write and read run again: each run has a new array, so neither write-once nor read-once trips.
        foreach (var value in new[] { 1f, 2f, 3f })
            Assert.That(s.Run(r, new FeedDict { [v] = value }).Scalar<float>(), Is.EqualTo(value));
    }

    [Test]
    public void WriteOnceAndReadOnceErrorsNameTheNode()
    {
        var g = new Graph();
        var ta = g.TensorArray(DType.Float32, 2, tensorArrayName: "arr");
        var twice = ta.Write(0, g.Constant(1f)).Write(0, g.Constant(2f), name: "again");
        var e = Fails<InvalidArgumentException>(g, twice.Read(0));
        Assert.That(e.NodeName, Is.EqualTo("again/again"));
        Assert.That(e.Message, Does.Match(@"TensorArray arr_\d+: Could not write to TensorArray index 0 because it has already been written to\."));

        var g2 = new Graph();
        var read = g2.TensorArray(DType.Float32, 2).Write(0, g2.Constant(1f));
        var r1 = read.Read(0);
        Output r2;
        using (g2.ControlDependencies(r1.Op)) r2 = read.Read(0, name: "second_read");
        e = Fails<InvalidArgumentException>(g2, r2);
        Assert.That(e.NodeName, Is.EqualTo("second_read"));
        Assert.That(e.Message, Does.Contain("Could not read index 0 twice because it was cleared after a previous read (perhaps try setting clear_after_read = false?)."));
        Output w;
        using (g2.ControlDependencies(r1.Op)) w = read.Write(0, g2.Constant(3f), name: "late").Flow;
        Assert.That(Fails<InvalidArgumentException>(g2, w).Message, Does.Contain("because it has already been read."));

        var g3 = new Graph();
        var keep = g3.TensorArray(DType.Float32, 2, clearAfterRead: false).Write(0, g3.Constant(5f));
        var k1 = keep.Read(0);
        Output k2;
        using (g3.ControlDependencies(k1.Op)) k2 = keep.Read(0);
        Assert.That(Run(g3, g3.AddV2(k1, k2)).Scalar<float>(), Is.EqualTo(10f), "clear_after_read = false reads many times");
    }

    [Test]
    public void SizeIndexShapeAndDTypeErrors()
    {
        var g = new Graph();
        var fixedSize = g.TensorArray(DType.Float32, 2).Write(2, g.Constant(1f), name: "w");
        Assert.That(Fails<InvalidArgumentException>(g, fixedSize.Flow).Message, Does.Contain("Tried to write to index 2 but array is not resizeable and size is: 2"));
        var negative = g.TensorArray(DType.Float32, 2).Write(-1, g.Constant(1f));
        Assert.That(Fails<InvalidArgumentException>(g, negative.Flow).Message, Does.Contain("Tried to write to index -1"));
        var readPast = g.TensorArray(DType.Float32, 2, elementShape: Shape.Scalar).Read(5);
        Assert.That(Fails<InvalidArgumentException>(g, readPast).Message, Does.Contain("Tried to read from index 5 but array size is: 2"));
        var unwritten = g.TensorArray(DType.Float32, 2).Read(1);
        Assert.That(Fails<InvalidArgumentException>(g, unwritten).Message, Does.Contain("Could not read from TensorArray index 1.  Furthermore, the element shape is not fully defined: <unknown>"));
        var zeros = g.TensorArray(DType.Float32, 2, elementShape: new Shape(2, 2)).Read(1);
        Assert.That(Run(g, zeros).ToArray<float>(), Is.EqualTo(new float[4]));

        var negSize = g.TensorArray(DType.Float32, g.Placeholder(DType.Int32, Shape.Scalar, name: "n"));
        using (var s = new Session(g))
            Assert.That(() => s.Run(negSize.Flow, new FeedDict { [g.GetOperation("n")[0]] = -1 }), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Size should be >= 0."));

        // Build-time checks of the Python API.
        var ta = g.TensorArray(DType.Float32, 3).Write(0, g.Constant(new float[] { 1, 2 }));
        Assert.That(() => ta.Write(1, g.Constant(new float[] { 1, 2, 3 })), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Inconsistent shapes: saw (3,) but expected (2,)"));
        Assert.That(() => ta.Write(1, g.Constant(new[] { 1, 2 })), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("TensorArray dtype is float32"));
        // The raw ops check at run time what the API checks when building.
        var raw = g.TensorArray(DType.Float32, 2, inferShape: false);
        var wrongType = g.TensorArrayWriteV3(raw.Handle, g.Constant(0), g.Constant(1), raw.Flow);
        Assert.That(Fails<InvalidArgumentException>(g, wrongType).Message, Does.Contain("TensorArray dtype is float but Op is trying to write dtype int32."));
        var shaped = g.TensorArrayV3(g.Constant(2), DType.Float32, new Shape(3));
        var wrongShape = g.TensorArrayWriteV3(shaped.Handle, g.Constant(0), g.Placeholder(DType.Float32, Shape.Unknown, name: "p"), shaped.Flow);
        using (var s = new Session(g))
            Assert.That(() => s.Run(wrongShape, new FeedDict { [g.GetOperation("p")[0]] = new float[] { 1, 2 } }),
                Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("because the value shape is [2] which is incompatible with the TensorArray's inferred element shape: (3,)"));
        Assert.That(() => g.TensorArrayWriteV3(shaped.Handle, g.Constant(0), g.Constant(new float[] { 1, 2 }), shaped.Flow),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("incompatible with the TensorArray's element shape"), "inference sees the handle's element shape");
        var readWrong = g.TensorArrayReadV3(raw.Handle, g.Constant(0), raw.Flow, DType.Int32);
        Assert.That(Fails<InvalidArgumentException>(g, readWrong).Message, Does.Contain("TensorArray dtype is float but Op requested dtype int32."));
    }

    [Test]
    public void DynamicSizeGrowsAndClosedArraysFail()
    {
        var g = new Graph();
        var ta = g.TensorArray(DType.Int32, 0, dynamicSize: true).Write(4, g.Constant(7)).Write(1, g.Constant(3));
        using var s = new Session(g);
        Assert.That(s.Run(ta.Size()).Scalar<int>(), Is.EqualTo(5));
        var closed = g.TensorArray(DType.Int32, 2, tensorArrayName: "c").Write(0, g.Constant(1));
        var close = closed.Close();
        Output after;
        using (g.ControlDependencies(close)) after = closed.Size();
        Assert.That(() => s.Run(after), Throws.TypeOf<InvalidArgumentException>().With.Message.Match(@"TensorArray c_\d+ has already been closed\."));
    }

    [Test]
    public void ScatterSplitGatherAndConcatErrors()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Unknown, name: "x");
        var feeds = new FeedDict { [x] = new float[,] { { 1, 2 }, { 3, 4 } } };
        using var s = new Session(g);
        var ta = g.TensorArray(DType.Float32, 2, inferShape: false);
        Assert.That(() => s.Run(ta.Scatter(g.Constant(new[] { 0, 1, 1 }), x).Flow, feeds),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Expected len(indices) == values.shape[0], but saw: 3 vs. 2"));
        Assert.That(() => s.Run(ta.Scatter(g.Constant(new[] { 0, 2 }), x).Flow, feeds),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Max scatter index must be < array size (2 vs. 2)"));
        Assert.That(() => s.Run(ta.Split(x, g.Constant(new[] { 1, 2 })).Flow, feeds),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Expected sum of lengths to be equal to values.shape[0], but sum of lengths is 3 and value's shape is: [2, 2]"));
        Assert.That(() => s.Run(ta.Split(x, g.Constant(new[] { 1, 0, 1 })).Flow, feeds),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("TensorArray's size is not equal to the size of lengths (2 vs. 3)"));
        Assert.That(() => s.Run(ta.Gather(g.Constant(Tensor.Create(Array.Empty<int>(), 0)))),
            Throws.TypeOf<UnimplementedException>().With.Message.Contains("TensorArray has size zero, but element shape <unknown> is not fully defined"));
        var empty = g.TensorArray(DType.Float32, 2, elementShape: new Shape(3)).Gather(g.Constant(Tensor.Create(Array.Empty<int>(), 0)));
        Assert.That(s.Run(empty).Dims.ToArray(), Is.EqualTo(new[] { 0, 3 }));
        var scalars = g.TensorArray(DType.Float32, 2).Write(0, g.Constant(1f)).Write(1, g.Constant(2f));
        Assert.That(() => s.Run(g.TensorArrayConcatV3(scalars.Handle, scalars.Flow, DType.Float32).Value),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("Concat saw a scalar shape at index 0 but requires at least vectors."));
        var mixed = g.TensorArray(DType.Float32, 2, inferShape: false).Write(0, g.Constant(new float[] { 1 })).Write(1, g.Constant(new float[] { 1, 2 }));
        Assert.That(() => s.Run(mixed.Stack()),
            Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("TensorArray has inconsistent shapes.  Index 0 has shape: [1] but index 1 has shape: [2]"));
    }

    [Test]
    public void GradientArraysSumWritesAndReadUnwrittenEntriesAsZeros()
    {
        var g = new Graph();
        var fwd = g.TensorArray(DType.Float32, 3, inferShape: false)
            .Write(0, g.Constant(new float[] { 1, 2 }))
            .Write(1, g.Constant(new float[,] { { 1, 2, 3 } }));
        var grad = fwd.Grad("gradients");
        Assert.That(grad.Handle.Op.Name, Is.EqualTo("TensorArrayGrad/TensorArrayGradV3"));
        Assert.That(grad.Flow.Op.Name, Is.EqualTo("TensorArrayGrad/gradient_flow"));
        Assert.That(grad.Flow.Op.ControlInputs, Does.Contain(grad.Handle.Op));
        var w = grad.Write(0, g.Constant(new float[] { 10, 20 })).Write(0, g.Constant(new float[] { 1, 1 }));
        var r0 = w.Read(0);
        Output r1;
        using (g.ControlDependencies(r0.Op)) r1 = w.Read(1);
        // A second gradient array of the same source is the same array; another source gets its own.
        var again = fwd.Grad("gradients", w.Flow);
        Output sameRead, otherRead;
        using (g.ControlDependencies(r1.Op))
        {
            sameRead = again.Read(2);
            otherRead = fwd.Grad("gradients_1").Read(0);
        }
        using var s = new Session(g);
        var (a, b, c) = s.Run(r0, r1, otherRead);
        Assert.That(a.ToArray<float>(), Is.EqualTo(new float[] { 11, 21 }), "writes to a gradient array sum");
        Assert.That(b.Dims.ToArray(), Is.EqualTo(new[] { 1, 3 }), "an unwritten gradient entry is zeros of the forward entry's shape");
        Assert.That(b.ToArray<float>(), Is.EqualTo(new float[3]));
        Assert.That(c.ToArray<float>(), Is.EqualTo(new float[2]), "the other source's array is fresh");
        Assert.That(() => s.Run(sameRead), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("element shape is not fully defined"),
            "entry 2 was never written forward: no shape to make zeros of");

        var withShape = g.TensorArrayGradWithShape(fwd.Handle, fwd.Flow, g.Constant(new[] { 2 }), "gradients_2");
        var prepended = g.TensorArrayReadV3(withShape.Handle, g.Constant(0), withShape.Flow, DType.Float32);
        Assert.That(s.Run(prepended).Dims.ToArray(), Is.EqualTo(new[] { 2, 2 }), "TensorArrayGradWithShape prefixes the shapes");

        // Creating a gradient array fixes the forward array's size.
        var dyn = g.TensorArray(DType.Float32, 1, dynamicSize: true).Write(0, g.Constant(1f));
        var dg = dyn.Grad("gradients");
        Output grown;
        using (g.ControlDependencies(dg.Handle.Op)) grown = dyn.Write(3, g.Constant(2f)).Flow;
        Assert.That(() => s.Run(grown), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("not resizeable"));
    }

    [Test]
    public void WhileLoopWritesOneElementPerIterationThenStacks()
    {
        var g = new Graph();
        var n = g.Placeholder(DType.Int32, Shape.Scalar, name: "n");
        var x = g.Placeholder(DType.Float32, new Shape(-1, 2), name: "x");
        var input = g.TensorArray(DType.Float32, n).Unstack(x);
        var output = g.TensorArray(DType.Float32, n);
        var loop = g.WhileLoop(v => v[0] < n, v =>
        {
            var t = v[0];
            var row = input.WithFlow(input.Flow).Read(t);
            var acc = v[2] + row;
            var written = output.WithFlow(v[1]).Write(t, acc * 2f);
            return [t + 1, written.Flow, acc];
        }, [g.Constant(0), output.Flow, g.Constant(new float[] { 0, 0 })]);
        var result = output.WithFlow(loop[1]).Stack();
        Assert.That(g.Operations.Single(o => o.Type == "TensorArrayWriteV3").Name, Is.EqualTo("while/TensorArrayWrite/TensorArrayWriteV3"));
        Assert.That(g.Operations.Single(o => o.Type == "TensorArrayReadV3").Inputs[0].Op.Type, Is.EqualTo("Enter"), "the handle enters the loop");
        Assert.That(result.Shape, Is.EqualTo(new Shape(-1, 2)), "the element shape the loop's writes inferred");
        using var s = new Session(g);
        var xv = new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } };
        for (int rows = 1; rows <= 4; rows++)
        {
            var xs = new float[rows, 2];
            for (int i = 0; i < rows; i++) { xs[i, 0] = xv[i, 0]; xs[i, 1] = xv[i, 1]; }
            var got = s.Run(result, new FeedDict { [n] = rows, [x] = xs });
            var expected = new List<float>();
            float a0 = 0, a1 = 0;
            for (int i = 0; i < rows; i++)
            {
                a0 += xv[i, 0];
                a1 += xv[i, 1];
                expected.Add(2 * a0);
                expected.Add(2 * a1);
            }
            Assert.That(got.Dims.ToArray(), Is.EqualTo(new[] { rows, 2 }));
            Assert.That(got.ToArray<float>(), Is.EqualTo(expected.ToArray()), $"{rows} iterations");
        }
    }
}
