using System.Diagnostics;

namespace TensorGraph.Tests.Architecture.Fixture;

// Breaks "no network or process code".
internal static class FixtureDownloader
{
    public static HttpClient Client() => new();

    public static Process? Start(string file) => Process.Start(file);
}
