namespace TensorGraph.Tests.Architecture.Fixture;

// Breaks "Formats never on Graph".
internal static class FixtureCodec
{
    public static int Count(Graph graph) => graph.Operations.Count;
}
