import Foundation

/// Progress on stderr: messages, bytes, rate and ETA (from the inputs' size on disk), redrawn
/// in place at most four times a second.
public final class ProgressMeter {
    let totalBytes: Int
    let write: (String) -> Void
    let start = Date()
    var last = Date.distantPast

    public init(totalBytes: Int, write: @escaping (String) -> Void) {
        self.totalBytes = totalBytes
        self.write = write
    }

    public func update(messages: Int, bytes: Int) {
        let now = Date()
        guard now.timeIntervalSince(last) >= 0.25 else { return }
        last = now
        write("\r" + line(messages: messages, bytes: bytes, elapsed: now.timeIntervalSince(start)) + "\u{1B}[K")
    }

    public func finish(messages: Int, bytes: Int) {
        write("\r" + line(messages: messages, bytes: bytes, elapsed: Date().timeIntervalSince(start)) + "\u{1B}[K\n")
    }

    /// `12,345 messages  180.2/220.0 MB  52.1 MB/s  ETA 0:01`.
    public func line(messages: Int, bytes: Int, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(bytes) / elapsed : 0
        var s = "\(messages) messages  \(Self.mb(bytes))"
        if totalBytes > 0 { s += "/\(Self.mb(totalBytes)) MB" } else { s += " MB" }
        s += "  " + Self.mb(Int(rate)) + " MB/s"
        if totalBytes > 0, rate > 0 {
            let eta = max(0, Double(totalBytes - bytes) / rate)
            s += "  ETA " + Self.clock(eta)
        }
        return s
    }

    static func mb(_ b: Int) -> String {
        let v = (Double(b) / 1e6 * 10).rounded() / 10
        return String(v)
    }

    static func clock(_ t: Double) -> String {
        let s = Int(t.rounded())
        let m = s / 60, sec = s % 60
        return m >= 60
            ? "\(m / 60):\(String(format: "%02d", m % 60)):\(String(format: "%02d", sec))"
            : "\(m):\(String(format: "%02d", sec))"
    }
}
