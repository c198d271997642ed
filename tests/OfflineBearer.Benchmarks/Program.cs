using BenchmarkDotNet.Running;
using OfflineBearer.Benchmarks.Modes;

// Benchmarks of OfflineBearer (BenchmarkDotNet 0.15.8) and two measuring modes. Always -c Release. From the root
// (rough times on a quiet 2-core machine, after BenchmarkDotNet's build of about 1.5 minutes):
//
//   Per-request cost, fresh token: NoHandler, ConstantHeader (baseline), OfflineBearer, OfflineBearerDPoP, OidcClient's handler (~4 min)
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- --filter '*HotPathBenchmarks*'
//   Per-request cost with 1, 16 and 256 concurrent callers, ConstantHeader (baseline), OfflineBearer, OidcClient
//   (~5 to 10 min: OidcClient's cases with many callers starve the thread pool for seconds at a time)
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- --filter '*ConcurrentCallersBenchmarks*'
//   Allocations per token request (client_credentials, refresh_token) through TokenEndpointClient, in memory (~3 min)
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- --filter '*TokenRequestBenchmarks*'
//   Time to the first token (discovery + grant) against the real development server, vs the two raw round trips
//   (~3 min; each case starts its own server)
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- --filter '*FirstTokenBenchmarks*'
//   A fleet's token expiry under load, with and without Redis (redis-server, or the embedded Garnet where it is not
//   installed; ~1 min)
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- --filter '*FleetBenchmarks*'
//   Storms: 10,000 callers at an expired token and at a 401, token endpoint 20 ms, OfflineBearer and OidcClient's
//   handler; exit 1 unless every OfflineBearer run makes exactly 1 token request and serves every caller (~2 min)
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- storm [--callers 10000] [--runs 3]
//   Memory per named client: 1,000 plain named clients, and 1,000 with OfflineBearer holding a 22-character opaque
//   token or a ~900-character JWT; the difference is OfflineBearer's own (~15 s)
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- memory [--clients 1000] [--runs 3]
//
// Every BenchmarkDotNet class at once: -- --filter '*'. A quick check of a class: add --job short (or --job dry).
// Duende.AccessTokenManagement has no row anywhere: its package is not available to this build.
return args is [StormMode.Name, ..]
    ? await StormMode.RunAsync(args[1..])
    : args is [MemoryMode.Name, ..]
        ? MemoryMode.Run(args[1..])
        : RunBenchmarks(args);

static int RunBenchmarks(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    return 0;
}
