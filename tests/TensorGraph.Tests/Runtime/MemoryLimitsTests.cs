using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph.Tests.Runtime;

/// <summary>
/// Sizes that come from users and files (shape attrs, shape inputs, TensorProto headers) give
/// typed errors naming the node, never OutOfMemory/Overflow exceptions.
/// </summary>
[NonParallelizable]
public class MemoryLimitsTests
{
    [TearDown]
    public void TearDown() => MemoryLimits.Reset();

    private static TensorProto Splat(int[] dims, float value)
    {
        var p = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShapeProto() };
        foreach (var d in dims) p.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        p.FloatVal.Add(value);
        return p;
    }

    private static GraphDef ConstGraph(string name, TensorProto value)
    {
        var n = new NodeDef { Name = name, Op = "Const" };
        n.Attr["value"] = new AttrValue { Tensor = value };
        n.Attr["dtype"] = new AttrValue { Type = value.Dtype };
        var gd = new GraphDef();
        gd.Node.Add(n);
        return gd;
    }

    private static T Throws<T>(TestDelegate run, string node) where T : TensorGraphException
    {
        var e = Assert.Throws<T>(run)!;
        Assert.That(e.NodeName, Is.EqualTo(node), e.Message);
        Assert.That(e.Message, Does.Contain($"node '{node}'"));
        return e;
    }

    // ------------------------------------------------------------------ shared helper

    [Test]
    public void ElementCountsAreCheckedIn64Bits()
    {
        Assert.That(TensorSize.Elements([65536, 65536]), Is.EqualTo(1L << 32));
        Assert.That(TensorSize.Elements([int.MaxValue, 0, int.MaxValue, int.MaxValue]), Is.Zero);
        var e = Assert.Throws<InvalidArgumentException>(() => TensorSize.Elements([int.MaxValue, int.MaxValue, int.MaxValue]))!;
        Assert.That(e.Message, Does.Contain("more than 2**63 - 1 elements"));
        Assert.Throws<InvalidArgumentException>(() => TensorSize.Multiply(long.MaxValue, 2, "x"));
        Assert.That(TensorSize.Multiply(-3, 4, "x"), Is.EqualTo(-12));
        Assert.Throws<ResourceExhaustedException>(() => TensorSize.Dimension(1L << 31, "d"));
        Assert.Throws<InvalidArgumentException>(() => TensorSize.Dimension(-1, "d"));
    }

    [Test]
    public void TensorZerosBeyondTheLargestArrayIsResourceExhausted()
    {
        var e = Assert.Throws<ResourceExhaustedException>(() => Tensor.Zeros(DType.Float32, 65536, 65536))!;
        Assert.That(e.Code, Is.EqualTo(ErrorCode.ResourceExhausted));
        Assert.That(e.Message, Does.StartWith("OOM when allocating tensor with shape[65536,65536] and type float"));
        Assert.Throws<InvalidArgumentException>(() => Tensor.Zeros(DType.Float32, int.MaxValue, int.MaxValue, int.MaxValue));
    }

    [Test]
    public void PerTensorBudgetIsConfigurable()
    {
        Assert.That(MemoryLimits.MaxTensorBytes, Is.EqualTo(MemoryLimits.AvailableBytes / 2));
        Assert.That(MemoryLimits.MaxRunBytes, Is.EqualTo(MemoryLimits.AvailableBytes / 4 * 3));
        MemoryLimits.MaxTensorBytes = 4000;
        Assert.That(Tensor.Zeros(DType.Float32, 1000).Size, Is.EqualTo(1000));
        var e = Assert.Throws<ResourceExhaustedException>(() => Tensor.Zeros(DType.Float64, 1000))!;
        Assert.That(e.Message, Does.Contain("shape[1000] and type double").And.Contain("MemoryLimits.MaxTensorBytes"));
        MemoryLimits.MaxTensorBytes = 0;
        Assert.That(MemoryLimits.MaxTensorBytes, Is.EqualTo(MemoryLimits.DefaultMaxTensorBytes));
    }

    [Test]
    public void StaticShapeWhoseElementCountOverflowsIsInvalidArgument()
    {
        Assert.Throws<InvalidArgumentException>(() => _ = new Shape(int.MaxValue, int.MaxValue, int.MaxValue));
        Assert.That(new Shape(-1, int.MaxValue, int.MaxValue).NumElements, Is.EqualTo(-1));
        // An imported Placeholder with such a shape attr fails at import, naming the node.
        var shape = new TensorShapeProto();
        for (int i = 0; i < 3; i++) shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = int.MaxValue });
        var n = new NodeDef { Name = "p", Op = "Placeholder" };
        n.Attr["dtype"] = new AttrValue { Type = DataType.DtFloat };
        n.Attr["shape"] = new AttrValue { Shape = shape };
        var gd = new GraphDef();
        gd.Node.Add(n);
        var e = Throws<InvalidArgumentException>(() => Graph.FromGraphDef(gd), "p");
        Assert.That(e.Message, Does.Contain("would have more than 2**63 - 1 elements"));
    }

    // ------------------------------------------------------------------ TensorProto decoding

    [Test]
    public void TinyTensorProtoClaimingTwoBillionElementsIsResourceExhausted()
    {
        var p = Splat([int.MaxValue], 1f);
        Assert.That(p.CalculateSize(), Is.LessThan(200));
        var e = Assert.Throws<ResourceExhaustedException>(() => TensorProtos.FromProto(p))!;
        Assert.That(e.Message, Does.Contain("OOM when allocating tensor with shape[2147483647] and type float"));

        // The same proto as a Const in an imported GraphDef: the error names the node.
        var gd = ConstGraph("big", p);
        Assert.That(gd.CalculateSize(), Is.LessThan(200));
        var g = Graph.FromGraphDef(gd);
        using var s = new Session(g);
        Throws<ResourceExhaustedException>(() => s.Run(g.GetOperation("big")[0]), "big");
    }

    [Test]
    public void TensorProtoWhoseElementCountOverflowsIsInvalidArgument()
    {
        var p = Splat([int.MaxValue, int.MaxValue, int.MaxValue], 1f);
        Assert.Throws<InvalidArgumentException>(() => Shape.FromProto(p.TensorShape));
        Assert.Throws<InvalidArgumentException>(() => TensorProtos.FromProto(p));
    }

    [Test]
    public void TensorContentIsCheckedBeforeAllocating()
    {
        var p = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShapeProto(), TensorContent = ByteString.CopyFrom(new byte[8]) };
        p.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 1 << 30 });
        p.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 4 });
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidArgumentException>(() => TensorProtos.FromProto(p))!;
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(1 << 20));
        Assert.That(e.Message, Does.Contain("tensor_content has 8 bytes"));
    }

    [Test]
    public void StringConstOfTwoToThe28ElementsIsRefusedByTheBudget()
    {
        MemoryLimits.MaxTensorBytes = 1L << 30;
        var p = new TensorProto { Dtype = DataType.DtString, TensorShape = new TensorShapeProto() };
        p.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 1 << 28 });
        p.StringVal.Add(ByteString.CopyFromUtf8("x"));
        var g = Graph.FromGraphDef(ConstGraph("strings", p));
        using var s = new Session(g);
        var e = Throws<ResourceExhaustedException>(() => s.Run(g.GetOperation("strings")[0]), "strings");
        Assert.That(e.Message, Does.Contain("shape[268435456] and type string"));
    }

    // ------------------------------------------------------------------ splat constants

    [Test]
    public void SplatConstIsExpandedOnce()
    {
        const int n = 2000; // 16 MB of float32
        long bytes = 4L * n * n;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var g = Graph.FromGraphDef(ConstGraph("c", Splat([n, n], 0.5f)));
        var sum = g.ReduceSum(g.GetOperation("c")[0]);
        using var s = new Session(g);
        Assert.That(s.Run(sum).Scalar<float>(), Is.EqualTo(0.5f * n * n).Within(1e-3 * n * n));
        Assert.That(s.Run(sum).Scalar<float>(), Is.EqualTo(0.5f * n * n).Within(1e-3 * n * n));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.GreaterThanOrEqualTo(bytes).And.LessThan(bytes + bytes / 2), "import + shape inference + two runs expand the value once");
    }

    [Test]
    public void SplatConstBeyondTheBudgetIsResourceExhaustedNamingTheNode()
    {
        MemoryLimits.MaxTensorBytes = 1L << 30; // a 2 GB heap's default
        var p = Splat([20000, 20000], 1f);
        var gd = ConstGraph("splat", p);
        Assert.That(gd.CalculateSize(), Is.LessThan(100));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var g = Graph.FromGraphDef(gd);
        Assert.That(g.GetOperation("splat")[0].Shape, Is.EqualTo(new Shape(20000, 20000)));
        using var s = new Session(g);
        var e = Throws<ResourceExhaustedException>(() => s.Run(g.GetOperation("splat")[0]), "splat");
        Assert.That(e.Message, Does.Contain("OOM when allocating tensor with shape[20000,20000] and type float"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(64 << 20));
    }

    // ------------------------------------------------------------------ kernels sized by values

    [Test]
    public void RangeToIntMaxIsResourceExhaustedNamingTheNode()
    {
        var g = new Graph();
        var r = g.Range(0, int.MaxValue, 1, name: "range");
        Assert.That(r.Shape, Is.EqualTo(new Shape(int.MaxValue)));
        using var s = new Session(g);
        var e = Throws<ResourceExhaustedException>(() => s.Run(r), "range");
        Assert.That(e.Message, Does.Contain("shape[2147483647] and type int32"));
    }

    [Test]
    public void FillWithTwoToThe31ElementsIsResourceExhaustedNamingTheNode()
    {
        var g = new Graph();
        var f = g.Fill(g.Constant(new[] { 65536, 32768 }), g.Constant(1f), name: "fill");
        using var s = new Session(g);
        var e = Throws<ResourceExhaustedException>(() => s.Run(f), "fill");
        Assert.That(e.Message, Does.Contain("OOM when allocating tensor with shape[65536,32768] and type float"));

        // The dims fed at run time: a count beyond 2^63 - 1 is InvalidArgument, also named.
        var dims = g.Placeholder(DType.Int32, [3], name: "dims");
        var f2 = g.Fill(dims, g.Constant(1f), name: "fill2");
        var e2 = Throws<InvalidArgumentException>(() => s.Run(f2, new FeedDict { [dims] = new[] { int.MaxValue, int.MaxValue, int.MaxValue } }), "fill2");
        Assert.That(e2.Message, Does.Contain("more than 2**63 - 1 elements"));

        // Static dims whose count overflows fail where the node is built.
        Throws<InvalidArgumentException>(() => g.Fill(g.Constant(new[] { int.MaxValue, int.MaxValue, int.MaxValue }), g.Constant(1f), name: "fill3"), "fill3");
    }

    [Test]
    public void ZerosAndOnesOverTwoToThe31ElementsAreResourceExhausted()
    {
        var g = new Graph();
        var z = g.Zeros(new Shape(65536, 65536), name: "zeros");
        var o = g.Ones(new Shape(65536, 65536), DType.Int64, name: "ones");
        using var s = new Session(g);
        Assert.That(Assert.Throws<ResourceExhaustedException>(() => s.Run(z))!.NodeName, Does.StartWith("zeros"));
        Assert.That(Assert.Throws<ResourceExhaustedException>(() => s.Run(o))!.NodeName, Does.StartWith("ones"));
    }

    [Test]
    public void RandomOpWithHugeShapeIsResourceExhausted()
    {
        var g = new Graph();
        var shape = g.Placeholder(DType.Int32, [2], name: "shape");
        var r = g.RandomUniform(shape, seed: 1, name: "rnd");
        using var s = new Session(g);
        var e = Assert.Throws<ResourceExhaustedException>(() => s.Run(r, new FeedDict { [shape] = new[] { 65536, 65536 } }))!;
        Assert.That(e.NodeName, Does.StartWith("rnd"));
        Assert.That(s.Run(r, new FeedDict { [shape] = new[] { 2, 3 } }).Size, Is.EqualTo(6));
    }

    [Test]
    public void TileOverflowIsTypedAndNamed()
    {
        var g = new Graph();
        var x = g.Constant(new float[,] { { 1, 2 }, { 3, 4 } });
        var m = g.Placeholder(DType.Int32, [2], name: "m");
        var t = g.Tile(x, m, name: "tile");
        using var s = new Session(g);
        var e = Throws<ResourceExhaustedException>(() => s.Run(t, new FeedDict { [m] = new[] { 1 << 30, 1 << 30 } }), "tile");
        Assert.That(e.Message, Does.Contain("output dimension 0 is 2147483648").And.Not.Contain("Arithmetic operation"));
        Throws<ResourceExhaustedException>(() => s.Run(t, new FeedDict { [m] = new[] { 1 << 20, 1 << 20 } }), "tile");
        Assert.That(s.Run(t, new FeedDict { [m] = new[] { 1, 2 } }).ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 1, 2, 3, 4, 3, 4 }));

        var m64 = g.Placeholder(DType.Int64, [2], name: "m64");
        var t64 = g.Tile(x, m64, name: "tile64");
        var e64 = Throws<InvalidArgumentException>(() => s.Run(t64, new FeedDict { [m64] = new[] { long.MaxValue, 1L } }), "tile64");
        Assert.That(e64.Message, Does.Contain("Encountered overflow when multiplying 2 with 9223372036854775807"));

        // Constant multiples: the same checks at build time, naming the node.
        Throws<ResourceExhaustedException>(() => g.Tile(x, g.Constant(new[] { 1 << 30, 1 }), name: "tile_static"), "tile_static");
    }

    [Test]
    public void OneHotOverflowIsResourceExhaustedNamingTheNode()
    {
        var g = new Graph();
        var ind = g.Placeholder(DType.Int32, [-1], name: "ind");
        var oh = g.OneHot(ind, 100000, name: "oh");
        using var s = new Session(g);
        var e = Assert.Throws<ResourceExhaustedException>(() => s.Run(oh, new FeedDict { [ind] = new int[100000] }))!;
        Assert.That(e.NodeName, Does.StartWith("oh"));
        Assert.That(e.Message, Does.Contain("shape[100000,100000] and type float"));
        Assert.That(s.Run(oh, new FeedDict { [ind] = new[] { 1 } }).ToArray<float>()[..3], Is.EqualTo(new float[] { 0, 1, 0 }));
    }

    [Test]
    public void PadOverflowIsResourceExhaustedNamingTheNode()
    {
        var g = new Graph();
        var x = g.Constant(new float[] { 1, 2 });
        var p = g.Placeholder(DType.Int32, [1, 2], name: "p");
        var pad = g.AddOp("Pad", [x, p], "pad", "Pad", [new KeyValuePair<string, AttrValue>("T", Attr.Type(DType.Float32)), new KeyValuePair<string, AttrValue>("Tpaddings", Attr.Type(DType.Int32))])[0];
        using var s = new Session(g);
        var e = Throws<ResourceExhaustedException>(() => s.Run(pad, new FeedDict { [p] = new[,] { { int.MaxValue, int.MaxValue } } }), "pad");
        Assert.That(e.Message, Does.Contain("padded dimension 0").And.Not.Contain("Arithmetic operation"));
        Throws<ResourceExhaustedException>(() => s.Run(pad, new FeedDict { [p] = new[,] { { 1 << 30, 1 << 30 } } }), "pad");
        Assert.That(s.Run(pad, new FeedDict { [p] = new[,] { { 1, 0 } } }).ToArray<float>(), Is.EqualTo(new float[] { 0, 1, 2 }));
        Throws<ResourceExhaustedException>(() => g.Pad(x, new[,] { { int.MaxValue, 1 } }, name: "pad_static"), "pad_static");
    }

    [Test]
    public void BroadcastToHugeShapeIsResourceExhaustedNamingTheNode()
    {
        var g = new Graph();
        var sh = g.Placeholder(DType.Int32, [2], name: "sh");
        var b = g.BroadcastTo(g.Constant(1f), sh, name: "bcast");
        using var s = new Session(g);
        Throws<ResourceExhaustedException>(() => s.Run(b, new FeedDict { [sh] = new[] { 65536, 65536 } }), "bcast");
        Assert.That(s.Run(b, new FeedDict { [sh] = new[] { 2, 2 } }).ToArray<float>(), Is.EqualTo(new float[] { 1, 1, 1, 1 }));
    }

    [Test]
    public void ConcatWhoseStaticDimensionOverflowsIsTypedAndNamed()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [1 << 30], name: "x");
        Throws<ResourceExhaustedException>(() => g.Concat([x, x, x], 0, name: "cat"), "cat");
    }

    [Test]
    public void ReshapeWhoseRequestedCountOverflowsIsInvalidArgument()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1], name: "x");
        var sh = g.Placeholder(DType.Int64, [4], name: "sh");
        var r = g.Reshape(x, sh, name: "reshape");
        using var s = new Session(g);
        // 2^16 four times wraps to 0 in 64 bits; it must not pass for an empty input.
        var e = Throws<InvalidArgumentException>(() => s.Run(r, new FeedDict { [x] = Array.Empty<float>(), [sh] = new[] { 65536L, 65536, 65536, 65536 } }), "reshape");
        Assert.That(e.Message, Does.Contain("Encountered overflow"));
    }

    // ------------------------------------------------------------------ per-run budget

    [Test]
    public void PerRunBudgetCountsNewStorageOnly()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [-1], name: "x");
        var y = g.Square(g.Exp(x, name: "e"), name: "sq");
        using var s = new Session(g);
        var feed = new FeedDict { [x] = new float[100_000] };
        MemoryLimits.MaxRunBytes = 500_000; // one 400 KB output fits, a second does not
        var e = Assert.Throws<ResourceExhaustedException>(() => s.Run(y, feed))!;
        Assert.That(e.Message, Does.Contain("per-run budget of 500000 bytes").And.Contain("OOM when allocating tensor with shape[100000]"));
        Assert.That(e.NodeName, Is.EqualTo("e").Or.EqualTo("sq"));

        MemoryLimits.MaxRunBytes = 900_000;
        Assert.That(s.Run(y, feed).ToArray<float>()[0], Is.EqualTo(1f).Within(1e-5));
        // Steady state: the plan reuses its intermediate buffer, so only the fetched value is new.
        MemoryLimits.MaxRunBytes = 500_000;
        Assert.That(s.Run(y, feed).ToArray<float>()[0], Is.EqualTo(1f).Within(1e-5));
    }

    // ------------------------------------------------------------------ integer division

    [Test]
    public void IntMinDividedByMinusOneIsInvalidArgumentNamingTheNode()
    {
        var g = new Graph();
        var a = g.Constant(new[] { int.MinValue, 7, -7 });
        var b = g.Constant(new[] { -1, -1, 2 });
        using var s = new Session(g);
        foreach (var op in new[] { "Div", "FloorDiv", "RealDiv" })
        {
            var q = g.AddOp(op, [a, b], "q_" + op, op, [new KeyValuePair<string, AttrValue>("T", Attr.Type(DType.Int32))])[0];
            var e = Throws<InvalidArgumentException>(() => s.Run(q), "q_" + op);
            Assert.That(e.Message, Does.Contain("-2147483648 / -1 is not representable in int32"));
        }
        var la = g.Constant(new[] { long.MinValue });
        var lb = g.Constant(new[] { -1L });
        Throws<InvalidArgumentException>(() => s.Run(g.FloorDiv(la, lb, name: "q64")), "q64");

        // Defined cases keep TF's values: x / -1 = -x, floor division rounds down.
        var ok = g.Constant(new[] { 7, -7, int.MaxValue });
        var m1 = g.Constant(new[] { -1, 2, -1 });
        Assert.That(s.Run(g.FloorDiv(ok, m1)).ToArray<int>(), Is.EqualTo(new[] { -7, -4, -int.MaxValue }));
        Assert.That(s.Run(g.Div(ok, m1)).ToArray<int>(), Is.EqualTo(new[] { -7, -3, -int.MaxValue }));
    }

    [Test]
    public void IntMinModMinusOneIsZero()
    {
        var g = new Graph();
        var a = g.Constant(new[] { int.MinValue, 7, -7 });
        var b = g.Constant(new[] { -1, -1, 3 });
        using var s = new Session(g);
        Assert.That(s.Run(g.FloorMod(a, b)).ToArray<int>(), Is.EqualTo(new[] { 0, 0, 2 }));
        Assert.That(s.Run(g.FloorMod(g.Constant(new[] { long.MinValue }), g.Constant(new[] { -1L }))).ToArray<long>(), Is.EqualTo(new[] { 0L }));
    }

    [Test]
    public void SmallIntegerMinimumDividedByMinusOneWrapsAsInTf()
    {
        // TF's C++ kernels promote int8/int16 to int, so the quotient wraps around.
        var g = new Graph();
        var a = g.Constant(Tensor.Create(new sbyte[] { sbyte.MinValue, 5 }, 2));
        var b = g.Constant(Tensor.Create(new sbyte[] { -1, -1 }, 2));
        using var s = new Session(g);
        Assert.That(s.Run(g.FloorDiv(a, b)).ToArray<sbyte>(), Is.EqualTo(new sbyte[] { sbyte.MinValue, -5 }));
        var sa = g.Constant(Tensor.Create(new short[] { short.MinValue }, 1));
        var sb = g.Constant(Tensor.Create(new short[] { -1 }, 1));
        Assert.That(s.Run(g.Div(sa, sb)).ToArray<short>(), Is.EqualTo(new[] { short.MinValue }));
    }

    [Test]
    public void IntegerDivisionByZeroIsInvalidArgumentNamingTheNode()
    {
        var g = new Graph();
        var a = g.Constant(new[] { 1, 2 });
        var z = g.Constant(new[] { 1, 0 });
        using var s = new Session(g);
        foreach (var op in new[] { "Div", "FloorDiv", "FloorMod", "RealDiv" })
        {
            var q = g.AddOp(op, [a, z], "z_" + op, op, [new KeyValuePair<string, AttrValue>("T", Attr.Type(DType.Int32))])[0];
            var e = Throws<InvalidArgumentException>(() => s.Run(q), "z_" + op);
            Assert.That(e.Message, Does.StartWith("Integer division by zero"));
        }
    }
}
