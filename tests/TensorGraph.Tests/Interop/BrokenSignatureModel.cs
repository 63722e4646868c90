using TensorGraph.Proto;
using TensorGraph.Serialization;

namespace TensorGraph.Tests.Serialization;

/// <summary>A copy of TensorFlow Serving's half_plus_two SavedModel with extra, broken signatures added to its saved_model.pb.</summary>
internal static class BrokenSignatureModel
{
    public const string HalfPlusTwo = "serving/servables/tensorflow/testdata/saved_model_half_plus_two_cpu/00000123";

    /// <summary>Broken signature keys, each with a text its reason must contain.</summary>
    public static readonly IReadOnlyDictionary<string, string> Broken = new Dictionary<string, string>
    {
        ["missing_node"] = "no node 'no_such_node'",
        ["malformed_index"] = "malformed tensor name 'y:abc'",
        ["empty_name"] = "malformed tensor name ':0'",
        ["index_out_of_range"] = "only 1 output(s)",
    };

    /// <summary>Copies the fixture into <paramref name="dir"/> and adds the <see cref="Broken"/> signatures; returns <paramref name="dir"/>.</summary>
    public static string Create(string dir)
    {
        var source = Fixtures.Existing(HalfPlusTwo);
        foreach (var f in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(dir, Path.GetRelativePath(source, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
        var pb = Path.Combine(dir, "saved_model.pb");
        var model = ProtoFiles.ReadBinary<Proto.SavedModel>(pb);
        var sigs = model.MetaGraphs[0].SignatureDef;
        sigs["missing_node"] = Sig("x:0", "no_such_node:0");
        sigs["malformed_index"] = Sig("x:0", "y:abc");
        sigs["empty_name"] = Sig(":0", "y:0");
        sigs["index_out_of_range"] = Sig("x:0", "y:7");
        ProtoFiles.Write(pb, model);
        return dir;
    }

    private static SignatureDef Sig(string input, string output)
    {
        var sd = new SignatureDef { MethodName = "tensorflow/serving/predict" };
        sd.Inputs["x"] = new TensorInfo { Name = input, Dtype = DataType.DtFloat };
        sd.Outputs["y"] = new TensorInfo { Name = output, Dtype = DataType.DtFloat };
        return sd;
    }
}
