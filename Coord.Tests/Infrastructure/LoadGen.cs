using NUnit.Framework;

namespace Coord.Tests.Infrastructure;

/// <summary>benchmarks/Coord.LoadGen, built alongside the tests (Coord.Tests references the project without its
/// assembly) in the same configuration.</summary>
public static class LoadGen
{
    public static string Dll
    {
        get
        {
            string config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
            var dll = Repo.PathOf("benchmarks", "Coord.LoadGen", "bin", config, "net10.0", "Coord.LoadGen.dll");
            if (!File.Exists(dll)) Assert.Ignore($"{dll} not built");
            return dll;
        }
    }
}
