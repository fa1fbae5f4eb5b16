using System.Globalization;
using System.Net;
using Coord.Protocol.Jute;

namespace Coord.Server.Hosting;

/// <summary>
/// Server settings read from a zoo.cfg-style file (key=value lines, '#' comments), with ZooKeeper's key names and
/// defaults. Keys ZooKeeper takes as system properties (zookeeper.extendedTypesEnabled, jute.maxbuffer,
/// 4lw.commands.whitelist, znode.container.checkIntervalMs …) are accepted in the file too, with or without the
/// "zookeeper." prefix. Invalid values fail fast; unknown keys are reported as warnings.
/// </summary>
public sealed class ServerConfig
{
    public int TickTimeMs { get; set; } = 2000;
    public string DataDir { get; set; } = "./data";
    public string? DataLogDir { get; set; }
    public int ClientPort { get; set; } = 2181;
    public IPAddress ClientPortAddress { get; set; } = IPAddress.Any;
    /// <summary>Connections per client IP; 0 = unlimited. ZooKeeper's default is 60.</summary>
    public int MaxClientCnxns { get; set; } = 60;
    private int _minSessionTimeoutMs = -1, _maxSessionTimeoutMs = -1;
    public int MinSessionTimeoutMs { get => _minSessionTimeoutMs < 0 ? 2 * TickTimeMs : _minSessionTimeoutMs; set => _minSessionTimeoutMs = value; }
    public int MaxSessionTimeoutMs { get => _maxSessionTimeoutMs < 0 ? 20 * TickTimeMs : _maxSessionTimeoutMs; set => _maxSessionTimeoutMs = value; }
    /// <summary>4lw.commands.whitelist: only srvr by default; "*" enables all.</summary>
    public HashSet<string> FourLetterWhitelist { get; set; } = new(StringComparer.Ordinal) { "srvr" };
    public bool ExtendedTypesEnabled { get; set; }
    public int JuteMaxBufferBytes { get; set; } = JuteLimits.DefaultMaxBufferBytes;
    /// <summary>DigestAuthenticationProvider.superDigest: "super:&lt;base64 sha1&gt;".</summary>
    public string? SuperDigest { get; set; }
    public int ContainerCheckIntervalMs { get; set; } = 60_000;
    public int ContainerMaxPerMinute { get; set; } = 10_000;
    public int InitLimit { get; set; } = 10;
    public int SyncLimit { get; set; } = 5;
    /// <summary>globalOutstandingLimit: requests queued for processing across all connections before reads stop.</summary>
    public int GlobalOutstandingLimit { get; set; } = 1000;
    /// <summary>coord.sessionPasswordSecret: when set, session passwords are keyed with it instead of ZooKeeper's
    /// derivable scheme. Only for ensembles made entirely of Coord servers sharing the secret.</summary>
    public byte[]? SessionPasswordSecret { get; set; }
    /// <summary>snapCount: txns between snapshots (randomised by up to half, as ZooKeeper does).</summary>
    public int SnapCount { get; set; } = 100_000;
    /// <summary>preAllocSize in KiB: the txn log grows in blocks of this size.</summary>
    public long PreAllocSizeKb { get; set; } = 65536;
    /// <summary>forceSync: fsync the txn log before acknowledging writes (yes) or only flush it (no).</summary>
    public bool ForceSync { get; set; } = true;
    /// <summary>fsync.warningthresholdms: fsyncs slower than this (ms) are logged.</summary>
    public long FsyncWarningThresholdMs { get; set; } = 1000;
    /// <summary>snapSizeLimitInKb: log bytes between snapshots regardless of snapCount (KiB; 0 disables).</summary>
    public long SnapSizeLimitKb { get; set; } = 4L * 1024 * 1024;
    /// <summary>txnLogSizeLimitInKb: roll the txn log at this size (KiB; -1 = no limit).</summary>
    public long TxnLogSizeLimitKb { get; set; } = -1;
    /// <summary>snapshot.compression.method: "" (none), "gz", "snappy", or "lz4" (Coord only; ZooKeeper cannot read it).</summary>
    public string SnapshotCompression { get; set; } = "";
    public bool SnapshotTrustEmpty { get; set; }
    /// <summary>autopurge.snapRetainCount: snapshots (and the logs they need) kept by autopurge; at least 3.</summary>
    public int AutopurgeSnapRetainCount { get; set; } = 3;
    /// <summary>autopurge.purgeInterval in hours; 0 disables autopurge.</summary>
    public int AutopurgePurgeIntervalHours { get; set; }
    public string? ConfigPath { get; set; }
    public List<string> Warnings { get; } = [];

    /// <summary>Keys that ZooKeeper accepts and Coord does not act on yet (ensemble, persistence tuning, admin server):
    /// they are accepted with a warning rather than rejected, so an existing zoo.cfg starts.</summary>
    private static readonly HashSet<string> AcceptedButUnused = new(StringComparer.Ordinal)
    {
        "admin.enableServer", "admin.serverPort", "admin.serverAddress",
        "standaloneEnabled", "reconfigEnabled",
        "electionAlg", "peerType", "quorumListenOnAllIPs", "metricsProvider.className", "metricsProvider.httpPort",
        "maxCnxns", "localSessionsEnabled",
        "localSessionsUpgradingEnabled", "dynamicConfigFile", "audit.enable", "secureClientPort", "digest.enabled",
        "syncEnabled", "leaderServes", "cnxTimeout", "skipACL",
    };

    public static ServerConfig Load(string path, IEnumerable<string>? overrides = null)
    {
        var cfg = new ServerConfig { ConfigPath = Path.GetFullPath(path) };
        if (!File.Exists(path)) throw new ConfigException($"config file {path} does not exist");
        int lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            int eq = line.IndexOf('=');
            if (eq <= 0) throw new ConfigException($"{path}:{lineNo}: expected key=value, got '{line}'");
            cfg.Set(line[..eq].Trim(), line[(eq + 1)..].Trim(), $"{path}:{lineNo}");
        }
        cfg.ApplyOverrides(overrides);
        cfg.Validate();
        return cfg;
    }

    public static ServerConfig Defaults(IEnumerable<string>? overrides = null)
    {
        var cfg = new ServerConfig();
        cfg.ApplyOverrides(overrides);
        cfg.Validate();
        return cfg;
    }

    private void ApplyOverrides(IEnumerable<string>? overrides)
    {
        foreach (var o in overrides ?? [])
        {
            var s = o.StartsWith("--", StringComparison.Ordinal) ? o[2..] : o.StartsWith("-D", StringComparison.Ordinal) ? o[2..] : o;
            int eq = s.IndexOf('=');
            if (eq <= 0) throw new ConfigException($"argument '{o}': expected key=value");
            Set(s[..eq], s[(eq + 1)..], "argument");
        }
    }

    public void Set(string key, string value, string where)
    {
        string k = key.StartsWith("zookeeper.", StringComparison.Ordinal) ? key["zookeeper.".Length..] : key;
        switch (k)
        {
            case "tickTime": TickTimeMs = PositiveInt(key, value, where); break;
            case "dataDir": DataDir = value; break;
            case "dataLogDir": DataLogDir = value; break;
            case "clientPort": ClientPort = IntIn(key, value, where, 0, 65535); break;
            case "clientPortAddress":
                if (!IPAddress.TryParse(value, out var addr))
                {
                    try { addr = Dns.GetHostAddresses(value).First(); }
                    catch (Exception e) { throw new ConfigException($"{where}: {key}={value} is not an address ({e.Message})"); }
                }
                ClientPortAddress = addr;
                break;
            case "maxClientCnxns": MaxClientCnxns = IntIn(key, value, where, 0, int.MaxValue); break;
            case "minSessionTimeout": MinSessionTimeoutMs = IntIn(key, value, where, -1, int.MaxValue); break;
            case "maxSessionTimeout": MaxSessionTimeoutMs = IntIn(key, value, where, -1, int.MaxValue); break;
            case "4lw.commands.whitelist":
                FourLetterWhitelist = new HashSet<string>(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
                break;
            case "extendedTypesEnabled": ExtendedTypesEnabled = Bool(key, value, where); break;
            case "jute.maxbuffer": JuteMaxBufferBytes = PositiveInt(key, value, where); break;
            case "DigestAuthenticationProvider.superDigest": SuperDigest = value; break;
            case "znode.container.checkIntervalMs": ContainerCheckIntervalMs = PositiveInt(key, value, where); break;
            case "znode.container.maxPerMinute": ContainerMaxPerMinute = PositiveInt(key, value, where); break;
            case "initLimit": InitLimit = PositiveInt(key, value, where); break;
            case "syncLimit": SyncLimit = PositiveInt(key, value, where); break;
            case "globalOutstandingLimit": GlobalOutstandingLimit = PositiveInt(key, value, where); break;
            case "snapCount": SnapCount = IntIn(key, value, where, 2, int.MaxValue); break;
            case "preAllocSize": PreAllocSizeKb = IntIn(key, value, where, 1, int.MaxValue); break;
            case "forceSync": ForceSync = Bool(key, value, where); break;
            case "fsync.warningthresholdms": FsyncWarningThresholdMs = IntIn(key, value, where, 0, int.MaxValue); break;
            case "snapSizeLimitInKb": SnapSizeLimitKb = IntIn(key, value, where, -1, int.MaxValue); break;
            case "txnLogSizeLimitInKb": TxnLogSizeLimitKb = IntIn(key, value, where, -1, int.MaxValue); break;
            case "snapshot.compression.method":
                if (value is not ("" or "gz" or "snappy" or "lz4"))
                    throw new ConfigException($"{where}: {key}={value} is not supported (use \"\", gz or snappy, which ZooKeeper also reads, or lz4 for Coord-only data directories)");
                SnapshotCompression = value;
                break;
            case "snapshot.trust.empty": SnapshotTrustEmpty = Bool(key, value, where); break;
            case "autopurge.snapRetainCount": AutopurgeSnapRetainCount = Math.Max(3, IntIn(key, value, where, 0, int.MaxValue)); break;
            case "autopurge.purgeInterval": AutopurgePurgeIntervalHours = IntIn(key, value, where, 0, int.MaxValue); break;
            case "coord.sessionPasswordSecret":
                if (value.Length < 16) throw new ConfigException($"{where}: {key} must be at least 16 characters");
                SessionPasswordSecret = System.Text.Encoding.UTF8.GetBytes(value);
                break;
            default:
                if (AcceptedButUnused.Contains(k) || k.StartsWith("server.", StringComparison.Ordinal)
                    || k.StartsWith("admin.", StringComparison.Ordinal) || k.StartsWith("metricsProvider.", StringComparison.Ordinal))
                    Warnings.Add($"{where}: {key} is accepted but not used by this Coord server");
                else
                    Warnings.Add($"{where}: unknown key {key} ignored");
                break;
        }
    }

    private void Validate()
    {
        if (MinSessionTimeoutMs > MaxSessionTimeoutMs)
            throw new ConfigException($"minSessionTimeout ({MinSessionTimeoutMs}) must not be larger than maxSessionTimeout ({MaxSessionTimeoutMs})");
    }

    private static int PositiveInt(string key, string value, string where) => IntIn(key, value, where, 1, int.MaxValue);

    private static int IntIn(string key, string value, string where, int min, int max)
    {
        // jute.maxbuffer and friends are often written in hex (0xfffff) in ZooKeeper deployments.
        bool ok = value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v)
            : int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out v);
        if (!ok || v < min || v > max)
            throw new ConfigException($"{where}: {key}={value} is invalid (expected an integer in [{min}, {max}])");
        return v;
    }

    private static bool Bool(string key, string value, string where) => value.ToLowerInvariant() switch
    {
        "true" or "yes" => true,
        "false" or "no" => false,
        _ => throw new ConfigException($"{where}: {key}={value} is invalid (expected true or false)"),
    };
}

public sealed class ConfigException(string message) : Exception(message);
