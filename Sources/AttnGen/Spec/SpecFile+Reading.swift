import Foundation

// Reading a spec file from a path or from standard input.

extension SpecFile {
    /// The path that means standard input (`attngen plan --spec -`).
    public static let standardInputPath = "-"

    /// The most bytes a spec file may hold; a thousand variants take about 200 KB.
    public static let maximumFileSize = 16 << 20

    /// Reads the spec file at `path`, or standard input when `path` is "-". It reads until the end of the file,
    /// without trusting its size, so that pipes, `/dev/stdin` and other files that are not regular work too.
    public static func load(path: String) throws(SpecFileError) -> SpecFile {
        try decode(try contents(of: path))
    }

    /// How messages name `path`.
    public static func displayName(of path: String) -> String {
        path == standardInputPath ? "standard input" : path
    }

    /// The bytes of `path`; messages leave naming the file to the caller (`displayName(of:)`).
    static func contents(of path: String) throws(SpecFileError) -> Data {
        func failure(_ message: String) -> SpecFileError {
            SpecFileError(variantIndex: nil, variantName: nil, field: "", message: message)
        }
        let handle: FileHandle
        if path == standardInputPath {
            handle = .standardInput
        } else {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                throw failure("is a folder, not a spec file")
            }
            do {
                handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            } catch {
                throw failure("cannot read: \(error.localizedDescription)")
            }
        }
        defer { if path != standardInputPath { try? handle.close() } }
        var data = Data()
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 16)
            } catch {
                throw failure("cannot read: \(error.localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else { return data }
            data += chunk
            guard data.count <= maximumFileSize else {
                throw failure("holds more than \(maximumFileSize >> 20) MiB, more than a spec file may")
            }
        }
    }
}
