/// What the command line asked for, once parsed.
public enum CommandRequest: Sendable, Hashable {
    case help(HelpTopic)
    case version
    case emit(EmitRequest)
    case plan(PlanRequest)
}

/// The commands `--help` can describe.
public enum HelpTopic: String, Sendable, Hashable, CaseIterable {
    case general
    case emit
    case emitC = "emit c"
    case emitCUDA = "emit cuda"
    case emitAll = "emit all"
    case emitTorch = "emit torch"
    case plan
}

/// Where the variants come from.
enum VariantSource: Sendable, Hashable {
    case flags(SpecFlags)
    case specFile(String)
    case catalogue
}

/// Which backends `emit` runs.
public enum EmitBackend: Sendable, Hashable {
    /// One device and its families, into `--out`.
    case single(TargetChoice)
    /// Every target, each into its `CatalogueLayout` subfolder of `--out`, plus a top-level Makefile (and with
    /// `--torch`, the PyTorch package in `torch/`).
    case all
    /// The PyTorch package (`TorchPackage`) holding every target's kernels, into `--out`.
    case torch
}

public struct EmitRequest: Sendable, Hashable {
    public var backend: EmitBackend
    var source: VariantSource
    public var output: String
    public var force: Bool
    public var quiet: Bool
    public var budget: Int?
    /// The PyTorch package's name: `emit torch`, or `emit all --torch`; nil otherwise.
    public var torchPackage: String? = nil
}

public struct PlanRequest: Sendable, Hashable {
    public var target: TargetChoice
    var source: VariantSource
    public var budget: Int?
    public var queryLength: Int?
    public var keyLength: Int?
    /// The fraction of blocks computed, for the IO estimate of block-sparse variants; nil when not given
    /// (every block).
    public var blockDensity: Double?
}
