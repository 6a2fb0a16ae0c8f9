#!/usr/bin/env bash
# Builds Corpus/attachments/*.eml with real tools: zip (with and without -P), qpdf --encrypt,
# python-docx (a real DOCX; the DOCM is that DOCX plus a VBA project part), msoffcrypto-tool
# (an encrypted Office document), 7z -p -mhe, gzip/tar nesting, dpkg-deb (an installer),
# genisoimage (a disk image), an ELF from Debian's coreutils,
# a minimal PE built byte by byte, a zip bomb kept small by ratio, S/MIME (openssl smime
# -encrypt) and PGP (gpg --symmetric) messages. Needs: zip qpdf p7zip-full gnupg openssl
# genisoimage (dpkg-deb is in every Debian), and
# pip python-docx msoffcrypto-tool. Outputs are small and committed; goldens are recorded by
# `RECORD_GOLDENS=1 swift test` and checked by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=Corpus/attachments
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"

echo "Quarterly figures attached." > notes.txt
qpdf --empty report.pdf
qpdf --encrypt user owner 256 -- report.pdf encrypted.pdf
zip -q plain.zip notes.txt report.pdf
zip -q -P secret encrypted.zip notes.txt
7z a -bso0 -bsp0 -psecret -mhe=on encrypted.7z notes.txt
cp /bin/true tool.elf
python3 - <<'PY'
import struct, zipfile, docx, io
# Minimal PE32+: DOS header with e_lfanew, PE signature, COFF header, optional header, one section.
dos = bytearray(64); dos[0:2] = b"MZ"; struct.pack_into("<I", dos, 0x3C, 64)
coff = struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 240, 0x0022)
opt = bytearray(240); struct.pack_into("<H", opt, 0, 0x20B); struct.pack_into("<I", opt, 16, 0x1000)
struct.pack_into("<Q", opt, 24, 0x140000000); struct.pack_into("<II", opt, 32, 0x1000, 0x200)
struct.pack_into("<H", opt, 48, 6); struct.pack_into("<II", opt, 56, 0x2000, 0x200); struct.pack_into("<H", opt, 68, 3)
struct.pack_into("<I", opt, 108, 16)
sec = bytearray(40); sec[0:5] = b".text"; struct.pack_into("<IIII", sec, 8, 0x1000, 0x1000, 0x200, 0x200); struct.pack_into("<I", sec, 36, 0x60000020)
pe = bytes(dos) + b"PE\0\0" + coff + bytes(opt) + bytes(sec)
pe += b"\0" * (0x200 - len(pe)) + b"\xC3" + b"\0" * 0x1FF
open("tool.exe", "wb").write(pe)
d = docx.Document(); d.add_paragraph("Draft strategy."); d.save("document.docx")
with zipfile.ZipFile("document.docx") as src, zipfile.ZipFile("macro.docm", "w", zipfile.ZIP_DEFLATED) as dst:
    for item in src.infolist():
        data = src.read(item.filename)
        if item.filename == "[Content_Types].xml":
            data = data.replace(b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml")
        dst.writestr(item, data)
    dst.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
with zipfile.ZipFile("inner.zip", "w", zipfile.ZIP_DEFLATED) as z: z.write("tool.exe", "evil.exe")
with zipfile.ZipFile("nested.zip", "w", zipfile.ZIP_DEFLATED) as z: z.write("inner.zip", "inner.zip"); z.write("notes.txt")
with zipfile.ZipFile("bomb.zip", "w", zipfile.ZIP_DEFLATED) as z: z.writestr("zeros.bin", b"\0" * (8 << 20))
PY
msoffcrypto-tool -e -p secret document.docx encrypted.docx
mkdir -p bundle && cp notes.txt bundle/ && printf '#!/bin/sh\necho installing\n' > bundle/install.sh && tar cf bundle.tar -C bundle notes.txt install.sh && gzip -9 -c bundle.tar > bundle.tar.gz
mkdir -p pkg/DEBIAN pkg/usr/share/doc/pmark-fixture && printf 'Package: pmark-fixture\nVersion: 1.0\nArchitecture: all\nMaintainer: pmark <dev@pmark.invalid>\nDescription: test fixture\n' > pkg/DEBIAN/control && cp notes.txt pkg/usr/share/doc/pmark-fixture/ && dpkg-deb -Zgzip --build pkg fixture.deb > /dev/null
mkdir -p iso && cp notes.txt iso/ && genisoimage -quiet -V PMARK -o disk.iso iso
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 3650 -subj "/CN=pmark test" 2>/dev/null
printf 'Content-Type: text/plain\n\nThe figures.\n' > inner.txt
openssl smime -encrypt -aes256 -in inner.txt -out smime.eml -from a@agency.govt.nz -to b@partner.example -subject "[IN-CONFIDENCE] Figures" cert.pem
export GNUPGHOME="$W/gnupg"; mkdir -m 700 "$GNUPGHOME"
echo "The figures." | gpg --batch --quiet --symmetric --armor --passphrase secret --pinentry-mode loopback -o pgp.asc

attach() { # name subject type filename file
  { printf 'From: Aroha <aroha@agency.govt.nz>\nTo: partner@example.org\nSubject: %s\nDate: Tue, 7 Jan 2025 10:00:00 +1300\nMessage-ID: <%s@agency.govt.nz>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="=_att"\n\n--=_att\nContent-Type: text/plain\n\nSee attached.\n--=_att\nContent-Type: %s; name="%s"\nContent-Disposition: attachment; filename="%s"\nContent-Transfer-Encoding: base64\n\n' "$2" "$1" "$3" "$4" "$4"
    base64 -w 76 "$5"; printf -- '--=_att--\n'; } > "$OLDPWD/$OUT/$1.eml"
}
cd - > /dev/null; cd "$W"
attach plain-zip "[IN-CONFIDENCE] Figures" application/zip figures.zip plain.zip
attach encrypted-zip "[IN-CONFIDENCE] Figures" application/zip figures.zip encrypted.zip
attach encrypted-7z "[IN-CONFIDENCE] Figures" application/x-7z-compressed figures.7z encrypted.7z
attach pdf "[IN-CONFIDENCE] Report" application/pdf report.pdf report.pdf
attach encrypted-pdf "[IN-CONFIDENCE] Report" application/pdf report.pdf encrypted.pdf
attach docx "[IN-CONFIDENCE] Strategy" application/vnd.openxmlformats-officedocument.wordprocessingml.document strategy.docx document.docx
attach docm "[IN-CONFIDENCE] Strategy" application/vnd.ms-word.document.macroEnabled.12 strategy.docm macro.docm
attach encrypted-docx "[IN-CONFIDENCE] Strategy" application/vnd.openxmlformats-officedocument.wordprocessingml.document strategy.docx encrypted.docx
attach elf "[IN-CONFIDENCE] Tool" application/octet-stream tool tool.elf
attach pe "[IN-CONFIDENCE] Tool" application/octet-stream tool.exe tool.exe
attach pe-renamed-as-pdf "[IN-CONFIDENCE] Invoice" application/pdf invoice.pdf tool.exe
attach zip-declared-as-text "[IN-CONFIDENCE] Notes" text/plain notes.txt plain.zip
attach nested-zip-with-exe "[IN-CONFIDENCE] Bundle" application/zip bundle.zip nested.zip
attach tar-gz-with-script "[IN-CONFIDENCE] Bundle" application/gzip bundle.tar.gz bundle.tar.gz
attach zip-bomb "[IN-CONFIDENCE] Data" application/zip data.zip bomb.zip
attach deb-installer "[IN-CONFIDENCE] Update" application/octet-stream update.deb fixture.deb
attach iso-disk-image "[IN-CONFIDENCE] Image" application/octet-stream image.iso disk.iso
attach random-bytes "[IN-CONFIDENCE] Data" application/octet-stream data.bin <(head -c 4096 /dev/urandom)
{ printf 'From: Aroha <aroha@agency.govt.nz>\nTo: partner@example.org\nDate: Tue, 7 Jan 2025 10:00:00 +1300\nMessage-ID: <smime@agency.govt.nz>\n'; cat smime.eml; } > "$OLDPWD/$OUT/smime-enveloped.eml"
{ printf 'From: Aroha <aroha@agency.govt.nz>\nTo: partner@example.org\nSubject: [IN-CONFIDENCE] Figures\nMIME-Version: 1.0\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="=_pgp"\n\n--=_pgp\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--=_pgp\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n'; cat pgp.asc; printf -- '--=_pgp--\n'; } > "$OLDPWD/$OUT/pgp-mime.eml"
{ printf 'From: Aroha <aroha@agency.govt.nz>\nTo: partner@example.org\nSubject: [IN-CONFIDENCE] Figures\nContent-Type: text/plain\n\n'; cat pgp.asc; } > "$OLDPWD/$OUT/pgp-inline.eml"
{ echo "zip $(zip -v | sed -n 2p)"; qpdf --version | head -1; dpkg-deb --version | head -1; genisoimage --version 2>&1 | head -1 || true; (7z i || true) | sed -n 2p; openssl version; gpg --version | head -1; pip show python-docx msoffcrypto-tool 2>/dev/null | grep -E '^(Name|Version)' | paste -sd' '; } > "$OLDPWD/$OUT/TOOLS.txt"
echo "wrote $(ls "$OLDPWD/$OUT"/*.eml | wc -l) messages"
