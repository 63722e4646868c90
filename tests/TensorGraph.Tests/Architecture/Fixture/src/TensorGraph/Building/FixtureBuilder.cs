namespace TensorGraph.Tests.Architecture.Fixture;

// Breaks "Building never on Runtime".
internal static class FixtureBuilder
{
    public static int Build() => FixtureExecutor.Run();
}
