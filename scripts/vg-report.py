#!/usr/bin/env python3
"""Summarises valgrind --xml=yes files: prints each error (kind, message, top frames) and exits 1 when there is any.
Files of processes killed mid-run are truncated; every complete <error> block in them still counts."""
import glob
import html
import re
import sys

ERROR = re.compile(r"<error>(.*?)</error>", re.S)
FRAME = re.compile(r"<frame>(.*?)</frame>", re.S)


def field(block, tag):
    m = re.search(r"<%s>(.*?)</%s>" % (tag, tag), block, re.S)
    return html.unescape(m.group(1).strip()) if m else ""


def main(paths):
    total = 0
    for path in sorted(set(paths)):
        text = open(path, encoding="utf-8", errors="replace").read()
        exe = field(text, "exe") or "?"
        for block in ERROR.findall(text):
            total += 1
            what = field(block, "text") or field(block, "what") or field(block, "kind")
            print("valgrind: %s (%s, %s)" % (what, field(block, "kind"), exe))
            for frame in FRAME.findall(block)[:8]:
                fn = field(frame, "fn") or field(frame, "obj") or field(frame, "ip")
                loc = field(frame, "file")
                line = field(frame, "line")
                print("    %s%s" % (fn, " %s:%s" % (loc, line) if loc else ""))
            print("    (%s)" % path)
    return 1 if total else 0


if __name__ == "__main__":
    files = []
    for a in sys.argv[1:]:
        files.extend(glob.glob(a))
    sys.exit(main(files))
