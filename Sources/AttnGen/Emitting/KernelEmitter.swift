/// Turns one validated spec and its plan into source files.
public protocol KernelEmitter: Sendable {
    /// The target whose plans this emitter follows.
    var target: Target { get }
    /// The files for one variant (paths relative to the output folder).
    func emit(_ spec: AttentionSpec, plan: TilePlan) throws(SpecError) -> [GeneratedFile]
    /// Files every variant shares (the ABI header, runtime helpers), emitted once per output folder.
    func sharedFiles() throws(SpecError) -> [GeneratedFile]
}
