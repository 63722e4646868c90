using TensorGraph.Serving;

namespace TensorGraph.Cli;

/// <summary>The <c>serve</c> command: runs a <see cref="ModelServer"/> until Ctrl+C or SIGTERM, then drains in-flight requests.</summary>
public static class Server
{
    /// <summary>Serves until the process is asked to stop; progress lines go to <paramref name="stdout"/>.</summary>
    public static void Serve(ServingOptions options, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        Run(options, stdout).GetAwaiter().GetResult();
    }

    private static async Task Run(ServingOptions options, TextWriter stdout)
    {
        var log = TextWriter.Synchronized(stdout);
        await using var server = await ModelServer.StartAsync(options, new AutoFlush(log)).ConfigureAwait(false);
        await server.WaitForShutdownAsync().ConfigureAwait(false);
        log.WriteLine("Shutting down: in-flight requests drained, models unloaded.");
        log.Flush();
    }

    /// <summary>The <c>server</c> command: runs a TF 1.x master (<see cref="TensorGraph.Serving.Master.MasterServer"/>) until asked to stop.</summary>
    public static void Master(TensorGraph.Serving.Master.MasterServerOptions options, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        RunMaster(options, stdout).GetAwaiter().GetResult();
    }

    private static async Task RunMaster(TensorGraph.Serving.Master.MasterServerOptions options, TextWriter stdout)
    {
        var log = TextWriter.Synchronized(stdout);
        await using var server = await TensorGraph.Serving.Master.MasterServer.StartAsync(options, new AutoFlush(log)).ConfigureAwait(false);
        await server.WaitForShutdownAsync().ConfigureAwait(false);
        log.WriteLine("Shutting down: in-flight calls drained, sessions closed.");
        log.Flush();
    }

    /// <summary>Flushes after every line, so a supervisor (or a test) reading the pipe sees progress at once.</summary>
    private sealed class AutoFlush(TextWriter inner) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value) => inner.Write(value);

        public override void WriteLine(string? value)
        {
            inner.WriteLine(value);
            inner.Flush();
        }
    }
}
