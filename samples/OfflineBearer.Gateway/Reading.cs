namespace OfflineBearer.Gateway;

/// <summary>One measurement of one sensor, as the API receives it.</summary>
internal sealed record Reading(string Sensor, int Sequence, double Celsius, DateTimeOffset TakenAt);
