/// The one place that maps a target to its backend, so that a new backend is one line here.
public enum EmitterFactory {
    /// The emitter for `target`, or a failure saying why the backend could not be set up.
    public static func emitter(for target: Target) throws(CommandLineError) -> any KernelEmitter {
        do {
            switch target {
            case .c:
                return try CEmitter()
            case .cudaSM80, .cudaSM90:
                return try CUDAEmitter(target: target)
            }
        } catch {
            throw .failure("cannot set up the \(target.rawValue) backend: \(error)")
        }
    }
}
