namespace Coord.Protocol;

/// <summary>Request and txn type codes, numbered exactly as ZooKeeper's ZooDefs.OpCode.</summary>
public static class OpCode
{
    public const int Notification = 0;
    public const int Create = 1;
    public const int Delete = 2;
    public const int Exists = 3;
    public const int GetData = 4;
    public const int SetData = 5;
    public const int GetAcl = 6;
    public const int SetAcl = 7;
    public const int GetChildren = 8;
    public const int Sync = 9;
    public const int Ping = 11;
    public const int GetChildren2 = 12;
    public const int Check = 13;
    public const int Multi = 14;
    public const int Create2 = 15;
    public const int Reconfig = 16;
    public const int CheckWatches = 17;
    public const int RemoveWatches = 18;
    public const int CreateContainer = 19;
    public const int DeleteContainer = 20;
    public const int CreateTtl = 21;
    public const int MultiRead = 22;
    public const int Auth = 100;
    public const int SetWatches = 101;
    public const int Sasl = 102;
    public const int GetEphemerals = 103;
    public const int GetAllChildrenNumber = 104;
    public const int SetWatches2 = 105;
    public const int AddWatch = 106;
    public const int WhoAmI = 107;
    public const int CreateSession = -10;
    public const int CloseSession = -11;
    public const int Error = -1;

    public static string Name(int op) => op switch
    {
        Notification => "notification", Create => "create", Delete => "delete", Exists => "exists",
        GetData => "getData", SetData => "setData", GetAcl => "getACL", SetAcl => "setACL",
        GetChildren => "getChildren", Sync => "sync", Ping => "ping", GetChildren2 => "getChildren2",
        Check => "check", Multi => "multi", Create2 => "create2", Reconfig => "reconfig",
        CheckWatches => "checkWatches", RemoveWatches => "removeWatches", CreateContainer => "createContainer",
        DeleteContainer => "deleteContainer", CreateTtl => "createTTL", MultiRead => "multiRead", Auth => "auth",
        SetWatches => "setWatches", Sasl => "sasl", GetEphemerals => "getEphemerals",
        GetAllChildrenNumber => "getAllChildrenNumber", SetWatches2 => "setWatches2", AddWatch => "addWatch",
        WhoAmI => "whoAmI", CreateSession => "createSession", CloseSession => "closeSession", Error => "error",
        _ => "unknown(" + op + ")",
    };
}

/// <summary>Reserved xids (ClientCnxn.java).</summary>
public static class Xid
{
    public const int Notification = -1;
    public const int Ping = -2;
    public const int Auth = -4;
    public const int SetWatches = -8;
}
