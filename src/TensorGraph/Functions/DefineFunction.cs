using System.Text.RegularExpressions;
using TensorGraph.Functions;
using TensorGraph.Ops;
using TensorGraph.Proto;

namespace TensorGraph
{
    /// <summary>
    /// A function of a graph's library defined with <see cref="Graph.DefineFunction"/> (TF1's
    /// <c>@function.Defun</c>). <c>Call</c> adds a call node whose op type is the function's
    /// name, as Defun does.
    /// </summary>
    public sealed class GraphFunction
    {
        internal GraphFunction(Graph graph, FunctionDef definition)
        {
            Graph = graph;
            Definition = definition;
        }

        /// <summary>The graph whose library holds the function.</summary>
        public Graph Graph { get; }

        /// <summary>The function's name (its op type in call nodes).</summary>
        public string Name => Definition.Signature.Name;

        /// <summary>The function as TF encodes it (signature, body nodes, ret map); a copy.</summary>
        public FunctionDef ToFunctionDef() => Definition.Clone();

        internal FunctionDef Definition { get; }

        /// <summary>Adds a call of the function on <paramref name="args"/> (node name: the function's name, made unique) and returns its results.</summary>
        public Output[] Call(params Output[] args) => Call(args, null);

        /// <summary>Adds a call of the function on <paramref name="args"/> named <paramref name="name"/> and returns its results.</summary>
        public Output[] Call(Output[] args, string? name)
        {
            ArgumentNullException.ThrowIfNull(args);
            // Inside the body of another function the call is built on that body's graph, which shares this library.
            var graph = args.Length > 0 && args[0].Op is { } first ? first.Graph : Graph;
            if (!ReferenceEquals(graph.Library, Graph.Library))
                throw new InvalidArgumentException($"Function '{Name}' is not in the library of the graph its arguments belong to");
            return graph.AddOp(Name, args, name).Outputs;
        }
    }

    public sealed partial class Graph
    {
        /// <summary>
        /// Defines library function <paramref name="name"/> (TF1's <c>@function.Defun</c>):
        /// <paramref name="body"/> builds the body on a graph of its own from one placeholder per
        /// input (dtypes <paramref name="inputTypes"/>, shapes <paramref name="inputShapes"/> or
        /// unknown, named <paramref name="argNames"/> or <c>arg0</c>, <c>arg1</c>, …) and returns the
        /// results. The body is encoded as TF's <c>graph_to_function_def</c> does (signature arguments
        /// named after the placeholders and the result tensors, <c>node:out_arg:index</c> inputs,
        /// the ret map) and added to <see cref="Library"/>. The body may call functions already in
        /// the library; it cannot read tensors of this graph (pass them as inputs).
        /// </summary>
        public GraphFunction DefineFunction(string name, DType[] inputTypes, Func<Graph, Output[], Output[]> body,
            Shape[]? inputShapes = null, string[]? argNames = null)
        {
            ArgumentNullException.ThrowIfNull(name);
            ArgumentNullException.ThrowIfNull(inputTypes);
            ArgumentNullException.ThrowIfNull(body);
            if (!FunctionNameRegex.IsMatch(name)) throw new InvalidArgumentException($"'{name}' is not a valid function name");
            if (OpRegistry.TryGet(name, out _)) throw new InvalidArgumentException($"Function name '{name}' is the name of an op");
            if (inputShapes is not null && inputShapes.Length != inputTypes.Length) throw new InvalidArgumentException("inputShapes must have one shape per input");
            if (argNames is not null && argNames.Length != inputTypes.Length) throw new InvalidArgumentException("argNames must have one name per input");
            var library = Library ??= new FunctionDefLibrary();
            if (FunctionBodies.Find(library, name) is not null) throw new InvalidArgumentException($"The function library already has a function named '{name}'");
            var fg = new Graph { Library = library };
            var args = new Output[inputTypes.Length];
            for (int i = 0; i < args.Length; i++) args[i] = fg.Placeholder(inputTypes[i], inputShapes?[i], argNames?[i] ?? $"arg{i}");
            var results = body(fg, args) ?? throw new InvalidArgumentException($"The body of function '{name}' returned null");
            foreach (var r in results)
            {
                if (r.Op is null || !ReferenceEquals(r.Op.Graph, fg))
                    throw new InvalidArgumentException($"The body of function '{name}' must return tensors it built on the graph it was given");
            }
            var def = FunctionDefs.FromGraph(fg, name, args, results);
            library.Function.Add(def);
            return new GraphFunction(this, def);
        }

        private static readonly Regex FunctionNameRegex = new("^[A-Za-z_][A-Za-z0-9_.\\-]*$", RegexOptions.Compiled);
    }
}

namespace TensorGraph.Functions
{
    /// <summary>A graph as a <c>FunctionDef</c>, as TF's <c>graph_to_function_def.py</c> encodes it.</summary>
    internal static class FunctionDefs
    {
        /// <summary>TF's <c>_make_argname_from_tensor_name</c>: <c>mul:0</c> → <c>mul</c>, <c>split:1</c> → <c>split_o1</c>.</summary>
        public static string ArgName(string tensorName) => Regex.Replace(tensorName, ":0$", "").Replace(":", "_o", StringComparison.Ordinal);

        /// <summary>
        /// The FunctionDef of the ops of <paramref name="graph"/> with arguments <paramref name="inputs"/>
        /// (placeholders) and results <paramref name="outputs"/>: each placeholder is an input
        /// argument, each result an output argument (names made unique with <c>_U0</c>, <c>_U1</c>, …
        /// as TF's <c>_tensor_to_argdef</c> does), every other op a node whose data inputs are the
        /// argument names or <c>producer:output_arg:index</c>.
        /// </summary>
        public static FunctionDef FromGraph(Graph graph, string name, Output[] inputs, Output[] outputs)
        {
            var used = new HashSet<string>(StringComparer.Ordinal);
            var f = new FunctionDef { Signature = new OpDef { Name = name } };
            var inputNames = new Dictionary<Output, string>();
            foreach (var i in inputs)
            {
                var arg = ArgDef(i, used);
                f.Signature.InputArg.Add(arg);
                inputNames[i] = arg.Name;
            }
            var placeholders = inputs.Select(i => i.Op).ToHashSet();
            bool stateful = false;
            foreach (var op in graph.Operations)
            {
                if (placeholders.Contains(op)) continue;
                if (op.IsInert) throw new InvalidArgumentException($"Function '{name}' cannot hold node '{op.Name}' ({op.Type}): {op.InertReason}");
                stateful |= op.Spec.IsStateful;
                var n = op.ToNodeDef();
                n.Input.Clear();
                foreach (var t in op.Inputs) n.Input.Add(TensorRef(t, inputNames));
                foreach (var c in op.ControlInputs) n.Input.Add("^" + c.Name);
                f.NodeDef.Add(n);
            }
            foreach (var o in outputs)
            {
                var arg = ArgDef(o, used);
                f.Signature.OutputArg.Add(arg);
                f.Ret[arg.Name] = TensorRef(o, inputNames);
            }
            f.Signature.IsStateful = stateful;
            return f;
        }

        private static OpDef.Types.ArgDef ArgDef(Output t, HashSet<string> used)
        {
            var name = ArgName(t.Name);
            if (used.Contains(name))
            {
                int i = 0;
                while (used.Contains($"{name}_U{i}")) i++;
                name = $"{name}_U{i}";
            }
            used.Add(name);
            return new OpDef.Types.ArgDef { Name = name, Type = t.DType.ToProto() };
        }

        /// <summary>An argument's name, or <c>producer:output_arg:index</c> for output <c>k</c> of a node.</summary>
        private static string TensorRef(Output t, Dictionary<Output, string> inputNames)
        {
            if (inputNames.TryGetValue(t, out var a)) return a;
            var op = t.Op;
            int start = 0;
            foreach (var arg in op.Spec.Outputs)
            {
                int count = arg.Count(op.AttrMap) ?? 1;
                if (t.Index < start + count) return $"{op.Name}:{arg.Name}:{t.Index - start}";
                start += count;
            }
            throw new InternalException($"Output {t.Index} of '{op.Name}' ({op.Type}) is not among its declared outputs");
        }
    }
}
