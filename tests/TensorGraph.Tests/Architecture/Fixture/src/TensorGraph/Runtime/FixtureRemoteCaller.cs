using Grpc.Core;

namespace TensorGraph.Tests.Architecture.Fixture;

// Breaks "only Remote speaks gRPC": Runtime builds call headers itself.
internal static class FixtureRemoteCaller
{
    public static Metadata Headers(string token) => new() { { "authorization", "Bearer " + token } };
}
