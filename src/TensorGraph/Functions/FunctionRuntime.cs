using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph.Functions;

/// <summary>
/// Runs functions of a graph's library. A kernel that calls a function (a call node, a dataset
/// op's <c>f</c>) gets a <see cref="FunctionCaller"/> when it is created and calls it from
/// <c>Compute</c>:
/// <code>
/// public override OpKernel CreateKernel(KernelBuilder b)
/// {
///     var f = FunctionRuntime.Bind(b, b.Op.GetAttr("f").Func);
///     return new LambdaKernel(ctx => { Tensor[] outs = f.Call([ctx.Input(0)], ctx); ... });
/// }
/// </code>
/// The body runs as a plan of its own in the caller's session: variables (resource handles passed
/// as arguments or VarHandleOps in the body), queues and op state are the session's.
/// </summary>
internal static class FunctionRuntime
{
    /// <summary>
    /// The body of function <paramref name="f"/> (its name and attrs) of <paramref name="graph"/>'s
    /// library, with arguments of <paramref name="argShapes"/> (unknown when null). Built once and cached.
    /// </summary>
    public static FunctionBody Instantiate(Graph graph, NameAttrList f, IReadOnlyList<Shape>? argShapes = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return FunctionBodies.Instantiate(graph, f.Name, f.Attr, argShapes);
    }

    /// <summary>
    /// <see cref="Instantiate"/> for the node <paramref name="b"/> builds (its graph's library),
    /// bound to its session: one caller per instantiation and session, so every execution state of
    /// every plan shares the compiled body. A node may bind several functions. Thread-safe.
    /// </summary>
    public static FunctionCaller Bind(KernelBuilder b, NameAttrList f, IReadOnlyList<Shape>? argShapes = null) =>
        Instantiate(b.Op.Graph, f, argShapes).CallerFor(b.Session);
}

/// <summary>
/// A function body compiled for one session (see <see cref="FunctionRuntime"/>).
/// <see cref="Call(ReadOnlySpan{Tensor}, OpContext?)"/> may be used from several threads: each call rents an execution state of the body's plan.
/// </summary>
internal sealed class FunctionCaller
{
    private readonly FunctionBody _body;
    private readonly ExecutionPlan _plan;
    /// <summary>Compiles <paramref name="body"/> for <paramref name="session"/> (prefer <see cref="FunctionBody.CallerFor"/>, which caches).</summary>
    public FunctionCaller(FunctionBody body, Session session)
    {
        _body = body;
        try
        {
            _plan = new ExecutionPlan(session, body.Args, body.Rets, body.Targets, functionBody: true);
        }
        catch (TensorGraphException e)
        {
            throw Wrap(e);
        }
    }

    /// <summary>The function's name.</summary>
    public string Name => _body.Name;

    /// <summary>The dtypes of the arguments, in order.</summary>
    public DType[] ArgTypes => [.. _body.Args.Select(a => a.DType)];

    /// <summary>The dtypes of the results, in order.</summary>
    public DType[] RetTypes => [.. _body.Rets.Select(a => a.DType)];

    /// <summary>
    /// Runs the function on <paramref name="args"/> and returns its results, tensors the caller
    /// owns. With <paramref name="ctx"/> (the calling kernel's context) the body stops when the
    /// calling run is cancelled or past its deadline. An error inside the body names the body's
    /// node and says which function it is in; the calling kernel's executor adds the call node.
    /// </summary>
    public Tensor[] Call(ReadOnlySpan<Tensor> args, OpContext? ctx = null) =>
        Call(args, ctx, default);

    /// <summary>
    /// <see cref="Call(ReadOnlySpan{Tensor}, OpContext?)"/> that also stops when <paramref name="cancel"/>
    /// is cancelled: for calls made off the calling run's thread (a parallel map's workers), which
    /// pass no context and are stopped by their owner.
    /// </summary>
    public Tensor[] Call(ReadOnlySpan<Tensor> args, OpContext? ctx, CancellationToken cancel)
    {
        if (args.Length != _body.Args.Length)
            throw new InvalidArgumentException($"Function '{Name}' takes {_body.Args.Length} argument(s), got {args.Length}");
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i] ?? throw new InvalidArgumentException($"Argument {i} of function '{Name}' is null");
            var ph = _body.Args[i];
            if (a.DType != ph.DType)
                throw new InvalidArgumentException($"Argument {i} of function '{Name}' must be {ph.DType.Name()}, got {a.DType.Name()}");
        }
        var state = _plan.Rent();
        try
        {
            var (timeout, token) = ctx is null ? (0L, cancel) : ctx.State.StopConditions();
            using var linked = ctx is not null && cancel.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(token, cancel) : null;
            state.Execute(args, timeout, linked?.Token ?? token);
            var results = new Tensor[_plan.FetchIds.Length];
            for (int i = 0; i < results.Length; i++)
            {
                var t = state.Results[i];
                int b = _plan.ValueBuffer[_plan.FetchIds[i]];
                if (b >= 0 && ReferenceEquals(state.Buffers[b], t))
                {
                    // The planned buffer goes to the caller; the plan gets a fresh one.
                    state.Buffers[b] = Tensor.Empty(_plan.BufferTypes[b]);
                    results[i] = t;
                }
                else
                {
                    int prev = Array.FindIndex(results, 0, i, r => ReferenceEquals(r, t));
                    // Resource handles are references, not values: pass them on as they are.
                    results[i] = prev >= 0 || t.DType == DType.Resource ? t : t.Clone();
                }
            }
            Array.Clear(state.Results);
            return results;
        }
        catch (TensorGraphException e) when (e is not CancelledException and not DeadlineExceededException)
        {
            throw Wrap(e);
        }
        finally
        {
            _plan.Return(state);
        }
    }

    private TensorGraphException Wrap(TensorGraphException e) =>
        Errors.Make(e.Code, $"{e.Message}; in function '{Name}'", e);
}
