using ArchUnitNET.Domain;
using ArchUnitNET.Loader;
using ArchUnitNET.NUnit;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests.Architecture;

/// <summary>
/// The rooms the build enforces (docs/ARCHITECTURE.md §3): each test is one room rule over
/// the core library, with types placed by the source file they are written in (most library types
/// share the namespace <c>TensorGraph</c>). A failure lists each offending type with its files and
/// each forbidden dependency with the dependency's files.
/// </summary>
public class ArchitectureTests
{
    private static readonly Lazy<(ArchUnitNET.Domain.Architecture Arch, RoomRules Rules, SourceRooms Rooms)> Library = new(() =>
    {
        var assembly = typeof(Graph).Assembly;
        var rooms = new SourceRooms((assembly, Fixtures.RepoRoot));
        // The generated protobuf messages (a third of the types) are left out: no rule is about
        // them, and dependencies on them still resolve (to Room.Generated).
        var namespaces = assembly.GetTypes().Select(t => t.Namespace).OfType<string>()
            .Where(n => n != "TensorGraph.Proto").Distinct().ToArray();
        var arch = new ArchLoader().LoadNamespacesWithinAssembly(assembly, namespaces).Build();
        var name = assembly.GetName().Name;
        return (arch, new RoomRules(rooms, t => t.Assembly.Name.StartsWith(name + ",", StringComparison.Ordinal) || t.Assembly.Name == name), rooms);
    });

    private static ArchUnitNET.Domain.Architecture Arch => Library.Value.Arch;
    private static RoomRules Rules => Library.Value.Rules;

    [Test]
    public void RoomMapPlacesTypesBySourceFile()
    {
        var rooms = Library.Value.Rooms;
        Assert.That(rooms.RoomsOf(typeof(DType).FullName!), Is.EquivalentTo(new[] { Room.Core }));
        Assert.That(rooms.RoomsOf(typeof(Graph).FullName!), Is.EquivalentTo(new[] { Room.Building }));
        Assert.That(rooms.RoomsOf(typeof(TensorGraph.Ops.OpSpec).FullName!), Is.EquivalentTo(new[] { Room.OpsFramework }));
        Assert.That(rooms.RoomsOf(typeof(Session).FullName!), Does.Contain(Room.Runtime));
        // RemoteSession is also partly generated (its GeneratedRegex).
        Assert.That(rooms.RoomsOf("TensorGraph.Remote.RemoteSession"), Does.Contain(Room.Remote).And.Not.Contain(Room.Runtime));
        Assert.That(rooms.RoomsOf(typeof(RemoteOptions).FullName!), Is.EquivalentTo(new[] { Room.Remote }));
        Assert.That(rooms.OpFilesOf("TensorGraph.SinSpec"), Is.EqualTo(new[] { "src/TensorGraph/Ops/Math/Sin.cs" }));
        Assert.That(rooms.OpFiles, Has.Count.GreaterThan(80));
        // Types without method bodies (enums) are placed too.
        Assert.That(rooms.FilesOf(typeof(TensorGraph.Ops.ControlFlowRole).FullName!), Is.EqualTo(new[] { "src/TensorGraph/Ops/Framework/OpSpec.cs" }));
    }

    [Test]
    public void CoreDependsOnNothingElseInTheLibrary() => Rules.CoreDependsOnNothingElse().Check(Arch);

    [Test]
    public void BuildingNeverDependsOnRuntime() => Rules.BuildingNeverOnRuntime().Check(Arch);

    [Test]
    public void NoOpFileDependsOnAnotherOpFile() => Rules.NoOpFileOnAnother().Check(Arch);

    [Test]
    public void RuntimeNeverDependsOnASpecificOp() => Rules.RuntimeNeverOnASpecificOp().Check(Arch);

    [Test]
    public void FormatsNeverDependOnGraphSessionRuntimeOrOps() => Rules.FormatsNeverOnTheModel().Check(Arch);

    [Test]
    public void CoreLibraryHasNoNetworkOrProcessCode() => Rules.NoNetworkOrProcess().Check(Arch);

    [Test]
    public void OnlyRemoteSpeaksGrpc() => Rules.GrpcOnlyInRemote().Check(Arch);
}
