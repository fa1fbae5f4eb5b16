namespace Coord.LoadGen;

sealed record Options(string Server, string Workload, int Sessions, int Outstanding, int Seconds, int ValueBytes, int ServerPid,
    int Populate, double Rate, int Children, int WatchNodes, int TimeoutSeconds)
{
    public static readonly string[] RequestWorkloads = ["get", "set", "mix90", "mix50", "exists", "children", "createdelete"];

    public string Host => Server.Split(':')[0];
    public int Port => int.Parse(Server.Split(':')[1]);

    public static Options Parse(string[] args)
    {
        var d = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2) d[args[i].TrimStart('-')] = args[i + 1];
        string G(string k, string def) => d.TryGetValue(k, out var v) ? v : def;
        int seconds = int.Parse(G("seconds", "10"));
        var o = new Options(G("server", "127.0.0.1:2181"), G("workload", "get"), int.Parse(G("sessions", "4")), int.Parse(G("outstanding", "100")),
            seconds, int.Parse(G("value-bytes", "100")), int.Parse(G("server-pid", "0")), int.Parse(G("populate", "0")),
            double.Parse(G("rate", "0"), System.Globalization.CultureInfo.InvariantCulture), int.Parse(G("children", "10")),
            int.Parse(G("watch-nodes", "10")), int.Parse(G("timeout", (seconds + 60).ToString())));
        if (o.Populate == 0 && o.Workload is not ("connect" or "watch") && !RequestWorkloads.Contains(o.Workload))
            throw new ArgumentException($"unknown workload '{o.Workload}'");
        return o;
    }
}
