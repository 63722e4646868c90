using System.Text;
using System.Text.RegularExpressions;
using TensorGraph.Ops;
using TensorGraph.Proto;
using TensorGraph.Tests.Serialization;

namespace TensorGraph.Tests.Ops;

/// <summary>
/// The OpDefs exported from the declared schemas, checked against the TF 1.15 op catalog in
/// ../shared/reference/tf-ops.md: for every registered op the catalog lists, the input and output
/// argument names and order and the attr names (ignoring attrs added after 1.15) must match.
/// </summary>
public class OpDefCatalogTests
{
    private static Dictionary<string, CatalogOp>? _catalog;

    private static Dictionary<string, CatalogOp> Catalog => _catalog ??= TfOpCatalog.Parse(
        File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "..", "shared", "reference", "tf-ops.md")));

    [Test]
    public void CatalogParsesTheOpsItLists()
    {
        // Guards the parser: a format change that loses ops or arguments fails here, not silently.
        Assert.That(Catalog, Has.Count.GreaterThan(140));
        Assert.That(Catalog["MatMul"].Inputs, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(Catalog["MatMul"].Attrs, Is.EquivalentTo(new[] { "transpose_a", "transpose_b", "T" }));
        Assert.That(Catalog["Sum"].Inputs, Is.EqualTo(new[] { "input", "reduction_indices" }));
        Assert.That(Catalog["Sqrt"].Outputs, Is.EqualTo(new[] { "y" }));
        Assert.That(Catalog["ApplyAdam"].Inputs, Has.Length.EqualTo(10));
        Assert.That(Catalog["ApplyAdam"].Attrs, Is.EquivalentTo(new[] { "T", "use_locking", "use_nesterov" }));
        Assert.That(Catalog["Merge"].Outputs, Is.EqualTo(new[] { "output", "value_index" }));
        Assert.That(Catalog["Conv2DBackpropInput"].Attrs, Is.EquivalentTo(Catalog["Conv2D"].Attrs!));
        Assert.That(Catalog["MaxPoolGrad"].Attrs, Is.EquivalentTo(new[] { "ksize", "strides", "padding", "data_format", "T" }));
    }

    [Test]
    public void OpDefsMatchTheCatalog()
    {
        var mismatches = new List<string>();
        int compared = 0;
        foreach (var type in OpCatalog.OpTypes)
        {
            if (!Catalog.TryGetValue(type, out var tf)) continue;
            compared++;
            var def = OpCatalog.GetOpDef(type);
            Compare(mismatches, type, "inputs", tf.Inputs, def.InputArg.Select(a => a.Name).ToArray());
            Compare(mismatches, type, "outputs", tf.Outputs, def.OutputArg.Select(a => a.Name).ToArray());
            if (tf.Attrs is { } attrs)
            {
                var ours = def.Attr.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
                var missing = attrs.Where(a => !ours.Contains(a)).ToArray();
                var extra = ours.Where(a => !attrs.Contains(a)).ToArray();
                if (missing.Length > 0 || extra.Length > 0)
                    mismatches.Add($"{type} attrs: TF has [{string.Join(", ", attrs)}], OpDef has [{string.Join(", ", def.Attr.Select(a => a.Name))}]"
                        + (missing.Length > 0 ? $"; missing {string.Join(", ", missing)}" : "") + (extra.Length > 0 ? $"; extra {string.Join(", ", extra)}" : ""));
            }
        }
        Assert.That(compared, Is.GreaterThan(100), "registered ops found in the catalog");
        Assert.That(mismatches, Is.Empty, $"{mismatches.Count} OpDef(s) differ from ../shared/reference/tf-ops.md:\n  " + string.Join("\n  ", mismatches));
    }

    private static void Compare(List<string> mismatches, string type, string what, string?[]? tf, string[] ours)
    {
        if (tf is null) return;
        bool same = tf.Length == ours.Length && tf.Zip(ours).All(p => p.First is null || p.First == p.Second);
        if (!same)
            mismatches.Add($"{type} {what}: TF has ({string.Join(", ", tf.Select(n => n ?? "?"))}), OpDef has ({string.Join(", ", ours)})");
    }

    [Test]
    public void OpDefCarriesTypesConstraintsAndDefaults()
    {
        var matMul = OpCatalog.GetOpDef("MatMul");
        Assert.That(matMul.InputArg.Select(a => a.TypeAttr), Is.EqualTo(new[] { "T", "T" }));
        Assert.That(matMul.Attr.Single(a => a.Name == "transpose_a").DefaultValue.B, Is.False);

        var sqrt = OpCatalog.GetOpDef("Sqrt");
        Assert.That(sqrt.Attr.Single().AllowedValues.List.Type, Is.EquivalentTo(new[] { DataType.DtFloat, DataType.DtDouble }));

        var equal = OpCatalog.GetOpDef("Equal"); // redeclares T: the base class's dtype set still applies
        Assert.That(equal.Attr.Single(a => a.Name == "T").AllowedValues.List.Type, Does.Contain(DataType.DtString));

        var addN = OpCatalog.GetOpDef("AddN");
        Assert.That(addN.InputArg.Single().NumberAttr, Is.EqualTo("N"));
        var n = addN.Attr.Single(a => a.Name == "N");
        Assert.That((n.HasMinimum, n.Minimum), Is.EqualTo((true, 1L)));

        var assign = OpCatalog.GetOpDef("Assign");
        Assert.That(assign.InputArg[0].IsRef, Is.True);
        Assert.That(assign.OutputArg[0].IsRef, Is.True);

        Assert.That(OpCatalog.GetOpDef("VariableV2").IsStateful, Is.True);
        Assert.That(OpCatalog.GetOpDef("Add").IsStateful, Is.False);

        var shape = OpCatalog.GetOpDef("Shape");
        Assert.That(shape.Attr.Single(a => a.Name == "out_type").DefaultValue.Type, Is.EqualTo(DataType.DtInt32));
    }

    [Test]
    public void OpListHoldsEveryRegisteredOpOnceSortedAndCopies()
    {
        var list = OpCatalog.ToOpList();
        Assert.That(list.Op.Select(o => o.Name), Is.EqualTo(OpRegistry.Types.Order(StringComparer.Ordinal)));
        list.Op[0].Name = "Changed";
        Assert.That(OpCatalog.ToOpList().Op[0].Name, Is.Not.EqualTo("Changed"));
        Assert.That(() => OpCatalog.GetOpDef("NoSuchOp"), Throws.TypeOf<NotFoundException>());
        Assert.That(OpCatalog.TryGetOpDef("NoSuchOp", out _), Is.False);
    }

    [Test]
    public void OptionalAttrsAddedAfterTf115AreNotExported()
    {
        foreach (var spec in OpRegistry.All)
            foreach (var a in spec.Attrs.Where(a => a.Optional))
                Assert.That(OpCatalog.GetOpDef(spec.Type).Attr.Select(x => x.Name), Does.Not.Contain(a.Name), $"{spec.Type}.{a.Name}");
    }
}

/// <summary>One op of the catalog: argument names in order (null where the catalog gives only a type) and attr names; null = not stated.</summary>
internal sealed record CatalogOp(string Name, string?[]? Inputs, string?[]? Outputs, string[]? Attrs);

/// <summary>
/// Reads the op tables of section 1 of tf-ops.md. Their layouts differ by section: separate
/// In/Out columns, an "In → Out" column, a "Signature" column ("in → out; attrs"), the unary
/// math table (every op <c>x:T → y:T</c>, attr T) and the training table (output <c>out</c>,
/// attrs T and use_locking besides the "Extra attrs"). An argument is <c>name:type</c>,
/// <c>name: N×T</c>, a bare name, or a bare type (<c>N×T</c>, <c>bool</c>: name unknown). An attr
/// is <c>name: type = default</c>, <c>name ∈ {…} = default</c>, <c>name ≥ n</c> or a bare name;
/// "same" is the row above, "same as X" / "same attrs as X" the row of X, and "+ a" adds to the row above.
/// </summary>
internal static class TfOpCatalog
{
    private static readonly HashSet<string> DTypeNames = new(StringComparer.Ordinal)
    {
        "bool", "string", "float", "double", "int8", "int16", "int32", "int64", "uint8", "uint16", "half", "bfloat16", "resource",
    };

    public static Dictionary<string, CatalogOp> Parse(string markdown)
    {
        var ops = new Dictionary<string, CatalogOp>(StringComparer.Ordinal);
        var lines = markdown.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        int start = Array.FindIndex(lines, l => l.StartsWith("## 1.", StringComparison.Ordinal));
        int end = Array.FindIndex(lines, start + 1, l => l.StartsWith("## 2.", StringComparison.Ordinal));
        string[]? header = null;
        CatalogOp? previous = null;
        for (int i = start; i < end; i++)
        {
            var line = lines[i];
            if (!line.StartsWith('|')) { header = null; continue; }
            var cells = Cells(line);
            if (header is null) { header = cells; continue; }
            if (cells.All(c => c.All(ch => ch is '-' or ':' or ' '))) continue;
            if (!header[0].Equals("Op", StringComparison.Ordinal)) continue;
            var row = Row(header, cells, previous, ops);
            if (row is null) continue;
            foreach (var name in OpNames(cells[0]))
            {
                var op = row with { Name = name };
                ops.TryAdd(name, op);
                previous = op;
            }
        }
        return ops;
    }

    private static CatalogOp? Row(string[] header, string[] cells, CatalogOp? previous, Dictionary<string, CatalogOp> ops)
    {
        string? Col(string name) => Array.IndexOf(header, name) is int k and >= 0 && k < cells.Length ? cells[k] : null;
        string?[]? inputs, outputs;
        string[]? attrs;
        if (Col("In") is { } inCell && Col("Out") is { } outCell)
        {
            inputs = Args(inCell, previous?.Inputs);
            outputs = Args(outCell, previous?.Outputs);
            attrs = Attrs(Col("Attrs") ?? "", previous, ops);
        }
        else if ((Col("In → Out") ?? Col("Signature")) is { } io)
        {
            string? attrText = Col("Attrs") ?? Col("Attrs (default)");
            if (Col("Signature") is not null)
            {
                int semi = TopLevelIndex(io, ';');
                attrText = semi < 0 ? "" : io[(semi + 1)..];
                io = semi < 0 ? io : io[..semi];
            }
            int arrow = io.IndexOf('→');
            inputs = Args(arrow < 0 ? io : io[..arrow], previous?.Inputs);
            // No arrow: the outputs are those of the row above for "+ …" rows, none where the row
            // says "no outputs", and not stated otherwise.
            outputs = arrow >= 0 ? Args(io[(arrow + 1)..], previous?.Outputs)
                : io.TrimStart().StartsWith('+') ? previous?.Outputs
                : cells.Any(c => c.Contains("no outputs", StringComparison.Ordinal)) ? [] : null;
            if (Col("T allowed") is { } allowed)
            {
                // Binary arithmetic: the column is T's dtype set, sometimes followed by "; other attrs".
                int semi = TopLevelIndex(allowed, ';');
                attrs = ["T", .. semi < 0 ? [] : Attrs(allowed[(semi + 1)..], previous, ops) ?? []];
            }
            else attrs = Attrs(attrText ?? "", previous, ops);
        }
        else if (Col("T allowed") is not null)
        {
            inputs = ["x"];
            outputs = ["y"];
            attrs = ["T"];
        }
        else if (Col("Inputs (in order)") is { } trainIn)
        {
            inputs = Args(trainIn, previous?.Inputs);
            outputs = ["out"];
            attrs = ["T", "use_locking", .. Attrs(Col("Extra attrs") ?? "", previous, ops) ?? []];
        }
        else return null;
        return new CatalogOp("", inputs, outputs, attrs);
    }

    private static string[] Cells(string line) =>
        [.. line.Trim().Trim('|').Split('|').Select(c => c.Trim())];

    private static IEnumerable<string> OpNames(string cell)
    {
        var text = StripParens(Clean(cell));
        foreach (var part in text.Split(['/', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (Regex.IsMatch(part, @"^[A-Z][A-Za-z0-9]*$")) yield return part;
    }

    /// <summary>Removes markdown emphasis and inline code (keeping its text).</summary>
    private static string Clean(string s) => s.Replace("**", "", StringComparison.Ordinal).Replace("`", "", StringComparison.Ordinal);

    /// <summary>Removes parenthesized remarks ("(list)", "(required)", "(the GraphDef attr is …)").</summary>
    private static string StripParens(string s)
    {
        var sb = new StringBuilder();
        int depth = 0;
        foreach (var ch in s)
        {
            if (ch == '(') depth++;
            else if (ch == ')') depth = Math.Max(0, depth - 1);
            else if (depth == 0) sb.Append(ch);
        }
        return sb.ToString();
    }

    private static int TopLevelIndex(string s, char sep)
    {
        int depth = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] is '(' or '[' or '{') depth++;
            else if (s[i] is ')' or ']' or '}') depth--;
            else if (s[i] == sep && depth == 0) return i;
        }
        return -1;
    }

    private static List<string> SplitTopLevel(string s, char sep)
    {
        var parts = new List<string>();
        while (true)
        {
            int k = TopLevelIndex(s, sep);
            if (k < 0) { parts.Add(s.Trim()); return parts; }
            parts.Add(s[..k].Trim());
            s = s[(k + 1)..];
        }
    }

    private static string?[] Args(string cell, string?[]? previous)
    {
        var text = Clean(cell).Trim();
        var result = new List<string?>();
        if (text.StartsWith('+'))
        {
            result.AddRange(previous ?? []);
            text = text[1..];
        }
        text = StripParens(text).Trim();
        if (text is "" or "–" or "-") return [.. result];
        foreach (var part in SplitTopLevel(text, ','))
        {
            if (part.Length == 0) continue;
            int colon = part.IndexOf(':');
            var name = (colon < 0 ? part : part[..colon]).Trim();
            var nameOnly = Regex.Match(name, @"^[A-Za-z_][A-Za-z0-9_]*");
            // "N×T" or a bare dtype: the catalog gives no name.
            if (colon < 0 && (name.Contains('×') || DTypeNames.Contains(name))) result.Add(null);
            else result.Add(nameOnly.Success ? nameOnly.Value : null);
        }
        return [.. result];
    }

    private static string[]? Attrs(string cell, CatalogOp? previous, Dictionary<string, CatalogOp> ops)
    {
        var text = Clean(cell).Trim();
        var names = new List<string>();
        if (text.StartsWith('+'))
        {
            names.AddRange(previous?.Attrs ?? []);
            text = text[1..];
        }
        text = StripParens(text).Trim();
        if (text is "–" or "-" or "") return [.. names];
        if (Regex.Match(text, @"^same(?: attrs)? as (\w+)") is { Success: true } sameAs)
            return ops.TryGetValue(sameAs.Groups[1].Value, out var other) ? other.Attrs : null;
        if (text.StartsWith("same", StringComparison.Ordinal) && !text.StartsWith("same T", StringComparison.Ordinal))
            return previous?.Attrs;
        foreach (var piece in SplitTopLevel(text, ';'))
        {
            if (piece.StartsWith("same T", StringComparison.Ordinal)) { names.Add("T"); continue; }
            // "ksize, strides, padding, data_format ∈ {…}": several attrs in one piece.
            var parts = SplitTopLevel(piece, ',');
            if (parts.Count > 1 && !Regex.IsMatch(parts[0], @"^\w+$")) parts = [piece];
            foreach (var part in parts)
            {
                var m = Regex.Match(part, @"^(\w+)\s*(?::|∈|=|≥|$)");
                if (m.Success && m.Groups[1].Value != "stateful") names.Add(m.Groups[1].Value);
            }
        }
        return [.. names.Distinct(StringComparer.Ordinal)];
    }
}
