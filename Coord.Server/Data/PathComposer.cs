namespace Coord.Server.Data;

/// <summary>
/// Rebuilds full paths, as UTF-8, during a pre-order walk of the tree, which stores only each node's name: the path
/// of a node at depth d is the path last seen at depth d − 1, a '/', and the node's name. One buffer serves the whole
/// walk, so a path costs no allocation. The root (depth 0) has the path "" here, as snapshots store it.
/// </summary>
public sealed class PathComposer
{
    private byte[] _buffer = new byte[256];
    /// <summary>Length of the path last composed at each depth (the root's is 0).</summary>
    private int[] _endAtDepth = new int[32];

    /// <summary>The path of the next node of the walk, at <paramref name="depth"/> (≤ one more than the previous
    /// node's) named <paramref name="nameUtf8"/>. Valid until the next call.</summary>
    public ReadOnlySpan<byte> Next(int depth, ReadOnlySpan<byte> nameUtf8)
    {
        if (depth == 0) return [];
        int start = _endAtDepth[depth - 1];
        int end = start + 1 + nameUtf8.Length;
        if (end > _buffer.Length) Array.Resize(ref _buffer, Math.Max(end, _buffer.Length * 2));
        if (depth >= _endAtDepth.Length) Array.Resize(ref _endAtDepth, _endAtDepth.Length * 2);
        _buffer[start] = (byte)'/';
        nameUtf8.CopyTo(_buffer.AsSpan(start + 1));
        _endAtDepth[depth] = end;
        return _buffer.AsSpan(0, end);
    }

    /// <summary>A child's path as a new string: "/" + name under the root, else parent + "/" + name.</summary>
    public static string Child(string parentPath, string name) =>
        parentPath is "/" or "" ? "/" + name : string.Concat(parentPath, "/", name);
}
