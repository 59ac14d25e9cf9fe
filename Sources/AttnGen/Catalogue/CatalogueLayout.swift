/// Where each backend's output goes inside a folder holding several (the committed `generated/`):
///
/// ```
/// generated/
///   Makefile          make -> c/libattngen.a; make cuda -> cuda/sm80 and cuda/sm90 (nvcc)
///   c/                attngen emit c --catalogue --out generated/c
///   cuda/sm80/        attngen emit cuda --arch sm80 --catalogue --out generated/cuda/sm80
///   cuda/sm90/        attngen emit cuda --arch sm90 --catalogue --out generated/cuda/sm90
/// ```
///
/// Each backend folder is self-contained: the ABI header, one header and one source per variant,
/// the umbrella header `attngen.h` and a Makefile. `attngen emit all --catalogue --out generated` writes
/// the whole tree (and the top-level Makefile) in one atomic step.
public enum CatalogueLayout {
    /// The subfolder of a target's output.
    public static func subfolder(for choice: TargetChoice) -> String {
        choice.device.isCUDA ? "cuda/\(choice.family.map { Target(device: choice.device, family: $0).rawValue } ?? choice.device.rawValue)"
            : "c"
    }

    /// Where `attngen emit all --torch` puts the PyTorch package (`attngen emit torch`'s output).
    public static let torchSubfolder = "torch"

    public static func subfolder(for target: Target) -> String {
        target.isCUDA ? "cuda/\(target.rawValue)" : "c"
    }

    /// The top-level Makefile that delegates to the backend folders.
    public static func topLevelMakefile(choices: [TargetChoice]) -> GeneratedFile {
        let targets = choices.map(\.primary)
        let cudaTargets = targets.filter(\.isCUDA)
        var lines = [
            GeneratedBanner.hashComment([
                "Builds the generated kernels of every backend folder below.",
                "  make              -> c/libattngen.a, built with -O3 -march=native (for this machine's CPU)",
                "  make PORTABLE=1   -> c/libattngen.a with -O3 for the compiler's baseline instruction set",
                "  make cuda         -> cuda/<arch>/libattngen_cuda.a with nvcc (make cuda NVCC=/path/to/nvcc)",
                "  make clean",
            ]),
            "",
            ".PHONY: all c cuda clean" + cudaTargets.map { " cuda-\($0.rawValue)" }.joined(),
            "",
            "all: c",
            "",
            "c:",
            "\t$(MAKE) -C \(subfolder(for: .c))",
            "",
            "cuda:" + cudaTargets.map { " cuda-\($0.rawValue)" }.joined(),
        ]
        for target in cudaTargets {
            lines += ["", "cuda-\(target.rawValue):", "\t$(MAKE) -C \(subfolder(for: target))"]
        }
        lines += ["", "clean:"]
        for target in targets {
            lines.append("\t$(MAKE) -C \(subfolder(for: target)) clean")
        }
        return GeneratedFile(path: "Makefile", contents: lines.joined(separator: "\n") + "\n")
    }
}
