using TensorGraph.Runtime;
using TensorGraph.Training;

namespace TensorGraph.Tests.Runtime;

/// <summary>
/// Run timeouts (TF's RunOptions.timeout_in_ms, ConfigProto.operation_timeout_in_ms) and
/// cancellation tokens: checked before each node in both schedulers, leaving the session usable.
/// Endless runs are bounded by a wait on their task, so a missing check fails instead of hanging.
/// </summary>
public class RunCancellationTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>A loop counting to the fed <c>n</c> (int.MaxValue: effectively endless), after one increment of <c>v</c>.</summary>
    private sealed class CountingLoop
    {
        public CountingLoop()
        {
            G = new Graph();
            N = G.Placeholder(DType.Int32, Shape.Scalar, name: "n");
            V = G.Variable(0f, name: "v");
            Inc = G.AssignAdd(V, G.Constant(1f));
            using (G.ControlDependencies(Inc.Op))
                Result = G.WhileLoop(i => i < N, i => i + 1, G.Constant(0));
            Init = G.GlobalVariablesInitializer();
            Session = new Session(G);
            Session.Run(Init);
        }

        public Graph G { get; }
        public Output N { get; }
        public Variable V { get; }
        public Output Inc { get; }
        public Output Result { get; }
        public Operation Init { get; }
        public Session Session { get; }

        public FeedDict Feed(int n) => new() { [N] = n };

        public float ReadV() => Session.Run(V.Value).Scalar<float>();
    }

    private static T Bounded<T>(Func<T> run)
    {
        var task = Task.Run(run);
        Assert.That(task.Wait(Bound), Is.True, "the run did not stop");
        return task.Result;
    }

    private static Exception? BoundedFailure(Action run)
    {
        var task = Task.Run(run);
        try
        {
            Assert.That(task.Wait(Bound), Is.True, "the run did not stop");
            return null;
        }
        catch (AggregateException e)
        {
            return e.InnerException;
        }
    }

    [Test]
    public void EndlessWhileLoopTimesOutWithDeadlineExceeded()
    {
        var g = new Graph();
        var r = g.WhileLoop(i => g.Constant(true), i => i + 1, g.Constant(0));
        using var s = new Session(g);
        var e = BoundedFailure(() => s.Run(r, options: new RunOptions { TimeoutInMs = 100 }));
        Assert.That(e, Is.InstanceOf<DeadlineExceededException>());
        var d = (DeadlineExceededException)e!;
        Assert.That(d.Code, Is.EqualTo(ErrorCode.DeadlineExceeded));
        Assert.That((int)d.Code, Is.EqualTo(4));
        Assert.That(d.Message, Does.StartWith("Timed out waiting for notification"));
        Assert.That(d.Message, Does.Contain("100 ms"));
    }

    [Test]
    public void SessionDefaultTimeoutAppliesAndRunOptionsOverrideIt()
    {
        var m = new CountingLoop();
        using var s = m.Session;
        s.OperationTimeoutInMs = 100;
        Assert.That(BoundedFailure(() => s.Run(m.Result, m.Feed(int.MaxValue))), Is.InstanceOf<DeadlineExceededException>());
        // A finite run under the default timeout: a generous per-call timeout replaces the default.
        Assert.That(s.Run(m.Result, m.Feed(50), new RunOptions { TimeoutInMs = 600_000 }).Scalar<int>(), Is.EqualTo(50));
        // Zero or negative in RunOptions means "the session's default".
        Assert.That(BoundedFailure(() => s.Run(m.Result, m.Feed(int.MaxValue), new RunOptions { TimeoutInMs = 0 })),
            Is.InstanceOf<DeadlineExceededException>());
        s.OperationTimeoutInMs = 0;
        Assert.That(s.Run(m.Result, m.Feed(7)).Scalar<int>(), Is.EqualTo(7));
    }

    [Test]
    public void CancellationFromAnotherThreadStopsAnEndlessLoop()
    {
        var m = new CountingLoop();
        using var s = m.Session;
        using var cts = new CancellationTokenSource();
        using var started = new ManualResetEventSlim();
        var task = Task.Run(() =>
        {
            started.Set();
            return s.Run(m.Result, m.Feed(int.MaxValue), cancellationToken: cts.Token);
        });
        Assert.That(started.Wait(Bound), Is.True);
        Thread.Sleep(50);
        Assert.That(task.IsCompleted, Is.False, "an endless loop finished");
        cts.Cancel();
        var e = Assert.Throws<AggregateException>(() => task.Wait(Bound))!.InnerException;
        Assert.That(e, Is.InstanceOf<CancelledException>());
        Assert.That(((CancelledException)e!).Code, Is.EqualTo(ErrorCode.Cancelled));
        Assert.That((int)ErrorCode.Cancelled, Is.EqualTo(1));
        Assert.That(e!.Message, Does.StartWith("Run call was cancelled"));
    }

    [Test]
    public void PreCancelledTokenRunsNothing()
    {
        var m = new CountingLoop();
        using var s = m.Session;
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<CancelledException>(() => s.Run(m.Inc, cancellationToken: cts.Token));
        Assert.Throws<CancelledException>(() => s.Run(m.Inc.Op, cancellationToken: cts.Token));
        Assert.Throws<CancelledException>(() => s.Run([m.Inc], null, [], null, cts.Token));
        Assert.Throws<CancelledException>(() => s.Run((Fetch)m.Inc, cancellationToken: cts.Token));
        Assert.That(m.ReadV(), Is.EqualTo(0f), "no increment ran");
        var call = s.MakeCallable([], [m.Inc]);
        Assert.Throws<CancelledException>(() => call.Run([], cts.Token));
        Assert.That(m.ReadV(), Is.EqualTo(0f));
        Assert.That(call.Run()[0].Scalar<float>(), Is.EqualTo(1f));
    }

    [Test]
    public void SessionIsUsableAndCorrectAfterAStoppedRun()
    {
        var m = new CountingLoop();
        using var s = m.Session;
        var e = BoundedFailure(() => s.Run(m.Result, m.Feed(int.MaxValue), new RunOptions { TimeoutInMs = 100 }));
        Assert.That(e, Is.InstanceOf<DeadlineExceededException>());
        Assert.That(m.ReadV(), Is.EqualTo(1f), "the increment that ran before the loop stays, as in TF");
        int plans = s.CachedPlanCount;
        // The same plan again, finite this time, and then a different one.
        Assert.That(s.Run(m.Result, m.Feed(10)).Scalar<int>(), Is.EqualTo(10));
        Assert.That(s.CachedPlanCount, Is.EqualTo(plans), "the stopped run's plan was reused");
        Assert.That(m.ReadV(), Is.EqualTo(2f));
        var (r, x) = s.Run(m.Result, m.N, m.Feed(3));
        Assert.That(r.Scalar<int>(), Is.EqualTo(3));
        Assert.That(x.Scalar<int>(), Is.EqualTo(3));
        Assert.That(m.ReadV(), Is.EqualTo(3f));

        using var cts = new CancellationTokenSource(100);
        Assert.That(BoundedFailure(() => s.Run(m.Result, m.Feed(int.MaxValue), cancellationToken: cts.Token)), Is.InstanceOf<CancelledException>());
        Assert.That(s.Run(m.Result, m.Feed(4)).Scalar<int>(), Is.EqualTo(4));
    }

    /// <summary>Runs a node's own kernel, then <paramref name="after"/> (to stop the run at a known point).</summary>
    private sealed class AfterKernel(OpKernel inner, Action after) : OpKernel
    {
        public override OutputKind GetOutputKind(int output) => inner.GetOutputKind(output);

        public override int ForwardedInput(int output) => inner.ForwardedInput(output);

        public override void Compute(OpContext ctx)
        {
            inner.Compute(ctx);
            after();
        }
    }

    /// <summary>
    /// A straight plan (no loop: the plain executor) <c>first → mark → second</c> by creation
    /// order, with an execution state whose <c>mark</c> kernel runs <paramref name="after"/>.
    /// </summary>
    private static (Session S, Variable First, Variable Second, Output Fetch, ExecState State) StraightPlan(Action after)
    {
        var g = new Graph();
        var first = g.Variable(0f, name: "first");
        var second = g.Variable(0f, name: "second");
        var incFirst = g.AssignAdd(first, g.Constant(1f));
        var mark = g.Identity(incFirst * 2f, name: "mark");
        Output fetch;
        using (g.ControlDependencies(mark.Op))
            fetch = g.AssignAdd(second, g.Constant(1f)) + mark;
        var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var plan = new ExecutionPlan(s, [], [fetch], []);
        Assert.That(plan.HasLoops, Is.False);
        var kernels = plan.Nodes.Select(n => n.Op == mark.Op ? new AfterKernel(s.CreateKernel(n.Op), after) : s.CreateKernel(n.Op)).ToArray();
        return (s, first, second, fetch, new ExecState(plan, kernels));
    }

    [Test]
    public void StraightPlanStopsBetweenNodesWhenCancelled()
    {
        var cts = new CancellationTokenSource();
        var (s, first, second, fetch, state) = StraightPlan(() => cts.Cancel());
        using (s)
        {
            Assert.Throws<CancelledException>(() => state.Execute([], 0, cts.Token));
            Assert.That(s.Run(first.Value).Scalar<float>(), Is.EqualTo(1f), "the nodes before the cancellation ran and keep their effects");
            Assert.That(s.Run(second.Value).Scalar<float>(), Is.EqualTo(0f), "the nodes after it did not run");
            Assert.That(state.Values, Is.All.Null, "the value table was cleared");
            // The same state again, with a token nobody cancels.
            state.Execute([], 0, CancellationToken.None);
            Assert.That(state.Results[0].Scalar<float>(), Is.EqualTo(1f + 2 * 2f));
            Assert.That(s.Run(first.Value).Scalar<float>(), Is.EqualTo(2f));
            Assert.That(s.Run(second.Value).Scalar<float>(), Is.EqualTo(1f));
            // And the session's own plan for the same signature.
            Assert.That(s.Run(fetch).Scalar<float>(), Is.EqualTo(2f + 2 * 3f));
        }
        cts.Dispose();
    }

    [Test]
    public void StraightPlanStopsBetweenNodesAtItsDeadline()
    {
        // The marked node outlasts the timeout (a sleep of twice its length), so the next check fails.
        var (s, first, second, fetch, state) = StraightPlan(() => Thread.Sleep(400));
        using (s)
        {
            var e = Assert.Throws<DeadlineExceededException>(() => state.Execute([], 200))!;
            Assert.That(e.Message, Does.StartWith("Timed out waiting for notification"));
            Assert.That(s.Run(first.Value).Scalar<float>(), Is.EqualTo(1f));
            Assert.That(s.Run(second.Value).Scalar<float>(), Is.EqualTo(0f));
            state.Execute([]);
            Assert.That(state.Results[0].Scalar<float>(), Is.EqualTo(1f + 2 * 2f));
            Assert.That(s.Run(fetch).Scalar<float>(), Is.EqualTo(2f + 2 * 3f));
        }
    }

    [Test]
    public void StraightPlanSessionAndCallableTimeoutsLeaveThemUsable()
    {
        // Through the public API: a session-wide default of 1 ms that a long straight plan
        // (64 dependent 128×128 products) may or may not outlast; either way the next runs are right.
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [128, 128], name: "x");
        var eye = new float[128, 128];
        for (int i = 0; i < 128; i++) eye[i, i] = 1;
        var id = g.Constant(eye);
        Output h = x;
        for (int i = 0; i < 64; i++) h = g.MatMul(h, id);
        using var s = new Session(g);
        var data = new float[128, 128];
        for (int i = 0; i < 128; i++)
            for (int j = 0; j < 128; j++) data[i, j] = i - 2 * j;
        var expected = Tensor.FromArray(data).ToArray<float>();
        var feeds = new FeedDict { [x] = Tensor.FromArray(data) };
        var call = s.MakeCallable([x], [h]);
        s.OperationTimeoutInMs = 1;
        for (int k = 0; k < 3; k++)
        {
            try
            {
                Assert.That(s.Run(h, feeds).ToArray<float>(), Is.EqualTo(expected));
            }
            catch (DeadlineExceededException)
            {
            }
            try
            {
                Assert.That(call.Run(Tensor.FromArray(data))[0].ToArray<float>(), Is.EqualTo(expected));
            }
            catch (DeadlineExceededException)
            {
            }
        }
        s.OperationTimeoutInMs = 0;
        Assert.That(s.Run(h, feeds).ToArray<float>(), Is.EqualTo(expected));
        Assert.That(call.Run(Tensor.FromArray(data))[0].ToArray<float>(), Is.EqualTo(expected));
    }

    [Test]
    public void CallablesStopAndStayUsable()
    {
        var m = new CountingLoop();
        using var s = m.Session;
        var call = s.MakeCallable([m.N], [m.Result]);
        var endless = Tensor.Scalar(int.MaxValue);
        var e = BoundedFailure(() => call.Run([endless], new RunOptions { TimeoutInMs = 100 }));
        Assert.That(e, Is.InstanceOf<DeadlineExceededException>());
        Assert.That(call.Run(Tensor.Scalar(12))[0].Scalar<int>(), Is.EqualTo(12));

        using var cts = new CancellationTokenSource();
        var task = Task.Run(() => call.Run([endless], cts.Token));
        Thread.Sleep(50);
        cts.Cancel();
        var c = Assert.Throws<AggregateException>(() => task.Wait(Bound))!.InnerException;
        Assert.That(c, Is.InstanceOf<CancelledException>());
        Assert.That(call.Run(Tensor.Scalar(5))[0].Scalar<int>(), Is.EqualTo(5));
        s.OperationTimeoutInMs = 100;
        Assert.That(BoundedFailure(() => call.Run(endless)), Is.InstanceOf<DeadlineExceededException>(), "the session default applies to callables");
        Assert.That(call.Run(Tensor.Scalar(6))[0].Scalar<int>(), Is.EqualTo(6));
    }

    [Test]
    public void CallableWithTimeoutAndTokenAllocatesNothingInSteadyState()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [], name: "x");
        Output h = x;
        for (int i = 0; i < 8; i++) h = h * 1.5f + 1f;
        using var s = new Session(g);
        var call = s.MakeCallable([x], [h]);
        Tensor[] feeds = [Tensor.Scalar(1.25f)];
        var options = new RunOptions { TimeoutInMs = 600_000 };
        using var cts = new CancellationTokenSource();
        var token = cts.Token;
        for (int i = 0; i < 100; i++) call.Run(feeds, options, token);
        float acc = 0;
        Action run = () => acc += call.Run(feeds, options, token)[0].AsSpan<float>()[0];
        Assert.That(AllocationProbe.SteadyState(run, 1000), Is.EqualTo(0), "bytes allocated by 1000 callable runs with a timeout and a token");
        Assert.That(acc, Is.GreaterThan(0));
    }

    [Test]
    public void DisposeDuringARunCancelsItAndLaterCallsAreRefused()
    {
        var m = new CountingLoop();
        var s = m.Session;
        var call = s.MakeCallable([m.N], [m.Result]);
        using var started = new ManualResetEventSlim();
        var run = Task.Run(() =>
        {
            started.Set();
            return s.Run(m.Result, m.Feed(int.MaxValue));
        });
        var callRun = Task.Run(() => call.Run(Tensor.Scalar(int.MaxValue)));
        Assert.That(started.Wait(Bound), Is.True);
        Thread.Sleep(50);
        s.Dispose();
        foreach (var t in new Task[] { run, callRun })
        {
            var e = Assert.Throws<AggregateException>(() => t.Wait(Bound))!.InnerException;
            // Either stopped in flight, or refused if it had not started yet.
            Assert.That(e, Is.InstanceOf<CancelledException>().Or.InstanceOf<ObjectDisposedException>());
        }
        Assert.Throws<ObjectDisposedException>(() => s.Run(m.Result, m.Feed(1)));
        Assert.Throws<ObjectDisposedException>(() => call.Run(Tensor.Scalar(1)));
    }

    [Test]
    public void DisposeWhileManyThreadsRunEitherFinishesOrFailsTyped()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [4], name: "x");
        var w = g.Variable(new float[] { 1, 2, 3, 4 }, name: "w");
        var y = g.ReduceSum(x * w);
        var r = g.WhileLoop(i => i < 20, i => i + 1, g.Constant(0));
        var s = new Session(g);
        s.Run(g.GlobalVariablesInitializer());
        var call = s.MakeCallable([x], [y]);
        var feed = Tensor.FromArray(new float[] { 1, 1, 1, 1 });
        using var go = new ManualResetEventSlim();
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        int finished = 0;
        var workers = Enumerable.Range(0, 4).Select(k => Task.Run(() =>
        {
            go.Wait();
            for (int i = 0; i < 2000; i++)
            {
                try
                {
                    float got = (k % 3) switch
                    {
                        0 => s.Run(y, new FeedDict { [x] = feed }).Scalar<float>(),
                        1 => call.Run(feed)[0].Scalar<float>(),
                        _ => s.Run(r).Scalar<int>() == 20 ? 10f : -1f,
                    };
                    if (got != 10f) unexpected.Enqueue(new InvalidOperationException($"wrong value {got}"));
                    Interlocked.Increment(ref finished);
                }
                catch (Exception e) when (e is CancelledException or ObjectDisposedException)
                {
                    return;
                }
                catch (Exception e)
                {
                    unexpected.Enqueue(e);
                    return;
                }
            }
        })).ToArray();
        go.Set();
        Thread.Sleep(20);
        s.Dispose();
        s.Dispose();
        Assert.That(Task.WaitAll(workers, Bound), Is.True);
        Assert.That(unexpected, Is.Empty);
    }

    [Test]
    public void DisposedSessionRefusesEverything()
    {
        var g = new Graph();
        var a = g.Constant(1f, name: "a");
        var b = a + 1f;
        var v = g.Variable(2f, name: "v");
        var init = g.GlobalVariablesInitializer();
        var s = new Session(g);
        s.Run(init);
        var call = s.MakeCallable([], [b]);
        var saver = new Saver(g);
        using var dir = Serialization.CheckpointFixtures.Temp();
        var path = saver.Save(s, dir["model.ckpt"]);
        s.Dispose();
        s.Dispose(); // idempotent

        void Closed(TestDelegate d)
        {
            var e = Assert.Throws<ObjectDisposedException>(d)!;
            Assert.That(e.Message, Does.StartWith("Attempted to use a closed Session."));
        }
        using var cts = new CancellationTokenSource();
        Closed(() => s.Run(a));
        Closed(() => s.Run(a, options: new RunOptions { TimeoutInMs = 5 }, cancellationToken: cts.Token));
        Closed(() => s.Run(a, b));
        Closed(() => s.Run(a, b, a));
        Closed(() => s.Run([a, b]));
        Closed(() => s.Run([a], null, [init], null, cts.Token));
        Closed(() => s.Run(init));
        Closed(() => s.Run([init]));
        Closed(() => s.Run((Fetch)"a:0"));
        Closed(() => s.Run((Fetch)a, (Fetch)init));
        Closed(() => s.Run((Fetch)a, (Fetch)init, (Fetch)"v"));
        Closed(() => s.Run(new Fetch[] { a, init }));
        Closed(() => s.Run(v.Value));
        Closed(() => s.MakeCallable([], [a]));
        Closed(() => call.Run());
        Closed(() => call.Run([], cts.Token));
        Closed(() => call.Run([], new RunOptions { TimeoutInMs = 5 }));
        Closed(() => saver.Save(s, dir["again.ckpt"]));
        Closed(() => saver.Restore(s, path));
        Closed(() => Saver.RestoreVariableNodes(s, path));
        Assert.That(File.Exists(dir["again.ckpt.index"]), Is.False, "nothing was saved from the closed session");
        Assert.That(s.Graph, Is.SameAs(g), "the graph stays readable");

        // The checkpoint taken before closing restores into a fresh session.
        using var s2 = new Session(g);
        saver.Restore(s2, path);
        Assert.That(s2.Run(v.Value).Scalar<float>(), Is.EqualTo(2f));
    }
}
