using ArchUnitNET.Domain;
using ArchUnitNET.Fluent;
using ArchUnitNET.Fluent.Conditions;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace TensorGraph.Tests.Architecture;

/// <summary>
/// The room rules of docs/ARCHITECTURE.md as ArchUnitNET rules over an architecture whose
/// types <see cref="SourceRooms"/> places by source file. <paramref name="inScope"/> picks the
/// types the rules apply to (the library's, or a fixture's). A failing type is reported with its
/// files and every offending dependency with the dependency's files.
/// </summary>
internal sealed class RoomRules(SourceRooms rooms, Func<IType, bool> inScope)
{
    private static readonly string[] ModelTypes = ["TensorGraph.Graph", "TensorGraph.Operation", "TensorGraph.Session"];

    /// <summary>Core depends on nothing else in the library (proto messages and generated code excepted).</summary>
    public IArchRule CoreDependsOnNothingElse() =>
        Rule(Room.Core, "are in Core (src/TensorGraph/Core)",
            u => rooms.RoomsOf(u).Any(r => r is not (Room.Core or Room.Generated)),
            "depend on nothing else in the library");

    /// <summary>Building (with the whole partial class Graph) never depends on Runtime.</summary>
    public IArchRule BuildingNeverOnRuntime() =>
        Rule(Room.Building, "are in Building (src/TensorGraph/Building, and Graph)",
            u => rooms.RoomsOf(u).Contains(Room.Runtime),
            "not depend on Runtime (src/TensorGraph/Runtime)");

    /// <summary>A type of one op file never depends on a type of another op file.</summary>
    public IArchRule NoOpFileOnAnother() =>
        Types().That().FollowCustomPredicate(t => inScope(t) && rooms.OpFilesOf(t.FullName).Count > 0,
                "are defined in an op file (src/TensorGraph/Ops/<Family>/ with a concrete OpSpec)")
            .Should().FollowCustomCondition(t =>
            {
                var own = rooms.OpFilesOf(t.FullName);
                return Result(t, u => rooms.OpFilesOf(u).Except(own).Any());
            }, "not depend on a type of another op file (Ops/Framework, family helpers and Graph are fine)");

    /// <summary>
    /// Runtime never depends on a specific op: no type defined in an op file, and no op type
    /// name as a string literal (<c>"MatMul"</c> or <c>MatMulSpec.OpType</c>, which compiles to it).
    /// </summary>
    public IArchRule RuntimeNeverOnASpecificOp() =>
        Types().That().FollowCustomPredicate(t => inScope(t) && rooms.RoomsOf(t.FullName).Contains(Room.Runtime), "are in Runtime (src/TensorGraph/Runtime)")
            .Should().FollowCustomCondition(t => Result(t, u => rooms.OpFilesOf(u).Count > 0,
                    names: [.. rooms.OpTypeLiteralsOf(t.FullName).Select(n => $"op type name \"{n}\"")]),
                "not depend on a specific op (a type defined in an op file, or an op type's name); ask declared roles instead");

    /// <summary>Formats (pure codecs) never depend on Graph, Operation, Session, Runtime or Ops.</summary>
    public IArchRule FormatsNeverOnTheModel() =>
        Rule(Room.Formats, "are in Formats (src/TensorGraph/Formats)",
            u => ModelTypes.Contains(SourceRooms.Normalize(u))
                 || rooms.RoomsOf(u).Contains(Room.Runtime)
                 || rooms.FilesOf(u).Any(f => f.StartsWith("src/TensorGraph/Ops/", StringComparison.Ordinal)),
            "not depend on Graph, Operation, Session, Runtime or Ops");

    /// <summary>
    /// The core assembly has no network or process code. One exception: Remote may configure its
    /// gRPC channel's TLS (an HTTP handler with certificate options, <c>System.Net.Http</c>'s
    /// handlers and <c>System.Net.Security</c>); it still opens no socket of its own.
    /// </summary>
    public IArchRule NoNetworkOrProcess() =>
        Types().That().FollowCustomPredicate(t => inScope(t), "are in the core library")
            .Should().FollowCustomCondition(t =>
                {
                    bool remote = rooms.RoomsOf(t.FullName).Contains(Room.Remote);
                    return Result(t, u => IsNetworkOrProcess(u) && !(remote && IsChannelTls(u)), external: true);
                },
                "not depend on System.Net.* or System.Diagnostics.Process (Remote: only its channel's TLS handler)");

    private static bool IsChannelTls(string fullName) =>
        fullName is "System.Net.Http.SocketsHttpHandler" or "System.Net.Http.HttpMessageHandler"
        || fullName.StartsWith("System.Net.Security.", StringComparison.Ordinal);

    /// <summary>Only Remote speaks gRPC: no other room depends on <c>Grpc.*</c> (Session reaches a server through Remote's types).</summary>
    public IArchRule GrpcOnlyInRemote() =>
        Types().That().FollowCustomPredicate(t => inScope(t) && !rooms.RoomsOf(t.FullName).Contains(Room.Remote), "are outside Remote (src/TensorGraph/Remote)")
            .Should().FollowCustomCondition(t => Result(t, u => u.StartsWith("Grpc.", StringComparison.Ordinal), external: true),
                "not depend on Grpc.* (only Remote speaks gRPC)");

    /// <summary>Every rule, by name.</summary>
    public IEnumerable<(string Name, IArchRule Rule)> All() =>
    [
        (nameof(CoreDependsOnNothingElse), CoreDependsOnNothingElse()),
        (nameof(BuildingNeverOnRuntime), BuildingNeverOnRuntime()),
        (nameof(NoOpFileOnAnother), NoOpFileOnAnother()),
        (nameof(RuntimeNeverOnASpecificOp), RuntimeNeverOnASpecificOp()),
        (nameof(FormatsNeverOnTheModel), FormatsNeverOnTheModel()),
        (nameof(NoNetworkOrProcess), NoNetworkOrProcess()),
        (nameof(GrpcOnlyInRemote), GrpcOnlyInRemote()),
    ];

    private static bool IsNetworkOrProcess(string fullName) =>
        fullName.StartsWith("System.Net.", StringComparison.Ordinal)
        || fullName.StartsWith("System.Diagnostics.Process", StringComparison.Ordinal);

    private IArchRule Rule(Room room, string selection, Func<string, bool> forbidden, string should) =>
        Types().That().FollowCustomPredicate(t => inScope(t) && rooms.RoomsOf(t.FullName).Contains(room), selection)
            .Should().FollowCustomCondition(t => Result(t, forbidden), should);

    /// <summary>
    /// The offending dependencies of <paramref name="type"/>: targets of the types (or, with
    /// <paramref name="external"/>, of any assembly) for which <paramref name="forbidden"/> holds.
    /// </summary>
    private ConditionResult Result(IType type, Func<string, bool> forbidden, bool external = false, string[]? names = null)
    {
        var self = SourceRooms.Normalize(type.FullName);
        var bad = Targets(type)
            .Select(SourceRooms.Normalize)
            .Where(u => u != self && !u.StartsWith(self + "+", StringComparison.Ordinal))
            .Where(u => (external || rooms.Knows(u)) && forbidden(u))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (bad.Length == 0 && (names is null || names.Length == 0)) return new ConditionResult(type, true);
        var lines = bad.Select(u => external && !rooms.Knows(u) ? $"\n      → {u}" : $"\n      → {u} ({rooms.Where(u)})")
            .Concat((names ?? []).Select(n => $"\n      → {n}"));
        return new ConditionResult(type, false, $"({rooms.Where(type.FullName)}) depends on:{string.Concat(lines)}\n");
    }

    /// <summary>Everything a type refers to: its own dependencies and its members' (signatures and bodies).</summary>
    private static IEnumerable<string> Targets(IType type) =>
        type.Dependencies.Select(d => d.Target.FullName)
            .Concat(type.Members.SelectMany(m => m.Dependencies).Select(d => d.Target.FullName));
}
