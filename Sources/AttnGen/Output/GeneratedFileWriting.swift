import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain file creation for the staging folder. Foundation's `Data.write(to:)` syncs every file to disk,
/// which costs several milliseconds per file; the staging folder only has to be complete before the rename
/// (a failed run removes it), so a buffered write is enough and keeps emitting the catalogue well under a second.
enum GeneratedFileWriting {
    /// Creates `path` (which must not exist yet) holding `text` in UTF-8.
    static func create(_ path: String, text: String) throws(OutputError) {
        guard let handle = fopen(path, "wbx") else {
            throw OutputError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var bytes = Array(text.utf8)
        let written = bytes.isEmpty ? 0 : bytes.withUnsafeMutableBytes { buffer in
            fwrite(buffer.baseAddress!, 1, buffer.count, handle)
        }
        let closed = fclose(handle)
        guard written == bytes.count, closed == 0 else {
            throw OutputError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
