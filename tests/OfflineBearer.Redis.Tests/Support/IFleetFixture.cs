using Microsoft.Extensions.Time.Testing;

namespace OfflineBearer.Redis.Tests.Support;

/// <summary>What a <see cref="Replica"/> runs against: the Redis its fleet shares (one server or a cluster), the token server, the fleet's clock.</summary>
public interface IFleetFixture
{
    /// <summary>The StackExchange.Redis configuration string every replica connects with.</summary>
    string RedisConfiguration { get; }

    /// <summary>Rotates refresh tokens with strict reuse detection.</summary>
    TestTokenServer TestTokenServer { get; }

    FakeTimeProvider Time { get; }
}
