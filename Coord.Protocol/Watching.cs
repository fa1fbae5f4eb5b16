namespace Coord.Protocol;

/// <summary>Watcher.Event.EventType numbers.</summary>
public enum EventType
{
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
    DataWatchRemoved = 5,
    ChildWatchRemoved = 6,
    PersistentWatchRemoved = 7,
}

/// <summary>Watcher.Event.KeeperState numbers.</summary>
public enum KeeperState
{
    Disconnected = 0,
    SyncConnected = 3,
    AuthFailed = 4,
    ConnectedReadOnly = 5,
    SaslAuthenticated = 6,
    Closed = 7,
    Expired = -112,
}

/// <summary>Watcher.WatcherType numbers used by checkWatches/removeWatches.</summary>
public enum WatcherType
{
    Children = 1,
    Data = 2,
    Any = 3,
    Persistent = 4,
    PersistentRecursive = 5,
}

/// <summary>AddWatchMode numbers used by addWatch.</summary>
public enum AddWatchMode
{
    Persistent = 0,
    PersistentRecursive = 1,
}

/// <summary>ZooDefs.Perms bits.</summary>
public static class Perms
{
    public const int Read = 1;
    public const int Write = 2;
    public const int Create = 4;
    public const int Delete = 8;
    public const int Admin = 16;
    public const int All = Read | Write | Create | Delete | Admin;
}
