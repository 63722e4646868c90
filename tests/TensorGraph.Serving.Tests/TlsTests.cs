using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using TensorGraph.Proto;
using TensorGraph.Serving.Master;
using Tensorflow.Serving;
using static TensorGraph.Serving.Tests.Harness;

namespace TensorGraph.Serving.Tests;

/// <summary>
/// <c>--ssl_cert/--ssl_key</c>: a self-signed certificate made for the test, the model server's gRPC
/// and REST ports and the master's port served over TLS, called by clients that trust exactly that
/// certificate; a client that does not trust it, or one speaking plain text, gets nothing.
/// </summary>
public class TlsTests
{
    private string _dir = "";
    private string _cert = "", _key = "";
    private string _thumbprint = "";

    [OneTimeSetUp]
    public void MakeCertificate()
    {
        _dir = Path.Combine(Path.GetTempPath(), "tg-tls-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        _thumbprint = cert.Thumbprint;
        _cert = Path.Combine(_dir, "server.crt");
        _key = Path.Combine(_dir, "server.key");
        File.WriteAllText(_cert, cert.ExportCertificatePem());
        File.WriteAllText(_key, key.ExportPkcs8PrivateKeyPem());
    }

    [OneTimeTearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    /// <summary>A handler that accepts the server's certificate only when it is the test's own.</summary>
    private SocketsHttpHandler Trusting() => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, c, _, _) => c is not null && string.Equals(c.GetCertHashString(), _thumbprint, StringComparison.OrdinalIgnoreCase),
        },
    };

    private static PredictRequest Predict(params float[] x)
    {
        var r = new PredictRequest { ModelSpec = new ModelSpec { Name = "half" } };
        r.Inputs["x"] = Floats(x, x.Length);
        return r;
    }

    [Test]
    public async Task TheModelServerAnswersGrpcAndRestOverTls()
    {
        await using var server = await ModelServer.StartAsync(new ServingOptions
        {
            ModelName = "half", ModelBasePath = HalfPlusTwo, Port = 0, RestApiPort = 0, FileSystemPollWaitSeconds = 0, SslCert = _cert, SslKey = _key,
        });
        using (var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{server.GrpcPort}", new GrpcChannelOptions { HttpHandler = Trusting() }))
        {
            var r = await new PredictionService.PredictionServiceClient(channel).PredictAsync(Predict(1, 2, 5));
            Assert.That(Values(r.Outputs["y"]), Is.EqualTo(new[] { 2.5f, 3f, 4.5f }));
        }
        using (var http = new HttpClient(Trusting()) { BaseAddress = new Uri($"https://127.0.0.1:{server.RestPort}") })
        {
            var resp = await http.PostAsJsonAsync("/v1/models/half:predict", new { instances = new[] { 1.0, 2.0, 5.0 } });
            Assert.That(resp.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            using var doc = JsonDocument.Parse(await resp.Content.ReadAsStringAsync());
            Assert.That(doc.RootElement.GetProperty("predictions").EnumerateArray().Select(e => e.GetDouble()), Is.EqualTo(new[] { 2.5, 3.0, 4.5 }));
        }

        // A client that validates the certificate the usual way refuses a self-signed one.
        using (var untrusting = GrpcChannel.ForAddress($"https://127.0.0.1:{server.GrpcPort}"))
        {
            var e = Assert.ThrowsAsync<RpcException>(async () => await new PredictionService.PredictionServiceClient(untrusting).PredictAsync(Predict(1)))!;
            Assert.That(e.StatusCode, Is.AnyOf(StatusCode.Unavailable, StatusCode.Internal));
            Assert.That(e.Status.DebugException?.ToString(), Does.Contain("SSL"));
        }
        // Plain text to a TLS port gets no answer from the model.
        using (var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.RestPort}") })
        {
            HttpResponseMessage? resp = null;
            try
            {
                resp = await plain.GetAsync("/v1/models/half");
            }
            catch (HttpRequestException)
            {
            }
            Assert.That(resp?.StatusCode, Is.Not.EqualTo(HttpStatusCode.OK));
        }
        // The server is still serving after the refused connections.
        using (var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{server.GrpcPort}", new GrpcChannelOptions { HttpHandler = Trusting() }))
        {
            var r = await new PredictionService.PredictionServiceClient(channel).PredictAsync(Predict(4));
            Assert.That(Values(r.Outputs["y"]), Is.EqualTo(new[] { 4f }));
        }
    }

    [Test]
    public async Task TheMasterServesSessionsOverTls()
    {
        await using var server = await MasterServer.StartAsync(new MasterServerOptions { Port = 0, SslCert = _cert, SslKey = _key });
        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{server.Port}", new GrpcChannelOptions { HttpHandler = Trusting() });
        var calls = channel.CreateCallInvoker();
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(2), "x");
        var y = g.Multiply(x, g.Constant(3f), "y");
        var created = await Call(calls, "CreateSession", new CreateSessionRequest { GraphDef = g.ToGraphDef() }, CreateSessionResponse.Parser);
        var step = new RunStepRequest { SessionHandle = created.SessionHandle };
        step.Fetch.Add(y.Name);
        step.Feed.Add(new NamedTensorProto { Name = x.Name, Tensor = TensorProtos.ToProto(Tensor.Create(new[] { 1f, -2f }, 2)) });
        var run = await Call(calls, "RunStep", step, RunStepResponse.Parser);
        Assert.That(TensorProtos.FromProto(run.Tensor[0].Tensor).ToArray<float>(), Is.EqualTo(new[] { 3f, -6f }));
        await Call(calls, "CloseSession", new CloseSessionRequest { SessionHandle = created.SessionHandle }, CloseSessionResponse.Parser);
    }

    [Test]
    public async Task ARemoteSessionTrustsTheRootsItIsGiven()
    {
        await using var server = await MasterServer.StartAsync(new MasterServerOptions { Port = 0, SslCert = _cert, SslKey = _key });
        var target = $"grpc://127.0.0.1:{server.Port}";
        var g = new Graph();
        var x = g.Placeholder(DType.Float32, new Shape(-1), name: "x");
        var total = g.Variable(0f, name: "total");
        var add = g.AssignAdd(total, g.ReduceSum(x));
        var roots = new X509Certificate2Collection { X509CertificateLoader.LoadCertificateFromFile(_cert) };
        using (var s = new Session(g, target: target, remote: new RemoteOptions { UseTls = true, TrustedRootCertificates = roots }))
        {
            s.Run(g.GlobalVariablesInitializer());
            Assert.That(s.Run(add, new FeedDict { { x, new[] { 1f, 2f, 3f } } }).Scalar<float>(), Is.EqualTo(6f));
            Assert.That(s.Run(total.Value).Scalar<float>(), Is.EqualTo(6f));
        }
        // The system's roots do not include the test's certificate; plain text to a TLS port fails too.
        using (var s = new Session(g, target: target, remote: new RemoteOptions { UseTls = true }))
            Assert.That(() => s.Run(g.GlobalVariablesInitializer()), Throws.InstanceOf<TensorGraphException>());
        using (var s = new Session(g, target: target))
            Assert.That(() => s.Run(g.GlobalVariablesInitializer()), Throws.InstanceOf<TensorGraphException>());
        Assert.Throws<InvalidArgumentException>(() => new Session(g, target: target, remote: new RemoteOptions { TrustedRootCertificates = roots }));
    }

    private static Task<TResp> Call<TReq, TResp>(CallInvoker calls, string name, TReq request, MessageParser<TResp> parser)
        where TReq : class, IMessage<TReq> where TResp : class, IMessage<TResp>
    {
        var method = new Method<TReq, TResp>(MethodType.Unary, "tensorflow.MasterService", name,
            Marshallers.Create((TReq m) => m.ToByteArray(), _ => throw new NotSupportedException()),
            Marshallers.Create((TResp m) => m.ToByteArray(), parser.ParseFrom));
        return calls.AsyncUnaryCall(method, null, new CallOptions(), request).ResponseAsync;
    }
}
