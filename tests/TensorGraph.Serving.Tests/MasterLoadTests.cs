using TensorGraph.Serving.Master;

namespace TensorGraph.Serving.Tests;

/// <summary>
/// A bounded load test of the master on loopback (never timed): 32 remote sessions at once, each
/// making 50 steps, every answer checked against the request's own feed and every session's
/// counter against its own step count. The 32 × 2000 run with latency percentiles is the
/// <c>master</c> benchmark (docs/PERFORMANCE.md).
/// </summary>
public class MasterLoadTests
{
    private const int Clients = 32;
    private const int Steps = 50;

    [Test, CancelAfter(120_000)]
    public async Task ThirtyTwoConcurrentClientsAreAllAnsweredCorrectly(CancellationToken cancel)
    {
        await using var server = await MasterServer.StartAsync(new MasterServerOptions { Port = 0 }, cancellationToken: cancel);
        var target = $"grpc://127.0.0.1:{server.Port}";
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(4), name: "x");
        var y = g.Add(g.Multiply(x, g.Constant(2f)), g.Constant(1f), name: "y");
        var counter = g.Variable(0f, name: "counter");
        var init = g.GlobalVariablesInitializer();
        var inc = g.AssignAdd(counter, g.Constant(1f), name: "inc").Op;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        int answered = 0;
        // Half the clients step with RunStep (Session.Run), half with RunCallable; every one has a server session of its own.
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(() =>
        {
            using var s = new Session(g, target);
            s.Run(init, cancellationToken: cancel);
            using var call = c % 2 == 1 ? s.MakeCallable([x], [y], inc) : null;
            for (int i = 0; i < Steps; i++)
            {
                var feed = new float[4];
                for (int k = 0; k < 4; k++) feed[k] = c * 1000 + i + k / 4f;
                try
                {
                    var got = call is null
                        ? s.Run([y], new FeedDict { [x] = Tensor.Create(feed, 4) }, [inc], null, cancel)[0]
                        : call.Run([Tensor.Create(feed, 4)], cancel)[0];
                    var values = got.ToArray<float>();
                    if (!values.SequenceEqual(feed.Select(v => 2f * v + 1f))) errors.Enqueue($"client {c} step {i}: got [{string.Join(", ", values)}] for [{string.Join(", ", feed)}]");
                    else Interlocked.Increment(ref answered);
                }
                catch (TensorGraphException e)
                {
                    errors.Enqueue($"client {c} step {i}: {e.Message}");
                }
            }
            float count = s.Run(counter.Value, cancellationToken: cancel).Scalar<float>();
            if (count != Steps) errors.Enqueue($"client {c}: its counter is {count}, not {Steps}");
        }, cancel)));
        Assert.That(errors, Is.Empty);
        Assert.That(answered, Is.EqualTo(Clients * Steps));
        Assert.That(server.SessionCount, Is.Zero, "every client closed its session");
    }
}
