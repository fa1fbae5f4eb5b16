using BenchmarkDotNet.Running;

// Coord micro-benchmarks (BenchmarkDotNet). Examples:
//   dotnet run -c Release --project benchmarks/Coord.Benchmarks -- --filter '*'               full default job
//   dotnet run -c Release --project benchmarks/Coord.Benchmarks -- --job short --filter '*'   quick pass (3 warm-up, 3 measured)
//   dotnet run -c Release --project benchmarks/Coord.Benchmarks -- --list flat                 what exists
BenchmarkSwitcher.FromAssembly(typeof(Coord.Benchmarks.Sequences).Assembly).Run(args);
