using System.Globalization;
using System.Text;

namespace Coord.Server.Data;

/// <summary>
/// Quota statistics, maintained as ZooKeeper 3.8's DataTree maintains them. A quota on /p is the pair of nodes
/// /zookeeper/quota/p/zookeeper_limits and /zookeeper/quota/p/zookeeper_stats. Creating the limits node registers /p;
/// creating the stats node fills it with the subtree's current "count=N,bytes=M"; every later create, delete and
/// setData under /p adjusts those numbers in place (data only: no version bump, no watch). Soft limits are only
/// reported, as in ZooKeeper without enforceQuota.
/// </summary>
public sealed partial class DataTree
{
    public const string QuotaLimitNode = "zookeeper_limits";
    public const string QuotaStatNode = "zookeeper_stats";

    private readonly HashSet<string> _quotaPaths = new(StringComparer.Ordinal);

    /// <summary>Quota bookkeeping after a node is created (DataTree.createNode).</summary>
    private void OnQuotaCreate(string path, string parentPath, ReadOnlySpan<char> childName, int dataLength)
    {
        if (parentPath.StartsWith(QuotaZookeeper, StringComparison.Ordinal))
        {
            if (childName.SequenceEqual(QuotaLimitNode)) _quotaPaths.Add(TrimQuotaPath(parentPath));
            if (childName.SequenceEqual(QuotaStatNode)) UpdateQuotaForPath(TrimQuotaPath(parentPath));
        }
        var prefix = MaxPrefixWithQuota(path);
        if (prefix is not null) UpdateQuotaStat(prefix, dataLength, 1);
    }

    private void OnQuotaDelete(string path, string parentPath, ReadOnlySpan<char> childName, int dataLength)
    {
        if (parentPath.StartsWith(QuotaZookeeper, StringComparison.Ordinal) && childName.SequenceEqual(QuotaLimitNode))
            _quotaPaths.Remove(TrimQuotaPath(parentPath));
        var prefix = MaxPrefixWithQuota(path);
        if (prefix is not null) UpdateQuotaStat(prefix, -dataLength, -1);
    }

    private void OnQuotaSetData(string path, int oldLength, int newLength)
    {
        var prefix = MaxPrefixWithQuota(path);
        if (prefix is not null) UpdateQuotaStat(prefix, newLength - oldLength, 0);
    }

    /// <summary>"/zookeeper/quota/a/b" → "/a/b".</summary>
    private static string TrimQuotaPath(string quotaPath) =>
        quotaPath.Length > QuotaZookeeper.Length ? quotaPath[QuotaZookeeper.Length..] : "/";

    /// <summary>The longest registered quota path that is a component-wise prefix of <paramref name="path"/>.</summary>
    private string? MaxPrefixWithQuota(string path)
    {
        if (_quotaPaths.Count == 0) return null;
        string? best = null;
        foreach (var q in _quotaPaths)
        {
            if (q == "/" || q.Length == 0) continue;
            bool isPrefix = path == q || (path.StartsWith(q, StringComparison.Ordinal) && path.Length > q.Length && path[q.Length] == '/');
            if (isPrefix && (best is null || q.Length > best.Length)) best = q;
        }
        return best;
    }

    private void UpdateQuotaForPath(string path)
    {
        long count = 0, bytes = 0;
        var stack = new Stack<DataNode>();
        if (GetNode(path) is { } top) stack.Push(top);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            count++;
            bytes += n.DataLength;
            foreach (var c in n.Children) stack.Push(c);
        }
        var stat = GetNode(QuotaZookeeper + path + "/" + QuotaStatNode);
        if (stat is null) return;
        BeforeChange(stat);
        stat.SetData(Encoding.UTF8.GetBytes(FormatStats(count, bytes, stat.CopyData())));
    }

    private void UpdateQuotaStat(string prefix, long bytesDiff, long countDiff)
    {
        var stat = GetNode(QuotaZookeeper + prefix + "/" + QuotaStatNode);
        if (stat is null) return;
        var previous = stat.CopyData();
        var (count, bytes) = ParseStats(previous);
        BeforeChange(stat);
        stat.SetData(Encoding.UTF8.GetBytes(FormatStats(count + countDiff, bytes + bytesDiff, previous)));
    }

    /// <summary>StatsTrack text: "count=N,bytes=M" first, any other keys after as ";key=value".</summary>
    private static string FormatStats(long count, long bytes, byte[]? previous)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"count={count},bytes={bytes}");
        foreach (var (k, v) in ParsePairs(previous))
            if (k is not ("count" or "bytes")) sb.Append(';').Append(k).Append('=').Append(v);
        return sb.ToString();
    }

    private static (long Count, long Bytes) ParseStats(byte[]? data)
    {
        long count = 0, bytes = 0;
        foreach (var (k, v) in ParsePairs(data))
        {
            if (k == "count") long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out count);
            else if (k == "bytes") long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out bytes);
        }
        return (count, bytes);
    }

    private static IEnumerable<(string, string)> ParsePairs(byte[]? data)
    {
        if (data is null || data.Length == 0) yield break;
        foreach (var part in Encoding.UTF8.GetString(data).Split([',', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq > 0) yield return (part[..eq].Trim(), part[(eq + 1)..].Trim());
        }
    }
}
