/// Named families of content types for attachment policy (allow/deny lists).
public enum TypeFamily: String, Sendable, Hashable, CaseIterable, Codable {
    case executable, script
    case macroOffice = "macro-office"
    case diskImage = "disk-image"
    case installer, archive, document, image, audio, video, text, unknown
}

/// A stable normalisation of libmagic's MIME names, so an upgrade of the magic database does
/// not silently change decisions: every alias seen is pinned here (and tested).
public enum TypeNormalisation {
    /// libmagic name → canonical MIME type.
    public static let aliases: [String: String] = [
        "application/CDFV2": "application/x-ole-storage",
        "application/CDFV2-corrupt": "application/x-ole-storage",
        "application/x-ole-storage": "application/x-ole-storage",
        "application/x-dosexec": "application/vnd.microsoft.portable-executable",
        "application/x-msdownload": "application/vnd.microsoft.portable-executable",
        "application/vnd.microsoft.portable-executable": "application/vnd.microsoft.portable-executable",
        "application/x-pie-executable": "application/x-executable",
        "application/x-sharedlib": "application/x-executable",
        "application/x-executable": "application/x-executable",
        "application/x-mach-binary": "application/x-executable",
        "application/x-gzip": "application/gzip",
        "application/vnd.rar": "application/x-rar",
        "application/x-rar-compressed": "application/x-rar",
        "application/x-zip-compressed": "application/zip",
        "text/x-sh": "text/x-shellscript",
        "application/x-shellscript": "text/x-shellscript",
        "application/javascript": "text/javascript",
        "application/x-javascript": "text/javascript",
        "data": "application/octet-stream",
        // libmagic 5.44 names an encrypted OOXML document (a CDF container with an
        // EncryptedPackage stream) "application/encrypted".
        "application/encrypted": "application/x-ole-storage",
        "application/x-gtar": "application/x-tar",
        "application/x-ustar": "application/x-tar",
    ]

    public static let families: [String: TypeFamily] = [
        "application/vnd.microsoft.portable-executable": .executable,
        "application/x-executable": .executable,
        "application/x-java-archive": .executable,
        "application/java-archive": .executable,
        "text/x-shellscript": .script, "text/x-python": .script, "text/x-perl": .script, "text/x-ruby": .script,
        "text/javascript": .script, "text/x-msdos-batch": .script, "application/x-powershell": .script,
        "text/x-php": .script,
        "application/x-iso9660-image": .diskImage, "application/x-apple-diskimage": .diskImage,
        "application/x-qemu-disk": .diskImage,
        "application/x-msi": .installer, "application/vnd.debian.binary-package": .installer,
        "application/x-rpm": .installer,
        "application/zip": .archive, "application/gzip": .archive, "application/x-tar": .archive,
        "application/x-7z-compressed": .archive,
        "application/x-rar": .archive, "application/x-bzip2": .archive, "application/x-xz": .archive,
        "application/pdf": .document, "application/x-ole-storage": .document, "application/msword": .document,
        "application/vnd.ms-excel": .document, "application/vnd.ms-powerpoint": .document, "application/rtf": .document,
        "text/rtf": .document,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": .document,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": .document,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": .document,
        "application/vnd.oasis.opendocument.text": .document,
        "application/vnd.oasis.opendocument.spreadsheet": .document,
        "application/vnd.ms-word.document.macroEnabled.12": .macroOffice,
        "application/vnd.ms-excel.sheet.macroEnabled.12": .macroOffice,
        "application/vnd.ms-powerpoint.presentation.macroEnabled.12": .macroOffice,
        "message/rfc822": .text, "text/plain": .text, "text/html": .text, "text/csv": .text, "text/xml": .text,
        "application/xml": .text,
        "application/json": .text, "text/calendar": .text,
        "application/octet-stream": .unknown, "application/x-empty": .unknown,
    ]

    public static func canonical(_ libmagicName: String) -> String {
        aliases[libmagicName] ?? libmagicName
    }

    public static func family(_ canonicalType: String) -> TypeFamily {
        if let f = families[canonicalType] { return f }
        if canonicalType.hasPrefix("image/") { return .image }
        if canonicalType.hasPrefix("audio/") { return .audio }
        if canonicalType.hasPrefix("video/") { return .video }
        if canonicalType.hasPrefix("text/") { return .text }
        return .unknown
    }

    /// The family a file-name extension claims (for mismatch checks).
    public static func familyOfExtension(_ ext: String) -> TypeFamily? {
        switch ext.lowercased() {
        case "exe", "dll", "scr", "com", "msi", "sys", "elf", "so", "bin":
            return ext == "msi" ? .installer : .executable
        case "sh", "bat", "cmd", "ps1", "vbs", "js", "py", "pl": return .script
        case "zip", "gz", "tgz", "tar", "7z", "rar", "bz2", "xz": return .archive
        case "pdf", "doc", "xls", "ppt", "docx", "xlsx", "pptx", "odt", "ods", "rtf": return .document
        case "docm", "xlsm", "pptm": return .macroOffice
        case "iso", "img", "dmg", "vhd", "vhdx": return .diskImage
        case "txt", "csv", "html", "htm", "xml", "json", "eml", "ics": return .text
        case "png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp": return .image
        default: return nil
        }
    }
}
