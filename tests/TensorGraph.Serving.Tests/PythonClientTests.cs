using System.Diagnostics;
using System.Text.Json;
using static TensorGraph.Serving.Tests.Harness;

namespace TensorGraph.Serving.Tests;

/// <summary>
/// A client TensorGraph did not write: Debian's python3-grpcio with stubs protoc generates from
/// proto/ (TF Serving's and TF's .proto files). <c>.ci/run</c> installs python3-grpcio,
/// python3-protobuf, protobuf-compiler, protobuf-compiler-grpc and libprotobuf-dev (the
/// well-known .proto files); where they are missing the test is reported as ignored, never passed.
/// </summary>
public class PythonClientTests
{
    private const string Python = "/usr/bin/python3";
    private const string Protoc = "/usr/bin/protoc";
    private const string Plugin = "/usr/bin/grpc_python_plugin";
    private const string WellKnown = "/usr/include/google/protobuf/wrappers.proto";

    private static (int Code, string Out, string Err) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} did not finish");
        }
        return (p.ExitCode, output, err.Result);
    }

    /// <summary>Generates Python stubs for every .proto under proto/ into a new temporary folder (ignores the test when the tools are missing).</summary>
    private static string GenerateStubs()
    {
        foreach (var f in new[] { Python, Protoc, Plugin, WellKnown })
            if (!File.Exists(f)) Assert.Ignore($"{f} is missing (apt-get install python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc libprotobuf-dev)");
        if (Run(Python, "-c", "import grpc").Code != 0) Assert.Ignore("python3-grpcio is not installed");
        var stubs = Path.Combine(Path.GetTempPath(), "tg-pystubs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(stubs);
        var proto = Path.Combine(RepoRoot, "proto");
        var files = Directory.EnumerateFiles(proto, "*.proto", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(proto, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
        var (code, _, err) = Run(Protoc, ["-I" + proto, "-I/usr/include", "--python_out=" + stubs, "--grpc_out=" + stubs, "--plugin=protoc-gen-grpc=" + Plugin, .. files]);
        if (code != 0)
        {
            Directory.Delete(stubs, recursive: true);
            Assert.Fail(err);
        }
        return stubs;
    }

    private static string Script(string name) => Path.Combine(RepoRoot, "tests", "TensorGraph.Serving.Tests", "python", name);

    [Test]
    public async Task PredictMetadataAndStatusFromProtocGeneratedPythonStubs()
    {
        var stubs = GenerateStubs();
        try
        {
            await using var server = await Start("half_plus_two", HalfPlusTwo);
            var (rc, output, stderr) = Run(Python, Script("tfs_client.py"), stubs, $"127.0.0.1:{server.GrpcPort}", "half_plus_two");
            Assert.That(rc, Is.EqualTo(0), stderr);
            var json = JsonDocument.Parse(output).RootElement;
            Assert.That(json.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()), Is.EqualTo(new[] { 2.5, 3.0, 4.5 }));
            Assert.That(json.GetProperty("y_shape").EnumerateArray().Select(v => v.GetInt64()), Is.EqualTo(new long[] { 3 }));
            Assert.That(json.GetProperty("version").GetInt64(), Is.EqualTo(123));
            Assert.That(json.GetProperty("signatures").EnumerateArray().Select(v => v.GetString()), Does.Contain("serving_default").And.Contain("classify_x_to_y"));
            Assert.That(json.GetProperty("x_name").GetString(), Is.EqualTo("x:0"));
            Assert.That(json.GetProperty("state").EnumerateArray().Select(v => v.GetString()), Is.EqualTo(new[] { "AVAILABLE" }));
            var missing = json.GetProperty("missing").EnumerateArray().Select(v => v.GetString()).ToArray();
            Assert.That(missing, Is.EqualTo(new[] { "NOT_FOUND", "Servable not found for request: Latest(no_such_model)" }));
        }
        finally
        {
            Directory.Delete(stubs, recursive: true);
        }
    }

    [Test]
    public async Task MasterSessionFromProtocGeneratedPythonMessages()
    {
        var stubs = GenerateStubs();
        try
        {
            await using var server = await TensorGraph.Serving.Master.MasterServer.StartAsync(new TensorGraph.Serving.Master.MasterServerOptions { Port = 0 });
            var (rc, output, stderr) = Run(Python, Script("master_client.py"), stubs, $"127.0.0.1:{server.Port}");
            Assert.That(rc, Is.EqualTo(0), stderr);
            var json = JsonDocument.Parse(output).RootElement;
            double[] D(string name) => [.. json.GetProperty(name).EnumerateArray().Select(v => v.GetDouble())];
            // y = x · w with w initialized to [0.5, 1, 2] and x = [1, 2, 3].
            Assert.That(D("y"), Is.EqualTo(new[] { 0.5, 2.0, 6.0 }));
            Assert.That(json.GetProperty("new_graph_version").GetInt64(), Is.GreaterThan(json.GetProperty("graph_version").GetInt64()));
            // After the extension's AssignAdd doubled w on the server: w = [1, 2, 4], z = x · w + 1.
            Assert.That(D("w"), Is.EqualTo(new[] { 1.0, 2.0, 4.0 }));
            Assert.That(D("z"), Is.EqualTo(new[] { 2.0, 5.0, 13.0 }));
            Assert.That(json.GetProperty("fetched").EnumerateArray().Select(v => v.GetString()), Is.EqualTo(new[] { "z:0", "w:0" }));
            // The callable after the extension: x = [2, 0, -1], y = x · w, z = y + 1, fetched in CallableOptions order.
            Assert.That(json.GetProperty("callable_handle").GetInt64(), Is.Zero);
            Assert.That(D("callable_z"), Is.EqualTo(new[] { 3.0, 1.0, -3.0 }));
            Assert.That(D("callable_y"), Is.EqualTo(new[] { 2.0, 0.0, -4.0 }));
            Assert.That(json.GetProperty("after_release").EnumerateArray().Select(v => v.GetString()),
                Is.EqualTo(new[] { "INVALID_ARGUMENT", "Attempted to run callable after handle was released: 0" }));
            // The partial run: x = [1, -1, 0.5] fed in the first piece, z computed from it in the second.
            Assert.That(D("partial_y"), Is.EqualTo(new[] { 1.0, -2.0, 2.0 }));
            Assert.That(D("partial_z"), Is.EqualTo(new[] { 2.0, -1.0, 3.0 }));
            Assert.That(json.GetProperty("partial_refused").EnumerateArray().Select(v => v.GetString()),
                Is.EqualTo(new[] { "INVALID_ARGUMENT", "The fetch y:0 has already been fetched." }));
            Assert.That(json.GetProperty("partial_done").EnumerateArray().Select(v => v.GetString()),
                Is.EqualTo(new[] { "INVALID_ARGUMENT", "Must run PartialRunSetup before performing partial runs" }));
            Assert.That(json.GetProperty("error_code").GetString(), Is.EqualTo("NOT_FOUND"));
            Assert.That(json.GetProperty("error_message").GetString(), Does.Contain("no_such_node"));
            Assert.That(json.GetProperty("devices").EnumerateArray().Select(v => v.GetString()), Is.EqualTo(new[] { "/job:localhost/replica:0/task:0/device:CPU:0" }));
            Assert.That(json.GetProperty("after_close").GetString(), Is.EqualTo("ABORTED"), "TF's master: a closed session's handle is not found");
        }
        finally
        {
            Directory.Delete(stubs, recursive: true);
        }
    }
}
