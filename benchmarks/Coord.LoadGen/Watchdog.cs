namespace Coord.LoadGen;

/// <summary>Bounds every run in time: after --timeout seconds the process prints FAILED with the phase it was in and exits 3.</summary>
static class Watchdog
{
    private static volatile string _phase = "start";
    private static readonly System.Diagnostics.Stopwatch Clock = System.Diagnostics.Stopwatch.StartNew();
    public static string Phase { get => _phase; set => _phase = value; }

    public static void Start(int seconds)
    {
        var t = new Thread(() =>
        {
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            Console.WriteLine($"FAILED: timed out after {Clock.Elapsed.TotalSeconds:0}s (phase: {_phase})");
            Console.Out.Flush();
            Environment.Exit(3);
        }) { IsBackground = true, Name = "watchdog" };
        t.Start();
    }
}
