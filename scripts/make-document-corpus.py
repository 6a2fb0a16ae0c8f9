#!/usr/bin/env python3
"""Writes Corpus/documents/*.eml: one message per case of issue 10's "Why" (spec §10.1-10.4).

Every message is marked [IN-CONFIDENCE] in its subject and carries SECRET content that a person
reading it in a common mail client would see (or an attachment type the default policy denies).
Made with real tools where they exist: python-docx / python-pptx / openpyxl (pip), LibreOffice
(`soffice --headless --convert-to` pdf/odt/rtf), zip, 7z (p7zip-full), tar, gzip, gpg
(--clearsign), uuencode via Python's binascii; the TNEF stream is built by `tnef()` below from the
documented format (MS-OXTNEF 2.1.3: signature, attribute level/id/length/data/checksum).

Goldens (<name>.golden.json) are recorded by `RECORD_GOLDENS=1 swift test --filter DocumentCorpus`
and checked by hand; Tests/DecisionEngineTests/DocumentCorpusTests.swift asserts, for every file,
that SECRET is found (or the decision is not allow). Tools used are recorded in TOOLS.txt.

Needs: python-docx python-pptx openpyxl (pip), libreoffice-writer-nogui libreoffice-impress-nogui,
zip p7zip-full tar gzip gnupg.
"""
import base64, binascii, copy, gzip, io, os, re, shutil, struct, subprocess, tarfile, tempfile, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Corpus", "documents")
os.makedirs(OUT, exist_ok=True)
WORK = tempfile.mkdtemp(prefix="pmark-docs-")
n = 0

def hdr(subject, extra=()):
    global n
    n += 1
    lines = ["From: Aroha Ngata <aroha.ngata@agency.govt.nz>", "To: partner@example.org",
             f"Date: Wed, 8 Jan 2025 09:{n:02d}:00 +1300", f"Message-ID: <documents-{n}@agency.govt.nz>",
             f"Subject: {subject}", "MIME-Version: 1.0", *extra]
    return "\n".join(lines) + "\n"

def write(name, text):
    with open(os.path.join(OUT, name + ".eml"), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)

BODY = "Kia ora,\n\nPlease find the papers attached.\n\nNga mihi,\nAroha\n"
SUBJECT = "[IN-CONFIDENCE] Papers for the meeting"

def b64(data):
    return base64.encodebytes(data).decode()

def mixed(name, ctype, filename, payload, subject=SUBJECT, body=BODY, disposition="attachment"):
    s = hdr(subject, ('Content-Type: multipart/mixed; boundary="=_doc"',)) + "\n"
    s += "--=_doc\nContent-Type: text/plain; charset=utf-8\n\n" + body + "\n"
    fn = f'; name="{filename}"' if filename else ""
    disp = f'Content-Disposition: {disposition}; filename="{filename}"\n' if filename else ""
    s += f"--=_doc\nContent-Type: {ctype}{fn}\n{disp}Content-Transfer-Encoding: base64\n\n" + b64(payload)
    write(name, s + "--=_doc--\n")

def run(*cmd, cwd=None):
    subprocess.run(cmd, check=True, cwd=cwd or WORK, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def soffice(src, fmt):
    run("soffice", "--headless", "--convert-to", fmt, "--outdir", WORK, src)
    return os.path.splitext(src)[0] + "." + fmt.split(":")[0]

def read(p):
    with open(p, "rb") as f:
        return f.read()

# --- Word (python-docx) --------------------------------------------------------------------
import docx
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.shared import Inches, Pt

def header_table_docx(path):
    d = docx.Document()
    t = d.sections[0].header.add_table(rows=1, cols=2, width=Inches(6))
    t.cell(0, 0).text = "SECRET"
    t.cell(0, 1).text = "Ministry of Example"
    d.add_paragraph("Draft policy text.")
    d.save(path)
    return path

def header_tabs_docx(path):
    d = docx.Document()
    p = d.sections[0].header.paragraphs[0]
    p.paragraph_format.tab_stops.add_tab_stop(Inches(3), WD_TAB_ALIGNMENT.CENTER)
    p.paragraph_format.tab_stops.add_tab_stop(Inches(6), WD_TAB_ALIGNMENT.RIGHT)
    p.text = "SECRET\tBudget 2025 draft\tPage 1"
    d.add_paragraph("Draft budget text.")
    d.save(path)
    return path

tbl = header_table_docx(os.path.join(WORK, "header-table.docx"))
tabs = header_tabs_docx(os.path.join(WORK, "header-tabs.docx"))
mixed("docx-header-table", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "policy.docx", read(tbl))
mixed("docx-header-tab-stops", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "budget.docx", read(tabs))
mixed("docx-named-doc-declared-msword", "application/msword", "policy.doc", read(tbl))
mixed("docx-named-dat-declared-octet-stream", "application/octet-stream", "policy.dat", read(tbl))

def rewrite_docx(src, transform):
    """Rewrites a DOCX's parts: transform(name, bytes) -> (new name, new bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            name, data = transform(info.filename, zin.read(info.filename))
            zout.writestr(name, data)
    return out.getvalue()

def renamed_header(name, data):
    # header part renamed (Word keeps it reachable through word/_rels/document.xml.rels)
    if name == "word/header1.xml":
        return "word/HDR1.XML", data
    if name == "word/_rels/document.xml.rels":
        return name, data.replace(b'Target="header1.xml"', b'Target="HDR1.XML"')
    if name == "[Content_Types].xml":
        return name, data.replace(b"/word/header1.xml", b"/word/HDR1.XML")
    return name, data
mixed("docx-header-part-renamed", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "policy.docx", rewrite_docx(tbl, renamed_header))

def other_prefix(name, data):
    if name.startswith("word/") and name.endswith(".xml"):
        return name, re.sub(rb"(</?)w:", rb"\1ns0:", data).replace(b"xmlns:w=", b"xmlns:ns0=").replace(b' w:', b' ns0:')
    return name, data
mixed("docx-other-namespace-prefix", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "policy.docx", rewrite_docx(tbl, other_prefix))

def char_reference(name, data):
    if name == "word/header1.xml":
        return name, data.replace(b">SECRET<", b">&#83;ECRET<")
    return name, data
mixed("docx-character-reference", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "policy.docx", rewrite_docx(tbl, char_reference))

# --- LibreOffice conversions: PDF, ODT, RTF -----------------------------------------------------
pdf = soffice(tbl, "pdf")
mixed("pdf-page-stamped", "application/pdf", "policy.pdf", read(pdf))
odt = soffice(tbl, "odt")
mixed("odt-header", "application/vnd.oasis.opendocument.text", "policy.odt", read(odt))
rtf = soffice(tabs, "rtf")
mixed("rtf-header", "application/rtf", "budget.rtf", read(rtf))

# --- PowerPoint (python-pptx): a slide whose last line is SECRET; a footer placeholder -----------
import pptx
from pptx.util import Inches as PInches

prs = pptx.Presentation()
s = prs.slides.add_slide(prs.slide_layouts[1])
s.shapes.title.text = "Quarterly update"
s.placeholders[1].text = "Progress on the programme\nSECRET"
path = os.path.join(WORK, "slides.pptx")
prs.save(path)
mixed("pptx-slide-last-line", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "update.pptx", read(path))

prs = pptx.Presentation()
s = prs.slides.add_slide(prs.slide_layouts[1])
s.shapes.title.text = "Quarterly update"
s.placeholders[1].text = "Progress on the programme"
# copy the layout's footer placeholder onto the slide, as PowerPoint does for Insert > Header & Footer
for ph in s.slide_layout.placeholders:
    if ph.placeholder_format.type == pptx.enum.shapes.PP_PLACEHOLDER.FOOTER:
        el = copy.deepcopy(ph._element)
        s.shapes._spTree.append(el)
        s.shapes[-1].text_frame.text = "SECRET"
path = os.path.join(WORK, "footer.pptx")
prs.save(path)
mixed("pptx-footer", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "update.pptx", read(path))

# --- Excel (openpyxl): header section codes -------------------------------------------------------
import openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws["A1"] = "Budget line"
ws.oddHeader.center.text = "SECRET"
path = os.path.join(WORK, "budget.xlsx")
wb.save(path)
mixed("xlsx-header", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "budget.xlsx", read(path))

# --- Calendar ---------------------------------------------------------------------------------
ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\nMETHOD:REQUEST\r\n"
       "BEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E008\r\nDTSTAMP:20250108T000000Z\r\nDTSTART:20250110T010000Z\r\n"
       "DTEND:20250110T020000Z\r\nSUMMARY:[SECRET] Operation briefing\r\nDESCRIPTION:Agenda attached.\\nPlease be on time.\r\n"
       "ORGANIZER:mailto:aroha.ngata@agency.govt.nz\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
s = hdr(SUBJECT, ('Content-Type: multipart/alternative; boundary="=_alt"',)) + "\n"
s += "--=_alt\nContent-Type: text/plain; charset=utf-8\n\nWhen: Friday 10 January 2025\n\n"
s += '--=_alt\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\nContent-Transfer-Encoding: 7bit\n\n' + ICS.replace("\r\n", "\n") + "--=_alt--\n"
write("calendar-text-part", s)
mixed("calendar-ics-attachment", "application/ics", "invite.ics", ICS.encode())
write("calendar-single-part", hdr(SUBJECT, ("Content-Type: text/calendar; charset=utf-8; method=REQUEST",)) + "\n" + ICS.replace("\r\n", "\n"))
ICS_DESC = ICS.replace("SUMMARY:[SECRET] Operation briefing", "SUMMARY:Operation briefing").replace("DESCRIPTION:Agenda attached.\\nPlease be on time.", "DESCRIPTION:SECRET\\nAgenda attached.")
mixed("calendar-description", "text/calendar", "invite.ics", ICS_DESC.encode())
ICS_ATT = ICS.replace("SUMMARY:[SECRET] Operation briefing", "SUMMARY:Operation briefing").replace(
    "ORGANIZER:", "ATTACH;ENCODING=BASE64;VALUE=BINARY;X-FILENAME=agenda.txt:" + base64.b64encode(b"SECRET\r\nAgenda\r\n").decode() + "\r\nORGANIZER:")
mixed("calendar-attach", "text/calendar", "invite.ics", ICS_ATT.encode())

# --- TNEF (winmail.dat), built from the documented format -----------------------------------------
def tnef(subject, attachments):
    def attr(level, ident, data):
        return struct.pack("<BII", level, ident, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += attr(1, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += attr(1, 0x00069007, b"\xe4\x04\x00\x00")  # attOemCodepage
    out += attr(1, 0x00018004, subject.encode() + b"\0")  # attSubject
    out += attr(1, 0x0002800C, b"See the attached note.\0")  # attBody
    for name, data in attachments:
        out += attr(2, 0x00069002, b"\x01\x00\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00")  # attAttachRendData
        out += attr(2, 0x00018010, name.encode() + b"\0")  # attAttachTitle
        out += attr(2, 0x0006800F, data)  # attAttachData
    return out
mixed("tnef-winmail-dat", "application/ms-tnef", "winmail.dat", tnef("Operation briefing", [("note.txt", b"SECRET\r\nOperation notes\r\n")]))

# --- text declared as something else; single-part attachments -------------------------------------
mixed("txt-declared-octet-stream", "application/octet-stream", "notes.txt", b"SECRET\nNotes from the meeting.\n")
inner = ("From: Wiremu <wiremu@agency.govt.nz>\nTo: aroha.ngata@agency.govt.nz\nSubject: [SECRET] Operation plan\n"
         "Date: Tue, 7 Jan 2025 08:00:00 +1300\nMessage-ID: <inner@agency.govt.nz>\nMIME-Version: 1.0\n"
         "Content-Type: text/plain; charset=utf-8\n\nThe plan.\n").encode()
mixed("eml-declared-octet-stream", "application/octet-stream", "forwarded.eml", inner)
write("single-part-text-attachment", hdr(SUBJECT, ("Content-Type: text/plain; charset=utf-8", 'Content-Disposition: attachment; filename="notes.txt"')) + "\nSECRET\nNotes from the meeting.\n")
write("single-part-html-attachment", hdr(SUBJECT, ("Content-Type: text/html; charset=utf-8", 'Content-Disposition: attachment; filename="notes.html"')) + "\n<html><body><p>SECRET</p><p>Notes from the meeting.</p></body></html>\n")
write("text-enriched", hdr(SUBJECT, ("Content-Type: text/enriched",)) + "\n<bold>SECRET</bold>\n\n\nNotes from the meeting.\n")

# --- inside a text body: uuencode, clear-signed PGP, flowed text, BOM, UTF-16 ----------------------
uu = "begin 644 notes.txt\n" + "".join(binascii.b2a_uu(chunk).decode() for chunk in [b"SECRET\nNotes from the meeting.\n"]) + "`\nend\n"
write("uuencode-in-body", hdr(SUBJECT, ("Content-Type: text/plain; charset=us-ascii",)) + "\nKia ora, notes below.\n\n" + uu + "\nNga mihi\n")
gpgdir = os.path.join(WORK, "gnupg")
os.makedirs(gpgdir, mode=0o700)
env = dict(os.environ, GNUPGHOME=gpgdir)
subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "corpus@example.org", "ed25519", "sign", "never"], env=env, check=True, capture_output=True)
signed = subprocess.run(["gpg", "--batch", "--clearsign"], input=b"SECRET\n\nOperation notes.\n", env=env, check=True, capture_output=True).stdout.decode()
write("pgp-clearsigned", hdr(SUBJECT, ("Content-Type: text/plain; charset=us-ascii",)) + "\n" + signed)
write("flowed-delsp", hdr(SUBJECT, ("Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes",)) + "\nSEC \nRET\n\nOperation notes.\n")
write("utf16-bom-unlabelled", hdr(SUBJECT, ("Content-Type: text/plain", "Content-Transfer-Encoding: base64")) + "\n"
      + b64(b"\xff\xfe" + "SECRET\nOperation notes.\n".encode("utf-16-le")))
# labelled UTF-16 without a BOM: RFC 2781 says big-endian, iconv assumes its own order; a client
# that guesses shows the text either way, so both byte orders are read
write("utf16-without-bom-le", hdr(SUBJECT, ("Content-Type: text/plain; charset=utf-16", "Content-Transfer-Encoding: base64")) + "\n"
      + b64("SECRET\nOperation notes.\n".encode("utf-16-le")))
write("utf16-without-bom-be", hdr(SUBJECT, ("Content-Type: text/plain; charset=utf-16", "Content-Transfer-Encoding: base64")) + "\n"
      + b64("SECRET\nOperation notes.\n".encode("utf-16-be")))

# --- archives: entries' names and contents --------------------------------------------------------
d = os.path.join(WORK, "arch")
os.makedirs(d)
with open(os.path.join(d, "notes.txt"), "wb") as f:
    f.write(b"SECRET\nNotes from the meeting.\n")
with open(os.path.join(d, "[SECRET] plan.txt"), "wb") as f:
    f.write(b"The plan.\n")
run("zip", "-q", os.path.join(WORK, "notes.zip"), "notes.txt", cwd=d)
mixed("zip-entry-content", "application/zip", "notes.zip", read(os.path.join(WORK, "notes.zip")))
run("zip", "-q", os.path.join(WORK, "policy-in.zip"), os.path.basename(tbl), cwd=WORK)
mixed("zip-entry-docx-header", "application/zip", "papers.zip", read(os.path.join(WORK, "policy-in.zip")))
run("tar", "--owner=0", "--group=0", "--mtime=2025-01-08", "-cf", os.path.join(WORK, "plan.tar"), "[SECRET] plan.txt", cwd=d)
mixed("tar-entry-name", "application/x-tar", "plan.tar", read(os.path.join(WORK, "plan.tar")))
mixed("gzip-entry-content", "application/gzip", "notes.txt.gz", gzip.compress(b"SECRET\nNotes from the meeting.\n", mtime=0))
for i in range(8):
    with open(os.path.join(d, f"part{i}.txt"), "wb") as f:
        f.write(b"SECRET notes, part %d\n" % i)
# entries encrypted, headers not (-mhe off) but LZMA-compressed (-mhc on, 7z's default): the AES
# coder id is not visible in the raw bytes
run("7z", "a", "-bd", "-pcorpus", "-mhc=on", os.path.join(WORK, "enc.7z"), "notes.txt", *[f"part{i}.txt" for i in range(8)], cwd=d)
mixed("7z-encrypted-entries", "application/x-7z-compressed", "notes.7z", read(os.path.join(WORK, "enc.7z")))
run("7z", "a", "-bd", os.path.join(WORK, "plain.7z"), "notes.txt", cwd=d)
mixed("7z-entry-content", "application/x-7z-compressed", "notes.7z", read(os.path.join(WORK, "plain.7z")))

# --- RAR5 with an encrypted entry (headers not encrypted), built from the documented format -----
# (RAR 5.0 technote, rarlab.com: vint sizes, CRC32 over each header, a file header whose extra area
# holds an encryption record, type 1). `rar` is non-free and not in Debian main, so no RAR tool.
def vint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])
def rar5(name, data, encrypted):
    def header(body):
        d = vint(len(body)) + body
        return struct.pack("<I", binascii.crc32(d) & 0xFFFFFFFF) + d
    extra = b""
    if encrypted:  # version 0, flags 1 (password check), KDF count 15, salt, IV, check value
        rec = vint(1) + vint(0) + vint(1) + bytes([15]) + os.urandom(16) + os.urandom(16) + os.urandom(12)
        extra = vint(len(rec)) + rec
    flags = 0x02 | (0x01 if extra else 0)
    body = vint(2) + vint(flags) + (vint(len(extra)) if extra else b"") + vint(len(data))
    body += vint(0x04) + vint(len(data)) + vint(0o100644) + struct.pack("<I", binascii.crc32(data) & 0xFFFFFFFF)
    body += vint(0) + vint(1) + vint(len(name)) + name.encode() + extra
    return b"Rar!\x1a\x07\x01\x00" + header(vint(1) + vint(0) + vint(0)) + header(body) + data + header(vint(5) + vint(0) + vint(0))
mixed("rar5-encrypted-entry", "application/vnd.rar", "notes.rar", rar5("notes.txt", os.urandom(32), True))
mixed("rar5-entry-content", "application/vnd.rar", "notes.rar", rar5("notes.txt", b"SECRET\nNotes from the meeting.\n", False))

# --- TNEF bodies Outlook shows instead of attBody: compressed RTF (MS-OXRTFCP) and PR_HTML ----------
def lzfu(raw):
    """MS-OXRTFCP compression by literal runs only (a valid stream every reader must decode: control
    bytes of zero, then the end marker, a reference to the current write position)."""
    out, pos = b"", 207
    for i in range(0, len(raw), 8):
        chunk = raw[i:i + 8]
        out += b"\x00" + chunk
        pos = (pos + len(chunk)) % 4096
    if len(raw) % 8 == 0:
        out += b"\x01" + struct.pack(">H", pos << 4)
    else:  # the end marker takes the next control bit of the last run
        k = len(raw) % 8
        last = len(out) - k - 1
        out = out[:last] + bytes([1 << k]) + out[last + 1:] + struct.pack(">H", pos << 4)
    return struct.pack("<III", len(out) + 12, len(raw), 0x75465A4C) + struct.pack("<I", binascii.crc32(out) & 0xFFFFFFFF) + out

def tnef_props(subject, props):
    def attr(level, ident, data):
        return struct.pack("<BII", level, ident, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)
    mapi = struct.pack("<I", len(props))
    for ptype, pid, data in props:
        pad = (4 - len(data) % 4) % 4
        mapi += struct.pack("<HHII", ptype, pid, 1, len(data)) + data + b"\0" * pad
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += attr(1, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += attr(1, 0x00018004, subject.encode() + b"\0")  # attSubject
    out += attr(1, 0x00069003, mapi)  # attMAPIProps
    return out
RTF_BODY = (b"{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Calibri;}}\r\n"
            b"\\pard\\f0\\fs22 SECRET\\par\r\nOperation briefing notes.\\par\r\nNga mihi\\par\r\n}")
mixed("tnef-rtf-body", "application/ms-tnef", "winmail.dat", tnef_props("Operation briefing", [(0x0102, 0x1009, lzfu(RTF_BODY))]))
mixed("tnef-html-body", "application/ms-tnef", "winmail.dat", tnef_props("Operation briefing", [
    (0x0102, 0x1013, b"<html><body><p>Kia ora,</p><p>Operation briefing notes.</p><p><b>SECRET</b></p></body></html>")]))
# A Word 97-2003 document (OLE2) with SECRET in its header: pmark does not read the binary formats,
# so it must not be allowed unread (element-not-inspected).
d = docx.Document(); d.sections[0].header.paragraphs[0].text = "SECRET"; d.add_paragraph("Budget text."); d.save(os.path.join(WORK, "legacy.docx"))
mixed("legacy-doc-header", "application/msword", "budget.doc", read(soffice(os.path.join(WORK, "legacy.docx"), "doc")))
# A scanned page: the PDF page is an image showing SECRET (Pillow draws it, Pillow writes the PDF,
# as a scanner would); pdftotext finds no text on it, so pmark must not allow it unread.
from PIL import Image, ImageDraw, ImageFont
page = Image.new("L", (850, 1100), 255)
draw = ImageDraw.Draw(page)
draw.text((330, 40), "SECRET", fill=0, font=ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 48))
draw.text((80, 200), "Operation briefing: scanned copy", fill=0, font=ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 28))
buf = io.BytesIO(); page.save(buf, "PDF", resolution=100)
mixed("pdf-scanned-page", "application/pdf", "scan.pdf", buf.getvalue())

# --- attachments by type: Windows runs these by extension (libmagic calls them text) -------------
mixed("script-ps1", "text/plain", "update.ps1", b"Write-Host 'hello'\r\n", subject="[IN-CONFIDENCE] Script")
mixed("script-vbs", "text/plain", "update.vbs", b"MsgBox \"hello\"\r\n", subject="[IN-CONFIDENCE] Script")
mixed("script-js", "application/octet-stream", "invoice.js", b"var s = 'hello';\r\n", subject="[IN-CONFIDENCE] Invoice")
mixed("script-hta", "text/html", "update.hta", b"<html><body>hello</body></html>\r\n", subject="[IN-CONFIDENCE] Update")
plain = docx.Document()
plain.add_paragraph("Quarterly report.")
plain.save(os.path.join(WORK, "report.docx"))
mixed("pdf-named-exe", "application/octet-stream", "report.exe", read(soffice(os.path.join(WORK, "report.docx"), "pdf")), subject="[IN-CONFIDENCE] Report")

# --- robustness: a 52-byte ZIP named .docx (ZIPFoundation trapped on it) ---------------------------
# a local-header signature with an all-zero header, then an end-of-central-directory record that
# claims one 46-byte entry at an offset past the end of the file
tiny = b"PK\x03\x04" + b"\x00" * 26 + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, 46, 0xFFFFFFF0, 0)
assert len(tiny) == 52
mixed("zip-52-bytes-named-docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "tiny.docx", tiny)

def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except Exception:
        return "unavailable"
with open(os.path.join(OUT, "TOOLS.txt"), "w") as f:
    f.write("\n".join([
        "python-docx " + docx.__version__ if hasattr(docx, "__version__") else "python-docx",
        "python-pptx " + pptx.__version__, "openpyxl " + openpyxl.__version__,
        version(["soffice", "--version"]), subprocess.run(["zip", "-v"], capture_output=True, text=True).stdout.splitlines()[1].strip(), version(["7z", "i"]) or version(["7z"]),
        version(["tar", "--version"]), version(["gpg", "--version"]),
    ]) + "\n")
shutil.rmtree(WORK)
print(f"wrote {n} messages to {OUT}")

# --- fuzz seeds: the raw documents, containers and marking-bearing XML parts above (small ones) ---
import email
SEEDS = os.path.join(HERE, "..", "Corpus", "fuzz-seeds", "documents")
os.makedirs(SEEDS, exist_ok=True)
for fn in sorted(os.listdir(OUT)):
    if not fn.endswith(".eml"):
        continue
    msg = email.message_from_binary_file(open(os.path.join(OUT, fn), "rb"))
    for i, part in enumerate(msg.walk()):
        if part.is_multipart() or (part.get_content_type() == "text/plain" and not part.get_filename()):
            continue
        data = part.get_payload(decode=True) or b""
        if 0 < len(data) <= 16384:
            open(os.path.join(SEEDS, f"{fn[:-4]}-{i}.bin"), "wb").write(data)
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
        except Exception:
            continue
        for name in z.namelist():
            if re.search(r"(header|footer|hdr|slide\d|sheet\d|custom|styles|meta)[^/]*\.xml$", name, re.I) and z.getinfo(name).file_size <= 16384:
                open(os.path.join(SEEDS, f"{fn[:-4]}-{re.sub(r'[^A-Za-z0-9.]', '_', name)}"), "wb").write(z.read(name))
print(f"wrote fuzz seeds to {SEEDS}")
