namespace TensorGraph.Tests.Ops;

/// <summary>StackV2/StackPushV2/StackPopV2/StackCloseV2: per-run stacks, LIFO across while loops, TF's errors.</summary>
public class StackOpsTests
{
    /// <summary>A loop that pushes i + 1 for i = 0..n-1 onto <paramref name="h"/>; returns its Exits (counter, sum of pushed values).</summary>
    private static Output[] PushLoop(Graph g, Output h, int n) =>
        g.WhileLoop(v => v[0] < n, v =>
        {
            var pushed = g.StackPushV2(h, g.Cast(v[0] + 1, DType.Float32));
            return [v[0] + 1, v[1] + pushed];
        }, [g.Constant(0), g.Constant(0f)], name: "push");

    /// <summary>A loop that pops <paramref name="n"/> times after <paramref name="after"/>, folding the values as acc * 10 + pop (so the order shows).</summary>
    private static Output PopLoop(Graph g, Output h, int n, Operation after)
    {
        using (g.ControlDependencies(after))
            return g.WhileLoop(v => v[0] < n, v => [v[0] + 1, v[1] * 10f + g.StackPopV2(h, DType.Float32, Shape.Scalar)],
                [g.Constant(0), g.Constant(0f)], name: "pop")[1];
    }

    [Test]
    public void ValuesPushedInOneLoopPopInReverseOrderInAnother()
    {
        var g = new Graph();
        var h = g.StackV2(g.Constant(-1), DType.Float32, name: "acc");
        var pushed = PushLoop(g, h, 5);
        var folded = PopLoop(g, h, 5, pushed[1].Op);
        Assert.That(h.DType, Is.EqualTo(DType.Resource));
        Assert.That(h.Shape, Is.EqualTo(Shape.Scalar));
        var push = g.Operations.Single(o => o.Type == StackPushV2Spec.OpType);
        Assert.That(push.Name, Is.EqualTo("push/StackPushV2"));
        Assert.That(push.Inputs[0].Op.Type, Is.EqualTo("Enter"), "the handle enters the loop as an invariant");
        using var s = new Session(g);
        for (int run = 0; run < 3; run++)
        {
            var (sum, order) = s.Run(pushed[1], folded);
            Assert.That(sum.Scalar<float>(), Is.EqualTo(15f));
            Assert.That(order.Scalar<float>(), Is.EqualTo(54321f), $"LIFO order, run {run}: each run gets a new stack");
        }
    }

    [Test]
    public void TheV1StackHasAStringHandleNamingItsContainerAndName()
    {
        // TF 1.0's Stack/StackPush/StackPop: the handle is Ref(string) [2] = ("_stacks", name_serial),
        // and the stack it names is looked up among the run's stacks.
        var g = new Graph();
        var h = g.StackV1(DType.Int32, stackName: "st");
        var a = g.StackPushV1(h, g.Constant(new[] { 1, 2 }));
        Output b, p1, p2;
        using (g.ControlDependencies(a.Op)) b = g.StackPushV1(h, g.Constant(new[] { 3, 4, 5 }));
        using (g.ControlDependencies(b.Op)) p1 = g.StackPopV1(h, DType.Int32);
        using (g.ControlDependencies(p1.Op)) p2 = g.StackPopV1(h, DType.Int32);
        Assert.That(h.DType, Is.EqualTo(DType.String));
        Assert.That(h.Shape, Is.EqualTo(new Shape(2)));
        Assert.That(OpCatalog.GetOpDef("StackPush").InputArg[0].IsRef, Is.True);
        using var s = new Session(g);
        var r = s.Run([h, p1, p2]);
        var parts = r[0].ToArray<byte[]>().Select(System.Text.Encoding.UTF8.GetString).ToArray();
        Assert.That(parts[0], Is.EqualTo("_stacks"));
        Assert.That(parts[1], Does.Match("^st_[0-9]+$"));
        Assert.That(r[1].ToArray<int>(), Is.EqualTo(new[] { 3, 4, 5 }));
        Assert.That(r[2].ToArray<int>(), Is.EqualTo(new[] { 1, 2 }));
        // A pop without a push: TF's empty-stack error.
        var g2 = new Graph();
        var pop = g2.StackPopV1(g2.StackV1(DType.Float32, stackName: "e"), DType.Float32);
        using var s2 = new Session(g2);
        var e = Assert.Throws<InvalidArgumentException>(() => s2.Run(pop));
        Assert.That(e!.Message, Does.Contain("is empty when calling Pop()"));
    }

    [Test]
    public void StraightLinePushesAndPopsAreLastInFirstOut()
    {
        var g = new Graph();
        var h = g.StackV2(g.Constant(3), DType.Int32);
        var a = g.StackPushV2(h, g.Constant(new[] { 1, 2 }));
        Output b, p1, p2;
        using (g.ControlDependencies(a.Op)) b = g.StackPushV2(h, g.Constant(new[] { 3, 4, 5 }));
        using (g.ControlDependencies(b.Op)) p1 = g.StackPopV2(h, DType.Int32);
        using (g.ControlDependencies(p1.Op)) p2 = g.StackPopV2(h, DType.Int32);
        Assert.That(h.Op.Name, Is.EqualTo("StackV2"), "TF's default name is the op type");
        Assert.That(b.Shape, Is.EqualTo(new Shape(3)), "the push outputs its element");
        Assert.That(p1.Shape.IsRankKnown, Is.False, "TF's pop shape function is UnknownShape");
        Assert.That(g.StackPopV2(h, DType.Int32, new Shape(3)).Shape, Is.EqualTo(new Shape(3)), "a shape given to the builder is set");
        using var s = new Session(g);
        var (x, y) = s.Run(p1, p2);
        Assert.That(x.ToArray<int>(), Is.EqualTo(new[] { 3, 4, 5 }));
        Assert.That(y.ToArray<int>(), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void PushStoresACopyOfAVariablesValue()
    {
        var g = new Graph();
        var v = g.Variable(new float[] { 1, 2 }, name: "v");
        var h = g.StackV2(g.Constant(-1), DType.Float32);
        var push = g.StackPushV2(h, v.Ref);
        Output pop;
        using (g.ControlDependencies(push.Op))
        {
            var assign = g.Assign(v, g.Constant(new float[] { 7, 8 }));
            using (g.ControlDependencies(assign.Op)) pop = g.StackPopV2(h, DType.Float32);
        }
        using var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        Assert.That(s.Run(pop).ToArray<float>(), Is.EqualTo(new[] { 1f, 2f }), "the value when it was pushed");
    }

    [Test]
    public void PoppingAnEmptyStackNamesTheNode()
    {
        var g = new Graph();
        var h = g.StackV2(g.Constant(-1), DType.Float32, stackName: "st");
        var pushed = PushLoop(g, h, 2);
        var folded = PopLoop(g, h, 3, pushed[1].Op);
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(folded))!;
        Assert.That(e.NodeName, Is.EqualTo("pop/StackPopV2"));
        Assert.That(e.Message, Does.Match(@"Stack\[st_\d+\] is empty when calling Pop\(\)\."));
        Assert.That(e.Message, Does.Contain("StackOpsTests.cs"), "the executor adds the source location");
    }

    [Test]
    public void StacksLiveForOneRun()
    {
        var g = new Graph();
        var h = g.StackV2(g.Constant(-1), DType.Float32, name: "acc");
        var push = g.StackPushV2(h, g.Constant(1f));
        var pop = g.StackPopV2(h, DType.Float32);
        using var s = new Session(g);
        s.Run([push.Op]);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(pop), "a new run has a new, empty stack")!;
        Assert.That(e.Message, Does.Match(@"Stack\[acc_\d+\] is empty"));
        // A handle kept from an earlier run refers to a stack that no longer exists.
        var kept = s.Run(h);
        Assert.That(kept.DType, Is.EqualTo(DType.Resource));
        var nf = Assert.Throws<NotFoundException>(() => TensorGraph.Runtime.RunResources.Resolve<StackResource>(kept, "stack"))!;
        Assert.That(nf.Message, Does.Contain("does not exist"));
    }

    [Test]
    public void ErrorsFollowTensorFlow()
    {
        var g = new Graph();
        var h = g.StackV2(g.Constant(1), DType.Float32, stackName: "small");
        var a = g.StackPushV2(h, g.Constant(1f));
        Output b;
        using (g.ControlDependencies(a.Op)) b = g.StackPushV2(h, g.Constant(2f), name: "second");
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(b))!;
        Assert.That(e.NodeName, Is.EqualTo("second"));
        Assert.That(e.Message, Does.Match(@"Stack\[small_\d+\] overflowed its max_size \(1\)"));

        var wrong = g.StackPushV2(h, g.Constant(1), name: "wrong");
        Assert.That(Assert.Throws<InvalidArgumentException>(() => s.Run(wrong))!.Message, Does.Contain("Must have type float but got int32"));

        var close = g.StackCloseV2(h);
        Output late;
        using (g.ControlDependencies(close)) late = g.StackPushV2(h, g.Constant(1f), name: "late");
        Assert.That(Assert.Throws<InvalidArgumentException>(() => s.Run(late))!.Message, Does.Match(@"Stack\[small_\d+\] has already been closed\."));

        Assert.That(() => g.StackV2(g.Constant(new[] { 1, 2 }), DType.Float32), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("must be a scalar"));
        Assert.That(() => g.StackPushV2(g.Constant(1f), g.Constant(1f)), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("stack handle"));
        var popWrong = g.StackPopV2(g.StackV2(g.Constant(-1), DType.Int32), DType.Float32);
        Assert.That(() => s.Run(popWrong), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("holds int32 elements"));
    }

    [Test]
    public void ConcurrentRunsOfOnePlanHaveTheirOwnStacks()
    {
        var g = new Graph();
        var n = g.Placeholder(DType.Int32, Shape.Scalar, name: "n");
        var h = g.StackV2(g.Constant(-1), DType.Float32);
        var pushed = g.WhileLoop(v => v[0] < n, v => [v[0] + 1, v[1] + g.StackPushV2(h, g.Cast(v[0] + 1, DType.Float32))],
            [g.Constant(0), g.Constant(0f)]);
        Output folded;
        using (g.ControlDependencies(pushed[1].Op))
            folded = g.WhileLoop(v => v[0] < n, v => [v[0] + 1, v[1] * 10f + g.StackPopV2(h, DType.Float32, Shape.Scalar)], [g.Constant(0), g.Constant(0f)])[1];
        using var s = new Session(g);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            for (int r = 0; r < 10; r++)
            {
                int k = 1 + (t + r) % 6;
                float expected = 0;
                for (int i = k; i >= 1; i--) expected = expected * 10 + i;
                float got = s.Run(folded, new FeedDict { [n] = k }).Scalar<float>();
                if (got != expected) failures.Add($"n={k}: {got} instead of {expected}");
            }
        });
        Assert.That(failures, Is.Empty);
    }
}
