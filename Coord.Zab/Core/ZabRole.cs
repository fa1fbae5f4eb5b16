namespace Coord.Zab.Core;

/// <summary>ZooKeeper's ServerState for a participant (observers are not modelled yet).</summary>
public enum ZabRole { Looking, Following, Leading }
