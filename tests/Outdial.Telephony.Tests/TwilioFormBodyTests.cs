using System.Net;
using System.Net.Sockets;
using System.Text;
using Outdial.Core.Agents;
using Outdial.Core.Telephony;
using Outdial.Telephony.Twilio;

namespace Outdial.Telephony.Tests;

/// <summary>
/// Outdial's CreateCall request, captured on a loopback listener, equals byte for byte what the official twilio npm
/// library sends for the same arguments (keys, order, repeated StatusCallbackEvent, %2B, booleans, integers).
/// </summary>
public sealed class TwilioFormBodyTests
{
    public static TheoryData<string, bool, AnsweringMachineDetection> Variants => new()
    {
        { "plain", false, AnsweringMachineDetection.Off },
        { "record", true, AnsweringMachineDetection.Off },
        { "amd-enable", false, AnsweringMachineDetection.Enable },
        { "amd-message-end-record", true, AnsweringMachineDetection.DetectMessageEnd },
        { "attempt id with + space/é", false, AnsweringMachineDetection.Enable },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task CreateCall_FormBody_EqualsTwilioNpmLibrary(string attemptId, bool record, AnsweringMachineDetection amd)
    {
        var request = new DialRequest(attemptId, "call-1", "+15551234567", "+15550000100", 25, 900, record, amd);
        var create = TwilioProvider.CreateCallFor(request, "https://outdial.example.com/base");

        var ours = await CaptureOursAsync(create);
        var theirs = await TwilioNode.CreateCallAsync(Twilio.AccountSid, create);

        Assert.Equal(theirs.Path, ours.Path);
        Assert.Equal("POST", ours.Method);
        Assert.Equal(theirs.ContentType, ours.ContentType);
        Assert.Equal(theirs.Body.Split('&'), ours.Body.Split('&'));
        Assert.Equal(theirs.Body, ours.Body);
    }

    [Fact]
    public void CreateCallFor_AmdAndRecord_SetsEveryCallbackUnderThePublicBaseUrl()
    {
        var create = TwilioProvider.CreateCallFor(
            new DialRequest("att_1", "call-1", "+15551234567", "+15550000100", 25, 900, true, AnsweringMachineDetection.DetectMessageEnd),
            "https://o.example.com");

        Assert.Equal("https://o.example.com/providers/twilio/calls/att_1/twiml", create.Url);
        Assert.Equal("https://o.example.com/providers/twilio/calls/att_1/status", create.StatusCallback);
        Assert.Equal(["initiated", "ringing", "answered", "completed"], create.StatusCallbackEvent);
        Assert.Equal("https://o.example.com/providers/twilio/calls/att_1/recording", create.RecordingStatusCallback);
        Assert.Equal("https://o.example.com/providers/twilio/calls/att_1/amd", create.AsyncAmdStatusCallback);
        Assert.Equal("DetectMessageEnd", create.MachineDetection);
        Assert.Equal((25, 900, true, true), (create.Timeout, create.TimeLimit, create.Record, create.AsyncAmd));
    }

    private static async Task<CapturedRequest> CaptureOursAsync(TwilioCreateCall create)
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var captured = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var request = new CapturedRequest(context.Request.HttpMethod, context.Request.RawUrl ?? "", context.Request.ContentType, body);
            context.Response.StatusCode = 201;
            context.Response.ContentType = "application/json";
            var json = Encoding.UTF8.GetBytes(StubHandler.Call("CA00000000000000000000000000000001", "queued"));
            await context.Response.OutputStream.WriteAsync(json);
            context.Response.Close();
            return request;
        });
        var client = Twilio.Client(new SocketsHttpHandler(), Twilio.Options($"http://127.0.0.1:{port}"), TimeProvider.System);
        var call = await client.CreateCallAsync(create, CancellationToken.None);
        Assert.Equal("CA00000000000000000000000000000001", call.Sid);
        return await captured;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
