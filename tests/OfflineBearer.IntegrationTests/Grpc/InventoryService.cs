using Grpc.Core;

namespace OfflineBearer.IntegrationTests.Grpc;

/// <summary>The service's calls: each answers who called (the token's client_id), so a test sees the token was accepted.</summary>
internal sealed class InventoryService(GrpcApiLedger ledger) : Inventory.InventoryBase
{
    public override Task<Item> GetItem(ItemRequest request, ServerCallContext context)
    {
        ledger.Served(nameof(GetItem));
        return Task.FromResult(new Item { Sku = request.Sku, Index = 0, Caller = Caller(context) });
    }

    public override async Task WatchItems(ItemRequest request, IServerStreamWriter<Item> responseStream, ServerCallContext context)
    {
        ledger.Served(nameof(WatchItems));
        for (var index = 0; index < request.Count; index++)
        {
            await responseStream.WriteAsync(new Item { Sku = request.Sku, Index = index, Caller = Caller(context) });
        }
    }

    public override async Task<UploadSummary> UploadReadings(IAsyncStreamReader<Reading> requestStream, ServerCallContext context)
    {
        ledger.Served(nameof(UploadReadings));
        var count = 0;
        await foreach (var _ in requestStream.ReadAllAsync(context.CancellationToken))
        {
            count++;
        }

        return new UploadSummary { Readings = count };
    }

    public override async Task Exchange(IAsyncStreamReader<Reading> requestStream, IServerStreamWriter<Item> responseStream, ServerCallContext context)
    {
        ledger.Served(nameof(Exchange));
        var index = 0;
        await foreach (var reading in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(new Item { Sku = reading.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), Index = index++, Caller = Caller(context) });
        }
    }

    private static string Caller(ServerCallContext context) =>
        context.GetHttpContext().User.FindFirst("client_id")?.Value ?? "";
}
