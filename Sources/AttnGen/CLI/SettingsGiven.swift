/// The settings the flags read so far have set, so that a flag setting one again is refused rather than
/// silently winning: `--dtype fp16 --dtype bf16`, `--out a -o b`, `--heads 8 --query-heads 4`,
/// `--seq 128 --seq-q 64`. Masks are not settings: they repeat by design.
struct SettingsGiven {
    /// The flag that set each setting.
    private var flags: [String: String] = [:]

    /// Records that `flag` sets `settings`; a flag sets the setting named after itself unless said otherwise
    /// (an alias names its flag: `-o` sets `--out`).
    mutating func record(_ flag: String, sets settings: [String]? = nil) throws(CommandLineError) {
        let settings = settings ?? [flag]
        for setting in settings {
            guard let previous = flags[setting] else { continue }
            if previous == flag {
                throw .usage("\(flag) is given twice; it may be given once")
            }
            throw .usage("\(flag) and \(previous) both set \(setting); give one of them")
        }
        for setting in settings {
            flags[setting] = flag
        }
    }
}
