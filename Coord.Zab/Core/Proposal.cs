namespace Coord.Zab.Core;

/// <summary>A txn as Zab carries it: its zxid and its serialized bytes (TxnHeader + record + digest on the wire).
/// The core never looks inside <see cref="Data"/>.</summary>
public sealed record Proposal(long Zxid, byte[] Data)
{
    public override string ToString() => $"{Coord.Zab.Zxid.ToHex(Zxid)}({Data.Length} B)";
}
