#!/usr/bin/python3
"""Normalise raw zkCli.sh output produced by run_zkcli.sh.

usage: normalize_zkcli.py SCRIPT RAW_OUTPUT > normalized.txt

run_zkcli.sh feeds zkCli (non-interactive, JLine disabled) every command of SCRIPT
followed by a marker pair `sync /` + `printwatches`, which prints "Sync is OK" and
"printwatches is on|off". sync completes on the client's event thread after every
watch notification caused by the previous command has been printed, so the output
between two markers is exactly the output of one command plus the watch events it
triggered. Per chunk we:
  * drop log / SLF4J lines and blank lines,
  * turn "WATCHER::" + "WatchedEvent ..." into one "WATCHER:: WatchedEvent ..." line
    and move these to the end of the chunk (the event thread prints them concurrently with the command output),
  * mask ctime/mtime, session ids (non-zero ephemeralOwner), and replace zxids by
    their rank among all zxids in the output (Z1 < Z2 < ...), so that equality and
    ordering are compared but absolute values are not,
  * sort the items of "[a, b, c]" child lists and the lines of `ls -R` (ZooKeeper
    does not define child order).
"""
import re
import sys

MARK_SYNC = "Sync is OK"
MARK_PW = re.compile(r"^printwatches is (on|off)$")
LOG_LINE = re.compile(
    r"^(SLF4J: |log4j:|\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d|\[[^\]]*\] (TRACE|DEBUG|INFO|WARN|ERROR) |"
    r"\d+ \[[^\]]*\] (TRACE|DEBUG|INFO|WARN|ERROR) |\s+at [\w.$]+\(|WARNING: )")
ZXID_LINE = re.compile(r"^(cZxid|mZxid|pZxid) = (0x[0-9a-fA-F]+)$")
TIME_LINE = re.compile(r"^(ctime|mtime) = .*$")
OWNER_LINE = re.compile(r"^ephemeralOwner = (0x[0-9a-fA-F]+)$")
LIST_LINE = re.compile(r"^\[(.*)\]$")


def read_script(path):
    cmds = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cmds.append(line.strip())
    return cmds


def split_chunks(lines):
    """Split at marker pairs; returns list of chunks (list of lines)."""
    chunks, cur = [], []
    for line in lines:
        if MARK_PW.match(line):
            # remove the preceding "Sync is OK" of the marker (skipping watcher lines)
            for i in range(len(cur) - 1, -1, -1):
                if cur[i] == MARK_SYNC:
                    del cur[i]
                    break
                if not (cur[i].startswith("WATCHER::") or cur[i].startswith("WatchedEvent") or cur[i] == ""):
                    break
            chunks.append(cur)
            cur = []
        else:
            cur.append(line)
    chunks.append(cur)  # trailing output after the last marker (should be empty)
    return chunks


def clean_chunk(chunk):
    out, events = [], []
    i = 0
    while i < len(chunk):
        line = chunk[i].rstrip()
        i += 1
        if not line.strip() or LOG_LINE.match(line):
            continue
        if line == "WATCHER::":
            # printed by the event thread just before its "WatchedEvent ..." line; other
            # output (e.g. "Created" on stderr) may land in between, so drop it and use
            # the WatchedEvent line alone
            continue
        if line.startswith("WatchedEvent "):
            events.append("WATCHER:: " + line)
            continue
        out.append(line)
    return out, events


def main():
    script, raw = sys.argv[1], sys.argv[2]
    cmds = read_script(script)
    with open(raw, errors="replace") as f:
        lines = f.read().split("\n")
    chunks = split_chunks(lines)
    # chunk 0: connection; chunk 1: all '#@setup' commands (discarded); then one per command
    body = chunks[2:]
    result = []
    conn_out, conn_ev = clean_chunk(chunks[0])
    result.append("> (connect)")
    result.extend(conn_ev)
    for idx, cmd in enumerate(cmds):
        result.append("> " + cmd)
        if idx >= len(body):
            result.append("<no output: zkCli ended early>")
            continue
        out, ev = clean_chunk(body[idx])
        if cmd.startswith("ls ") and " -R" in cmd:
            out = sorted(out)
        result.extend(out + ev)
    extra = [l for c in body[len(cmds):] for l in clean_chunk(c)[0] + clean_chunk(c)[1]]
    if extra:
        result.append("> (after last command)")
        result.extend(extra)

    # masks
    zxids = set()
    for line in result:
        m = ZXID_LINE.match(line)
        if m:
            zxids.add(int(m.group(2), 16))
    rank = {z: "Z%d" % (i + 1) for i, z in enumerate(sorted(zxids))}
    final = []
    for line in result:
        m = ZXID_LINE.match(line)
        if m:
            line = "%s = %s" % (m.group(1), rank[int(m.group(2), 16)])
        elif TIME_LINE.match(line):
            line = TIME_LINE.sub(lambda mm: mm.group(1) + " = <time>", line)
        else:
            m = OWNER_LINE.match(line)
            if m and int(m.group(1), 16) != 0:
                line = "ephemeralOwner = <session>"
            else:
                m = LIST_LINE.match(line)
                if m and not line.startswith("[WATCHER"):
                    items = [x.strip() for x in m.group(1).split(",")] if m.group(1).strip() else []
                    line = "[" + ", ".join(sorted(items)) + "]"
        line = re.sub(r"sessionid:0x[0-9a-fA-F]+", "sessionid:<session>", line)
        final.append(line)
    sys.stdout.write("\n".join(final) + "\n")


if __name__ == "__main__":
    main()
