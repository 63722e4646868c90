using TensorGraph.Serving.Master;
using TensorGraph.Tests.Runtime;

namespace TensorGraph.Serving.Tests;

/// <summary>
/// The core Session test suite (<see cref="SessionTests"/>) with every session opened as
/// <c>new Session(graph, "grpc://127.0.0.1:port")</c> against a master server on a loopback socket.
/// </summary>
public class RemoteSessionSuiteTests : SessionTests
{
    private MasterServer _server = null!;
    private string _target = null!;

    [OneTimeSetUp]
    public async Task StartMaster()
    {
        _server = await MasterServer.StartAsync(new MasterServerOptions { Port = 0 });
        _target = $"grpc://127.0.0.1:{_server.Port}";
    }

    [OneTimeTearDown]
    public async Task StopMaster() => await _server.DisposeAsync();

    /// <inheritdoc/>
    protected override Session NewSession(Graph g)
    {
        var s = new Session(g, target: _target);
        Assert.That(s.Target, Is.EqualTo(_target));
        return s;
    }
}
