namespace TensorGraph.Remote;

/// <summary>A callable compiled on a TF1 master: its handle there, run with RunCallable and dropped with ReleaseCallable.</summary>
internal sealed class RemoteCallable(RemoteSession session, string sessionHandle, long handle, int fetchCount) : IDisposable
{
    /// <summary>The server's handle of this callable.</summary>
    public long Handle { get; } = handle;

    /// <summary>One RunCallable with the feeds in the callable's order.</summary>
    public Tensor[] Run(Tensor[] feeds, long timeoutInMs, CancellationToken cancellationToken) =>
        session.RunCallable(sessionHandle, Handle, feeds, fetchCount, timeoutInMs, cancellationToken);

    /// <summary>Sends ReleaseCallable.</summary>
    public void Dispose() => session.ReleaseCallable(sessionHandle, Handle);
}

/// <summary>A partial run declared on a TF1 master (PartialRunSetup): each piece is a RunStep carrying its handle.</summary>
internal sealed class RemotePartialRun(RemoteSession session, string handle) : IDisposable
{
    /// <summary>The server's partial run handle.</summary>
    public string Handle { get; } = handle;

    /// <summary>One piece: the given feeds and fetches in a RunStep with <see cref="Handle"/>.</summary>
    public Tensor[] Run(Output[] fetches, Output[] feedKeys, Tensor[] feedValues, long timeoutInMs, CancellationToken cancellationToken) =>
        session.Step(fetches, feedKeys, feedValues, [], Handle, timeoutInMs, cancellationToken);

    /// <summary>The server drops a partial run by itself once it is complete or failed: nothing is sent.</summary>
    public void Dispose()
    {
    }
}
