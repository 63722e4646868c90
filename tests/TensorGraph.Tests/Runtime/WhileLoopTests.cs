namespace TensorGraph.Tests.Runtime;

/// <summary>tf.while_loop: TF's node structure, frame execution, nesting with conds, import/export.</summary>
public class WhileLoopTests
{
    [Test]
    public void CountsToTenWithTensorFlowsNodes()
    {
        var g = new Graph();
        var r = g.WhileLoop(i => i < 10, i => i + 1, g.Constant(0));
        Assert.That(r.Name, Is.EqualTo("while/Exit:0"));
        var names = g.Operations.ToDictionary(o => o.Name, o => o.Type);
        Assert.That(names, Does.ContainKey("while/Enter").WithValue("Enter"));
        Assert.That(names, Does.ContainKey("while/Merge").WithValue("Merge"));
        Assert.That(names, Does.ContainKey("while/Less").WithValue("Less"));
        Assert.That(names, Does.ContainKey("while/LoopCond").WithValue("LoopCond"));
        Assert.That(names, Does.ContainKey("while/Switch").WithValue("Switch"));
        Assert.That(names, Does.ContainKey("while/Identity").WithValue("Identity"));
        Assert.That(names, Does.ContainKey("while/add").WithValue("AddV2"));
        Assert.That(names, Does.ContainKey("while/NextIteration").WithValue("NextIteration"));
        var enter = g.GetOperation("while/Enter");
        Assert.That(enter.GetAttrString("frame_name"), Is.EqualTo("while/while_context"));
        Assert.That(enter.GetAttrBool("is_constant"), Is.False);
        Assert.That(enter.GetAttrInt("parallel_iterations"), Is.EqualTo(10));
        var merge = g.GetOperation("while/Merge");
        Assert.That(merge.Inputs[0].Name, Is.EqualTo("while/Enter:0"));
        Assert.That(merge.Inputs[1].Name, Is.EqualTo("while/NextIteration:0"));
        // Constants in the loop run once per iteration: TF gates them on the loop's pivot.
        Assert.That(g.GetOperation("while/Less/y").ControlInputs.Select(o => o.Name), Is.EqualTo(new[] { "while/Merge" }));
        Assert.That(g.GetOperation("while/add/y").ControlInputs.Select(o => o.Name), Is.EqualTo(new[] { "while/Identity" }));
        using var s = new Session(g);
        Assert.That(s.Run(r).Scalar<int>(), Is.EqualTo(10));
        Assert.That(s.Run(r).Scalar<int>(), Is.EqualTo(10), "a second run of the cached plan");
    }

    [Test]
    public void OutsideTensorsEnterAsLoopInvariants()
    {
        var g = new Graph();
        var n = g.Placeholder(DType.Int32, Shape.Scalar, name: "n");
        var r = g.WhileLoop(v => v[0] < n, v => [v[0] + 1, v[1] + v[0] * v[0]], [g.Constant(0), g.Constant(0)]);
        var invariant = g.Operations.Single(o => o.Type == "Enter" && o.GetAttrBool("is_constant"));
        Assert.That(invariant.Inputs[0].Name, Is.EqualTo("n:0"));
        using var s = new Session(g);
        foreach (var nv in new[] { 0, 1, 5, 17 })
        {
            var (i, acc) = s.Run(r[0], r[1], new FeedDict { [n] = nv });
            Assert.That(i.Scalar<int>(), Is.EqualTo(Math.Max(nv, 0)));
            Assert.That(acc.Scalar<int>(), Is.EqualTo(Enumerable.Range(0, Math.Max(nv, 0)).Sum(k => k * k)), $"n = {nv}");
        }
    }

    [Test]
    public void MatrixPowerByRepeatedMatMul()
    {
        var g = new Graph();
        var a = g.Placeholder(DType.Float64, [2, 2], name: "a");
        var r = g.WhileLoop(v => v[0] < 6, v => [v[0] + 1, g.MatMul(v[1], a)], [g.Constant(1), a]);
        using var s = new Session(g);
        double[,] av = { { 1, 1 }, { 1, 0 } };
        var p = s.Run(r[1], new FeedDict { [a] = av }).ToArray<double>();
        // Fibonacci matrix: A^6 = [[F7, F6], [F6, F5]].
        Assert.That(p, Is.EqualTo(new[] { 13.0, 8, 8, 5 }));
    }

    [Test]
    public void NestedLoopsRunTheInnerLoopOncePerOuterIteration()
    {
        var g = new Graph();
        var r = g.WhileLoop(v => v[0] < 3, v =>
        {
            var inner = g.WhileLoop(w => w[0] < 4, w => [w[0] + 1, w[1] + v[0] + 1], [g.Constant(0), v[1]]);
            return [v[0] + 1, inner[1]];
        }, [g.Constant(0), g.Constant(0)]);
        using var s = new Session(g);
        // Sum over i < 3 of 4·(i + 1) = 4 + 8 + 12.
        Assert.That(s.Run(r[1]).Scalar<int>(), Is.EqualTo(24));
        Assert.That(g.Operations.Select(o => o.Type == "Enter" ? o.GetAttrString("frame_name") : null).Where(f => f is not null).Distinct().Order(StringComparer.Ordinal),
            Is.EqualTo(new[] { "while/while/while_context", "while/while_context" }));
    }

    [Test]
    public void ACondInsideALoop()
    {
        // Collatz: steps until n reaches 1.
        var g = new Graph();
        var n0 = g.Placeholder(DType.Int64, Shape.Scalar, name: "n0");
        var r = g.WhileLoop(v => g.NotEqual(v[0], g.Constant(1L)), v =>
        {
            var n = v[0];
            var next = g.Cond(g.Equal(g.FloorMod(n, g.Constant(2L)), g.Constant(0L)), () => g.FloorDiv(n, g.Constant(2L)), () => n * 3L + 1L);
            return [next, v[1] + 1];
        }, [n0, g.Constant(0)]);
        using var s = new Session(g);
        static int Steps(long n)
        {
            int k = 0;
            for (; n != 1; k++) n = n % 2 == 0 ? n / 2 : 3 * n + 1;
            return k;
        }
        foreach (var start in new long[] { 1, 6, 27, 97 })
            Assert.That(s.Run(r[1], new FeedDict { [n0] = start }).Scalar<int>(), Is.EqualTo(Steps(start)), $"n0 = {start}");
    }

    [Test]
    public void ALoopInsideACondRunsOnlyWhenItsBranchIsTaken()
    {
        var g = new Graph();
        var p = g.Placeholder(DType.Bool, Shape.Scalar, name: "p");
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        var r = g.Cond(p, () => g.WhileLoop(v => v < 100f, v => v * 2f, x), () => x - 1f);
        using var s = new Session(g);
        Assert.That(s.Run(r, new FeedDict { [p] = true, [x] = 3f }).Scalar<float>(), Is.EqualTo(192f));
        Assert.That(s.Run(r, new FeedDict { [p] = false, [x] = 3f }).Scalar<float>(), Is.EqualTo(2f));
    }

    [Test]
    public void ALoopThatRunsZeroTimesReturnsItsInputs()
    {
        var g = new Graph();
        var r = g.WhileLoop(i => i < 3, i => i + 1, g.Constant(5));
        using var s = new Session(g);
        Assert.That(s.Run(r).Scalar<int>(), Is.EqualTo(5));
    }

    [Test]
    public void AVariableUpdatedInTheBodyChangesOncePerIteration()
    {
        var g = new Graph();
        var v = g.Variable(Tensor.Scalar(0f), name: "v");
        var r = g.WhileLoop(i => i < 5, i =>
        {
            var a = g.AssignAdd(v, g.Constant(1.5f));
            using (g.ControlDependencies(a.Op)) return i + 1;
        }, g.Constant(0));
        Assert.That(g.Operations.Any(o => o.Type == "RefEnter"), Is.True, "the variable enters the loop by reference");
        using var s = new Session(g);
        s.Run(v.Initializer);
        Assert.That(s.Run(r).Scalar<int>(), Is.EqualTo(5));
        Assert.That(s.Run(v.Value).Scalar<float>(), Is.EqualTo(7.5f));
    }

    [Test]
    public void ShapeInvariantsAllowAGrowingLoopVariable()
    {
        var g = new Graph();
        var m0 = g.Constant(new float[,] { { 1, 2 } });
        var e = Assert.Throws<InvalidArgumentException>(() =>
            g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, g.Concat([v[1], v[1]], 0)], [g.Constant(0), m0]));
        Assert.That(e!.Message, Does.Contain("enters the loop with shape (1, 2), but has shape (2, 2) after one iteration"));
        var g2 = new Graph();
        var m = g2.Constant(new float[,] { { 1, 2 } });
        var r = g2.WhileLoop(v => v[0] < 3, v => [v[0] + 1, g2.Concat([v[1], v[1]], 0)], [g2.Constant(0), m],
            shapeInvariants: [Shape.Scalar, new Shape(-1, 2)]);
        Assert.That(r[1].Shape.ToString(), Is.EqualTo("(?, 2)"));
        using var s = new Session(g2);
        var t = s.Run(r[1]);
        Assert.That(t.Dims.ToArray(), Is.EqualTo(new[] { 8, 2 }));
        Assert.That(t.ToArray<float>().Distinct().Order(), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void ExportedLoopsImportAndRunTheSame()
    {
        var g = new Graph();
        var n = g.Placeholder(DType.Int32, Shape.Scalar, name: "n");
        var r = g.WhileLoop(v => v[0] < n, v => [v[0] + 1, v[1] * 2], [g.Constant(0), g.Constant(1)]);
        var def = g.ToGraphDef();
        var imported = Graph.FromGraphDef(def);
        Assert.That(imported.ToGraphDef(), Is.EqualTo(def), "export → import → export is identical");
        using var s = new Session(imported);
        Assert.That(s.Run(imported[r[1].Name], new FeedDict { ["n:0"] = Tensor.Scalar(10) }).Scalar<int>(), Is.EqualTo(1024));
        var text = TensorGraph.Serialization.TextFormat.Print(def);
        var again = Graph.FromGraphDef(TensorGraph.Serialization.TextFormat.Parse<TensorGraph.Proto.GraphDef>(text));
        using var s2 = new Session(again);
        Assert.That(s2.Run(again[r[1].Name], new FeedDict { ["n:0"] = Tensor.Scalar(3) }).Scalar<int>(), Is.EqualTo(8));
    }

    [Test]
    public void MaximumIterationsCapsTheLoop()
    {
        var g = new Graph();
        var cap = g.Placeholder(DType.Int32, Shape.Scalar, name: "cap");
        var r = g.WhileLoop(v => v[0] < 100, v => [v[0] + 1, v[1] * 2], [g.Constant(0), g.Constant(1)], maximumIterations: cap);
        Assert.That(r, Has.Length.EqualTo(2), "the iteration counter is not returned");
        Assert.That(g.TryGetOperation("while/iteration_counter"), Is.Not.Null);
        Assert.That(g.Operations.Any(o => o.Type == "LogicalAnd" && o.Name == "while/LogicalAnd"), Is.True);
        using var s = new Session(g);
        var (i, p) = s.Run(r[0], r[1], new FeedDict { [cap] = 5 });
        Assert.That(i.Scalar<int>(), Is.EqualTo(5));
        Assert.That(p.Scalar<int>(), Is.EqualTo(32));
        Assert.That(s.Run(r[0], new FeedDict { [cap] = 1000 }).Scalar<int>(), Is.EqualTo(100), "the condition ends it first");
        Assert.Throws<InvalidArgumentException>(() => g.WhileLoop(v => v < 3, v => v + 1, g.Constant(0), maximumIterations: g.Constant(2f)));
    }

    [Test]
    public void ManyIterations()
    {
        var g = new Graph();
        var r = g.WhileLoop(v => v[0] < 20000, v => [v[0] + 1, v[1] + 0.5], [g.Constant(0), g.Constant(0.0)]);
        using var s = new Session(g);
        Assert.That(s.Run(r[1]).Scalar<double>(), Is.EqualTo(10000.0));
    }

    [Test]
    public void TensorsInsideALoopCannotBeFetched()
    {
        var g = new Graph();
        g.WhileLoop(i => i < 3, i => i + 1, g.Constant(0));
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(g["while/Identity:0"]));
        Assert.That(e!.Message, Does.Contain("inside while loop 'while/while_context'"));
    }

    [Test]
    public void ReshapedValuesCarriedToTheNextIterationKeepTheirValues()
    {
        // Reshape returns a view: a view carried by NextIteration must not change when the next
        // iteration reshapes again.
        var g = new Graph();
        var r = g.WhileLoop(v => v[0] < 3, v => [v[0] + 1, g.Reshape(v[2], [1]), g.ExpandDims(g.Squeeze(v[1]), 0) * 10f],
            [g.Constant(0), g.Constant(new float[] { 1 }), g.Constant(new float[] { 2 })]);
        using var s = new Session(g);
        // (1, 2) -> (2, 10) -> (10, 20) -> (20, 100)
        Assert.That(s.Run(r[1]).ToArray<float>(), Is.EqualTo(new[] { 20f }));
        Assert.That(s.Run(r[2]).ToArray<float>(), Is.EqualTo(new[] { 100f }));
    }

    [Test]
    public void BadLoopsAreBuildErrors()
    {
        var g = new Graph();
        Assert.Throws<InvalidArgumentException>(() => g.WhileLoop(i => i, i => i + 1, g.Constant(0)));
        Assert.Throws<InvalidArgumentException>(() => g.WhileLoop(v => v[0] < 3, v => [v[0] + 1], [g.Constant(0), g.Constant(1)]));
        Assert.Throws<InvalidArgumentException>(() => g.WhileLoop(i => i < 3, i => g.Cast(i, DType.Float32), g.Constant(0)));
    }
}
