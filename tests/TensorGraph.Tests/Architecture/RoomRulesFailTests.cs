using ArchUnitNET.Domain;
using ArchUnitNET.Fluent;
using ArchUnitNET.Loader;
using ArchUnitNET.NUnit;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests.Architecture;

/// <summary>
/// The room rules catch what they are meant to: the same rules run over the types in
/// Architecture/Fixture/src/TensorGraph/…, placed by their files like the library's, each of
/// which breaks one rule on purpose; the rule must fail and name the offending dependency.
/// </summary>
public class RoomRulesFailTests
{
    private const string FixtureNamespace = "TensorGraph.Tests.Architecture.Fixture";

    private static readonly Lazy<(ArchUnitNET.Domain.Architecture Arch, RoomRules Rules)> Fixture = new(() =>
    {
        var tests = typeof(RoomRulesFailTests).Assembly;
        var root = Path.Combine(Fixtures.RepoRoot, "tests", "TensorGraph.Tests", "Architecture", "Fixture");
        var rooms = new SourceRooms((typeof(Graph).Assembly, Fixtures.RepoRoot), (tests, root));
        var arch = new ArchLoader().LoadNamespacesWithinAssembly(tests, FixtureNamespace).Build();
        return (arch, new RoomRules(rooms, t => t.FullName.StartsWith(FixtureNamespace + ".", StringComparison.Ordinal)));
    });

    private static string Failure(IArchRule rule)
    {
        var e = Assert.Throws<AssertionException>(() => rule.Check(Fixture.Value.Arch))!;
        return e.Message;
    }

    [Test]
    public void CoreOnBuildingFails()
    {
        var msg = Failure(Fixture.Value.Rules.CoreDependsOnNothingElse());
        Assert.That(msg, Does.Contain(FixtureNamespace + ".FixtureCoreType"));
        Assert.That(msg, Does.Contain("→ " + FixtureNamespace + ".FixtureBuilder (src/TensorGraph/Building/FixtureBuilder.cs)"));
        Assert.That(msg, Does.Contain("(src/TensorGraph/Core/FixtureCoreType.cs)"));
    }

    [Test]
    public void BuildingOnRuntimeFails()
    {
        var msg = Failure(Fixture.Value.Rules.BuildingNeverOnRuntime());
        Assert.That(msg, Does.Contain(FixtureNamespace + ".FixtureBuilder"));
        Assert.That(msg, Does.Contain("→ " + FixtureNamespace + ".FixtureExecutor (src/TensorGraph/Runtime/FixtureExecutor.cs)"));
    }

    [Test]
    public void OpFileOnAnotherOpFileFails()
    {
        var msg = Failure(Fixture.Value.Rules.NoOpFileOnAnother());
        Assert.That(msg, Does.Contain(FixtureNamespace + ".FixtureBetaSpec"));
        Assert.That(msg, Does.Contain("→ " + FixtureNamespace + ".FixtureAlphaHelper (src/TensorGraph/Ops/Fixture/FixtureAlpha.cs)"));
        // Depending on a family file without a concrete op, on Ops/Framework and on Graph is fine.
        Assert.That(msg, Does.Not.Contain("FixtureFamilyHelper").And.Not.Contain("TensorGraph.Graph (").And.Not.Contain("TensorGraph.Ops.OpSpec ("));
    }

    [Test]
    public void RuntimeOnASpecificOpFails()
    {
        var msg = Failure(Fixture.Value.Rules.RuntimeNeverOnASpecificOp());
        Assert.That(msg, Does.Contain(FixtureNamespace + ".FixtureExecutor"));
        Assert.That(msg, Does.Contain("→ " + FixtureNamespace + ".FixtureAlphaSpec (src/TensorGraph/Ops/Fixture/FixtureAlpha.cs)"));
        Assert.That(msg, Does.Contain("→ op type name \"FixtureBeta\""));
    }

    [Test]
    public void FormatsOnGraphFails()
    {
        var msg = Failure(Fixture.Value.Rules.FormatsNeverOnTheModel());
        Assert.That(msg, Does.Contain(FixtureNamespace + ".FixtureCodec"));
        Assert.That(msg, Does.Contain("→ TensorGraph.Graph ("));
    }

    [Test]
    public void NetworkOrProcessFails()
    {
        var msg = Failure(Fixture.Value.Rules.NoNetworkOrProcess());
        Assert.That(msg, Does.Contain(FixtureNamespace + ".FixtureDownloader"));
        Assert.That(msg, Does.Contain("→ System.Net.Http.HttpClient").And.Contain("→ System.Diagnostics.Process"));
    }

    [Test]
    public void GrpcOutsideRemoteFails()
    {
        var msg = Failure(Fixture.Value.Rules.GrpcOnlyInRemote());
        Assert.That(msg, Does.Contain(FixtureNamespace + ".FixtureRemoteCaller"));
        Assert.That(msg, Does.Contain("→ Grpc.Core.Metadata"));
    }

    [Test]
    public void TypesThatKeepTheRulesPass()
    {
        // FixtureFamilyHelper depends only on Ops/Framework; it is in no rule's failures.
        foreach (var (name, rule) in Fixture.Value.Rules.All())
        {
            var failed = rule.Evaluate(Fixture.Value.Arch).Where(r => !r.Passed).Select(r => r.Description);
            Assert.That(string.Concat(failed), Does.Not.Contain(FixtureNamespace + ".FixtureFamilyHelper "), name);
        }
    }
}
