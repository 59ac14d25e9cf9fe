import Foundation
import Testing
@testable import AttnGen

extension CLITests {
    /// A folder named `name` in `parent` holding one file, last modified `age` seconds ago.
    static func makeLeftover(_ name: String, in parent: URL, age: TimeInterval) throws -> URL {
        let url = parent.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Data("partial\n".utf8).write(to: url.appendingPathComponent("half_written.c"))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: url.path)
        return url
    }

    @Test func writerRemovesTheFoldersOfKilledRunsAndNoOthers() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        let hour: TimeInterval = 3600
        // Left by runs that were killed: old enough, and no process holds their lock.
        _ = try Self.makeLeftover(".out.attngen-\(UUID().uuidString)", in: folder, age: hour)
        _ = try Self.makeLeftover(".out.attngen-old-\(UUID().uuidString)", in: folder, age: hour)
        _ = try Self.makeLeftover(".out.attngen-\(UUID().uuidString.lowercased())", in: folder, age: hour)
        // A running writer's: it holds the lock (here this process does, as a running attngen would).
        let live = try Self.makeLeftover(".out.attngen-\(UUID().uuidString)", in: folder, age: hour)
        let liveLock = try #require(StagingFolders.lock(live))
        defer { StagingFolders.unlock(liveLock) }
        let liveOld = try Self.makeLeftover(".out.attngen-old-\(UUID().uuidString)", in: folder, age: hour)
        let liveOldLock = try #require(StagingFolders.lock(liveOld))
        defer { StagingFolders.unlock(liveOldLock) }
        // Made a moment ago: its writer may not have locked it yet.
        let young = try Self.makeLeftover(".out.attngen-\(UUID().uuidString)", in: folder, age: 0)
        // Not this destination's, or not a name the writer makes.
        let others = try [".outer.attngen-\(UUID().uuidString)", ".out.attngen-notes", ".out.attngen-old-backup",
                          "out.attngen-\(UUID().uuidString)", ".out.attngen-\(UUID().uuidString)-2"].map {
            try Self.makeLeftover($0, in: folder, age: hour)
        }

        let banner = GeneratedBanner.cComment(["test"])
        try AtomicOutputWriter(destination: out).write([GeneratedFile(path: "a.h", contents: banner)])

        let expected = (["out"] + ([live, liveOld, young] + others).map(\.lastPathComponent)).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == expected)
        #expect(relativeFilePaths(under: out) == ["a.h"])
        #expect(relativeFilePaths(under: live) == ["half_written.c"])
    }

    @Test func theNextEmitCleansUpAfterAKilledRun() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try AttngenTool.run(["emit", "c", "--head-dim", "64", "--out", "out"], in: folder)
        #expect(first.status == 0, "\(first.standardError)")
        // What a run killed between its two renames leaves: its staging folder and the previous output.
        let staging = try Self.makeLeftover(".out.attngen-\(UUID().uuidString)", in: folder, age: 600)
        let retired = folder.appendingPathComponent(".out.attngen-old-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: folder.appendingPathComponent("out"), to: retired)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -600)], ofItemAtPath: retired.path)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
                == ["out", staging.lastPathComponent, retired.lastPathComponent])

        let second = try AttngenTool.run(["emit", "c", "--head-dim", "64", "--out", "out"], in: folder)
        #expect(second.status == 0, "\(second.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out"])
    }

    @Test func aStagingFolderCannotBeLockedTwice() throws {
        let folder = try makeCLITestFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try #require(StagingFolders.lock(folder))
        #expect(StagingFolders.lock(folder) == nil)
        StagingFolders.unlock(first)
        let again = try #require(StagingFolders.lock(folder))
        StagingFolders.unlock(again)
    }
}
