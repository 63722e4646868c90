using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Tensorflow.Serving;
using static TensorGraph.Serving.Tests.Harness;
using State = Tensorflow.Serving.ModelVersionStatus.Types.State;

namespace TensorGraph.Serving.Tests;

/// <summary>Version pickup and unloading, batching, the bearer token, several models, and the CLI process.</summary>
public class LifecycleTests
{
    private string _dir = null!;

    [SetUp]
    public void MakeDir()
    {
        _dir = Path.Combine(Path.GetTempPath(), "tg-serve-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void RemoveDir()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static PredictRequest Predict(string model, params float[] x)
    {
        var r = new PredictRequest { ModelSpec = new ModelSpec { Name = model } };
        r.Inputs["x"] = Floats(x, x.Length);
        return r;
    }

    [Test]
    public async Task NewVersionsArePickedUpAndOldOnesUnloaded()
    {
        var basePath = Path.Combine(_dir, "half");
        CopyDir(Path.Combine(HalfPlusTwo, "00000123"), Path.Combine(basePath, "123"));
        await using var server = await Harness.Start("half", basePath, poll: 1);
        using var channel = Channel(server);
        var client = new PredictionService.PredictionServiceClient(channel);
        var r = await client.PredictAsync(Predict("half", 2));
        Assert.That(r.ModelSpec.Version, Is.EqualTo(123));
        Assert.That(Values(r.Outputs["y"]), Is.EqualTo(new[] { 3f }));

        // Version 124 is half_plus_three (y = 0.5 x + 3): copied in while serving, it becomes the latest.
        var staging = Path.Combine(_dir, "staging");
        CopyDir(Path.Combine(Fixture(Harness.Serving + "saved_model_half_plus_three"), "00000123"), staging);
        Directory.Move(staging, Path.Combine(basePath, "124"));
        await Eventually(() => server.Models.GetStatus(new ModelSpec { Name = "half" }).ModelVersionStatus
            .Any(s => s.Version == 124 && s.State == State.Available) &&
            server.Models.GetStatus(new ModelSpec { Name = "half" }).ModelVersionStatus.Any(s => s.Version == 123 && s.State == State.End), "version 124 served, 123 unloaded");
        r = await client.PredictAsync(Predict("half", 2));
        Assert.That(r.ModelSpec.Version, Is.EqualTo(124));
        Assert.That(Values(r.Outputs["y"]), Is.EqualTo(new[] { 4f }));
        var gone = Assert.ThrowsAsync<RpcException>(async () =>
            await client.PredictAsync(new PredictRequest { ModelSpec = new ModelSpec { Name = "half", Version = 123 }, Inputs = { ["x"] = Floats([1], 1) } }))!;
        Assert.That(gone.Status.Detail, Is.EqualTo("Servable not found for request: Specific(half, 123)"));

        // REST lists both, newest first.
        using var http = Http(server);
        var json = JsonDocument.Parse(await http.GetStringAsync("/v1/models/half")).RootElement;
        var states = json.GetProperty("model_version_status").EnumerateArray()
            .Select(s => (s.GetProperty("version").GetString(), s.GetProperty("state").GetString())).ToArray();
        Assert.That(states, Is.EqualTo(new[] { ("124", "AVAILABLE"), ("123", "END") }));

        // Removing 124 brings 123 back (the latest left), then 124 is unloaded.
        Directory.Delete(Path.Combine(basePath, "124"), recursive: true);
        await Eventually(() => server.Models.GetStatus(new ModelSpec { Name = "half" }).ModelVersionStatus
            .Any(s => s.Version == 123 && s.State == State.Available), "version 123 served again");
        r = await client.PredictAsync(Predict("half", 2));
        Assert.That(r.ModelSpec.Version, Is.EqualTo(123));
        Assert.That(Values(r.Outputs["y"]), Is.EqualTo(new[] { 3f }));
    }

    [Test]
    public async Task ABrokenVersionIsReportedAndTheModelKeepsServing()
    {
        var basePath = Path.Combine(_dir, "m");
        CopyDir(Path.Combine(HalfPlusTwo, "00000123"), Path.Combine(basePath, "1"));
        await using var server = await Harness.Start("m", basePath, poll: 1);
        // Version 2 appears, but its saved_model.pb is not a SavedModel.
        var staging = Path.Combine(_dir, "staging");
        Directory.CreateDirectory(staging);
        File.WriteAllBytes(Path.Combine(staging, "saved_model.pb"), [0x0a, 0xff, 0xff, 0x01]);
        Directory.Move(staging, Path.Combine(basePath, "2"));
        await Eventually(() => server.Models.GetStatus(new ModelSpec { Name = "m" }).ModelVersionStatus.Any(s => s.Version == 2 && s.State == State.End),
            "version 2's load to fail");
        var two = server.Models.GetStatus(new ModelSpec { Name = "m" }).ModelVersionStatus.Single(s => s.Version == 2);
        Assert.That(two.Status.ErrorCode, Is.Not.EqualTo(TensorGraph.Proto.Code.Ok));
        Assert.That(two.Status.ErrorMessage, Is.Not.Empty);
        // Availability is preserved: version 1 still answers.
        using var channel = Channel(server);
        var r = await new PredictionService.PredictionServiceClient(channel).PredictAsync(Predict("m", 4));
        Assert.That(r.ModelSpec.Version, Is.EqualTo(1));
        Assert.That(Values(r.Outputs["y"]), Is.EqualTo(new[] { 4f }));
    }

    [Test]
    public async Task SeveralModelsFromAConfigFile()
    {
        var config = Path.Combine(_dir, "models.config");
        File.WriteAllText(config, $$"""
            model_config_list {
              config { name: "two" base_path: "{{HalfPlusTwo}}" model_platform: "tensorflow" version_labels { key: "stable" value: 123 } }
              config { name: "three" base_path: "{{Fixture(Harness.Serving + "saved_model_half_plus_three")}}" model_platform: "tensorflow" }
            }
            """);
        await using var server = await ModelServer.StartAsync(new ServingOptions { ModelConfigFile = config, Port = 0, RestApiPort = 0, FileSystemPollWaitSeconds = 0 });
        using var channel = Channel(server);
        var client = new PredictionService.PredictionServiceClient(channel);
        Assert.That(Values((await client.PredictAsync(Predict("two", 2))).Outputs["y"]), Is.EqualTo(new[] { 3f }));
        Assert.That(Values((await client.PredictAsync(Predict("three", 2))).Outputs["y"]), Is.EqualTo(new[] { 4f }));
        var labelled = new PredictRequest { ModelSpec = new ModelSpec { Name = "two", VersionLabel = "stable" }, Inputs = { ["x"] = Floats([0], 1) } };
        var r = await client.PredictAsync(labelled);
        Assert.That(r.ModelSpec.Version, Is.EqualTo(123));
        using var http = Http(server);
        var text = await (await http.PostAsync("/v1/models/two/labels/stable:predict", new StringContent("""{"instances": [6.0]}"""))).Content.ReadAsStringAsync();
        Assert.That(JsonDocument.Parse(text).RootElement.GetProperty("predictions")[0].GetDouble(), Is.EqualTo(5.0), text);

        // ModelService/HandleReloadConfigRequest: drop "three".
        var models = new ModelService.ModelServiceClient(channel);
        var reload = new ReloadConfigRequest { Config = ModelManager.SingleModel("two", HalfPlusTwo) };
        var answer = await models.HandleReloadConfigRequestAsync(reload);
        Assert.That(answer.Status.ErrorCode, Is.EqualTo(TensorGraph.Proto.Code.Ok), answer.Status.ErrorMessage);
        var e = Assert.ThrowsAsync<RpcException>(async () => await client.PredictAsync(Predict("three", 1)))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.NotFound));
    }

    [Test]
    public async Task BatchingKeepsEveryRequestsOwnResult()
    {
        await using var server = await Harness.Start("half", HalfPlusTwo, new BatchingOptions { MaxBatchSize = 16, BatchTimeoutMicros = 20_000 });
        using var channel = Channel(server);
        var client = new PredictionService.PredictionServiceClient(channel);
        const int Clients = 24, PerClient = 20;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            for (int i = 0; i < PerClient; i++)
            {
                // Each request carries its own values, of a size that differs between requests.
                int rows = 1 + (c + i) % 3;
                var x = Enumerable.Range(0, rows).Select(k => (float)(c * 1000 + i * 10 + k)).ToArray();
                var req = new PredictRequest { ModelSpec = new ModelSpec { Name = "half" } };
                req.Inputs["x"] = Floats(x, rows, 1);
                var r = await client.PredictAsync(req);
                var y = Values(r.Outputs["y"]);
                var want = x.Select(v => 0.5f * v + 2f).ToArray();
                if (!y.SequenceEqual(want)) failures.Add($"client {c} request {i}: [{string.Join(",", y)}] != [{string.Join(",", want)}]");
                if (!r.Outputs["y"].TensorShape.Dim.Select(d => d.Size).SequenceEqual(new long[] { rows, 1 })) failures.Add($"client {c} request {i}: shape");
            }
        })));
        Assert.That(failures, Is.Empty);
        var (runs, requests) = server.Core.BatchStats;
        Assert.That(requests, Is.EqualTo(Clients * PerClient));
        Assert.That(runs, Is.LessThan(requests), "concurrent requests shared session runs");
    }

    [Test]
    public async Task TheBearerTokenIsRequired()
    {
        var tokenFile = Path.Combine(_dir, "token");
        File.WriteAllText(tokenFile, "s3cret-token\n");
        await using var server = await Harness.Start("half", HalfPlusTwo, tokenFile: tokenFile);
        using var channel = Channel(server);
        var client = new PredictionService.PredictionServiceClient(channel);
        var e = Assert.ThrowsAsync<RpcException>(async () => await client.PredictAsync(Predict("half", 1)))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        var wrong = new Metadata { { "authorization", "Bearer s3cret-tokeN" } };
        Assert.That(Assert.ThrowsAsync<RpcException>(async () => await client.PredictAsync(Predict("half", 1), wrong))!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        var ok = await client.PredictAsync(Predict("half", 1), new Metadata { { "authorization", "Bearer s3cret-token" } });
        Assert.That(Values(ok.Outputs["y"]), Is.EqualTo(new[] { 2.5f }));
        // Health checks stay open for probes.
        var health = await new Grpc.Health.V1.Health.HealthClient(channel).CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
        Assert.That(health.Status, Is.EqualTo(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving));

        using var http = Http(server);
        var denied = await http.GetAsync("/v1/models/half");
        Assert.That(denied.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using var req = new HttpRequestMessage(HttpMethod.Get, "/v1/models/half");
        req.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret-token");
        Assert.That((await http.SendAsync(req)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public void BadSettingsAreRefused()
    {
        var e = Assert.ThrowsAsync<ServingException>(async () => await ModelServer.StartAsync(new ServingOptions { Port = 0, RestApiPort = -1 }))!;
        Assert.That(e.Message, Is.EqualTo("Both server_model_config_file and model_base_path are empty!"));
        Assert.ThrowsAsync<ServingException>(async () => await ModelServer.StartAsync(new ServingOptions { ModelBasePath = HalfPlusTwo, Host = "not-an-ip", Port = 0 }));
        Assert.ThrowsAsync<ServingException>(async () => await ModelServer.StartAsync(new ServingOptions { ModelBasePath = HalfPlusTwo, SslCert = "cert.pem", Port = 0 }));
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary><c>tensorgraph serve</c> as a user runs it: a separate process, ports from its output, a REST and a gRPC call, then SIGTERM drains and exits 0.</summary>
    [Test]
    public async Task TheCliServesUntilTerminated()
    {
        var cli = Path.Combine(TestContext.CurrentContext.TestDirectory, "TensorGraph.Cli.dll");
        Assert.That(File.Exists(cli), Is.True, cli);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "exec", cli, "serve", "--model_name", "half", "--model_base_path", HalfPlusTwo, "--port", "0", "--rest_api_port", "0", "--enable_batching" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            int grpc = -1, rest = -1;
            var lines = new List<string>();
            while (grpc < 0 || rest < 0)
            {
                var line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
                if (line is null) Assert.Fail("serve exited early: " + string.Join("\n", lines) + await stderr);
                lines.Add(line!);
                if (line!.StartsWith("Running gRPC ModelServer at 127.0.0.1:", StringComparison.Ordinal)) grpc = int.Parse(line.Split(':')[1].Split(' ')[0]);
                if (line.StartsWith("Exporting HTTP/REST API at:127.0.0.1:", StringComparison.Ordinal)) rest = int.Parse(line.Split(':')[2].Split(' ')[0]);
            }
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{rest}") };
            var text = await (await http.PostAsync("/v1/models/half:predict", new StringContent("""{"instances": [1.0, 2.0, 5.0]}"""))).Content.ReadAsStringAsync();
            Assert.That(JsonDocument.Parse(text).RootElement.GetProperty("predictions").EnumerateArray().Select(e => e.GetDouble()), Is.EqualTo(new[] { 2.5, 3.0, 4.5 }), text);
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{grpc}");
            var r = await new PredictionService.PredictionServiceClient(channel).PredictAsync(Predict("half", 1, 2, 5));
            Assert.That(Values(r.Outputs["y"]), Is.EqualTo(new[] { 2.5f, 3f, 4.5f }));

            Assert.That(Kill(p.Id, SigTerm), Is.EqualTo(0), "kill(SIGTERM)");
            var rest2 = await p.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(2));
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
            Assert.That(p.ExitCode, Is.EqualTo(0), await stderr);
            Assert.That(rest2, Does.Contain("Shutting down"));
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }
}
