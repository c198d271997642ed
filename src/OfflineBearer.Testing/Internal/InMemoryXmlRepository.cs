using System.Collections.Concurrent;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace OfflineBearer.Testing.Internal;

/// <summary>
/// Keeps ASP.NET Core data protection keys in memory. Authentication registers data protection, which by default
/// writes a key file under the user's profile at start; nothing in this server needs a key beyond the process.
/// </summary>
internal sealed class InMemoryXmlRepository : IXmlRepository
{
    private readonly ConcurrentQueue<XElement> _elements = new();

    public IReadOnlyCollection<XElement> GetAllElements() => [.. _elements];

    public void StoreElement(XElement element, string friendlyName) => _elements.Enqueue(element);
}
