namespace TensorGraph.Tests.Runtime;

/// <summary>Partial runs (TF's partial_run_setup / partial_run), with the cases of TF 1.15's session_test.py.</summary>
public class PartialRunTests
{
    private static (Graph G, Output A, Output B, Output C, Output R1, Output R2) AddMul()
    {
        var g = new Graph();
        var a = g.Placeholder(DType.Float32, Shape.Scalar, name: "a");
        var b = g.Placeholder(DType.Float32, Shape.Scalar, name: "b");
        var c = g.Placeholder(DType.Float32, Shape.Scalar, name: "c");
        var r1 = g.Add(a, b, name: "r1");
        var r2 = g.Multiply(r1, c, name: "r2");
        return (g, a, b, c, r1, r2);
    }

    [Test]
    public void FeedsAndFetchesComeInPieces()
    {
        // TF's documented example: r1 = a + b from the first piece, r2 = r1 * c from the second.
        var (g, a, b, c, r1, r2) = AddMul();
        using var s = new Session(g);
        var h = s.PartialRunSetup([r1, r2], [a, b, c]);
        var res = s.PartialRun(h, [r1], new FeedDict { [a] = 1f, [b] = 2f });
        Assert.That(res[0].Scalar<float>(), Is.EqualTo(3f));
        Assert.That(h.IsFinished, Is.False);
        res = s.PartialRun(h, [r2], new FeedDict { [c] = res[0] });
        Assert.That(res[0].Scalar<float>(), Is.EqualTo(9f));
        Assert.That(h.IsFinished, Is.True);
    }

    [Test]
    public void EveryNodeRunsOnceAcrossPieces()
    {
        // A random value read by two fetches in two pieces is the same value (computed once), and an
        // AssignAdd upstream of both fetches adds once.
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        var counter = g.Variable(0f, name: "counter");
        var init = g.GlobalVariablesInitializer();
        var bumped = g.AssignAdd(counter, g.Constant(1f));
        var noise = g.RandomUniform(Shape.Scalar, seed: 7) + bumped;
        var first = g.Identity(noise, name: "first");
        var second = g.Add(noise, x, name: "second");
        using var s = new Session(g);
        s.Run(init);
        var h = s.PartialRunSetup([first, second], [x]);
        float f = s.PartialRun(h, [first])[0].Scalar<float>();
        float sec = s.PartialRun(h, [second], new FeedDict { [x] = 10f })[0].Scalar<float>();
        Assert.That(sec, Is.EqualTo(f + 10f));
        Assert.That(f, Is.GreaterThanOrEqualTo(1f).And.LessThan(2f));
        Assert.That(s.Run(counter.Value).Scalar<float>(), Is.EqualTo(1f), "the AssignAdd ran once");
    }

    [Test]
    public void TargetsRunOnceTheirFeedsArrive()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, Shape.Scalar, name: "x");
        var y = g.Placeholder(DType.Float32, Shape.Scalar, name: "y");
        var v = g.Variable(0f, name: "v");
        var init = g.GlobalVariablesInitializer();
        var store = g.Assign(v, x * 2f, name: "store").Op;
        var out1 = g.Identity(y, name: "out1");
        using var s = new Session(g);
        s.Run(init);
        var h = s.PartialRunSetup([out1], [x, y], store);
        s.PartialRun(h, [], new FeedDict { [x] = 4f });
        Assert.That(s.Run(v.Value).Scalar<float>(), Is.EqualTo(8f), "the target ran in the piece that fed x");
        Assert.That(s.PartialRun(h, [out1], new FeedDict { [y] = 5f })[0].Scalar<float>(), Is.EqualTo(5f));
        Assert.That(h.IsFinished, Is.True);
        Assert.That(s.Run(v.Value).Scalar<float>(), Is.EqualTo(8f), "and only once");
    }

    [Test]
    public void UndeclaredRepeatedAndUncomputableRequestsAreInvalidArgument()
    {
        var (g, a, b, c, r1, r2) = AddMul();
        var other = g.Placeholder(DType.Float32, Shape.Scalar, name: "other");
        using var s = new Session(g);
        var h = s.PartialRunSetup([r1, r2], [a, b, c]);
        var e = Assert.Throws<InvalidArgumentException>(() => s.PartialRun(h, [r1], new FeedDict { [other] = 1f }))!;
        Assert.That(e.Message, Is.EqualTo("The feed other:0 was not specified in partial_run_setup."));
        e = Assert.Throws<InvalidArgumentException>(() => s.PartialRun(h, [a], new FeedDict { [a] = 1f }))!;
        Assert.That(e.Message, Is.EqualTo("The fetch a:0 was not specified in partial_run_setup."));
        e = Assert.Throws<InvalidArgumentException>(() => s.PartialRun(h, [r2], new FeedDict { [a] = 1f, [b] = 2f }))!;
        Assert.That(e.Message, Is.EqualTo("Fetch c:0 can't be computed from the feeds that have been fed so far."));
        Assert.That(h.IsFinished, Is.False, "a refused request leaves the partial run usable");
        Assert.That(s.PartialRun(h, [r1], new FeedDict { [a] = 1f, [b] = 2f })[0].Scalar<float>(), Is.EqualTo(3f));
        e = Assert.Throws<InvalidArgumentException>(() => s.PartialRun(h, [r2], new FeedDict { [a] = 5f, [c] = 1f }))!;
        Assert.That(e.Message, Is.EqualTo("The feed a:0 has already been fed."));
        e = Assert.Throws<InvalidArgumentException>(() => s.PartialRun(h, [r1], new FeedDict { [c] = 1f }))!;
        Assert.That(e.Message, Is.EqualTo("The fetch r1:0 has already been fetched."));
        Assert.That(s.PartialRun(h, [r2], new FeedDict { [c] = 4f })[0].Scalar<float>(), Is.EqualTo(12f));
        e = Assert.Throws<InvalidArgumentException>(() => s.PartialRun(h, [r2]))!;
        Assert.That(e.Message, Does.StartWith("Must run 'setup' before performing partial runs!"));
    }

    [Test]
    public void AFailedPieceEndsThePartialRun()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Int32, Shape.Unknown, name: "x");
        var y = g.Placeholder(DType.Int32, Shape.Unknown, name: "y");
        var idx = g.Gather(x, y, name: "idx");
        var z = g.Identity(x, name: "z");
        using var s = new Session(g);
        var h = s.PartialRunSetup([idx, z], [x, y]);
        var e = Assert.Throws<InvalidArgumentException>(() => s.PartialRun(h, [idx], new FeedDict { [x] = Tensor.Create(new[] { 1, 2 }, 2), [y] = Tensor.Create(new[] { 5 }, 1) }))!;
        Assert.That(e.NodeName, Is.EqualTo("idx"));
        Assert.That(h.IsFinished, Is.True);
        Assert.Throws<InvalidArgumentException>(() => s.PartialRun(h, [z]));
    }

    [Test]
    public void AnUndeclaredPlaceholderFailsTheSetup()
    {
        var (g, a, b, _, r1, r2) = AddMul();
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.PartialRunSetup([r1, r2], [a, b]))!;
        Assert.That(e.Message, Does.StartWith("You must feed a value for placeholder tensor 'c'"));
        e = Assert.Throws<InvalidArgumentException>(() => s.PartialRunSetup([r1], [a, a, b]))!;
        Assert.That(e.Message, Does.Contain("declared as a feed twice"));
    }

    [Test]
    public void ManyPartialRunsOfOneSessionAreIndependent()
    {
        var (g, a, b, c, r1, r2) = AddMul();
        using var s = new Session(g);
        var h1 = s.PartialRunSetup([r1, r2], [a, b, c]);
        var h2 = s.PartialRunSetup([r1, r2], [a, b, c]);
        Assert.That(s.PartialRun(h1, [r1], new FeedDict { [a] = 1f, [b] = 1f })[0].Scalar<float>(), Is.EqualTo(2f));
        Assert.That(s.PartialRun(h2, [r1], new FeedDict { [a] = 10f, [b] = 20f })[0].Scalar<float>(), Is.EqualTo(30f));
        Assert.That(s.PartialRun(h1, [r2], new FeedDict { [c] = 3f })[0].Scalar<float>(), Is.EqualTo(6f));
        Assert.That(s.PartialRun(h2, [r2], new FeedDict { [c] = -1f })[0].Scalar<float>(), Is.EqualTo(-30f));
        using var other = new Session(g);
        Assert.Throws<InvalidArgumentException>(() => other.PartialRun(s.PartialRunSetup([r1], [a, b]), [r1]));
    }
}
