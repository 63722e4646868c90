using TensorGraph.Proto;

namespace TensorGraph.Tests.Building;

/// <summary>Device scopes against TF 1.15's <c>DeviceSpec</c> parsing, merging and <c>to_string</c>.</summary>
public class DeviceScopeTests
{
    [TestCase("", "")]
    [TestCase("/cpu:0", "/device:CPU:0")]
    [TestCase("/GPU:1", "/device:GPU:1")]
    [TestCase("gpu", "/device:GPU:*")]
    [TestCase("/device:gpu:0", "/device:GPU:0")]
    [TestCase("/device:XLA_CPU:*", "/device:XLA_CPU:*")]
    [TestCase("/task:1/job:ps/replica:0", "/job:ps/replica:0/task:1")]
    [TestCase("/job:worker/replica:2/task:3/device:CPU:4", "/job:worker/replica:2/task:3/device:CPU:4")]
    public void ParsesAndPrintsAsTf(string spec, string expected)
    {
        Assert.That(DeviceSpec.FromString(spec).ToString(), Is.EqualTo(expected));
    }

    [TestCase("/foo:0", "Unknown attribute: 'foo' in '/foo:0'")]
    [TestCase("/cpu:0/gpu:0", "Cannot specify multiple device types: /cpu:0/gpu:0")]
    [TestCase("/task:x", "invalid literal for int() with base 10: 'x'")]
    [TestCase("/job:a:b", "Unknown attribute: 'job' in '/job:a:b'")]
    public void RejectsWithTfValueErrorText(string spec, string message)
    {
        var e = Assert.Throws<InvalidArgumentException>(() => DeviceSpec.FromString(spec))!;
        Assert.That(e.Message, Is.EqualTo(message));
    }

    [Test]
    public void NestedScopesMergeInnerFieldsOverOuter()
    {
        var g = new Graph();
        Operation a, b, c, d, e, f;
        using (g.Device("/job:worker/device:GPU:0"))
        {
            a = g.Constant(1f, name: "a").Op;
            using (g.Device("/cpu:1"))
            {
                b = g.Constant(1f, name: "b").Op;
                using (g.Device("/task:2")) c = g.Constant(1f, name: "c").Op;
                using (g.Device("")) d = g.Constant(1f, name: "d").Op;
            }
            using (g.Device(null)) e = g.Constant(1f, name: "e").Op;
            using (g.Device("/job:ps")) f = g.Constant(1f, name: "f").Op;
        }
        var after = g.Constant(1f, name: "after").Op;
        Assert.That(a.Device, Is.EqualTo("/job:worker/device:GPU:0"));
        Assert.That(b.Device, Is.EqualTo("/job:worker/device:CPU:1"));
        Assert.That(c.Device, Is.EqualTo("/job:worker/task:2/device:CPU:1"));
        Assert.That(d.Device, Is.EqualTo("/job:worker/device:CPU:1"), "\"\" is an empty merge, as in TF");
        Assert.That(e.Device, Is.EqualTo(""), "null hides the outer scopes");
        Assert.That(f.Device, Is.EqualTo("/job:ps/device:GPU:0"));
        Assert.That(after.Device, Is.EqualTo(""));
        Assert.That(g.ToGraphDef().Node.Single(n => n.Name == "c").Device, Is.EqualTo("/job:worker/task:2/device:CPU:1"));
    }

    [Test]
    public void DeviceFunctionSeesTheOpAndOuterScopesMergeIntoItsResult()
    {
        var g = new Graph();
        Output x, y, m, n;
        using (g.Device("/job:worker"))
        using (g.DeviceFunction(op => op.Type == "MatMul" ? "/device:GPU:0" : "/cpu:0"))
        {
            x = g.Constant(new float[,] { { 1 } }, name: "x");
            y = g.Constant(new float[,] { { 2 } }, name: "y");
            m = g.MatMul(x, y, name: "m");
        }
        using (g.DeviceFunction(_ => "/cpu:0")) n = g.Constant(1f, name: "n");
        Assert.That(m.Op.Device, Is.EqualTo("/job:worker/device:GPU:0"));
        Assert.That(x.Op.Device, Is.EqualTo("/job:worker/device:CPU:0"));
        Assert.That(n.Op.Device, Is.EqualTo("/cpu:0"), "a device function's string is kept as returned");
    }

    [Test]
    public void InvalidScopeNamesTheUsersLine()
    {
        var g = new Graph();
        var e = Assert.Throws<InvalidArgumentException>(() => g.Device("/gpu:0/bogus:1"))!;
        Assert.That(e.Message, Does.StartWith("Unknown attribute: 'bogus' in '/gpu:0/bogus:1' [device scope '/gpu:0/bogus:1', defined at DeviceScopeTests.cs:"));
    }

    [Test]
    public void ScopesMustCloseInnermostFirst()
    {
        var g = new Graph();
        var outer = g.Device("/cpu:0");
        var inner = g.Device("/gpu:0");
        Assert.Throws<InvalidOperationException>(outer.Dispose);
        inner.Dispose();
        outer.Dispose();
        Assert.That(g.Constant(1f).Op.Device, Is.EqualTo(""));
    }

    [Test]
    public void ImportKeepsDevicesAndRoundTrips()
    {
        var g = new Graph();
        using (g.Device("/job:localhost/replica:0/task:0/device:GPU:0")) g.Constant(1f, name: "a");
        var def = g.ToGraphDef();
        def.Node.Add(new NodeDef { Name = "b", Op = "NoOp", Device = "/gpu:0" });
        var back = Graph.FromGraphDef(def);
        Assert.That(back.GetOperation("a").Device, Is.EqualTo("/job:localhost/replica:0/task:0/device:GPU:0"));
        Assert.That(back.GetOperation("b").Device, Is.EqualTo("/gpu:0"), "kept as written");
        Assert.That(back.ToGraphDef().Node.Select(n => n.Device), Is.EqualTo(def.Node.Select(n => n.Device)));
        // Imported inside a scope, a node's own fields win over the scope's (TF's importer).
        var scoped = new Graph();
        using (scoped.Device("/job:worker/cpu:0")) scoped.Import(def);
        Assert.That(scoped.GetOperation("b").Device, Is.EqualTo("/job:worker/device:GPU:0"));
    }
}
