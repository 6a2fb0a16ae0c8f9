#!/usr/bin/env python3
"""Reference reading of messages by Python's email package, for the MIME differential test
(Tests/MailParsingTests/MIMEDifferentialHarnessTests.swift, spec §10.9).

Input (stdin): records "<length>\\n<bytes>". Output (stdout): one JSON object per record, in
order: {"structure": "multipart/mixed(text/plain, message/rfc822{text/plain})",
"subject": "...", "defects": ["CloseBoundaryNotFoundDefect", ...]} — the structure in the
format of pmark's Message.structureSummary."""
import email, json, sys
from email import policy

def describe(part):
    s = part.get_content_type()
    payload = part.get_payload()
    if part.is_multipart() and isinstance(payload, list):
        if s in ("message/rfc822", "message/global", "message/news") and len(payload) == 1:
            return s + "{" + describe(payload[0]) + "}"
        return s + "(" + ", ".join(describe(p) for p in payload) + ")"
    return s

def defects(m):
    out = []
    for p in m.walk():
        out += [type(d).__name__ for d in p.defects]
    return sorted(set(out))

def main():
    data = sys.stdin.buffer
    out = sys.stdout
    while True:
        line = data.readline()
        if not line:
            break
        n = int(line.strip())
        raw = data.read(n)
        try:
            m = email.message_from_bytes(raw, policy=policy.compat32)
            subj = m.get("subject")
            subj = None if subj is None else str(subj).replace("\r", "").replace("\n", "").strip(" \t")
            rec = {"structure": describe(m), "subject": subj, "defects": defects(m)}
        except Exception as e:  # a crash of the reference is recorded, not fatal
            rec = {"structure": "error", "subject": None, "defects": [type(e).__name__]}
        out.write(json.dumps(rec) + "\n")
    out.flush()

if __name__ == "__main__":
    main()
