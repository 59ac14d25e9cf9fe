/// Why a specification, a plan request or a template was refused.
/// `field` names what was wrong (`headDim`, `heads.query`, `dropout.probability`, `budget`, ...),
/// `message` states the limit.
public struct SpecError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
