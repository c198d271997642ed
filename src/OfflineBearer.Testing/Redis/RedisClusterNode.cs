using System.Globalization;

namespace OfflineBearer.Testing.Redis;

/// <summary>
/// One node of a <see cref="RedisCluster"/> as one node sees it: a line of <c>CLUSTER NODES</c> (id, port, role, its
/// master, link, the slot ranges it serves, and whether it is migrating or importing a slot).
/// </summary>
internal sealed record RedisClusterNode(
    string Id,
    int Port,
    bool IsMaster,
    string? MasterId,
    bool IsMyself,
    bool IsSettled,
    IReadOnlyList<(int From, int To)> Slots,
    bool IsMovingSlot)
{
    public bool Serves(int slot) => Slots.Any(range => range.From <= slot && slot <= range.To);

    /// <summary>Every node in the answer of <c>CLUSTER NODES</c>.</summary>
    public static IReadOnlyList<RedisClusterNode> Parse(string nodes) =>
        [.. nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseLine)];

    // <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot> ...
    private static RedisClusterNode ParseLine(string line)
    {
        var parts = line.Split(' ');
        var address = parts[1].Split('@')[0];
        var port = int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        var flags = parts[2].Split(',');
        var slots = new List<(int, int)>();
        var moving = false;
        foreach (var slot in parts.Skip(8))
        {
            if (slot.StartsWith('['))
            {
                moving = true; // [slot->-id] migrating, [slot-<-id] importing: only on the myself line
                continue;
            }

            var range = slot.Split('-');
            var from = int.Parse(range[0], CultureInfo.InvariantCulture);
            slots.Add((from, range.Length > 1 ? int.Parse(range[1], CultureInfo.InvariantCulture) : from));
        }

        return new RedisClusterNode(
            parts[0],
            port,
            flags.Contains("master"),
            parts[3] == "-" ? null : parts[3],
            flags.Contains("myself"),
            !flags.Any(flag => flag is "handshake" or "noaddr" or "fail" or "fail?") && parts[7] == "connected",
            slots,
            moving);
    }
}
