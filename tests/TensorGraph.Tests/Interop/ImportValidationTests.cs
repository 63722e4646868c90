using System.Runtime.CompilerServices;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

/// <summary>
/// Import rejects NodeDefs whose input count does not match the op's declared arguments, and
/// errors about imported nodes cite the graph file they came from instead of a source line.
/// </summary>
public class ImportValidationTests
{
    private string _dir = "";

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("tg-importval-").FullName;

    [TearDown]
    public void DeleteDir() => Directory.Delete(_dir, recursive: true);

    private static NodeDef N(string name, string op, params string[] inputs) => GraphImportTests.N(name, op, inputs);

    private static NodeDef Const(string name, float v) => GraphImportTests.Const(name, v);

    private static NodeDef WithT(NodeDef n)
    {
        n.Attr["T"] = Attr.Type(DType.Float32);
        return n;
    }

    private static GraphDef Def(params NodeDef[] nodes)
    {
        var d = new GraphDef { Versions = new VersionDef { Producer = 134 } };
        d.Node.AddRange(nodes);
        return d;
    }

    private static int Here([CallerLineNumber] int line = 0) => line;

    [Test]
    public void AddWithThreeInputsIsRejected()
    {
        var def = Def(Const("a", 1), Const("b", 2), Const("c", 3), WithT(N("add", "Add", "a", "b", "c")));
        var e = Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(def))!;
        Assert.That(e.NodeName, Is.EqualTo("add"));
        Assert.That(e.Message, Does.StartWith("NodeDef expected inputs 'float, float' do not match 3 inputs specified; Op<name=Add; signature=x:T, y:T -> z:T>"));
        Assert.That(e.Message, Does.EndWith("[node 'add' (Add)]"), "an in-memory GraphDef has no file to cite, and the importer's own line is not cited");
    }

    [Test]
    public void RankWithoutInputIsRejected()
    {
        var def = Def(WithT(N("rank", "Rank")));
        var e = Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(def))!;
        Assert.That(e.NodeName, Is.EqualTo("rank"));
        Assert.That(e.Message, Does.StartWith("NodeDef expected inputs 'float' do not match 0 inputs specified"));
        var size = Def(WithT(N("size", "Size")));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(size))!.NodeName, Is.EqualTo("size"));
    }

    [Test]
    public void ListLengthComesFromTheAttr()
    {
        var addn = WithT(N("sum", "AddN", "a", "b", "c"));
        addn.Attr["N"] = Attr.Int(2);
        var e = Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(Def(Const("a", 1), Const("b", 2), Const("c", 3), addn)))!;
        Assert.That(e.NodeName, Is.EqualTo("sum"));
        Assert.That(e.Message, Does.StartWith("NodeDef expected inputs 'float, float' do not match 3 inputs specified; Op<name=AddN; signature=inputs:N*T -> sum:T>"));

        addn.Attr["N"] = Attr.Int(3);
        var g = Graph.FromGraphDef(Def(Const("a", 1), Const("b", 2), Const("c", 3), addn));
        using var s = new Session(g);
        Assert.That(s.Run(g["sum"]).Scalar<float>(), Is.EqualTo(6f));
    }

    [Test]
    public void AHugeListLengthAttrGivesAShortMessage()
    {
        var addn = WithT(N("sum", "AddN", "a", "b"));
        addn.Attr["N"] = Attr.Int(int.MaxValue);
        var e = Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(Def(Const("a", 1), Const("b", 2), addn)))!;
        Assert.That(e.NodeName, Is.EqualTo("sum"));
        Assert.That(e.Message, Does.StartWith("NodeDef expected inputs 'float, float, float, float, float, float, float, float, float, float, float, float, float, float, float, float, ... (2147483647 in all)' do not match 2 inputs specified"));
        Assert.That(e.Message.Length, Is.LessThan(400));
    }

    [Test]
    public void ErrorsAboutNodesOfAGraphFileNameTheFile()
    {
        var path = Path.Combine(_dir, "model.pb");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(
            Def(Const("a", 1), Const("b", 2), Const("c", 3), WithT(N("dense/add", "Add", "a", "b", "c")))));
        var e = Assert.Throws<InvalidArgumentException>(() => Graph.Load(path))!;
        Assert.That(e.NodeName, Is.EqualTo("dense/add"));
        Assert.That(e.Message, Does.EndWith($"[node 'dense/add' (Add), from {path}]"));
    }

    [Test]
    public void RunTimeErrorsOfImportedNodesNameTheFile()
    {
        var x = N("x", "Placeholder");
        x.Attr["dtype"] = Attr.Type(DType.Float32);
        var path = Path.Combine(_dir, "graph.pbtxt");
        File.WriteAllText(path, TextFormat.Print(Def(x, WithT(N("y", "Square", "x")))));
        var g = Graph.Load(path);
        Assert.That(g.GetOperation("y").Location!.IsImported, Is.True);
        Assert.That(g.GetOperation("y").Location!.File, Is.EqualTo(path));
        Assert.That(g.GetOperation("y").Location!.GraphNode, Is.EqualTo("y"));
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(g["y"]))!;
        Assert.That(e.Message, Does.Contain($"[node 'x' (Placeholder), from {path}]"));
    }

    [Test]
    public void PrefixedImportNamesTheNodeAsTheFileHasIt()
    {
        var x = N("x", "Placeholder");
        x.Attr["dtype"] = Attr.Type(DType.Float32);
        var g = new Graph();
        g.Import(Def(x), prefix: "sub", source: "model.pb");
        Assert.That(g.GetOperation("sub/x").Describe(), Is.EqualTo("'sub/x' (Placeholder, from model.pb, node 'x')"));
        using var s = new Session(g);
        var e = Assert.Throws<InvalidArgumentException>(() => s.Run(g["sub/x"]))!;
        Assert.That(e.Message, Does.Contain("[node 'sub/x' (Placeholder), from model.pb, node 'x']"));
    }

    [Test]
    public void NodesFromAnInMemoryGraphDefCarryNoLocation()
    {
        var g = Graph.FromGraphDef(Def(Const("a", 1)));
        Assert.That(g.GetOperation("a").Location, Is.Null);
    }

    [Test]
    public void NodesBuiltByCodeResolveTheirLineLazily()
    {
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, [2], name: "x"); int line = Here();
        var loc = x.Op.Location!;
        Assert.That(loc.IsImported, Is.False);
        Assert.That(Path.GetFileName(loc.File), Is.EqualTo("ImportValidationTests.cs"));
        Assert.That(loc.Line, Is.EqualTo(line));
        Assert.That(loc.Member, Does.EndWith(nameof(NodesBuiltByCodeResolveTheirLineLazily)));
        Assert.That(loc.ToString(), Is.EqualTo($"ImportValidationTests.cs:{line}"));
        Assert.That(loc.Describe(), Is.EqualTo($"defined at ImportValidationTests.cs:{line}"));
    }

    [Test]
    public void MetaGraphNodesNameTheirFile()
    {
        var g = new Graph();
        var p = g.Placeholder(DType.Float32, [2], name: "p");
        _ = g.Square(p, name: "sq");
        var meta = Path.Combine(_dir, "model.meta");
        MetaGraphs.Write(meta, g.ToMetaGraphDef());
        var loaded = new Graph();
        loaded.ImportMetaGraph(MetaGraphs.Read(meta), source: meta);
        Assert.That(loaded.GetOperation("sq").Location!.File, Is.EqualTo(meta));
        var viaSaver = new Graph();
        _ = TensorGraph.Training.Saver.ImportMetaGraph(viaSaver, meta);
        Assert.That(viaSaver.GetOperation("sq").Describe(), Is.EqualTo($"'sq' (Square, from {meta})"));
    }

    [Test]
    public void CliErrorsNameTheGraphFile()
    {
        var x = N("x", "Placeholder");
        x.Attr["dtype"] = Attr.Type(DType.Float32);
        var path = Path.Combine(_dir, "model.pbtxt");
        File.WriteAllText(path, TextFormat.Print(Def(x, WithT(N("y", "Square", "x")))));
        var o = new StringWriter();
        var err = new StringWriter();
        int code = TensorGraph.Cli.CliApp.Run(["run", path, "--fetch", "y"], o, err);
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(err.ToString(), Does.Contain($"[node 'x' (Placeholder), from {path}]"));
        Assert.That(err.ToString(), Does.Not.Contain("Models.cs"));
    }

    [Test]
    public void UnknownAttrIsRejectedNamingTheNode()
    {
        var g = new Graph();
        var a = g.Constant(1f);
        var e = Assert.Throws<InvalidArgumentException>(() =>
            g.AddOp("Square", [a], "sq", attrs: [new("T", Attr.Type(DType.Float32)), new("bogus", Attr.Int(1))]))!;
        Assert.That(e.NodeName, Is.EqualTo("sq"));
        Assert.That(e.Message, Does.StartWith("Unknown attr 'bogus' for op type Square [node 'sq' (Square), defined at ImportValidationTests.cs:"));
        var n = WithT(N("sq", "Square", "a"));
        n.Attr["bogus"] = Attr.Int(1);
        n.Attr["_internal"] = Attr.Int(1);
        var imported = Assert.Throws<InvalidArgumentException>(() => new Graph().Import(Def(Const("a", 1), n), source: "m.pb"))!;
        Assert.That(imported.Message, Does.StartWith("Unknown attr 'bogus' for op type Square [node 'sq' (Square), from m.pb]"));
    }

    [Test]
    public void AssertDataCountComesFromItsTypeList()
    {
        var cond = Const("c", 1);
        cond.Attr["dtype"] = Attr.Type(DType.Bool);
        cond.Attr["value"] = Attr.Tensor(Tensor.Scalar(true));
        var assert = N("check", "Assert", "c", "c");
        assert.Attr["T"] = new AttrValue();
        var e = Assert.Throws<InvalidArgumentException>(() => Graph.FromGraphDef(Def(cond, assert)))!;
        Assert.That(e.NodeName, Is.EqualTo("check"));
        Assert.That(e.Message, Does.StartWith("NodeDef expected inputs 'bool' do not match 2 inputs specified; Op<name=Assert; signature=condition:bool, data:T -> >"));
        assert.Attr["T"] = Attr.Types([DType.Bool]);
        Assert.That(Graph.FromGraphDef(Def(cond, assert)).GetOperation("check").NumInputs, Is.EqualTo(2));
    }
}
