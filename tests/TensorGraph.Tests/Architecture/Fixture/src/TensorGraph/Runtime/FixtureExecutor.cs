namespace TensorGraph.Tests.Architecture.Fixture;

// Breaks "Runtime never on a specific op": it names an op's spec, and another op by its type name.
internal static class FixtureExecutor
{
    public static int Run() => new FixtureAlphaSpec().Type.Length;

    public static bool IsBeta(string opType) => opType == "FixtureBeta";
}
