using TensorGraph.Proto;

namespace TensorGraph.Tests.Runtime;

/// <summary>Placement on the one CPU device against TF 1.15's placer text and log_device_placement output.</summary>
public class PlacementTests
{
    private const string Cpu = "/job:localhost/replica:0/task:0/device:CPU:0";

    [TestCase("/cpu:0")]
    [TestCase("/device:CPU:*")]
    [TestCase("/job:localhost/replica:0/task:0")]
    [TestCase(Cpu)]
    public void CpuSpecificationsRun(string device)
    {
        var g = new Graph();
        Output y;
        using (g.Device(device)) y = g.Constant(2f, name: "x") * 3f;
        using var s = new Session(g);
        Assert.That(s.Run(y).Scalar<float>(), Is.EqualTo(6f));
    }

    [TestCase("/device:GPU:0", " The requested device appears to be a GPU, but CUDA is not enabled.")]
    [TestCase("/device:CPU:1", "")]
    [TestCase("/job:worker/device:CPU:0", "")]
    public void MissingDeviceFailsTheRunThatNeedsIt(string device, string gpuNote)
    {
        var g = new Graph();
        var ok = g.Constant(1f, name: "ok");
        Output y;
        using (g.Device(device)) y = g.Constant(2f, name: "x") * 3f;
        using var s = new Session(g);
        Assert.That(s.Run(ok).Scalar<float>(), Is.EqualTo(1f), "a run that does not need the node is placed");
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(y))!;
        Assert.That(e.Message, Does.StartWith(
            $"Cannot assign a device for operation x: node x was explicitly assigned to {device} but available devices are [ {Cpu} ]. " +
            $"Make sure the device specification refers to a valid device.{gpuNote} [node 'x' (Const), defined at PlacementTests.cs:"));
        Assert.That(e.NodeName, Is.EqualTo("x"));
    }

    [Test]
    public void SoftPlacementRunsOnTheCpuButKeepsTheAddress()
    {
        var g = new Graph();
        Output y, w;
        using (g.Device("/device:GPU:0")) y = g.Constant(2f, name: "x") * 3f;
        using (g.Device("/job:worker/device:GPU:0")) w = g.Constant(1f, name: "w");
        using var s = new Session(g, new ConfigProto { AllowSoftPlacement = true });
        Assert.That(s.AllowSoftPlacement, Is.True);
        Assert.That(s.Run(y).Scalar<float>(), Is.EqualTo(6f));
        Assert.That(() => s.Run(w), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("explicitly assigned to /job:worker/device:GPU:0"));
    }

    [Test]
    public void MalformedImportedDeviceFails()
    {
        var def = new Graph().ToGraphDef();
        def.Node.Add(new NodeDef { Name = "n", Op = "NoOp", Device = "/device:GPU:x" });
        var g = Graph.FromGraphDef(def);
        using var s = new Session(g, new SessionOptions { AllowSoftPlacement = true });
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(g.GetOperation("n")))!;
        Assert.That(e.Message, Does.StartWith("Malformed device specification '/device:GPU:x' in node: n [node 'n' (NoOp)"));
    }

    [Test]
    public void LogDevicePlacementWritesTfLinesOncePerPlan()
    {
        var g = new Graph();
        var a = g.Constant(1f, name: "a");
        var b = g.Constant(2f, name: "b");
        var sum = g.Add(a, b, name: "sum");
        var log = new StringWriter();
        using var s = new Session(g, new SessionOptions { LogDevicePlacement = true, DevicePlacementLog = log });
        Assert.That(log.ToString(), Is.EqualTo("Device mapping: no known devices.\n"));
        s.Run(sum);
        s.Run(sum);
        Assert.That(log.ToString(), Is.EqualTo(
            "Device mapping: no known devices.\n" +
            $"sum: (Add): {Cpu}\n" +
            $"a: (Const): {Cpu}\n" +
            $"b: (Const): {Cpu}\n"));
        Assert.That(SessionOptions.FromConfigProto(new ConfigProto { LogDevicePlacement = true }).LogDevicePlacement, Is.True);
    }
}
