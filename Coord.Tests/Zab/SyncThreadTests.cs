using Coord.Zab;
using NUnit.Framework;

namespace Coord.Tests.Zab;

/// <summary>The txn log's fsync thread: jobs run on it, not on a pool worker, one at a time and in order.</summary>
[TestFixture]
public sealed class SyncThreadTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Test]
    public void RunsEachJobOnItsOwnThreadAndReportsItsOutcome()
    {
        using var sync = new SyncThread("test sync");
        string? name = null;
        bool poolThread = true;
        Assert.That(sync.Run(() => { name = Thread.CurrentThread.Name; poolThread = Thread.CurrentThread.IsThreadPoolThread; }).Wait(Bound), Is.True);
        Assert.That(name, Is.EqualTo("test sync"));
        Assert.That(poolThread, Is.False, "a blocking fsync must not hold a thread-pool worker");

        var failed = sync.Run(() => throw new IOException("disk gone"));
        var e = Assert.Throws<AggregateException>(() => failed.Wait(Bound));
        Assert.That(e!.InnerException, Is.TypeOf<IOException>());
        Assert.That(sync.Run(() => { }).Wait(Bound), Is.True, "a failed job does not stop the thread");
    }

    [Test]
    public void AJobMayQueueTheNextOneFromItsCompletion()
    {
        // StandaloneBroadcast starts the next fsync from the completion of the previous one, which may run before
        // the thread has gone back to waiting.
        using var sync = new SyncThread("test sync");
        var order = new List<int>();
        var all = new TaskCompletionSource();
        void Job(int i) => sync.Run(() =>
        {
            lock (order) order.Add(i);
            if (i < 50) Job(i + 1);
            else all.SetResult();
        });
        Job(1);
        Assert.That(all.Task.Wait(Bound), Is.True);
        Assert.That(order, Is.EqualTo(Enumerable.Range(1, 50)));
    }

    [Test]
    public void ASecondQueuedJobIsRefused()
    {
        using var sync = new SyncThread("test sync");
        using var release = new ManualResetEventSlim();
        var running = new ManualResetEventSlim();
        var first = sync.Run(() => { running.Set(); release.Wait(Bound); });
        Assert.That(running.Wait(Bound), Is.True);
        var second = sync.Run(() => { });
        Assert.Throws<InvalidOperationException>(() => sync.Run(() => { }));
        release.Set();
        Assert.That(Task.WaitAll([first, second], Bound), Is.True);
    }
}
