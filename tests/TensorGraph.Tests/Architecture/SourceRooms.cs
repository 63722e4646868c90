using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.Emit;
using System.Reflection.PortableExecutable;

namespace TensorGraph.Tests.Architecture;

/// <summary>The rooms of docs/ARCHITECTURE.md, from the source folder a type is written in.</summary>
internal enum Room
{
    /// <summary>src/TensorGraph/Core: dtypes, shapes, tensors, errors.</summary>
    Core,
    /// <summary>src/TensorGraph/Building, and the partial class <c>Graph</c> wherever its parts are.</summary>
    Building,
    /// <summary>src/TensorGraph/Runtime: plans, executor, sessions.</summary>
    Runtime,
    /// <summary>src/TensorGraph/Formats: pure codecs.</summary>
    Formats,
    /// <summary>src/TensorGraph/Remote: the client of a <c>grpc://</c> session target.</summary>
    Remote,
    /// <summary>src/TensorGraph/Ops/Framework: OpSpec, registry, shared bases.</summary>
    OpsFramework,
    /// <summary>src/TensorGraph/Ops/&lt;Family&gt;/: op files and family helpers.</summary>
    OpFamily,
    /// <summary>Another folder of src/TensorGraph (Autodiff, Kernels, Serialization, …).</summary>
    Other,
    /// <summary>Generated code (protobuf messages, source generators under obj/) and code with no source file.</summary>
    Generated,
}

/// <summary>
/// Maps each type of an assembly to the source files it is written in, read from the portable
/// PDB (method bodies' documents; types without methods through the PDB's type-document records
/// or the type that declares them), and from those files to its <see cref="Room"/>. A path is
/// taken relative to a root folder, so a fixture folder can hold its own <c>src/TensorGraph/…</c>.
/// An op file is a file under Ops/&lt;Family&gt;/ that defines a concrete <c>OpSpec</c>.
/// </summary>
internal sealed class SourceRooms
{
    private const string Src = "src/TensorGraph/";
    private static readonly Guid TypeDefinitionDocuments = new("932E74BC-DBA9-4478-8D46-0F32A7BAB3D3");

    private readonly Dictionary<string, string[]> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _opFiles = new(StringComparer.Ordinal);
    private readonly HashSet<string> _opTypes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<string>> _literals = new(StringComparer.Ordinal);

    /// <summary>Reads <paramref name="assemblies"/>, each with the root folder its PDB paths are relative to.</summary>
    public SourceRooms(params (Assembly Assembly, string Root)[] assemblies)
    {
        foreach (var (assembly, root) in assemblies)
        {
            Read(assembly, root);
            foreach (var t in assembly.GetTypes())
            {
                if (t.IsAbstract || !typeof(TensorGraph.Ops.OpSpec).IsAssignableFrom(t)) continue;
                foreach (var f in FilesOf(t.FullName!))
                    if (RoomOfFile(f) == Room.OpFamily) _opFiles.Add(f);
                if (t.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes) is { } ctor)
                    _opTypes.Add(((TensorGraph.Ops.OpSpec)ctor.Invoke(null)).Type);
            }
        }
    }

    /// <summary>
    /// The op type names (<c>"MatMul"</c>, also an op's <c>OpType</c> constant, which compiles to
    /// the same literal) that the code of a type holds as string literals.
    /// </summary>
    public IEnumerable<string> OpTypeLiteralsOf(string fullName) =>
        _literals.TryGetValue(Normalize(fullName), out var l) ? l.Where(_opTypes.Contains) : [];

    /// <summary>The source files (relative, '/'-separated) of the type named <paramref name="fullName"/> (reflection spelling, '+' for nesting); empty when unknown.</summary>
    public IReadOnlyList<string> FilesOf(string fullName) => _files.TryGetValue(Normalize(fullName), out var f) ? f : [];

    /// <summary>True for a type this map knows (one of the assemblies read).</summary>
    public bool Knows(string fullName) => _files.ContainsKey(Normalize(fullName));

    /// <summary>
    /// True for <c>Graph</c> and the types nested in it (the small result types of builder
    /// methods, such as <c>Graph.BroadcastAxes</c>): they are Building wherever their parts are.
    /// </summary>
    private static bool IsGraphPart(string name) =>
        name == typeof(Graph).FullName || name.StartsWith(typeof(Graph).FullName + "+", StringComparison.Ordinal);

    /// <summary>The rooms of a type: those of its files; <c>Graph</c> is Building wherever its parts are.</summary>
    public IReadOnlySet<Room> RoomsOf(string fullName)
    {
        var name = Normalize(fullName);
        if (IsGraphPart(name)) return new HashSet<Room> { Room.Building };
        var files = FilesOf(name);
        return files.Count == 0 ? new HashSet<Room> { Room.Generated } : files.Select(RoomOfFile).ToHashSet();
    }

    /// <summary>The op files among the files of a type (none for <c>Graph</c>, whose builder methods sit beside the ops).</summary>
    public IReadOnlyList<string> OpFilesOf(string fullName)
    {
        var name = Normalize(fullName);
        if (IsGraphPart(name)) return [];
        return [.. FilesOf(name).Where(_opFiles.Contains)];
    }

    /// <summary>Every op file found.</summary>
    public IReadOnlyCollection<string> OpFiles => _opFiles;

    /// <summary>A short description of where a type is written: its files, or "no source file".</summary>
    public string Where(string fullName)
    {
        var files = FilesOf(fullName);
        return files.Count == 0 ? "no source file" : string.Join(", ", files);
    }

    public static Room RoomOfFile(string path)
    {
        if (!path.StartsWith(Src, StringComparison.Ordinal)) return Room.Generated;
        var rest = path[Src.Length..];
        int slash = rest.IndexOf('/');
        if (slash < 0) return Room.Other;
        var folder = rest[..slash];
        switch (folder)
        {
            case "Core": return Room.Core;
            case "Building": return Room.Building;
            case "Runtime": return Room.Runtime;
            case "Formats": return Room.Formats;
            case "Remote": return Room.Remote;
            case "obj" or "bin": return Room.Generated;
            case "Ops":
                var sub = rest[(slash + 1)..];
                int s2 = sub.IndexOf('/');
                if (s2 < 0) return Room.Other; // a file directly under Ops/ (TorchStyle.cs)
                return sub[..s2] == "Framework" ? Room.OpsFramework : Room.OpFamily;
            default: return Room.Other;
        }
    }

    /// <summary>A type name in reflection spelling: '+' for nesting, no generic arguments.</summary>
    public static string Normalize(string fullName)
    {
        var n = fullName.Replace('/', '+');
        int cut = n.IndexOfAny(['<', '[']);
        // Compiler-generated names such as "Foo+<>c__DisplayClass1_0" start a segment with '<'.
        if (cut > 0 && n[cut - 1] != '+' && n[cut - 1] != '.') n = n[..cut];
        return n;
    }

    private void Read(Assembly assembly, string root)
    {
        var pdbPath = Path.ChangeExtension(assembly.Location, ".pdb");
        if (!File.Exists(pdbPath)) throw new FileNotFoundException($"No portable PDB beside {assembly.Location}: the room map needs it", pdbPath);
        using var peStream = File.OpenRead(assembly.Location);
        using var pe = new PEReader(peStream);
        var md = pe.GetMetadataReader();
        using var pdbStream = File.OpenRead(pdbPath);
        using var pdbProvider = MetadataReaderProvider.FromPortablePdbStream(pdbStream);
        var pdb = pdbProvider.GetMetadataReader();
        var docs = new Dictionary<DocumentHandle, string>();
        string DocPath(DocumentHandle h)
        {
            if (!docs.TryGetValue(h, out var p))
                docs[h] = p = Relative(pdb.GetString(pdb.GetDocument(h).Name), root);
            return p;
        }

        var byType = new Dictionary<TypeDefinitionHandle, SortedSet<string>>();
        SortedSet<string> Set(TypeDefinitionHandle t) => byType.TryGetValue(t, out var s) ? s : byType[t] = new SortedSet<string>(StringComparer.Ordinal);

        foreach (var mh in md.MethodDefinitions)
        {
            var info = pdb.GetMethodDebugInformation(mh.ToDebugInformationHandle());
            if (info.SequencePointsBlob.IsNil) continue;
            var owner = md.GetMethodDefinition(mh).GetDeclaringType();
            if (!info.Document.IsNil) Set(owner).Add(DocPath(info.Document));
            else
                foreach (var sp in info.GetSequencePoints())
                    if (!sp.Document.IsNil) Set(owner).Add(DocPath(sp.Document));
        }
        foreach (var cdh in pdb.CustomDebugInformation)
        {
            var cdi = pdb.GetCustomDebugInformation(cdh);
            if (cdi.Parent.Kind != HandleKind.TypeDefinition || pdb.GetGuid(cdi.Kind) != TypeDefinitionDocuments) continue;
            var blob = pdb.GetBlobReader(cdi.Value);
            var set = Set((TypeDefinitionHandle)cdi.Parent);
            while (blob.RemainingBytes > 0)
                set.Add(DocPath(MetadataTokens.DocumentHandle(blob.ReadCompressedInteger())));
        }
        foreach (var th in md.TypeDefinitions)
        {
            var files = Files(th);
            _files[Name(md, th)] = [.. files];
        }
        foreach (var mh in md.MethodDefinitions)
        {
            var method = md.GetMethodDefinition(mh);
            if (method.RelativeVirtualAddress == 0) continue;
            var il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes();
            if (il is null) continue;
            var owner = Name(md, method.GetDeclaringType());
            foreach (var literal in StringLiterals(md, il))
            {
                if (!_literals.TryGetValue(owner, out var set)) _literals[owner] = set = new SortedSet<string>(StringComparer.Ordinal);
                set.Add(literal);
            }
        }

        SortedSet<string> Files(TypeDefinitionHandle th)
        {
            if (byType.TryGetValue(th, out var s) && s.Count > 0) return s;
            var declaring = md.GetTypeDefinition(th).GetDeclaringType();
            return declaring.IsNil ? [] : Files(declaring);
        }
    }

    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    /// <summary>The operands of the <c>ldstr</c> instructions of a method body.</summary>
    private static IEnumerable<string> StringLiterals(MetadataReader md, byte[] il)
    {
        for (int i = 0; i < il.Length;)
        {
            short code = il[i] == 0xFE && i + 1 < il.Length ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += code > 0xFF || code < 0 ? 2 : 1;
            if (!Operands.TryGetValue(code, out var operand)) yield break; // not IL we understand: stop rather than misread
            if (operand == OperandType.InlineString)
                yield return md.GetUserString(MetadataTokens.UserStringHandle(BitConverter.ToInt32(il, i) & 0xFFFFFF));
            i += operand switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
        }
    }

    private static string Name(MetadataReader md, TypeDefinitionHandle th)
    {
        var t = md.GetTypeDefinition(th);
        var name = md.GetString(t.Name);
        var declaring = t.GetDeclaringType();
        if (!declaring.IsNil) return Name(md, declaring) + "+" + name;
        var ns = md.GetString(t.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    private static string Relative(string path, string root)
    {
        var p = path.Replace('\\', '/');
        var r = root.Replace('\\', '/').TrimEnd('/') + "/";
        if (p.StartsWith(r, StringComparison.Ordinal)) return p[r.Length..];
        if (p.StartsWith("/_/", StringComparison.Ordinal)) return p[3..]; // deterministic source paths (PathMap)
        return "outside:" + p;
    }
}
