using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests.Grpc;

/// <summary>
/// <c>AddGrpcClient&lt;T&gt;().AddOfflineBearerHandler()</c> against an in-process gRPC service that accepts the development
/// server's tokens only (bearer and DPoP), refusing them with HTTP 401 (ASP.NET Core's JWT bearer) or a trailers-only
/// UNAUTHENTICATED (an interceptor). Default options, fake clock, real HTTP/2 on loopback.
/// </summary>
[Collection(SharedDevServers.Name)]
public sealed class GrpcClientTests(DevServerFixture servers)
{
    private const int ConcurrentCalls = 1000;

    /// <summary>A hang guard on real time: a passing test never comes near it.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(RefusalStyle.Http401, false)]
    [InlineData(RefusalStyle.Http401, true)]
    [InlineData(RefusalStyle.TrailersOnly, false)]
    [InlineData(RefusalStyle.TrailersOnly, true)]
    public async Task A_unary_call_refused_for_its_token_gets_one_new_token_and_is_sent_again(RefusalStyle style, bool dpop)
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        await using var api = await GrpcApi.StartAsync(harness.Server, harness.Time, style);
        var client = AddInventoryClient(harness, api, dpop);
        await client.GetItemAsync(new ItemRequest { Sku = "warm-up" }, cancellationToken: Guard());
        api.Ledger.RefuseNext(1);

        var item = await client.GetItemAsync(new ItemRequest { Sku = "widget" }, cancellationToken: Guard());

        Assert.Equal("widget", item.Sku);
        Assert.Equal(TestTokenServer.BasicClientId, item.Caller);
        Assert.Equal(2, harness.Ledger.TokenRequests());
        Assert.Equal(1, api.Ledger.Refused);
        Assert.Equal(2, api.Ledger.ServedCalls(nameof(Inventory.InventoryClient.GetItem)));
        var tokens = api.Ledger.Tokens; // the warm-up's, the refused call's, its resend's
        Assert.Equal(3, tokens.Count);
        Assert.Equal(tokens[0], tokens[1]);
        Assert.NotEqual(tokens[1], tokens[2]);
        Assert.All(tokens, token => Assert.Equal(dpop, DPoPProofCheck.ConfirmationOf(new JsonWebToken(token)) is not null));
    }

    [Theory]
    [InlineData(RefusalStyle.Http401)]
    [InlineData(RefusalStyle.TrailersOnly)]
    public async Task A_server_streaming_call_refused_before_its_first_message_is_sent_again_and_streams_each_message_once(RefusalStyle style)
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        await using var api = await GrpcApi.StartAsync(harness.Server, harness.Time, style);
        var client = AddInventoryClient(harness, api, dpop: false);
        await client.GetItemAsync(new ItemRequest { Sku = "warm-up" }, cancellationToken: Guard());
        api.Ledger.RefuseNext(1);

        using var watch = client.WatchItems(new ItemRequest { Sku = "widget", Count = 5 }, cancellationToken: Guard());
        var items = await watch.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal([0, 1, 2, 3, 4], items.Select(item => item.Index));
        Assert.Equal(1, api.Ledger.ServedCalls(nameof(Inventory.InventoryClient.WatchItems)));
        Assert.Equal(1, api.Ledger.Refused);
        Assert.Equal(2, harness.Ledger.TokenRequests());
    }

    [Theory]
    [InlineData(RefusalStyle.Http401, false)]
    [InlineData(RefusalStyle.Http401, true)]
    [InlineData(RefusalStyle.TrailersOnly, false)]
    [InlineData(RefusalStyle.TrailersOnly, true)]
    public async Task A_streaming_call_refused_for_its_token_is_never_sent_again_and_the_next_call_carries_the_new_token(RefusalStyle style, bool duplex)
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        await using var api = await GrpcApi.StartAsync(harness.Server, harness.Time, style);
        var client = AddInventoryClient(harness, api, dpop: false);
        await client.GetItemAsync(new ItemRequest { Sku = "warm-up" }, cancellationToken: Guard());
        api.Ledger.RefuseNext(1);

        var refusal = duplex ? await RefusalOfExchangeAsync(client) : await RefusalOfUploadAsync(client);
        var next = await client.GetItemAsync(new ItemRequest { Sku = "next" }, cancellationToken: Guard());

        Assert.Equal(StatusCode.Unauthenticated, refusal.StatusCode);
        Assert.Equal(0, api.Ledger.ServedCalls(nameof(Inventory.InventoryClient.UploadReadings)) + api.Ledger.ServedCalls(nameof(Inventory.InventoryClient.Exchange)));
        Assert.Equal("next", next.Sku);
        Assert.Equal(1, api.Ledger.Refused);
        Assert.Equal(2, harness.Ledger.TokenRequests()); // renewed when the stream was refused
        var tokens = api.Ledger.Tokens; // the warm-up's, the stream's (sent once), the next call's (sent once, a new token)
        Assert.Equal(3, tokens.Count);
        Assert.Equal(tokens[0], tokens[1]);
        Assert.NotEqual(tokens[1], tokens[2]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_thousand_concurrent_unary_calls_at_a_tokens_expiry_cost_one_token_request(bool dpop)
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        await using var api = await GrpcApi.StartAsync(harness.Server, harness.Time, RefusalStyle.Http401);
        var client = AddInventoryClient(harness, api, dpop);
        await client.GetItemAsync(new ItemRequest { Sku = "warm-up" }, cancellationToken: Guard());
        harness.AdvancePastExpiry();

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, ConcurrentCalls)
            .Select(index => Task.Run(async () =>
            {
                await gate.Task;
                return await client.GetItemAsync(new ItemRequest { Sku = $"item-{index}" }, cancellationToken: Guard());
            }))
            .ToList();
        gate.SetResult();
        var items = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, ConcurrentCalls).Select(index => $"item-{index}"), items.Select(item => item.Sku));
        Assert.Equal(2, harness.Ledger.TokenRequests()); // the warm-up's token and one at expiry
        Assert.Equal(0, api.Ledger.Refused);
        Assert.Equal(ConcurrentCalls + 1, api.Ledger.ServedCalls(nameof(Inventory.InventoryClient.GetItem)));
        Assert.Equal(2, api.Ledger.Tokens.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData(RefusalStyle.Http401)]
    [InlineData(RefusalStyle.TrailersOnly)]
    public async Task The_service_refuses_a_call_without_the_servers_token(RefusalStyle style)
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        await using var api = await GrpcApi.StartAsync(harness.Server, harness.Time, style);
        using var channel = GrpcChannel.ForAddress(api.Url);
        var anonymous = new Inventory.InventoryClient(channel);
        var forged = new Metadata { { "Authorization", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." } };

        var without = await Assert.ThrowsAsync<RpcException>(() => anonymous.GetItemAsync(new ItemRequest(), cancellationToken: Guard()).ResponseAsync);
        var withForged = await Assert.ThrowsAsync<RpcException>(() => anonymous.GetItemAsync(new ItemRequest(), forged, cancellationToken: Guard()).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, without.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, withForged.StatusCode);
        Assert.Equal(0, api.Ledger.ServedCalls(nameof(Inventory.InventoryClient.GetItem)));
    }

    private static Inventory.InventoryClient AddInventoryClient(DevServerHarness harness, GrpcApi api, bool dpop)
    {
        harness.AddGrpcClient<Inventory.InventoryClient>(api.Url, o =>
        {
            harness.Server.ClientOptions(TestTokenServer.BasicClientId)(o);
            o.DPoP = dpop;
        });
        return harness.Services.GetRequiredService<Inventory.InventoryClient>();
    }

    private static async Task<RpcException> RefusalOfUploadAsync(Inventory.InventoryClient client)
    {
        using var upload = client.UploadReadings(cancellationToken: Guard());
        return await Assert.ThrowsAsync<RpcException>(() => upload.ResponseAsync);
    }

    private static async Task<RpcException> RefusalOfExchangeAsync(Inventory.InventoryClient client)
    {
        using var exchange = client.Exchange(cancellationToken: Guard());
        return await Assert.ThrowsAsync<RpcException>(() => exchange.ResponseStream.MoveNext());
    }

    private static CancellationToken Guard() => new CancellationTokenSource(HangGuard).Token;
}
