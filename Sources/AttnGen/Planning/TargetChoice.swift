/// The kernel family a request asks for on a device: one family, or `auto`, where each variant gets the first
/// family in `Device.families` order that can run it (on sm90: the Hopper family, else mma.sync). What the command
/// line's `--arch`/`--target` and `--family` build; `emit all` and the catalogue use `auto`.
public struct TargetChoice: Sendable, Hashable, CustomStringConvertible {
    public var device: Device
    /// nil: auto.
    public var family: KernelFamily?

    public init(device: Device, family: KernelFamily?) {
        self.device = device
        self.family = family
    }

    /// Exactly `target`.
    public init(_ target: Target) {
        self.init(device: target.device, family: target.family)
    }

    /// The targets to try, in order.
    public var targets: [Target] {
        if let family { return [Target(device: device, family: family)] }
        return KernelFamily.allCases.filter { $0.devices.contains(device) }
            .sorted { ($0 == device.defaultFamily ? 0 : 1) < ($1 == device.defaultFamily ? 0 : 1) }
            .map { Target(device: device, family: $0) }
    }

    /// `c`, `sm80`, `sm90` (the default family), `sm90-mma`, `sm90-auto`.
    public var description: String {
        if let family { return Target(device: device, family: family).rawValue }
        let targets = self.targets
        return targets.count == 1 ? targets[0].rawValue : "\(targets[0].rawValue)-auto"
    }

    /// The first target tried: what names the device and its build in output folders.
    public var primary: Target { targets[0] }

    /// Why none of the families tried reads Q, K and V of `variant` as they are stored (fp8 inputs on sm80: the mma
    /// family has no fp8 kernel), or nil when one of them does.
    public func inputRefusal(_ variant: VariantModel) -> SpecError? {
        guard let inputs = variant.inputStorage, !targets.contains(where: { $0.family.reads(inputs) }) else { return nil }
        do {
            try FamilyPlanner.checkInputs(variant, target: primary)
        } catch {
            return error
        }
        return nil
    }

    /// What `emit all` writes: every device, each variant in the fastest family that runs it.
    public static let all: [TargetChoice] = Device.allCases.map { TargetChoice(device: $0, family: nil) }
}
