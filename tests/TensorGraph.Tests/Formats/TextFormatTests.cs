using Google.Protobuf;
using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

public class TextFormatTests
{
    private static NodeDef Node(string text) => TextFormat.Parse<NodeDef>(text);

    [Test]
    public void ParsesScalarsNestedMessagesAndMaps()
    {
        var n = Node("""
            # a comment
            name: "x"  op: 'Placeholder'   # trailing comment
            input: "a" input: "b:1"; input: "^c",
            device: "/cpu:0"
            attr { key: "dtype" value { type: DT_FLOAT } }
            attr: { key: "shape" value: < shape { dim { size: -1 } dim { size: 0x10 } } > }
            """);
        Assert.That(n.Name, Is.EqualTo("x"));
        Assert.That(n.Op, Is.EqualTo("Placeholder"));
        Assert.That(n.Input, Is.EqualTo(new[] { "a", "b:1", "^c" }));
        Assert.That(n.Attr["dtype"].Type, Is.EqualTo(DataType.DtFloat));
        Assert.That(n.Attr["shape"].Shape.Dim.Select(d => d.Size), Is.EqualTo(new[] { -1L, 16L }));
    }

    [Test]
    public void ListSyntaxAndMixedRepetition()
    {
        var n = Node("input: [\"a\", 'b'] input: \"c\" input: []");
        Assert.That(n.Input, Is.EqualTo(new[] { "a", "b", "c" }));
        var s = TextFormat.Parse<TensorShapeProto>("dim [ { size: 1 }, < size: 2 > ] dim: [{ size: 3 }]");
        Assert.That(s.Dim.Select(d => d.Size), Is.EqualTo(new[] { 1L, 2L, 3L }));
        var l = TextFormat.Parse<AttrValue.Types.ListValue>("i: [1, -2, 0x7fffffffffffffff] f: [1, 2.5, -inf]");
        Assert.That(l.I, Is.EqualTo(new[] { 1L, -2L, long.MaxValue }));
        Assert.That(l.F, Is.EqualTo(new[] { 1f, 2.5f, float.NegativeInfinity }));
        Assert.Throws<TextFormatException>(() => Node("name: [\"a\"]"));
    }

    [Test]
    public void EnumsByNameOrNumber()
    {
        var t = TextFormat.Parse<TensorProto>("dtype: 3");
        Assert.That(t.Dtype, Is.EqualTo(DataType.DtInt32));
        Assert.That(TextFormat.Parse<TensorProto>("dtype: DT_DOUBLE").Dtype, Is.EqualTo(DataType.DtDouble));
        var e = Assert.Throws<TextFormatException>(() => TextFormat.Parse<TensorProto>("dtype: DT_NOPE"));
        Assert.That(e!.Line, Is.EqualTo(1));
        Assert.That(e.Column, Is.EqualTo(8));
    }

    [Test]
    public void FloatsAndSpecialValues()
    {
        var t = TextFormat.Parse<TensorProto>("float_val: 1e-05 float_val: inf float_val: -inf float_val: nan float_val: 1.0f float_val: .5 float_val: 2. float_val: 10F float_val: -Infinity float_val: 3 double_val: 0.1 double_val: -1.5E3");
        Assert.That(t.FloatVal[0], Is.EqualTo(1e-05f));
        Assert.That(t.FloatVal[1], Is.EqualTo(float.PositiveInfinity));
        Assert.That(t.FloatVal[2], Is.EqualTo(float.NegativeInfinity));
        Assert.That(float.IsNaN(t.FloatVal[3]), Is.True);
        Assert.That(t.FloatVal.Skip(4), Is.EqualTo(new[] { 1f, 0.5f, 2f, 10f, float.NegativeInfinity, 3f }));
        Assert.That(t.DoubleVal, Is.EqualTo(new[] { 0.1, -1500.0 }));
        // Printing uses the shortest round-trip form, C style.
        var p = TextFormat.Print(new TensorProto { FloatVal = { 1e-05f, 0.1f, float.NaN, float.NegativeInfinity, 2f, 1e20f }, DoubleVal = { 0.1 } });
        Assert.That(p, Is.EqualTo("float_val: 1e-05\nfloat_val: 0.1\nfloat_val: nan\nfloat_val: -inf\nfloat_val: 2.0\nfloat_val: 1e+20\ndouble_val: 0.1\n"));
        Assert.That(new[] { 0.0001, 1e-5, 123.25, 1e15, 1e16, -0.0, 0.0, -2.5e-300, 1.7976931348623157e308 }.Select(TextFormat.FormatDouble),
            Is.EqualTo(new[] { "0.0001", "1e-05", "123.25", "1000000000000000.0", "1e+16", "-0.0", "0.0", "-2.5e-300", "1.7976931348623157e+308" }));
    }

    [Test]
    public void IntegersInEveryBase()
    {
        var t = TextFormat.Parse<TensorProto>("int_val: 10 int_val: 0x1F int_val: 017 int_val: -0 int_val: - 5 int_val: 0 uint64_val: 18446744073709551615 uint32_val: 0XFFFFFFFF");
        Assert.That(t.IntVal, Is.EqualTo(new[] { 10, 31, 15, 0, -5, 0 }));
        Assert.That(t.Uint64Val[0], Is.EqualTo(ulong.MaxValue));
        Assert.That(t.Uint32Val[0], Is.EqualTo(uint.MaxValue));
        Assert.Throws<TextFormatException>(() => TextFormat.Parse<TensorProto>("int_val: 2147483648"));
        Assert.Throws<TextFormatException>(() => TextFormat.Parse<TensorProto>("uint32_val: -1"));
        Assert.Throws<TextFormatException>(() => TextFormat.Parse<TensorProto>("int_val: 1.5"));
        Assert.Throws<TextFormatException>(() => TextFormat.Parse<TensorProto>("int_val: 08"));
        Assert.Throws<TextFormatException>(() => TextFormat.Parse<TensorProto>("int_val: 10bar"));
    }

    [Test]
    public void Booleans()
    {
        var l = TextFormat.Parse<AttrValue.Types.ListValue>("b: true b: false b: True b: False b: t b: f b: 1 b: 0");
        Assert.That(l.B, Is.EqualTo(new[] { true, false, true, false, true, false, true, false }));
        Assert.Throws<TextFormatException>(() => TextFormat.Parse<AttrValue.Types.ListValue>("b: 2"));
        Assert.Throws<TextFormatException>(() => TextFormat.Parse<AttrValue.Types.ListValue>("b: yes"));
    }

    [TestCase(@"\n", new byte[] { 10 })]
    [TestCase(@"\t", new byte[] { 9 })]
    [TestCase(@"\r", new byte[] { 13 })]
    [TestCase(@"\\", new byte[] { 92 })]
    [TestCase(@"\'", new byte[] { 39 })]
    [TestCase(@"\""", new byte[] { 34 })]
    [TestCase(@"\a", new byte[] { 7 })]
    [TestCase(@"\b", new byte[] { 8 })]
    [TestCase(@"\f", new byte[] { 12 })]
    [TestCase(@"\v", new byte[] { 11 })]
    [TestCase(@"\?", new byte[] { 63 })]
    [TestCase(@"\123", new byte[] { 0x53 })]
    [TestCase(@"\1234", new byte[] { 0x53, (byte)'4' })]
    [TestCase(@"\0", new byte[] { 0 })]
    [TestCase(@"\377", new byte[] { 255 })]
    [TestCase(@"\x41", new byte[] { 0x41 })]
    [TestCase(@"\x213", new byte[] { 0x21, (byte)'3' })]
    [TestCase(@"\xf", new byte[] { 0x0f })]
    [TestCase(@"\u00e9", new byte[] { 0xC3, 0xA9 })]
    [TestCase(@"\U0001F600", new byte[] { 0xF0, 0x9F, 0x98, 0x80 })]
    [TestCase("\u00e9", new byte[] { 0xC3, 0xA9 })]
    public void StringEscapes(string escaped, byte[] expected)
    {
        var a = TextFormat.Parse<AttrValue>("s: \"" + escaped + "\"");
        Assert.That(a.S.ToByteArray(), Is.EqualTo(expected));
        // Printing and parsing again gives the same bytes.
        Assert.That(TextFormat.Parse<AttrValue>(TextFormat.Print(a)).S.ToByteArray(), Is.EqualTo(expected));
    }

    [Test]
    public void BytesArePrintedLikeTensorFlow()
    {
        var floats = new TensorProto { TensorContent = ByteString.CopyFrom(BitConverter.GetBytes(1f).Concat(BitConverter.GetBytes(2f)).ToArray()) };
        Assert.That(TextFormat.Print(floats), Is.EqualTo("tensor_content: \"\\000\\000\\200?\\000\\000\\000@\"\n"));
        var s = new AttrValue { S = ByteString.CopyFrom([(byte)'a', 10, 9, 13, 34, 39, 92, 0x7F, 0xFF, (byte)' ']) };
        Assert.That(TextFormat.Print(s), Is.EqualTo("s: \"a\\n\\t\\r\\\"\\'\\\\\\177\\377 \"\n"));
    }

    [Test]
    public void AdjacentStringsConcatenate()
    {
        Assert.That(Node("name: \"ab\" 'cd'\n \"e\"").Name, Is.EqualTo("abcde"));
    }

    [Test]
    public void StringFieldsMustBeUtf8()
    {
        Assert.Throws<TextFormatException>(() => Node("name: \"\\377\""));
        Assert.That(TextFormat.Parse<AttrValue>("s: \"\\377\"").S[0], Is.EqualTo(255));
    }

    [Test]
    public void PrinterUsesTensorFlowLayout()
    {
        var n = new NodeDef { Name = "c", Op = "Const", Input = { "a", "^b" } };
        n.Attr["value"] = new AttrValue { Tensor = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShapeProto(), FloatVal = { 0.5f } } };
        n.Attr["dtype"] = new AttrValue { Type = DataType.DtFloat };
        n.Attr["_class"] = new AttrValue { List = new AttrValue.Types.ListValue { S = { ByteString.CopyFromUtf8("loc:@a") } } };
        n.Attr["empty"] = new AttrValue { List = new AttrValue.Types.ListValue() };
        var text = TextFormat.Print(n);
        Assert.That(text, Is.EqualTo("""
            name: "c"
            op: "Const"
            input: "a"
            input: "^b"
            attr {
              key: "_class"
              value {
                list {
                  s: "loc:@a"
                }
              }
            }
            attr {
              key: "dtype"
              value {
                type: DT_FLOAT
              }
            }
            attr {
              key: "empty"
              value {
                list {
                }
              }
            }
            attr {
              key: "value"
              value {
                tensor {
                  dtype: DT_FLOAT
                  tensor_shape {
                  }
                  float_val: 0.5
                }
              }
            }

            """.Replace("\r\n", "\n", StringComparison.Ordinal)));
        Assert.That(TextFormat.Parse<NodeDef>(text), Is.EqualTo(n));
    }

    [Test]
    public void OneofAndRepeatedSingularAreRejected()
    {
        Assert.Throws<TextFormatException>(() => Node("name: \"a\" name: \"b\""));
        var e = Assert.Throws<TextFormatException>(() => TextFormat.Parse<AttrValue>("i: 1 f: 2"));
        Assert.That(e!.Message, Does.Contain("oneof"));
        Assert.That(TextFormat.Parse<AttrValue>("f: 2").F, Is.EqualTo(2f));
    }

    [TestCase("nme: \"x\"", 1, 1, "no field named \"nme\"")]
    [TestCase("name: \"x\"\n  bogus: 1", 2, 3, "bogus")]
    [TestCase("name \"x\"", 1, 6, "Expected ':'")]
    [TestCase("name: \"x", 1, 7, "Unterminated")]
    [TestCase("attr { key: \"a\"", 1, 16, "end of input")]
    [TestCase("attr { key: \"a\" }}", 1, 18, "field name")]
    [TestCase("name: \"\\q\"", 1, 7, "escape")]
    [TestCase("name: 5", 1, 7, "string")]
    [TestCase("attr { key: \"a\" value { i: 1 } bad: 2 }", 1, 32, "Map entry")]
    [TestCase("input: [\"a\" \"b\"", 1, 16, "']'")]
    [TestCase("name: \"a\" @", 1, 11, "Unexpected character")]
    public void MalformedTextGivesPositionedErrors(string text, int line, int column, string fragment)
    {
        var e = Assert.Throws<TextFormatException>(() => Node(text));
        Assert.That(e!.Message, Does.Contain(fragment));
        Assert.That((e.Line, e.Column), Is.EqualTo((line, column)), e.Message);
        Assert.That(e.Message, Does.StartWith($"{line}:{column}: "));
        Assert.That(e, Is.InstanceOf<TensorGraphException>());
    }

    [Test]
    public void AnyExpansion()
    {
        var m = TextFormat.Parse<MetaGraphDef>("""
            meta_info_def {
              any_info { [type.googleapis.com/tensorflow.SaverDef] { filename_tensor_name: "save/Const:0" max_to_keep: 5 } }
              tags: "serve"
            }
            """);
        var saver = m.MetaInfoDef.AnyInfo.Unpack<SaverDef>();
        Assert.That((saver.FilenameTensorName, saver.MaxToKeep), Is.EqualTo(("save/Const:0", 5)));
        Assert.That(TextFormat.Parse<MetaGraphDef>(TextFormat.Print(m)), Is.EqualTo(m));
    }

    [Test]
    public void TwinFixturesParseToTheSameGraphDef()
    {
        var binary = ProtoFiles.ReadBinary<GraphDef>(Fixtures.File_("tensorflow.cr_examples/graph.pb"));
        var text = ProtoFiles.ReadText<GraphDef>(Fixtures.File_("tensorflow.cr_examples/graph.pbtxt"));
        Assert.That(text, Is.EqualTo(binary));
        Assert.That(text.Node, Has.Count.EqualTo(10));
        // Our printer writes the file TensorFlow wrote.
        Assert.That(TextFormat.Print(binary), Is.EqualTo(File.ReadAllText(Fixtures.File_("tensorflow.cr_examples/graph.pbtxt"))));
    }

    [Test]
    public void EveryBinaryFixturePrintsAndReparsesToAnEqualMessage()
    {
        int checkedFiles = 0;
        foreach (var rel in Fixtures.All(".pb").Concat(Fixtures.All(".meta")))
        {
            var kind = Fixtures.Kind(rel);
            if (kind is null) continue;
            var bytes = File.ReadAllBytes(Fixtures.File_(rel));
            IMessage m = kind switch
            {
                "SavedModel" => SavedModel.Parser.WithDiscardUnknownFields(true).ParseFrom(bytes),
                "MetaGraphDef" => MetaGraphDef.Parser.WithDiscardUnknownFields(true).ParseFrom(bytes),
                _ => GraphDef.Parser.WithDiscardUnknownFields(true).ParseFrom(bytes),
            };
            var text = TextFormat.Print(m);
            var again = TextFormat.Parse(text, m.Descriptor);
            Assert.That(again, Is.EqualTo(m), rel);
            Assert.That(TextFormat.Print(again), Is.EqualTo(text), rel);
            checkedFiles++;
        }
        Assert.That(checkedFiles, Is.GreaterThanOrEqualTo(40));
    }

    [Test]
    public void JunkBinaryFixtureIsDataLossNamingTheFile()
    {
        var path = Fixtures.File_("tensorflow.cr_examples/graph2.pb");
        var e = Assert.Throws<DataLossException>(() => ProtoFiles.ReadBinary<GraphDef>(path));
        Assert.That(e!.Message, Does.Contain(path));
        var e2 = Assert.Throws<DataLossException>(() => Graph.Load(path));
        Assert.That(e2!.Message, Does.Contain("graph2.pb"));
    }

    [Test]
    public void TextFileErrorsNameTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tg-bad-{Guid.NewGuid():N}.pbtxt");
        try
        {
            File.WriteAllText(path, "node {\n  name: \"a\"\n  opp: \"Const\"\n}\n");
            var e = Assert.Throws<TextFormatException>(() => Graph.Load(path));
            Assert.That(e!.Message, Does.StartWith(path + ":3:3: "));
            Assert.That(e.SourceName, Is.EqualTo(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
