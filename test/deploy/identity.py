#!/usr/bin/env python3
# Reference model of the StoryTrigger identity functions (spec §2) for the deploy examples: names for any input,
# input hashes only for inputs whose Go encoding is unambiguous here (strings, bools, null, safe integers).
import hashlib
import json
import sys


def short_hash(seed: str) -> str:
    return hashlib.sha1(seed.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def trigger_identity(key: str, submission_id: str) -> str:
    return key if key != "" else submission_id


def trigger_name(story_ns: str, story: str, key: str, submission_id: str) -> str:
    ident = trigger_identity(key, submission_id)
    if ident == "":
        return ""
    h = short_hash(story_ns + "/" + story + "/" + ident)
    b = story.encode()
    if len(b) + 9 + 16 <= 253:
        return story + "-trigger-" + h
    prefix = b[:228].rstrip(b"-") or b"s"
    return prefix.decode("utf-8", "surrogateescape") + "-trigger-" + h


def _sanitize(token: str) -> str:
    out, pending = [], False
    for ch in token:
        c = {"\u0130": "i", "\u212a": "k"}.get(ch, ch.lower() if "A" <= ch <= "Z" else ch)
        if ("a" <= c <= "z") or ("0" <= c <= "9"):
            if pending and out:
                out.append("-")
            pending = False
            out.append(c)
        else:
            pending = True
    return "".join(out)


def run_name(story_ns: str, story: str, token: str) -> str:
    s = _sanitize(token)
    h = short_hash(story_ns + "/" + story + "/" + token)
    add = s != token or story_ns != ""
    if s == "":
        s, add = h, False
    if add:
        s = s + "-" + h
    if len(story.encode()) + 1 + len(s.encode()) <= 253:
        return story + "-" + s
    b = story.encode()
    if len(b) > 236:
        b = b[:236].strip(b"-") or s.encode()
    return b.decode("utf-8", "surrogateescape") + "-" + h


def _encode(v) -> str:
    if v is None or isinstance(v, bool):
        return json.dumps(v)
    if isinstance(v, int):
        if abs(v) > 2**53:
            raise ValueError("integer beyond 2^53: use the real implementation")
        return str(v)
    if isinstance(v, float):
        raise ValueError("non-integer number: use the real implementation")
    if isinstance(v, str):
        out = ['"']
        for ch in v:
            o = ord(ch)
            if ch in '"\\':
                out.append("\\" + ch)
            elif ch in "\b\f\n\r\t":
                out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
            elif o < 0x20 or ch in "<>&" or o in (0x2028, 0x2029):
                out.append("\\u%04x" % o)
            else:
                out.append(ch)
        return "".join(out) + '"'
    if isinstance(v, list):
        return "[" + ",".join(_encode(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-8"))
        return "{" + ",".join(_encode(k) + ":" + _encode(v[k]) for k in keys) + "}"
    raise ValueError("unsupported value %r" % (v,))


def canonical_inputs(value) -> str:
    return _encode({} if value is None else value)


def input_hash(value) -> str:
    return hashlib.sha256(canonical_inputs(value).encode("utf-8")).hexdigest()


if __name__ == "__main__":
    # identity.py STORY_NS STORY KEY SUBMISSION_ID [INPUTS_JSON]
    ns, story, key, sub = sys.argv[1:5]
    ident = trigger_identity(key, sub)
    print("storyTriggerName", trigger_name(ns, story, key, sub))
    print("storyRunName", run_name(ns, story, ident))
    if len(sys.argv) > 5:
        print("inputHash", input_hash(json.loads(sys.argv[5])))
