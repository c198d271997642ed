namespace OfflineBearer.Testing;

/// <summary>How a <see cref="TestTokenServer"/> fails during a <see cref="TokenServerFaults.Outage"/>.</summary>
public enum OutageKind
{
    /// <summary>Every request is answered 503 Service Unavailable, without <c>Retry-After</c>.</summary>
    ServiceUnavailable,

    /// <summary>Every connection is reset before an answer, as a crashed server or a dropped proxy does.</summary>
    ConnectionReset,

    /// <summary>Requests get no answer until the outage ends (or the client gives up), as a hung server does.</summary>
    Hang,
}
