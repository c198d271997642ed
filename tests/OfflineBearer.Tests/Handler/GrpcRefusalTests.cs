using System.Net;
using System.Text;
using Grpc.Net.Client.Internal;
using OfflineBearer.Tests.Support;

namespace OfflineBearer.Tests.Handler;

/// <summary>
/// A gRPC server refuses a token with HTTP 401 (ASP.NET Core's JWT bearer) or with a trailers-only answer carrying
/// <c>grpc-status: 16</c> (UNAUTHENTICATED) and no challenge (interceptors in Go and Java). Both get one new token; the
/// call goes again when its one message can be written again. Default options throughout.
/// </summary>
public sealed class GrpcRefusalTests
{
    [Fact]
    public async Task A_trailers_only_unauthenticated_gets_a_new_token_and_a_unary_call_is_sent_once_more()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        var refused = await RefuseTheFirstTokenAsync(harness, client, Unauthenticated);
        using var content = new PushUnaryContent<object, object>("reading");

        using var response = await client.PostAsync("inventory.Items/Get", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"));
        Assert.Equal(2, harness.TokenRequests.Count);
        var calls = harness.ApiRequests.Where(r => r.Uri.AbsolutePath == "/inventory.Items/Get").ToList();
        Assert.Equal([refused, harness.ApiRequests.Last().BearerToken], calls.Select(c => c.BearerToken));
        Assert.NotEqual(refused, calls[1].BearerToken);
        Assert.All(calls, call => Assert.Equal("reading", call.Body));
    }

    [Fact]
    public async Task A_unary_call_of_the_windows_gRPC_client_is_sent_once_more_too()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        var refused = await RefuseTheFirstTokenAsync(harness, client, Unauthenticated);
        using var content = new WinHttpUnaryContent<object, object>("reading");

        using var response = await client.PostAsync("inventory.Items/Get", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(refused, harness.ApiRequests.Last().BearerToken);
    }

    [Fact]
    public async Task A_401_to_a_unary_call_gets_a_new_token_and_the_call_is_sent_once_more()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        var refused = await RefuseTheFirstTokenAsync(harness, client, () => Harness.Unauthorized());
        using var content = new PushUnaryContent<object, object>("reading");

        using var response = await client.PostAsync("inventory.Items/Get", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, harness.TokenRequests.Count);
        Assert.Equal(2, harness.ApiRequests.Count(r => r.Uri.AbsolutePath == "/inventory.Items/Get"));
        Assert.NotEqual(refused, harness.ApiRequests.Last().BearerToken);
    }

    [Fact]
    public async Task A_streaming_call_is_never_sent_again_but_the_next_call_carries_the_new_token()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        var refused = await RefuseTheFirstTokenAsync(harness, client, Unauthenticated);
        using var stream = new PushStreamContent<object, object>("readings");
        using var unary = new PushUnaryContent<object, object>("reading");

        using var streaming = await client.PostAsync("inventory.Items/Upload", stream);
        using var next = await client.PostAsync("inventory.Items/Get", unary);

        Assert.Equal("16", streaming.Headers.GetValues("grpc-status").Single());
        Assert.Single(harness.ApiRequests, r => r.Uri.AbsolutePath == "/inventory.Items/Upload");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Single(harness.ApiRequests, r => r.Uri.AbsolutePath == "/inventory.Items/Get"); // the token was renewed when the stream was refused: the next call goes out once
        Assert.Equal(2, harness.TokenRequests.Count);
        Assert.NotEqual(refused, harness.ApiRequests.Last().BearerToken);
    }

    [Fact]
    public async Task A_second_unauthenticated_is_the_callers_answer()
    {
        using var harness = new Harness();
        harness.OnApi = request => Task.FromResult(request.Uri.AbsolutePath == "/warm-up" ? new HttpResponseMessage(HttpStatusCode.OK) : Unauthenticated());
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        using var content = new PushUnaryContent<object, object>("reading");

        using var response = await client.PostAsync("inventory.Items/Get", content);

        Assert.Equal("16", response.Headers.GetValues("grpc-status").Single());
        Assert.Equal(2, harness.ApiRequests.Count(r => r.Uri.AbsolutePath == "/inventory.Items/Get"));
        Assert.Equal(2, harness.TokenRequests.Count);
    }

    [Theory]
    [InlineData("7")] // PERMISSION_DENIED: a new token does not widen what the caller may do
    [InlineData("14")] // UNAVAILABLE
    [InlineData("0")]
    [InlineData("16, 16")]
    public async Task Another_grpc_status_is_the_callers_answer_without_a_new_token(string status)
    {
        using var harness = new Harness();
        harness.OnApi = request => Task.FromResult(request.Uri.AbsolutePath == "/warm-up" ? new HttpResponseMessage(HttpStatusCode.OK) : WithStatus(status));
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();
        using var content = new PushUnaryContent<object, object>("reading");

        using var response = await client.PostAsync("inventory.Items/Get", content);

        Assert.Equal(status, string.Join(", ", response.Headers.GetValues("grpc-status")));
        Assert.Single(harness.ApiRequests, r => r.Uri.AbsolutePath == "/inventory.Items/Get");
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task A_grpc_status_on_a_request_without_a_body_is_not_read()
    {
        using var harness = new Harness();
        harness.OnApi = request => Task.FromResult(request.Uri.AbsolutePath == "/warm-up" ? new HttpResponseMessage(HttpStatusCode.OK) : Unauthenticated());
        using var client = harness.CreateClient();
        (await client.GetAsync("warm-up")).Dispose();

        using var response = await client.GetAsync("items");

        Assert.Equal(2, harness.ApiRequests.Count);
        Assert.Single(harness.TokenRequests);
    }

    [Fact]
    public async Task An_unauthenticated_to_a_buffered_body_resends_it()
    {
        using var harness = new Harness();
        using var client = harness.CreateClient();
        await RefuseTheFirstTokenAsync(harness, client, Unauthenticated);
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("reading"));

        using var response = await client.PostAsync("inventory.Items/Get", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, harness.ApiRequests.Count(r => r.Uri.AbsolutePath == "/inventory.Items/Get"));
    }

    private static async Task<string?> RefuseTheFirstTokenAsync(Harness harness, HttpClient client, Func<HttpResponseMessage> refusal)
    {
        (await client.GetAsync("warm-up")).Dispose();
        var refused = harness.ApiRequests.Single().BearerToken;
        harness.OnApi = request => Task.FromResult(request.BearerToken == refused ? refusal() : new HttpResponseMessage(HttpStatusCode.OK));
        return refused;
    }

    /// <summary>A trailers-only answer: HTTP 200 whose headers carry the call's status, with no body.</summary>
    private static HttpResponseMessage WithStatus(string status)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("grpc-status", status);
        response.Headers.TryAddWithoutValidation("grpc-message", "refused");
        return response;
    }

    private static HttpResponseMessage Unauthenticated() => WithStatus("16");
}
