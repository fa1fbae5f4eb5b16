using System.Diagnostics;
using Coord.Protocol;
using Coord.Protocol.Jute;
using Coord.Protocol.Records;

namespace Coord.LoadGen.Workloads;

/// <summary>--populate N: create N znodes /bench/pXXXX/nXXXXXX (1,000 per parent) with --value-bytes of data, pipelined,
/// then exit (used for the large-tree figures: memory per znode, snapshot size and time, restart time).</summary>
static class Populate
{
    public static async Task<int> RunAsync(Options o)
    {
        var value = new byte[o.ValueBytes];
        Random.Shared.NextBytes(value);
        Watchdog.Phase = "populate";
        using var s = await Session.ConnectAsync(o.Host, o.Port);
        var t0 = Stopwatch.StartNew();
        await s.CallAsync(OpCode.Create, (ref JuteWriter w) => new CreateRequest("/bench", [], Wire.Open, 0).Write(ref w, false));
        int parents = (o.Populate + 999) / 1000;
        for (int p = 0; p < parents; p++)
            await s.CallAsync(OpCode.Create, (ref JuteWriter w) => new CreateRequest($"/bench/p{p:D4}", [], Wire.Open, 0).Write(ref w, false));
        long errs = await s.PipelineAsync(o.Populate, Math.Max(1, o.Outstanding), i => new CreateRequest($"/bench/p{i / 1000:D4}/n{i:D6}", value, Wire.Open, 0));
        Console.WriteLine($"populated {o.Populate} znodes in {t0.Elapsed.TotalSeconds:0.0}s ({o.Populate / t0.Elapsed.TotalSeconds:0} creates/s), errors={errs}");
        return errs == 0 ? 0 : 1;
    }
}
