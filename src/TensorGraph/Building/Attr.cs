using Google.Protobuf;
using TensorGraph.Proto;

namespace TensorGraph;

/// <summary>Helpers that make TF <c>AttrValue</c>s.</summary>
public static class Attr
{
    /// <summary>A <c>type</c> attr.</summary>
    public static AttrValue Type(DType t) => new() { Type = t.ToProto() };
    /// <summary>An <c>int</c> attr.</summary>
    public static AttrValue Int(long i) => new() { I = i };
    /// <summary>A <c>float</c> attr.</summary>
    public static AttrValue Float(float f) => new() { F = f };
    /// <summary>A <c>bool</c> attr.</summary>
    public static AttrValue Bool(bool b) => new() { B = b };
    /// <summary>A <c>string</c> attr.</summary>
    public static AttrValue String(string s) => new() { S = ByteString.CopyFromUtf8(s) };
    /// <summary>A <c>shape</c> attr.</summary>
    public static AttrValue Shape(Shape s) => new() { Shape = s?.ToProto() ?? throw new ArgumentNullException(nameof(s)) };
    /// <summary>A <c>tensor</c> attr.</summary>
    public static AttrValue Tensor(Tensor t) => new() { Tensor = TensorProtos.ToProto(t) };
    /// <summary>A <c>list(int)</c> attr.</summary>
    public static AttrValue Ints(IEnumerable<long> v)
    {
        var a = new AttrValue { List = new AttrValue.Types.ListValue() };
        a.List.I.AddRange(v);
        return a;
    }
    /// <summary>A <c>list(float)</c> attr.</summary>
    public static AttrValue Floats(IEnumerable<float> v)
    {
        var a = new AttrValue { List = new AttrValue.Types.ListValue() };
        a.List.F.AddRange(v);
        return a;
    }
    /// <summary>A <c>list(type)</c> attr.</summary>
    public static AttrValue Types(IEnumerable<DType> v)
    {
        var a = new AttrValue { List = new AttrValue.Types.ListValue() };
        a.List.Type.AddRange(v.Select(t => t.ToProto()));
        return a;
    }
    /// <summary>A <c>list(shape)</c> attr.</summary>
    public static AttrValue Shapes(IEnumerable<Shape> v)
    {
        var a = new AttrValue { List = new AttrValue.Types.ListValue() };
        a.List.Shape.AddRange(v.Select(s => s.ToProto()));
        return a;
    }
    /// <summary>A <c>list(string)</c> attr.</summary>
    public static AttrValue Strings(IEnumerable<string> v)
    {
        var a = new AttrValue { List = new AttrValue.Types.ListValue() };
        a.List.S.AddRange(v.Select(ByteString.CopyFromUtf8));
        return a;
    }
}
