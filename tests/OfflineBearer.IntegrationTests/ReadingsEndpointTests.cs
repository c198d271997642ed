using System.Net;
using System.Net.Http.Json;
using OfflineBearer.IntegrationTests.Support;

namespace OfflineBearer.IntegrationTests;

/// <summary>The development server's <c>POST /api/readings</c>, which the sensor gateway sample posts to: protected like the ping.</summary>
[Collection(SharedDevServers.Name)]
public sealed class ReadingsEndpointTests(DevServerFixture servers)
{
    [Fact]
    public async Task A_reading_posted_through_the_handler_is_accepted_and_one_without_a_token_is_not()
    {
        await using var harness = DevServerHarness.Create(servers.Rotating);
        harness.AddBasicClient("gateway");
        var readings = new Uri(harness.Server.ApiUrl, "readings");

        using var accepted = await harness.CreateClient("gateway").PostAsJsonAsync(readings, new { sensor = "greenhouse-7", celsius = 18.5 });
        using var anonymous = new HttpClient();
        using var refused = await anonymous.PostAsJsonAsync(readings, new { sensor = "greenhouse-7", celsius = 18.5 });

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
