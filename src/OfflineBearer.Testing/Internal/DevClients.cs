namespace OfflineBearer.Testing.Internal;

/// <summary>
/// The clients this server registers: the five of every server, the certificate clients whose certificates the options
/// give, and the confidential clients the options name. Checks that hold a client to its method must not speak for a client the server does not have.
/// </summary>
internal sealed class DevClients
{
    public DevClients(MutualTls? mutualTls, IEnumerable<string> namedClients)
    {
        List<DevClient> clients = [.. DevClient.All, .. namedClients.Select(DevClient.Named)];
        if (mutualTls?.Authority is not null)
        {
            clients.Add(DevClient.TlsClient);
        }

        if (mutualTls?.SelfSignedClientCertificate is not null)
        {
            clients.Add(DevClient.SelfSignedTlsClient);
        }

        All = clients;
    }

    public IReadOnlyList<DevClient> All { get; }

    public DevClient? Find(string? clientId) => All.FirstOrDefault(client => client.ClientId == clientId);
}
