namespace Coord.Server.Data;

/// <summary>ZooKeeper's path rules (PathUtils.validatePath).</summary>
public static class PathUtils
{
    /// <summary>Returns null when the path is valid, else the reason ZooKeeper gives.</summary>
    public static string? Validate(string? path)
    {
        if (path is null) return "Path cannot be null";
        if (path.Length == 0) return "Path length must be > 0";
        if (path[0] != '/') return "Path must start with / character";
        if (path.Length == 1) return null;
        if (path[^1] == '/') return "Path must not end with / character";
        char last = '/';
        for (int i = 1; i < path.Length; i++)
        {
            char c = path[i];
            if (c == 0) return "null character not allowed @" + i;
            if (c == '/' && last == '/') return "empty node name specified @" + i;
            if (c == '.' && last == '.')
            {
                if (path[i - 2] == '/' && (i + 1 == path.Length || path[i + 1] == '/')) return "relative paths not allowed @" + i;
            }
            else if (c == '.')
            {
                if (path[i - 1] == '/' && (i + 1 == path.Length || path[i + 1] == '/')) return "relative paths not allowed @" + i;
            }
            else if ((c > '\u0000' && c <= '\u001f') || (c >= '\u007f' && c <= '\u009F') || (c >= '\ud800' && c <= '\uf8ff') || c >= '\ufff0')
            {
                return "invalid character @" + i;
            }
            last = c;
        }
        return null;
    }

    public static bool IsValid(string? path) => Validate(path) is null;

    /// <summary>Parent of an absolute path: "/a/b" → "/a", "/a" → "/".</summary>
    public static string Parent(string path)
    {
        int i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];
}
