using BenchmarkDotNet.Running;

// Coord micro-benchmarks (BenchmarkDotNet). Examples:
//   dotnet run -c Release --project benchmarks/Coord.Benchmarks -- --filter '*'               full default job
//   dotnet run -c Release --project benchmarks/Coord.Benchmarks -- --job short --filter '*'   quick pass (3 warm-up, 3 measured)
//   dotnet run -c Release --project benchmarks/Coord.Benchmarks -- --list flat                 what exists
//   dotnet run -c Release --project benchmarks/Coord.Benchmarks -- tree-probe [ZNODES] [REPEATS]
//       heap per znode and snapshot write/read/load times of a large tree, in one process (TreeProbe.cs)
if (args.Length > 0 && args[0] == "tree-probe") return Coord.Benchmarks.TreeProbe.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Coord.Benchmarks.Sequences).Assembly).Run(args);
return 0;
