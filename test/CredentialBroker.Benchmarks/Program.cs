// Microbenchmarks. Run all:   dotnet run -c Release --project test/CredentialBroker.Benchmarks -- --filter '*'
// One class:                  dotnet run -c Release --project test/CredentialBroker.Benchmarks -- --filter '*Policy*'
// Every class has a Baseline (the floor), so BenchmarkDotNet prints each result as a ratio measured in the same run.
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
