using BenchmarkDotNet.Running;
using OfflineBearer.Benchmarks.Modes;

// Benchmarks of OfflineBearer (BenchmarkDotNet 0.15.8) and two measuring modes. Always -c Release. From the root:
//
//   Per-request cost, fresh token: NoHandler, ConstantHeader (baseline), OfflineBearer, OidcClient's handler
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- --filter '*HotPathBenchmarks*'
//   Per-request cost with 1, 16 and 256 concurrent callers (ConstantHeader baseline, OfflineBearer, OidcClient)
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- --filter '*ConcurrentCallersBenchmarks*'
//   Allocations per token request (client_credentials, refresh_token) through TokenEndpointClient, in memory
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- --filter '*TokenRequestBenchmarks*'
//   Time to the first token (discovery + grant) against the real development server, vs the two raw round trips
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- --filter '*FirstTokenBenchmarks*'
//   A fleet's token expiry under load, with and without Redis (needs redis-server)
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- --filter '*FleetBenchmarks*'
//   Storms: 10,000 callers at an expired token and at a 401, token endpoint 20 ms (exit 1 unless OfflineBearer
//   makes exactly 1 token request and serves every caller)
//     dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- storm [--callers 10000] [--runs 3]
//   Memory per named client: 1,000 clients with OfflineBearer vs 1,000 plain named clients, each with its token
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
