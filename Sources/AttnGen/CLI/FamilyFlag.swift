/// `--family hopper|mma|auto`: which kernel family a CUDA device gets (default: the device's, Hopper on sm90).
enum FamilyFlag: Sendable, Hashable {
    case family(KernelFamily)
    case auto

    static func parse(_ text: String, flag: String) throws(CommandLineError) -> FamilyFlag {
        if text == "auto" { return .auto }
        guard let family = KernelFamily(rawValue: text), family != .cpu else {
            throw .usage("\(flag) takes hopper, mma or auto, got \"\(text)\"")
        }
        return .family(family)
    }

    /// The choice for `device`, refusing a family that does not run on it.
    static func choice(device: Device, family: FamilyFlag?) throws(CommandLineError) -> TargetChoice {
        switch family {
        case nil: return TargetChoice(device: device, family: device.defaultFamily)
        case .auto: return TargetChoice(device: device, family: nil)
        case .family(let family):
            guard family.devices.contains(device) else {
                throw .usage("--family \(family.rawValue) does not run on \(device.rawValue) (it runs on "
                             + "\(family.devices.map(\.rawValue).joined(separator: ", ")))")
            }
            return TargetChoice(device: device, family: family)
        }
    }
}
