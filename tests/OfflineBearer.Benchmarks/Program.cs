using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/OfflineBearer.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
