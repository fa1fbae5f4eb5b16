namespace Coord.Server.Diagnostics;

/// <summary>Counters behind srvr/stat/mntr (ZooKeeper's ServerStats). Updated by the processing thread.</summary>
public sealed class ServerStats
{
    public long PacketsReceived;
    public long PacketsSent;
    public long MinLatencyMs = long.MaxValue;
    public long MaxLatencyMs;
    public long TotalLatencyMs;
    public long LatencyCount;

    public void Record(long latencyMs)
    {
        LatencyCount++;
        TotalLatencyMs += latencyMs;
        if (latencyMs < MinLatencyMs) MinLatencyMs = latencyMs;
        if (latencyMs > MaxLatencyMs) MaxLatencyMs = latencyMs;
    }

    public void Reset()
    {
        PacketsReceived = PacketsSent = MaxLatencyMs = TotalLatencyMs = LatencyCount = 0;
        MinLatencyMs = long.MaxValue;
    }

    public long Min => LatencyCount == 0 ? 0 : MinLatencyMs;
    public double Avg => LatencyCount == 0 ? 0 : (double)TotalLatencyMs / LatencyCount;
}
