#!/usr/bin/env python3
"""Writes Corpus/markings/*.eml: one real-looking message per marking location and finding.
Goldens (<name>.markings.json) are recorded by `RECORD_GOLDENS=1 swift test` and checked by
hand before committing; this script only writes the inputs."""
import base64, io, os, zipfile

OUT = os.path.join(os.path.dirname(__file__), "..", "Corpus", "markings")
n = 0

def hdr(subject, extra=(), frm="Aroha Ngata <aroha.ngata@agency.govt.nz>", to="policy.team@agency.govt.nz"):
    global n
    n += 1
    lines = [f"From: {frm}", f"To: {to}", f"Date: Tue, 7 Jan 2025 10:{n:02d}:00 +1300",
             f"Message-ID: <corpus-{n}@agency.govt.nz>", f"Subject: {subject}", "MIME-Version: 1.0", *extra]
    return "\n".join(lines) + "\n"

def write(name, text):
    with open(os.path.join(OUT, name + ".eml"), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)

def plain(subject, body, extra=()):
    return hdr(subject, ("Content-Type: text/plain; charset=utf-8", *extra)) + "\n" + body

def mixed(subject, body, attachments, extra=()):
    s = hdr(subject, ('Content-Type: multipart/mixed; boundary="=_corpus"', *extra)) + "\nThis is a multi-part message in MIME format.\n\n"
    s += "--=_corpus\nContent-Type: text/plain; charset=utf-8\n\n" + body + "\n"
    for ctype, name, payload, b64 in attachments:
        s += f'--=_corpus\nContent-Type: {ctype}; name="{name}"\nContent-Disposition: attachment; filename="{name}"\n'
        if b64:
            s += "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(payload).decode()
        else:
            s += "\n" + payload.decode() + "\n"
    return s + "--=_corpus--\n"

def docx(props=(), header=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", '<w:document><w:body><w:p><w:r><w:t>Draft text.</w:t></w:r></w:p></w:body></w:document>')
        if props:
            p = "".join(f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i+2}" name="{k}"><vt:lpwstr>{v}</vt:lpwstr></property>' for i, (k, v) in enumerate(props))
            z.writestr("docProps/custom.xml", f'<?xml version="1.0"?><Properties xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">{p}</Properties>')
        if header:
            z.writestr("word/header1.xml", f'<w:hdr><w:p><w:r><w:t>{header}</w:t></w:r></w:p></w:hdr>')
    return buf.getvalue()

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY = "Kia ora koutou,\n\nPlease find the draft attached for comment.\n\nNgā mihi,\nAroha\n"

os.makedirs(OUT, exist_ok=True)
write("subject-bracket-secret-nzeo", plain("Exercise planning [SECRET//NZEO]", "SECRET//NZEO\n\n" + BODY + "\nSECRET//NZEO\n"))
write("subject-bare-start-after-reply-prefixes", plain("RE: FW: RESTRICTED: ministerial briefing", BODY))
write("subject-bare-end", plain("Budget bid 2025 - SENSITIVE", BODY))
write("subject-epms-au-legal-privilege", plain("Contract advice [SEC=OFFICIAL:Sensitive, ACCESS=Legal-Privilege]", BODY, extra=()))
write("subject-secret-santa-is-not-a-marking", plain("The secret santa list for the team", BODY))
write("header-govt-nz-folded", hdr("Cabinet paper draft", ("X-Protective-Marking: VER=2024.1, NS=govt.nz,\n SEC=SENSITIVE,\n CAVEAT=SH:CABINET,\n ORIGIN=aroha.ngata@agency.govt.nz", "Content-Type: text/plain; charset=utf-8")) + "\nSENSITIVE//CABINET\n\n" + BODY)
write("header-gov-au-austeo", hdr("Liaison report", ("X-Protective-Marking: VER=2024.1, NS=gov.au, SEC=SECRET, CAVEAT=RI:AUSTEO, ORIGIN=liaison@defence.gov.au", "Content-Type: text/plain"), frm="Liaison Officer <liaison@defence.gov.au>") + "\n" + BODY)
write("header-and-subject-disagree", hdr("[RESTRICTED] Rollout plan", ("X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=UNCLASSIFIED, ORIGIN=aroha.ngata@agency.govt.nz", "Content-Type: text/plain")) + "\n" + BODY)
write("two-marking-headers", hdr("Roster", ("X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=IN-CONFIDENCE", "X-Protective-Marking: VER=2024.1, NS=govt.nz, SEC=IN-CONFIDENCE", "Content-Type: text/plain")) + "\n" + BODY)
write("body-first-and-last-lines", plain("Staff matter", "IN-CONFIDENCE//STAFF\n\n" + BODY + "\nIN-CONFIDENCE//STAFF\n"))
write("body-html-classification-label", hdr("Update", ('Content-Type: text/html; charset=utf-8',)) + "\n<html><head><title>SECRET</title><style>p{margin:0}</style></head><body><p><b>Classification: RESTRICTED</b></p><p>Kia ora koutou,</p><p>Update below.</p></body></html>\n")
write("unmarked-plain", plain("Lunch on Friday?", "Anyone keen for lunch on Friday?\n"))
write("unparseable-subject-epms", plain("Plan [SEC=SECRT]", BODY))
write("invalid-nzeo-with-rel-to", plain("Coordination [SECRET//NZEO/REL TO NZL, AUS]", BODY))
write("invalid-endorsement-alone", plain("[NZEO] Travel list", BODY))
write("invalid-unlisted-codeword", plain("TOP SECRET//KESTREL//ORCON", BODY))
write("obfuscated-cyrillic-subject", plain("Minutes [S\u0415CRET]", BODY))
write("obfuscated-zero-width-body", plain("Notes [RESTRICTED]", "RE\u200bSTRICTED\n\n" + BODY))
write("attachment-name-under-marked", mixed("[IN-CONFIDENCE] Briefing pack", BODY, [("application/pdf", "briefing [SECRET].pdf", PDF, True)]))
write("attachment-text-first-line", mixed("[IN-CONFIDENCE] Notes", BODY, [("text/plain", "notes.txt", b"SENSITIVE\nMeeting notes.\nSENSITIVE", False)]))
write("attachment-docx-custom-property", mixed("[RESTRICTED] Draft strategy", BODY, [(DOCX, "strategy.docx", docx(props=[("Classification", "SECRET"), ("Owner", "Strategy team")]), True)]))
write("attachment-docx-header-text", mixed("[RESTRICTED] Draft policy", BODY, [(DOCX, "policy.docx", docx(header="RESTRICTED"), True)]))
write("unmarked-with-secret-attachment", mixed("Plan for next week", BODY, [("application/pdf", "SECRET - operations plan.pdf", PDF, True)]))
inner = hdr("Exercise orders [SECRET]", ("Content-Type: text/plain",), frm="Planner <planner@agency.govt.nz>") + "\nSECRET\n\nOrders follow.\n\nSECRET\n"
write("embedded-message-under-marked", hdr("FW: Exercise orders [RESTRICTED]", ('Content-Type: multipart/mixed; boundary="fw"',)) + "\n--fw\nContent-Type: text/plain\n\nRESTRICTED\n\nSee below.\n--fw\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n" + inner + "--fw--\n")
write("auto-forwarded-exchange-rule", hdr("[IN-CONFIDENCE] Roster", ("X-MS-Exchange-Inbox-Rules-Loop: aroha.ngata@agency.govt.nz", "X-MS-Exchange-Organization-AutoForwarded: true", "Content-Type: text/plain")) + "\n" + BODY)
write("auto-forwarded-gmail", hdr("[IN-CONFIDENCE] Roster", ("X-Forwarded-To: someone@gmail.com", "X-Forwarded-For: aroha.ngata@agency.govt.nz someone@gmail.com", "Content-Type: text/plain")) + "\n" + BODY)
write("encoded-word-split-marking", hdr("=?utf-8?Q?Plan_[SEC?= =?utf-8?Q?RET]?=", ("Content-Type: text/plain",)) + "\n" + BODY)
write("legacy-au-dlm", plain("Staff matter [SEC=UNCLASSIFIED, DLM=Sensitive:Personal]", BODY))
# Spec §10.9: "--=_corpus--x" is no close delimiter (RFC 2046, Python's email); a lenient client
# stops there and never shows the SECRET attachment after it.
write("ambiguous-close-delimiter", mixed("[IN-CONFIDENCE] Notes", BODY, [("text/plain", "notes.txt", b"SECRET\nMeeting notes.", False)]).replace(
    "This is a multi-part message in MIME format.\n\n--=_corpus\nContent-Type: text/plain; charset=utf-8\n\n" + BODY + "\n",
    "This is a multi-part message in MIME format.\n\n--=_corpus\nContent-Type: text/plain; charset=utf-8\n\n" + BODY + "\n--=_corpus--x\n"))
print(f"wrote {n} messages to {OUT}")
