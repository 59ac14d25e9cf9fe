import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary siblings `AtomicOutputWriter` makes next to a destination `DIR`: `.DIR.attngen-<UUID>`, the new
/// output while it is written, and `.DIR.attngen-old-<UUID>`, the previous output between the two renames.
///
/// A run that is killed leaves them behind, so each write to `DIR` removes those whose writer is gone. A writer
/// holds an advisory lock (`flock`) on each of its folders while it exists, and a folder that can be locked has
/// no running writer: the kernel drops a process's locks when it exits, however it exits (SIGKILL included).
/// That is why the lock and not a process id in the name, which another process may reuse and which means
/// nothing to a writer on another host or in another PID namespace sharing the folder; and not an age alone,
/// which would remove the folder of a slow writer still at work. Where the file system offers no lock, `flock`
/// fails for everyone and nothing is removed. The only instant a folder exists unlocked, between its `mkdir`
/// and its `flock`, is covered by leaving alone folders modified in the last `minimumAge` seconds.
enum StagingFolders {
    static let minimumAge: TimeInterval = 60

    /// The folder the new output of `destination` is written into.
    static func staging(for destination: URL) -> URL {
        sibling(of: destination, suffix: UUID().uuidString)
    }

    /// The name the previous output of `destination` has between the two renames.
    static func retired(for destination: URL) -> URL {
        sibling(of: destination, suffix: "old-" + UUID().uuidString)
    }

    private static func prefix(of destination: URL) -> String {
        ".\(destination.lastPathComponent).attngen-"
    }

    private static func sibling(of destination: URL, suffix: String) -> URL {
        destination.deletingLastPathComponent().appendingPathComponent(prefix(of: destination) + suffix)
    }

    /// Takes an exclusive lock on the folder `url`, held until `unlock`; nil when it cannot be taken (the file
    /// system offers no lock, or another process holds it).
    static func lock(_ url: URL) -> Int32? {
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    static func unlock(_ descriptor: Int32?) {
        if let descriptor { close(descriptor) }
    }

    /// Removes the staging and retired folders of `destination` that no running writer holds. Best effort:
    /// a folder that cannot be removed stays for a later run.
    static func removeAbandoned(besides destination: URL) {
        let manager = FileManager.default
        let parent = destination.deletingLastPathComponent()
        let prefix = prefix(of: destination)
        guard let names = try? manager.contentsOfDirectory(atPath: parent.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            // Exactly the names this writer makes, so that nothing else in the folder is ever touched.
            var id = name.dropFirst(prefix.count)
            if id.hasPrefix("old-") { id = id.dropFirst(4) }
            guard UUID(uuidString: String(id)) != nil else { continue }
            let url = parent.appendingPathComponent(name)
            guard let modified = (try? manager.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date,
                  Date().timeIntervalSince(modified) >= minimumAge,
                  let descriptor = lock(url) else { continue }
            try? manager.removeItem(at: url)
            unlock(descriptor)
        }
    }
}
