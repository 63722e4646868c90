using System.Runtime.CompilerServices;
using System.Text;

namespace TensorGraph.Keras;

/// <summary>
/// tf.keras 1.15's backend in graph mode: one default <see cref="Graph"/> that layers, inputs and
/// models are built in, one <see cref="Session"/> per graph, per-graph name counters
/// (<c>dense</c>, <c>dense_1</c>, …) and the <c>keras_learning_phase</c> placeholder.
/// </summary>
public static partial class Backend
{
    private sealed class GraphState
    {
        public readonly Dictionary<string, int> Names = [];
        public readonly Dictionary<string, int> Uids = [];
        public Output? LearningPhase;
        public Session? Session;
        public readonly HashSet<Variable> Initialized = [];
    }

    private static readonly Lock Gate = new();
    private static readonly ConditionalWeakTable<Graph, GraphState> States = new();
    private static Graph? _graph;
    private static int? _seed;

    /// <summary>The fuzz factor Keras clips probabilities with (<c>K.epsilon()</c>, 1e-7).</summary>
    public const double Epsilon = 1e-7;

    /// <summary>The graph new layers, inputs and models are built in (<c>K.get_graph()</c>).</summary>
    public static Graph Graph
    {
        get
        {
            lock (Gate) return _graph ??= new Graph { Seed = _seed };
        }
    }

    /// <summary>
    /// Starts a new default graph and forgets the name counters (<c>K.clear_session()</c>); the
    /// new graph gets the graph-level random seed <paramref name="seed"/> when given.
    /// </summary>
    public static void ClearSession(int? seed = null)
    {
        lock (Gate)
        {
            _seed = seed;
            _graph = new Graph { Seed = seed };
        }
    }

    /// <summary>
    /// The session that runs <paramref name="graph"/> (<c>K.get_session()</c>), created on first use
    /// with soft placement allowed, as Keras's <c>get_default_session_config</c> makes it.
    /// </summary>
    public static Session GetSession(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var st = State(graph);
        lock (Gate) return st.Session ??= new Session(graph, new SessionOptions { AllowSoftPlacement = true });
    }

    /// <summary>Runs the initializers of the variables of <paramref name="graph"/> that the session has not yet initialized.</summary>
    internal static void InitializeVariables(Graph graph, IEnumerable<Variable> variables)
    {
        var done = State(graph).Initialized;
        Operation[] fresh;
        lock (Gate) fresh = [.. variables.Where(done.Add).Select(v => v.Initializer)];
        if (fresh.Length > 0) GetSession(graph).Run(fresh);
    }

    /// <summary>Marks variables as holding values (restored from a checkpoint) so that they are not initialized over.</summary>
    internal static void MarkInitialized(Graph graph, IEnumerable<Variable> variables)
    {
        var done = State(graph).Initialized;
        lock (Gate) foreach (var v in variables) done.Add(v);
    }

    /// <summary>
    /// The learning phase of <paramref name="graph"/> (<c>K.learning_phase()</c>): a bool
    /// <c>PlaceholderWithDefault(False)</c> named <c>keras_learning_phase</c> at the root scope,
    /// made once per graph; training feeds true.
    /// </summary>
    public static Output LearningPhase(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var st = State(graph);
        if (st.LearningPhase is { } lp) return lp;
        using (graph.NameScope(null))
        using (graph.ControlDependencies((Operation[]?)null))
        {
            var def = graph.Constant(Tensor.Scalar(false), name: "keras_learning_phase/input");
            st.LearningPhase = graph.PlaceholderWithDefault(def, Shape.Scalar, name: "keras_learning_phase");
        }
        return st.LearningPhase.Value;
    }

    /// <summary>
    /// A zero-based unique name per graph (<c>unique_object_name(..., zero_based=True)</c>):
    /// <c>dense</c>, <c>dense_1</c>, …
    /// </summary>
    internal static string UniqueObjectName(string baseName, Graph? graph = null)
    {
        var st = State(graph ?? Graph);
        lock (Gate)
        {
            st.Names.TryGetValue(baseName, out int n);
            st.Names[baseName] = n + 1;
            return n == 0 ? baseName : $"{baseName}_{n}";
        }
    }

    /// <summary>A one-based uid per graph and prefix (<c>K.get_uid</c>): 1, 2, …</summary>
    internal static int GetUid(string prefix, Graph? graph = null)
    {
        var st = State(graph ?? Graph);
        lock (Gate)
        {
            st.Uids.TryGetValue(prefix, out int n);
            st.Uids[prefix] = n + 1;
            return n + 1;
        }
    }

    /// <summary>Keras's <c>to_snake_case</c>: <c>MaxPooling2D</c> → <c>max_pooling2d</c>, <c>Conv2D</c> → <c>conv2d</c>.</summary>
    public static string ToSnakeCase(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        // re.sub('(.)([A-Z][a-z0-9]+)', r'\1_\2', name); re.sub('([a-z])([A-Z])', r'\1_\2', ...).lower()
        var s1 = System.Text.RegularExpressions.Regex.Replace(name, "(.)([A-Z][a-z0-9]+)", "$1_$2");
        var s2 = System.Text.RegularExpressions.Regex.Replace(s1, "([a-z])([A-Z])", "$1_$2").ToLowerInvariant();
        if (s2.Length > 0 && s2[0] != '_') return s2;
        var sb = new StringBuilder("private").Append(s2);
        return sb.ToString();
    }

    private static GraphState State(Graph g)
    {
        lock (Gate) return States.GetValue(g, _ => new GraphState());
    }
}
