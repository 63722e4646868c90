namespace TensorGraph.Tests.Architecture.Fixture;

// Breaks "Core depends on nothing else": a Core type calling into Building.
internal static class FixtureCoreType
{
    public static int Use(DType t) => FixtureBuilder.Build() + (int)t;
}
