/// The one place that maps a kernel family to its renderer, so that a new family is one line here.
public enum EmitterFactory {
    /// The emitter for `target`, or a failure saying why the backend could not be set up.
    public static func emitter(for target: Target) throws(CommandLineError) -> any KernelEmitter {
        do {
            switch target.family {
            case .cpu:
                return try CEmitter()
            case .mma:
                return try CUDAEmitter(target: target)
            case .hopper:
                return try HopperEmitter()
            }
        } catch {
            throw .failure("cannot set up the \(target.rawValue) backend: \(error)")
        }
    }
}
