import Foundation

/// Writes a complete set of generated files into a folder so that the folder either ends up holding exactly
/// those files or is left as it was.
///
/// The files are written into a temporary sibling folder (`.DIR.attngen-<uuid>`), which then takes the
/// place of `DIR` by renaming. An existing `DIR` is replaced only when it holds attngen output
/// (`AttngenOutputFolder`) of the same request (`OutputManifest`), or when `force` is set. On failure the temporary folder is removed; the temporary
/// folders of runs that were killed are removed by the next successful write (`StagingFolders`).
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
        if exists && !force, let conflict = OutputManifest.conflict(replacing: destination, with: files) {
            throw OutputError(conflict)
        }
        let parent = destination.deletingLastPathComponent()
        let staging = StagingFolders.staging(for: destination)
        let retired = StagingFolders.retired(for: destination)
        do {
            try manager.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw OutputError("cannot create \(parent.path): \(error.localizedDescription)")
        }
        // Locks that tell later runs these folders are in use (see StagingFolders); closed when this returns.
        var stagingLock: Int32?
        var retiredLock: Int32?
        defer {
            StagingFolders.unlock(stagingLock)
            StagingFolders.unlock(retiredLock)
        }
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: false)
            stagingLock = StagingFolders.lock(staging)
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
                // Locked before the rename, so that it is never an unlocked retired folder.
                retiredLock = StagingFolders.lock(destination)
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
        StagingFolders.removeAbandoned(besides: destination)
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
