using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace TensorGraph;

/// <summary>
/// Where an operation came from: the line of the user's code that built it, or, for a node
/// imported from a graph file, that file and the node's name in it.
/// </summary>
/// <remarks>
/// Nodes built by code capture only the calling method and IL offset (a stack walk without file
/// information); the file and line are read from the method's portable PDB the first time they
/// are asked for, which is when an error message cites them.
/// </remarks>
public sealed class SourceLocation
{
    private static readonly Assembly Self = typeof(SourceLocation).Assembly;

    private static readonly ConcurrentDictionary<Assembly, bool> SkippedAssemblies = new();

    private readonly MethodBase? _method;
    private readonly int _ilOffset;
    private string _file = "";
    private int _line;
    private string? _member;
    private volatile bool _resolved;

    /// <summary>A location in source code.</summary>
    /// <param name="file">Source file path (may be empty when symbols are unavailable).</param>
    /// <param name="line">1-based line number, 0 when unknown.</param>
    /// <param name="member">Calling method name.</param>
    public SourceLocation(string file, int line, string member)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(member);
        _file = file;
        _line = line;
        _member = member;
        _resolved = true;
    }

    private SourceLocation(MethodBase method, int ilOffset)
    {
        _method = method;
        _ilOffset = ilOffset;
    }

    private SourceLocation(string graphFile, string graphNode)
    {
        _file = graphFile;
        _member = graphNode;
        GraphNode = graphNode;
        _resolved = true;
    }

    /// <summary>Source file path (empty when symbols are unavailable); for an imported node, the graph file.</summary>
    public string File
    {
        get
        {
            Resolve();
            return _file;
        }
    }

    /// <summary>1-based line number, 0 when unknown (always 0 for an imported node).</summary>
    public int Line
    {
        get
        {
            Resolve();
            return _line;
        }
    }

    /// <summary>Calling method name (<c>Type.Method</c>); for an imported node, its name in the graph file.</summary>
    public string Member => _member ??= (_method!.DeclaringType?.Name is { } t ? t + "." : "") + _method.Name;

    /// <summary>For a node imported from a graph file, its name in that file (before any import prefix); null for nodes built by code.</summary>
    public string? GraphNode { get; }

    /// <summary>True for a node imported from a graph file.</summary>
    public bool IsImported => GraphNode is not null;

    /// <summary>Short form used in error messages: <c>Program.cs:42</c>, or the graph file of an imported node.</summary>
    public override string ToString()
    {
        if (IsImported) return _file;
        return Line > 0 ? $"{Path.GetFileName(File)}:{Line}" : Member;
    }

    /// <summary>
    /// What error messages say after the node: <c>defined at Program.cs:42</c>, or
    /// <c>from model.pb</c> for an imported node (plus its name in the file when an import prefix changed it).
    /// </summary>
    public string Describe(string? nodeName = null) =>
        !IsImported ? $"defined at {this}"
        : nodeName is null || nodeName == GraphNode ? $"from {_file}"
        : $"from {_file}, node '{GraphNode}'";

    /// <summary><c>, defined at …</c> / <c>, from …</c>, or nothing when <paramref name="loc"/> is null.</summary>
    internal static string Suffix(SourceLocation? loc, string? nodeName = null) => loc is null ? "" : ", " + loc.Describe(nodeName);

    /// <summary>The origin of a node imported from <paramref name="graphFile"/> where it is named <paramref name="graphNode"/>.</summary>
    internal static SourceLocation Imported(string graphFile, string graphNode) => new(graphFile, graphNode);

    /// <summary>The first stack frame outside TensorGraph and the runtime's own assemblies, or null.</summary>
    internal static SourceLocation? Capture()
    {
        var st = new StackTrace(2, false);
        for (int i = 0; i < st.FrameCount; i++)
        {
            var f = st.GetFrame(i);
            var m = f?.GetMethod();
            if (m is null) continue;
            var asm = m.DeclaringType?.Assembly ?? m.Module.Assembly;
            if (asm == Self || SkippedAssemblies.GetOrAdd(asm, IsRuntimeAssembly)) continue;
            return new SourceLocation(m, f!.GetILOffset());
        }
        return null;
    }

    private static bool IsRuntimeAssembly(Assembly asm) =>
        asm.GetName().Name is { } n && (n.StartsWith("System.", StringComparison.Ordinal) || n == "System");

    private void Resolve()
    {
        if (_resolved) return;
        var (file, line) = Symbols.Lookup(_method!, _ilOffset);
        _file = file;
        _line = line;
        _resolved = true;
    }

    /// <summary>File and line of an IL offset, read from portable PDBs (beside the assembly or embedded), cached per module.</summary>
    private static class Symbols
    {
        private static readonly ConcurrentDictionary<Module, MetadataReaderProvider?> Providers = new();

        public static (string File, int Line) Lookup(MethodBase method, int ilOffset)
        {
            if (ilOffset < 0) return ("", 0);
            try
            {
                if (Providers.GetOrAdd(method.Module, Open) is not { } provider) return ("", 0);
                var reader = provider.GetMetadataReader();
                var info = reader.GetMethodDebugInformation(MetadataTokens.MethodDefinitionHandle(method.MetadataToken));
                SequencePoint? best = null;
                foreach (var sp in info.GetSequencePoints())
                {
                    if (sp.Offset > ilOffset) break;
                    if (!sp.IsHidden) best = sp;
                }
                if (best is not { } b || b.Document.IsNil) return ("", 0);
                return (reader.GetString(reader.GetDocument(b.Document).Name), b.StartLine);
            }
            catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException
                or InvalidOperationException or ArgumentException or NotSupportedException)
            {
                return ("", 0);
            }
        }

        private static MetadataReaderProvider? Open(Module module)
        {
            try
            {
                var path = module.Assembly.Location;
                if (string.IsNullOrEmpty(path) || !System.IO.File.Exists(path)) return null;
                using var pe = new PEReader(System.IO.File.OpenRead(path));
                return pe.TryOpenAssociatedPortablePdb(path, p => System.IO.File.Exists(p) ? System.IO.File.OpenRead(p) : null, out var provider, out _)
                    ? provider : null;
            }
            catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
            {
                return null;
            }
        }
    }
}
