using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using TensorGraph.Ops;
using TensorGraph.Proto;

namespace TensorGraph.Functions;

/// <summary>
/// A <c>FunctionDef</c> instantiated for one set of attrs (and argument shapes) as a graph of its
/// own: one <c>Placeholder</c> per argument tensor (named after the argument, <c>name_i</c> for the
/// elements of a list argument), the body's nodes, and the tensors its <c>ret</c> map returns.
/// <see cref="Targets"/> are the body's stateful nodes (and <c>control_ret</c> nodes), which run
/// on every call whether a return value needs them or not, as TF's function runtime runs them.
/// </summary>
internal sealed class FunctionBody
{
    public required string Name { get; init; }
    public required Graph Graph { get; init; }
    public required Output[] Args { get; init; }
    public required Output[] Rets { get; init; }
    public required Operation[] Targets { get; init; }

    private readonly ConditionalWeakTable<Session, FunctionCaller> _callers = new();

    /// <summary>
    /// The body compiled for <paramref name="session"/>: one caller per body and session, shared by
    /// every call node (and kernel) that runs this instantiation there.
    /// </summary>
    public FunctionCaller CallerFor(Session session) => _callers.GetValue(session, s => new FunctionCaller(this, s));

    /// <summary>The source label the body's nodes carry in errors: <c>[node 'mul' (Mul), from function 'f']</c>.</summary>
    public static string SourceLabel(string function) => $"function '{function}'";
}

/// <summary>
/// The body of a <c>FunctionDef</c> as a <c>GraphDef</c> (TF's <c>InstantiateFunction</c>):
/// attr placeholders bound, <c>node:out_arg:index</c> inputs mapped to output indices by each
/// body op's output arguments (list-valued ones counted from the node's attrs), arguments as
/// placeholders. <see cref="ArgNodes"/> are the placeholder names, <see cref="Rets"/> the returned
/// tensor names (<c>node:k</c>), <see cref="ControlRets"/> the nodes a call must run.
/// </summary>
internal sealed record FunctionGraphDef(GraphDef GraphDef, string[] ArgNodes, DType[] ArgTypes, string[] Rets, DType[] RetTypes, string[] ControlRets);

/// <summary>Finding functions in a library and turning them into graphs.</summary>
internal static class FunctionBodies
{
    private static readonly ConditionalWeakTable<FunctionDefLibrary, ConcurrentDictionary<string, FunctionBody>> Cache = new();

    [ThreadStatic] private static int t_depth;

    /// <summary>The function named <paramref name="name"/> in <paramref name="library"/>, or null.</summary>
    public static FunctionDef? Find(FunctionDefLibrary? library, string name) =>
        library?.Function.FirstOrDefault(f => f.Signature?.Name == name);

    /// <summary>The gradient function the library's <c>gradient</c> map names for <paramref name="function"/>, or null.</summary>
    public static string? GradientOf(FunctionDefLibrary? library, string function) =>
        library?.Gradient.FirstOrDefault(g => g.FunctionName == function)?.GradientFunc is { Length: > 0 } g ? g : null;

    /// <summary>The function <paramref name="name"/> of <paramref name="graph"/>'s library, or a NotFound error.</summary>
    public static FunctionDef Require(Graph graph, string name) =>
        Find(graph.Library, name) ?? throw new NotFoundException($"Function '{name}' is not in the graph's function library");

    /// <summary>
    /// The body of function <paramref name="name"/> of <paramref name="graph"/>'s library for
    /// <paramref name="attrs"/>, with arguments of <paramref name="argShapes"/> (unknown when null),
    /// built once per library, function, attrs and shapes.
    /// </summary>
    public static FunctionBody Instantiate(Graph graph, string name, IReadOnlyDictionary<string, AttrValue> attrs, IReadOnlyList<Shape>? argShapes)
    {
        var library = graph.Library ?? throw new NotFoundException($"Function '{name}' is not in the graph's function library (the graph has none)");
        var key = Key(name, attrs, argShapes);
        var cache = Cache.GetOrCreateValue(library);
        if (cache.TryGetValue(key, out var body)) return body;
        if (t_depth > 64) throw new InvalidArgumentException($"Function '{name}' calls itself (or nests calls more than 64 deep)");
        t_depth++;
        try
        {
            var def = ToGraphDef(library, Require(graph, name), attrs, argShapes);
            var g = new Graph { Library = library };
            var ret = g.Import(def.GraphDef, returnElements: [.. def.ArgNodes.Select(a => a + ":0"), .. def.Rets, .. def.ControlRets],
                source: FunctionBody.SourceLabel(name));
            var args = ret.Take(def.ArgNodes.Length).Cast<Output>().ToArray();
            var rets = ret.Skip(def.ArgNodes.Length).Take(def.Rets.Length).Cast<Output>().ToArray();
            var controls = ret.Skip(def.ArgNodes.Length + def.Rets.Length).Cast<Operation>();
            var argOps = args.Select(a => a.Op).ToHashSet();
            var targets = g.Operations.Where(o => o.Spec.IsStateful && !argOps.Contains(o)).Concat(controls).Distinct().ToArray();
            body = new FunctionBody { Name = name, Graph = g, Args = args, Rets = rets, Targets = targets };
            return cache.GetOrAdd(key, body);
        }
        finally
        {
            t_depth--;
        }
    }

    private static string Key(string name, IReadOnlyDictionary<string, AttrValue> attrs, IReadOnlyList<Shape>? shapes)
    {
        var sb = new StringBuilder(name);
        foreach (var (k, v) in attrs.OrderBy(p => p.Key, StringComparer.Ordinal)) sb.Append('|').Append(k).Append('=').Append(v);
        sb.Append('#');
        if (shapes is not null) foreach (var s in shapes) sb.Append(s).Append(';');
        return sb.ToString();
    }

    /// <summary>The dtypes the arguments <paramref name="args"/> of <paramref name="function"/> stand for, with <paramref name="attrs"/> bound.</summary>
    public static DType[] ArgTypes(IEnumerable<OpDef.Types.ArgDef> args, IReadOnlyDictionary<string, AttrValue> attrs, string function)
    {
        var types = new List<DType>();
        foreach (var a in args) types.AddRange(ExpandArg(a, attrs, function));
        return [.. types];
    }

    private static DType[] ExpandArg(OpDef.Types.ArgDef a, IReadOnlyDictionary<string, AttrValue> attrs, string function)
    {
        AttrValue Get(string attr) => attrs.TryGetValue(attr, out var v) ? v
            : throw new InvalidArgumentException($"Function '{function}': attr '{attr}' of argument '{a.Name}' is not bound");
        if (a.TypeListAttr.Length > 0) return [.. (Get(a.TypeListAttr).List?.Type ?? []).Select(t => (DType)(int)t)];
        var t = a.Type != DataType.DtInvalid ? (DType)(int)a.Type : (DType)(int)Get(a.TypeAttr).Type;
        if (a.NumberAttr.Length == 0) return [t];
        var n = checked((int)Get(a.NumberAttr).I);
        return [.. Enumerable.Repeat(t, n)];
    }

    /// <summary>Binds attr placeholders (<c>placeholder: "T"</c>) in <paramref name="value"/>, also inside function-valued attrs.</summary>
    private static AttrValue Bind(AttrValue value, IReadOnlyDictionary<string, AttrValue> attrs, string function, string node)
    {
        if (value.ValueCase == AttrValue.ValueOneofCase.Placeholder)
        {
            return attrs.TryGetValue(value.Placeholder, out var v) ? v.Clone()
                : throw new InvalidArgumentException($"Function '{function}': node '{node}' reads attr '{value.Placeholder}', which the call does not bind");
        }
        if (value.ValueCase == AttrValue.ValueOneofCase.Func && value.Func.Attr.Values.Any(IsPlaceholder))
        {
            var f = value.Clone();
            foreach (var k in f.Func.Attr.Keys.ToArray()) f.Func.Attr[k] = Bind(f.Func.Attr[k], attrs, function, node);
            return f;
        }
        return value;
    }

    private static bool IsPlaceholder(AttrValue v) => v.ValueCase == AttrValue.ValueOneofCase.Placeholder;

    /// <summary>The OpDef of op type <paramref name="type"/>: a registered op's or a library function's signature.</summary>
    private static OpDef? DefOf(FunctionDefLibrary library, string type) =>
        OpCatalog.TryGetOpDef(type, out var def) ? def : Find(library, type)?.Signature;

    /// <summary>See <see cref="FunctionGraphDef"/>.</summary>
    public static FunctionGraphDef ToGraphDef(FunctionDefLibrary library, FunctionDef function, IReadOnlyDictionary<string, AttrValue> callAttrs,
        IReadOnlyList<Shape>? argShapes)
    {
        var sig = function.Signature;
        var name = sig.Name;
        // The function's declared attr defaults apply where the call binds nothing.
        var attrs = new Dictionary<string, AttrValue>(callAttrs, StringComparer.Ordinal);
        foreach (var a in sig.Attr) if (!attrs.ContainsKey(a.Name) && a.DefaultValue is not null) attrs[a.Name] = a.DefaultValue;

        var gd = new GraphDef { Versions = new VersionDef { Producer = Graph.GraphDefVersion } };
        // Argument name → placeholder node names (one per tensor of the argument).
        var argNodes = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var argNodeList = new List<string>();
        var argTypes = new List<DType>();
        int position = 0;
        foreach (var a in sig.InputArg)
        {
            var types = ExpandArg(a, attrs, name);
            bool list = a.NumberAttr.Length > 0 || a.TypeListAttr.Length > 0;
            var names = new string[types.Length];
            for (int i = 0; i < types.Length; i++)
            {
                names[i] = list ? $"{a.Name}_{i}" : a.Name;
                var shape = argShapes is not null && position < argShapes.Count ? argShapes[position] : Shape.Unknown;
                var ph = new NodeDef { Name = names[i], Op = PlaceholderOpType };
                ph.Attr["dtype"] = Attr.Type(types[i]);
                ph.Attr["shape"] = Attr.Shape(shape);
                gd.Node.Add(ph);
                argNodeList.Add(names[i]);
                argTypes.Add(types[i]);
                position++;
            }
            argNodes[a.Name] = names;
        }

        var nodes = function.NodeDef.ToDictionary(n => n.Name, StringComparer.Ordinal);
        // Node name → its output arguments' (first output index, tensor count), TF's output index.
        var offsets = new Dictionary<string, Dictionary<string, (int Start, int Count)>>(StringComparer.Ordinal);
        Dictionary<string, (int Start, int Count)> OffsetsOf(NodeDef n)
        {
            if (offsets.TryGetValue(n.Name, out var o)) return o;
            o = new Dictionary<string, (int Start, int Count)>(StringComparer.Ordinal);
            var def = DefOf(library, n.Op);
            if (def is not null)
            {
                var nodeAttrs = new Dictionary<string, AttrValue>(StringComparer.Ordinal);
                foreach (var ad in def.Attr) if (ad.DefaultValue is not null) nodeAttrs[ad.Name] = ad.DefaultValue;
                foreach (var (k, v) in n.Attr) nodeAttrs[k] = Bind(v, attrs, name, n.Name);
                int start = 0;
                foreach (var oa in def.OutputArg)
                {
                    int count = ExpandArg(oa, nodeAttrs, name).Length;
                    o[oa.Name] = (start, count);
                    start += count;
                }
            }
            offsets[n.Name] = o;
            return o;
        }

        // The tensors an input names, as TF's function instantiation indexes them: 'arg' (every
        // tensor of the argument), 'arg:i' (one element of a list argument), 'node:out_arg' (every
        // tensor of a node's output argument), 'node:out_arg:i' (one of them); '^node' is a control input.
        string[] Resolve(string input, string consumer)
        {
            if (input.StartsWith('^'))
            {
                var src = input[1..];
                return [argNodes.TryGetValue(src, out var an) && an.Length > 0 ? "^" + an[0] : "^" + src];
            }
            var parts = input.Split(':');
            if (parts.Length == 1)
            {
                if (argNodes.TryGetValue(input, out var an)) return an;
                if (nodes.ContainsKey(input)) return [input];
                throw BadInput(input, consumer, name);
            }
            if (parts.Length == 2 && argNodes.TryGetValue(parts[0], out var listArg))
            {
                int k = ParseIndex(parts[1], input, consumer, name);
                return k < listArg.Length ? [listArg[k]] : throw BadInput(input, consumer, name);
            }
            if (parts.Length is not (2 or 3) || !nodes.TryGetValue(parts[0], out var producer)) throw BadInput(input, consumer, name);
            int? idx = parts.Length == 3 ? ParseIndex(parts[2], input, consumer, name) : null;
            var offs = OffsetsOf(producer);
            if (offs.Count == 0)
            {
                // An op TensorGraph does not know: a single output is counted as read, a whole list cannot be.
                return idx is { } i ? [$"{parts[0]}:{i}"]
                    : throw new InvalidArgumentException($"Function '{name}': node '{consumer}' reads the whole output list '{input}' of '{parts[0]}', whose op type {producer.Op} TensorGraph does not know");
            }
            if (!offs.TryGetValue(parts[1], out var range))
                throw new InvalidArgumentException($"Function '{name}': node '{consumer}' reads '{input}', but '{parts[0]}' ({producer.Op}) has no output argument '{parts[1]}'");
            if (idx is { } j)
            {
                return j < range.Count ? [$"{parts[0]}:{range.Start + j}"]
                    : throw new InvalidArgumentException($"Function '{name}': node '{consumer}' reads '{input}', but output argument '{parts[1]}' of '{parts[0]}' has {range.Count} tensor(s)");
            }
            return [.. Enumerable.Range(range.Start, range.Count).Select(i => $"{parts[0]}:{i}")];
        }

        foreach (var n in function.NodeDef)
        {
            var node = new NodeDef { Name = n.Name, Op = n.Op, Device = n.Device };
            foreach (var i in n.Input) node.Input.Add(Resolve(i, n.Name));
            foreach (var (k, v) in n.Attr) node.Attr[k] = Bind(v, attrs, name, n.Name);
            gd.Node.Add(node);
        }

        var rets = new List<string>();
        var retTypes = new List<DType>();
        foreach (var o in sig.OutputArg)
        {
            var types = ExpandArg(o, attrs, name);
            if (!function.Ret.TryGetValue(o.Name, out var r))
                throw new InvalidArgumentException($"Function '{name}': output '{o.Name}' has no entry in the ret map");
            // A list-valued output is one ret entry naming the whole list ('node:out_arg' or a list argument).
            var ret = Resolve(r, "ret");
            if (ret.Length != types.Length)
                throw new InvalidArgumentException($"Function '{name}': output '{o.Name}' stands for {types.Length} tensor(s), but its ret '{r}' names {ret.Length}");
            // An argument returned as it is resolves to its placeholder's bare name: name its output.
            foreach (var t in ret) rets.Add(t.Contains(':') ? t : t + ":0");
            retTypes.AddRange(types);
        }
        var controls = function.ControlRet.Values.Select(c => argNodes.TryGetValue(c, out var an) ? an[0] : c).ToArray();
        return new FunctionGraphDef(gd, [.. argNodeList], [.. argTypes], [.. rets], [.. retTypes], controls);
    }

    /// <summary>The Placeholder op type, spelled once here (the body's arguments are placeholders).</summary>
    private static string PlaceholderOpType => PlaceholderSpec.OpType;

    private static int ParseIndex(string s, string input, string consumer, string function) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int k) ? k : throw BadInput(input, consumer, function);

    private static InvalidArgumentException BadInput(string input, string consumer, string function) =>
        new($"Function '{function}': node '{consumer}' has input '{input}', which names no argument or node output of the function (expected 'arg', 'node:out_arg:index' or '^node')");
}
