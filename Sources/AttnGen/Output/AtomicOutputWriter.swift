import Foundation

/// Writes a complete set of generated files into a folder so that the folder either ends up holding exactly
/// those files or is left as it was.
///
/// The files are written into a temporary sibling folder (`.DIR.attngen-<uuid>`), which then takes the
/// place of `DIR` by renaming. An existing `DIR` is replaced only when it holds attngen output
/// (`AttngenOutputFolder`) or when `force` is set. On failure the temporary folder is removed.
public struct AtomicOutputWriter: Sendable {
    public var destination: URL
    public var force: Bool

    public init(destination: URL, force: Bool = false) {
        self.destination = destination.standardizedFileURL
        self.force = force
    }

    /// Writes `files` (paths relative to the destination).
    public func write(_ files: [GeneratedFile]) throws(OutputError) {
        try checkPaths(files)
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = manager.fileExists(atPath: destination.path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw OutputError("\(destination.path) exists and is not a folder")
        }
        if exists && !force && !AttngenOutputFolder.isReplaceable(destination) {
            throw OutputError("\(destination.path) is not empty and holds files attngen did not generate; "
                              + "choose another --out folder or pass --force to replace it")
        }
        let parent = destination.deletingLastPathComponent()
        let unique = UUID().uuidString
        let staging = parent.appendingPathComponent(".\(destination.lastPathComponent).attngen-\(unique)")
        let retired = parent.appendingPathComponent(".\(destination.lastPathComponent).attngen-old-\(unique)")
        do {
            try manager.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw OutputError("cannot create \(parent.path): \(error.localizedDescription)")
        }
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: false)
            var folders: Set<String> = [staging.path]
            for file in files {
                let url = staging.appendingPathComponent(file.path)
                let folder = url.deletingLastPathComponent()
                if folders.insert(folder.path).inserted {
                    try manager.createDirectory(at: folder, withIntermediateDirectories: true)
                }
                try GeneratedFileWriting.create(url.path, text: file.contents)
            }
            if exists {
                try manager.moveItem(at: destination, to: retired)
                do {
                    try manager.moveItem(at: staging, to: destination)
                } catch {
                    try? manager.moveItem(at: retired, to: destination)
                    throw error
                }
                try? manager.removeItem(at: retired)
            } else {
                try manager.moveItem(at: staging, to: destination)
            }
        } catch let error as OutputError {
            try? manager.removeItem(at: staging)
            throw error
        } catch {
            try? manager.removeItem(at: staging)
            throw OutputError("cannot write \(destination.path): \(error.localizedDescription)")
        }
    }

    /// Refuses absolute paths, `..`, empty components and duplicates before anything touches the disk.
    private func checkPaths(_ files: [GeneratedFile]) throws(OutputError) {
        var seen = Set<String>()
        for file in files {
            let components = file.path.split(separator: "/", omittingEmptySubsequences: false)
            guard !file.path.hasPrefix("/"), !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                throw OutputError("refusing to write a generated file outside the output folder: \"\(file.path)\"")
            }
            guard seen.insert(file.path).inserted else {
                throw OutputError("two generated files share the path \(file.path)")
            }
        }
    }
}
