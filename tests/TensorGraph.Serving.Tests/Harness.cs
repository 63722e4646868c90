using Google.Protobuf;
using Grpc.Net.Client;
using TensorGraph.Proto;
using Tensorflow.Serving;

namespace TensorGraph.Serving.Tests;

/// <summary>Fixture paths, temporary model folders, and a server started on free loopback ports the way a user starts one.</summary>
internal static class Harness
{
    public const string Serving = "serving/servables/tensorflow/testdata/";

    private static string? _repo;

    /// <summary>The repository root (the folder holding Graph.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            if (_repo is not null) return _repo;
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Graph.sln"))) dir = dir.Parent;
            if (dir is null) Assert.Fail("Could not find the repository root above " + TestContext.CurrentContext.TestDirectory);
            return _repo = dir!.FullName;
        }
    }

    /// <summary>A fixture folder under ../shared/fixtures/tensorflow; fails the test when it is missing.</summary>
    public static string Fixture(string relative)
    {
        var p = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "fixtures", "tensorflow", relative));
        if (!Directory.Exists(p)) Assert.Fail($"Fixture folder missing: '{p}' (expected in ../shared/fixtures/tensorflow next to the repository)");
        return p;
    }

    /// <summary>TF Serving's half_plus_two base path (one version, 123).</summary>
    public static string HalfPlusTwo => Fixture(Serving + "saved_model_half_plus_two_cpu");

    public static void CopyDir(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.EnumerateDirectories(from)) CopyDir(d, Path.Combine(to, Path.GetFileName(d)));
    }

    public static Task<ModelServer> Start(string name, string basePath, BatchingOptions? batching = null, string? tokenFile = null, int poll = 0) =>
        ModelServer.StartAsync(new ServingOptions
        {
            ModelName = name,
            ModelBasePath = basePath,
            Port = 0,
            RestApiPort = 0,
            FileSystemPollWaitSeconds = poll,
            Batching = batching,
            AuthTokenFile = tokenFile,
        });

    public static GrpcChannel Channel(ModelServer s) => GrpcChannel.ForAddress($"http://127.0.0.1:{s.GrpcPort}");

    public static HttpClient Http(ModelServer s) => new() { BaseAddress = new Uri($"http://127.0.0.1:{s.RestPort}") };

    public static TensorProto Floats(float[] values, params long[] dims)
    {
        var p = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShapeProto() };
        foreach (var d in dims) p.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        p.FloatVal.AddRange(values);
        return p;
    }

    public static Example Example(float x)
    {
        var e = new Example { Features = new Features() };
        var f = new Feature { FloatList = new FloatList() };
        f.FloatList.Value.Add(x);
        e.Features.Feature.Add("x", f);
        return e;
    }

    public static Tensorflow.Serving.Input Examples(params float[] xs)
    {
        var input = new Tensorflow.Serving.Input { ExampleList = new ExampleList() };
        foreach (var x in xs) input.ExampleList.Examples.Add(Example(x));
        return input;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (bounded; the file-system poller runs every second).</summary>
    public static async Task Eventually(Func<bool> condition, string what)
    {
        for (int i = 0; i < 600; i++)
        {
            if (condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail("Timed out waiting for: " + what);
    }

    public static float[] Values(TensorProto p) => TensorProtos.FromProto(p).ToArray<float>();

    public static byte[] Bytes(IMessage m) => m.ToByteArray();
}
