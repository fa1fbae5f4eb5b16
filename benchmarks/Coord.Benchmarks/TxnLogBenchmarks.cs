using BenchmarkDotNet.Attributes;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Server.Persistence;

namespace Coord.Benchmarks;

/// <summary>
/// <see cref="FileTxnLog"/> appending setData txns to a real file, one Commit per batch. Figures are per entry
/// (OperationsPerInvoke = batch size). With ForceSync off the cost is framing, Adler-32 and the write(2) into the page
/// cache; with it on, each Commit adds one fdatasync, so a batch of 1 shows the fsync latency and a batch of 100
/// shows it shared by 100 entries (group commit). The txn record is built once, as PrepRequestProcessor hands the log
/// a ready record; only its serialisation is measured.
/// <para>The log lives in a temp directory under the working directory (a real disk, not tmpfs, so fsyncs are real).
/// It is rolled every <see cref="RollBytes"/> and the finished file deleted, so a long run does not fill the disk;
/// rolling (a new file preallocated to 64 MiB) is part of the append cost, amortised as in the server.</para>
/// </summary>
[MemoryDiagnoser]
public class TxnLogBenchmarks
{
    /// <summary>Roll to a new file once the current one passes 64 MiB (ZooKeeper's default preAllocSize).</summary>
    private const long RollBytes = 64L << 20;

    [Params(100, 1024)]
    public int DataBytes { get; set; }

    [Params(false, true)]
    public bool ForceSync { get; set; }

    private string _dir = "";
    private FileTxnLog _log = null!;
    private SetDataTxn _txn = null!;
    private long _zxid;
    private string? _lastFile;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Directory.GetCurrentDirectory(), "txnlog-bench-" + Guid.NewGuid().ToString("N"));
        _log = new FileTxnLog(_dir, new FileTxnLogOptions { ForceSync = ForceSync, SizeLimitBytes = RollBytes });
        var data = new byte[DataBytes];
        new Random(5).NextBytes(data);
        _txn = new SetDataTxn("/app/config/service-0042", data, 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = 1)]
    public long Batch1() => AppendAndCommit(1);

    [Benchmark(OperationsPerInvoke = 100)]
    public long Batch100() => AppendAndCommit(100);

    private long AppendAndCommit(int entries)
    {
        for (int i = 0; i < entries; i++)
        {
            long z = ++_zxid;
            _log.Append(new TxnHeader(0x100, (int)z, z, 1_764_000_000_000 + z, OpCode.SetData), _txn);
        }
        _log.Commit();
        DeleteRolledFile();
        return _log.CurrentLogSize;
    }

    /// <summary>Commit rolls the log past <see cref="RollBytes"/>; the finished file is closed by then and can go.</summary>
    private void DeleteRolledFile()
    {
        var current = _log.CurrentLogPath;
        if (ReferenceEquals(current, _lastFile)) return;
        if (_lastFile is not null && File.Exists(_lastFile)) File.Delete(_lastFile);
        _lastFile = current;
    }
}
