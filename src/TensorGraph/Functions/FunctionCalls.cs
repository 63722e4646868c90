using TensorGraph.Autodiff;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Runtime;

namespace TensorGraph.Functions;

/// <summary>
/// What every function-call op shares (PartitionedCall, StatefulPartitionedCall and direct calls
/// whose op type is a library function): inference from the instantiated body, the kernel that
/// runs the body in the session, and the gradient through the call.
/// </summary>
internal static class FunctionCalls
{
    /// <summary>
    /// Outputs of a call of <paramref name="f"/>: <paramref name="declared"/> dtypes (a call's
    /// <c>Tout</c>, else the function's signature) with the shapes the body infers for the call's
    /// input shapes. A body that cannot be built now (an op TensorGraph lacks) leaves the shapes
    /// unknown; running the call reports why.
    /// </summary>
    public static void Infer(InferContext c, NameAttrList f, DType[]? declared)
    {
        var def = FunctionBodies.Find(c.Graph.Library, f.Name)
            ?? throw new NotFoundException($"Function '{f.Name}' is not in the graph's function library");
        var argTypes = FunctionBodies.ArgTypes(def.Signature.InputArg, f.Attr, f.Name);
        if (argTypes.Length != c.NumInputs)
            throw new InvalidArgumentException($"Function '{f.Name}' takes {argTypes.Length} argument(s), the call passes {c.NumInputs}");
        for (int i = 0; i < argTypes.Length; i++)
        {
            if (argTypes[i] != c.InputType(i))
                throw new InvalidArgumentException($"Argument {i} of function '{f.Name}' must be {argTypes[i].Name()}, the call passes {c.InputType(i).Name()} ('{c.Inputs[i].Name}')");
        }
        var outTypes = declared ?? FunctionBodies.ArgTypes(def.Signature.OutputArg, WithDefaults(def, f.Attr), f.Name);
        FunctionBody? body = null;
        try
        {
            body = FunctionBodies.Instantiate(c.Graph, f.Name, f.Attr, [.. c.Inputs.Select(i => i.Shape)]);
        }
        catch (TensorGraphException)
        {
            // Left for the run to report, with the call node named.
        }
        Shape[]? shapes = null;
        if (body is not null && body.Rets.Length == outTypes.Length)
        {
            for (int i = 0; i < outTypes.Length; i++)
            {
                if (body.Rets[i].DType != outTypes[i] && body.Rets[i].DType != DType.Invalid)
                    throw new InvalidArgumentException($"Function '{f.Name}' returns {body.Rets[i].DType.Name()} as result {i}, the call declares {outTypes[i].Name()}");
            }
            shapes = [.. body.Rets.Select(r => r.Shape)];
        }
        else if (body is not null)
        {
            throw new InvalidArgumentException($"Function '{f.Name}' returns {body.Rets.Length} result(s), the call declares {outTypes.Length}");
        }
        for (int i = 0; i < outTypes.Length; i++) c.AddOutput(outTypes[i], shapes?[i] ?? Shape.Unknown);
    }

    private static Dictionary<string, AttrValue> WithDefaults(FunctionDef def, IDictionary<string, AttrValue> attrs)
    {
        var d = new Dictionary<string, AttrValue>(attrs, StringComparer.Ordinal);
        foreach (var a in def.Signature.Attr) if (!d.ContainsKey(a.Name) && a.DefaultValue is not null) d[a.Name] = a.DefaultValue;
        return d;
    }

    /// <summary>The kernel of a call of <paramref name="f"/>: runs the body with the call's inputs, once per execution of the node.</summary>
    public static OpKernel CreateKernel(KernelBuilder b, NameAttrList f)
    {
        var shapes = Enumerable.Range(0, b.Op.NumInputs).Select(b.InputShape).ToArray();
        FunctionCaller caller;
        try
        {
            caller = FunctionRuntime.Bind(b, f, shapes);
        }
        catch (TensorGraphException e) when (e.NodeName is not null)
        {
            // An error about a body node: say which function it is in; the session adds the call node.
            throw Errors.Make(e.Code, $"{e.Message}; in function '{f.Name}'", e);
        }
        return new CallKernel(caller, b.Op.NumInputs);
    }

    private sealed class CallKernel(FunctionCaller caller, int inputs) : OpKernel
    {
        private readonly Tensor[] _args = new Tensor[inputs];

        public override OutputKind GetOutputKind(int output) => OutputKind.External;

        public override void Compute(OpContext ctx)
        {
            for (int i = 0; i < _args.Length; i++) _args[i] = ctx.Input(i);
            Tensor[] results;
            try
            {
                results = caller.Call(_args, ctx);
            }
            finally
            {
                Array.Clear(_args);
            }
            for (int i = 0; i < results.Length; i++) ctx.SetOutput(i, results[i]);
        }
    }

    /// <summary>
    /// The gradient of a call of <paramref name="f"/>. When the library's <c>gradient</c> map names a
    /// gradient function for it, a PartitionedCall of that function on (inputs…, output gradients…)
    /// gives the input gradients, as TF's SymbolicGradient does. Otherwise the body is inlined
    /// beside the call (its arguments read the call's inputs) and differentiated as ordinary ops.
    /// </summary>
    public static Output?[] Gradient(GradContext c, NameAttrList f)
    {
        var g = c.Graph;
        var op = c.Op;
        var dys = new Output[op.NumOutputs];
        var used = new List<int>();
        for (int i = 0; i < dys.Length; i++)
        {
            if (c.Grads[i] is { } d) { dys[i] = d; used.Add(i); }
            else if (IsDifferentiable(op[i].DType)) { dys[i] = g.ZerosLike(op[i]); used.Add(i); }
        }
        var inputs = op.Inputs.ToArray();
        if (FunctionBodies.GradientOf(g.Library, f.Name) is { } gradFn)
        {
            if (used.Count != dys.Length)
                throw new InvalidArgumentException($"Gradient function '{gradFn}' of '{f.Name}' needs a gradient for every output, but output {Enumerable.Range(0, dys.Length).Except(used).First()} of '{op.Name}' has a {op[0].DType.Name()} dtype");
            var grads = g.PartitionedCall([.. inputs, .. dys], new NameAttrList { Name = gradFn, Attr = { f.Attr } }, [.. inputs.Select(x => x.DType)],
                name: "SymbolicGradient");
            return [.. grads.Select(x => (Output?)x)];
        }
        var def = FunctionBodies.Require(g, f.Name);
        var body = FunctionBodies.ToGraphDef(g.Library!, def, f.Attr, [.. inputs.Select(x => x.Shape)]);
        var prefix = g.UniqueName(op.Name.Replace('/', '_') + "_inlined");
        // Each input is seen through its own Identity, so an input passed twice gets the gradient of each use.
        var xs = new Output[inputs.Length];
        var map = new Dictionary<string, Output>(StringComparer.Ordinal);
        for (int i = 0; i < inputs.Length; i++)
        {
            xs[i] = inputs[i].DType == DType.Resource ? inputs[i] : g.Identity(inputs[i], name: $"input_{i}");
            map[body.ArgNodes[i] + ":0"] = xs[i];
        }
        var rets = g.Import(body.GraphDef, prefix, map, body.Rets, source: FunctionBody.SourceLabel(f.Name)).Cast<Output>().ToArray();
        var ys = used.Select(i => rets[i]).ToArray();
        var r = g.Gradients(ys, xs, [.. used.Select(i => dys[i])]);
        return [.. r.Select((x, i) => inputs[i].DType == DType.Resource ? null : x)];
    }

    private static bool IsDifferentiable(DType t) => t is DType.Float32 or DType.Float64;
}
