using System.Globalization;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests;

/// <summary>
/// The test assembly's entry point, for tests that need a separate process to kill:
/// <c>dotnet exec TensorGraph.Tests.dll save-loop PREFIX BASE</c>. Without arguments it does nothing.
/// </summary>
internal static class ChildProcess
{
    public static int Main(string[] args)
    {
        if (args.Length == 3 && args[0] == "save-loop")
            return CheckpointReplaceTests.SaveLoop(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
        return 0;
    }
}
