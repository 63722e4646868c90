namespace TensorGraph.Distributed.Tests;

public class ClusterSpecTests
{
    private const string Config = """
        {"cluster": {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"], "ps": ["127.0.0.1:2224"]},
         "task": {"type": "worker", "index": 1}}
        """;

    [Test]
    public void ParsesTfConfig()
    {
        var spec = ClusterSpec.Parse(Config);
        Assert.Multiple(() =>
        {
            Assert.That(spec.Tasks("worker"), Is.EqualTo(new[] { "127.0.0.1:2222", "127.0.0.1:2223" }));
            Assert.That(spec.NumPs, Is.EqualTo(1));
            Assert.That(spec.TaskType, Is.EqualTo("worker"));
            Assert.That(spec.TaskIndex, Is.EqualTo(1));
            Assert.That(spec.NumReplicas, Is.EqualTo(2));
            Assert.That(spec.ReplicaIndex, Is.EqualTo(1));
            Assert.That(spec.IsChief, Is.False, "worker 1 is not the chief");
            Assert.That(spec.WithTask("worker", 0).IsChief, Is.True, "worker 0 is the chief when there is no chief job");
            Assert.That(spec.Address("ps", 0), Is.EqualTo(("127.0.0.1", 2224)));
        });
        var round = ClusterSpec.Parse(spec.ToJson());
        Assert.That(round.Tasks("ps"), Is.EqualTo(spec.Tasks("ps")));
        Assert.That(round.TaskIndex, Is.EqualTo(1));
    }

    [Test]
    public void AChiefJobIsReplicaZero()
    {
        var spec = ClusterSpec.Parse("""{"cluster": {"chief": ["h:1"], "worker": ["h:2", "h:3"], "ps": ["h:4"]}, "task": {"type": "worker", "index": 0}}""");
        Assert.Multiple(() =>
        {
            Assert.That(spec.NumReplicas, Is.EqualTo(3));
            Assert.That(spec.ReplicaIndex, Is.EqualTo(1));
            Assert.That(spec.IsChief, Is.False);
            Assert.That(spec.WithTask("chief", 0).IsChief, Is.True);
            Assert.That(spec.WithTask("chief", 0).ReplicaIndex, Is.Zero);
        });
    }

    [Test]
    public void ReadsTheEnvironmentVariable()
    {
        var old = Environment.GetEnvironmentVariable(ClusterSpec.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(ClusterSpec.EnvironmentVariable, Config);
            Assert.That(ClusterSpec.FromEnvironment()!.TaskIndex, Is.EqualTo(1));
            Environment.SetEnvironmentVariable(ClusterSpec.EnvironmentVariable, null);
            Assert.That(ClusterSpec.FromEnvironment(), Is.Null);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ClusterSpec.EnvironmentVariable, old);
        }
    }

    [TestCase("not json", "$")]
    [TestCase("[1]", "$")]
    [TestCase("""{"task": {"type": "worker"}}""", "cluster")]
    [TestCase("""{"cluster": []}""", "cluster")]
    [TestCase("""{"cluster": {"ps": "h:1"}}""", "cluster.ps")]
    [TestCase("""{"cluster": {"ps": ["h:1", 7]}}""", "cluster.ps[1]")]
    [TestCase("""{"cluster": {"worker": ["nohost"]}}""", "cluster.worker[0]")]
    [TestCase("""{"cluster": {"worker": ["h:99999"]}}""", "cluster.worker[0]")]
    [TestCase("""{"cluster": {"worker": ["h:1"]}, "task": {"type": "evaluator", "index": 0}}""", "task.type")]
    [TestCase("""{"cluster": {"worker": ["h:1"]}, "task": {"type": "worker", "index": 1}}""", "task.index")]
    [TestCase("""{"cluster": {"worker": ["h:1"]}, "task": {"type": "worker", "index": "0"}}""", "task.index")]
    [TestCase("""{"cluster": {"worker": ["h:1"]}, "task": {"type": 3}}""", "task.type")]
    [TestCase("""{"cluster": {"worker": ["h:1"]}, "task": 0}""", "task")]
    public void BadInputNamesTheField(string json, string field)
    {
        var e = Assert.Throws<ClusterSpecException>(() => ClusterSpec.Parse(json));
        Assert.That(e!.Field, Is.EqualTo(field), e.Message);
        Assert.That(e.Message, Does.StartWith(field + ":"));
    }

    [Test]
    public void OptionsFollowTheSpec()
    {
        var o = DistributedSessionOptions.FromClusterSpec(ClusterSpec.Parse(Config).WithTask("worker", 0), "j");
        Assert.That((o.NumShards, o.ReplicaIndex, o.IsChief, o.Job), Is.EqualTo((1, 0, true, "j")));
        var noPs = ClusterSpec.Parse("""{"cluster": {"worker": ["h:1"]}, "task": {"type": "worker", "index": 0}}""");
        Assert.That(Assert.Throws<ClusterSpecException>(() => DistributedSessionOptions.FromClusterSpec(noPs))!.Field, Is.EqualTo("cluster.ps"));
    }
}
