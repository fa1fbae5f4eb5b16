namespace Coord.Zab;

/// <summary>
/// A thread of its own for the txn log's fsyncs, as ZooKeeper's SyncRequestProcessor has its own thread. An fsync
/// blocks its thread for as long as the disk takes (1-30 ms here, longer behind other writes). On the thread pool it
/// would hold a worker that the socket reads and sends need, and a server pinned to one core starts with a single
/// pool worker: every reply waited for the fsync in flight, and a connect waited for a whole snapshot write.
/// One job runs at a time; <see cref="StandaloneBroadcast"/> never has more than one fsync in flight.
/// Part of the standalone commit pipeline's I/O shell, like StandaloneBroadcast's background sync itself: the Zab
/// core state machine to come stays free of threads, and its driver will own threads like this one.
/// </summary>
public sealed class SyncThread : IDisposable
{
    private readonly object _lock = new();
    private Action? _job;
    private bool _stopped;

    public SyncThread(string name)
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = name };
        thread.Start();
    }

    /// <summary>Queues <paramref name="job"/> for the thread; the task completes when it has run (faulted if it threw).
    /// One job may wait while another runs (a job's completion may start the next); a second one throws.</summary>
    public Task Run(Action job)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_stopped) throw new ObjectDisposedException(nameof(SyncThread));
            if (_job is not null) throw new InvalidOperationException("a sync is already queued");
            _job = () =>
            {
                try { job(); done.SetResult(); }
                catch (Exception e) { done.SetException(e); }
            };
            Monitor.Pulse(_lock);
        }
        return done.Task;
    }

    private void Loop()
    {
        while (true)
        {
            Action job;
            lock (_lock)
            {
                while (_job is null && !_stopped) Monitor.Wait(_lock);
                if (_job is null) return;
                job = _job;
                _job = null;
            }
            job();
        }
    }

    /// <summary>Ends the thread once the running job, if any, is done.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _stopped = true;
            Monitor.Pulse(_lock);
        }
    }
}
