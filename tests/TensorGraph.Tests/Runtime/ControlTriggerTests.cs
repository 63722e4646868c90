namespace TensorGraph.Tests.Runtime;

/// <summary>ControlTrigger: a control sink that stays live when its control inputs are dead (TF's is_control_trigger).</summary>
public class ControlTriggerTests
{
    /// <summary>A Const that runs after <paramref name="sink"/>, whose control input is on the untaken branch of a Switch.</summary>
    private static (Graph G, Output After, Output Pred) Build(bool trigger, bool withLoop)
    {
        var g = new Graph();
        var pred = g.Placeholder(DType.Bool, Shape.Scalar, name: "pred");
        var sw = g.Switch(g.Constant(1f), pred);
        var onTrue = g.Identity(sw.True, name: "on_true");
        var sink = trigger ? g.ControlTrigger([onTrue.Op], name: "sync") : g.Group([onTrue.Op], name: "sync");
        Output after;
        using (g.ControlDependencies(sink)) after = g.Constant(5f, name: "after");
        if (withLoop)
        {
            // A while loop in the same run makes the plan run through the frame scheduler.
            var loop = g.WhileLoop(i => i < 3, i => i + 1, g.Constant(0));
            after = g.AddV2(after, g.Cast(loop, DType.Float32));
        }
        return (g, after, pred);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void StaysLiveWhenItsControlInputsAreDead(bool withLoop)
    {
        var (g, after, pred) = Build(trigger: true, withLoop);
        Assert.That(g.GetOperation("sync").Type, Is.EqualTo("ControlTrigger"));
        using var s = new Session(g);
        float expected = withLoop ? 8 : 5;
        Assert.That(s.Run(after, new FeedDict { [pred] = false }).Scalar<float>(), Is.EqualTo(expected), "control input dead");
        Assert.That(s.Run(after, new FeedDict { [pred] = true }).Scalar<float>(), Is.EqualTo(expected), "control input live");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ANoOpInItsPlaceIsDead(bool withLoop)
    {
        var (g, after, pred) = Build(trigger: false, withLoop);
        using var s = new Session(g);
        Assert.That(() => s.Run(after, new FeedDict { [pred] = false }), Throws.TypeOf<InvalidArgumentException>().With.Message.Contains("untaken branch"));
    }
}
