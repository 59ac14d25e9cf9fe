/// The files that make an output folder a buildable library: a Makefile and the umbrella header `attngen.h`.
///
/// Both are derived from the emitted files alone (sorted paths), so regenerating gives identical bytes.
/// - C: `make` builds `libattngen.a` from every `.c` file with `-O3 -march=native` (`make PORTABLE=1`: `-O3` for the
///   compiler's baseline instruction set; `make OPENMP=1` adds `-fopenmp`).
/// - CUDA: `make` builds `libattngen_cuda.a` from every `.cu` file with `$(NVCC)` for the folder's architecture.
public enum LibraryBuildFiles {
    public static let umbrellaHeaderName = "attngen.h"
    public static let makefileName = "Makefile"

    /// The library `make` builds in a folder for `target`.
    public static func libraryName(for target: Target) -> String {
        target.isCUDA ? "libattngen_cuda.a" : "libattngen.a"
    }

    /// The nvcc architecture of a CUDA target.
    public static func nvccArchitecture(for target: Target) -> String {
        target.device.nvccArchitecture
    }

    /// The Makefile and umbrella header for `files`, the output of an emitter for `target` for the variants
    /// `variantNames`. The umbrella header includes the ABI header and each variant's public headers (the
    /// declarations: `NAME.h`, `NAME_backward.h`, `NAME.cuh`, `NAME_backward.cuh`), not the variants' internal
    /// hooks headers nor the backends' runtime headers.
    public static func files(for target: Target, emitted files: [GeneratedFile], variantNames: [String]) -> [GeneratedFile] {
        let emitted = Set(files.map(\.path))
        let headers = ([ABIHeader.fileName] + variantNames.map(VariantNames.init).flatMap(\.publicHeaders))
            .filter(emitted.contains).sorted()
        return [umbrellaHeader(headers: headers, target: target), makefile(for: target, emitted: files)]
    }

    static func umbrellaHeader(headers: [String], target: Target) -> GeneratedFile {
        let abiFirst = headers.filter { $0 == ABIHeader.fileName } + headers.filter { $0 != ABIHeader.fileName }
        var text = GeneratedBanner.cComment([
            "Umbrella header: includes the ABI and every variant of this folder (\(target.rawValue)).",
        ]) + "\n"
        text += "#ifndef ATTNGEN_H\n#define ATTNGEN_H\n\n"
        for header in abiFirst {
            text += "#include \"\(header)\"\n"
        }
        text += "\n#endif /* ATTNGEN_H */\n"
        return GeneratedFile(path: umbrellaHeaderName, contents: text)
    }

    static func makefile(for target: Target, emitted files: [GeneratedFile]) -> GeneratedFile {
        let sourceExtension = target.isCUDA ? ".cu" : ".c"
        let sources = files.map(\.path).filter { $0.hasSuffix(sourceExtension) }.sorted()
        let headers = (files.map(\.path).filter { $0.hasSuffix(".h") || $0.hasSuffix(".cuh") } + [umbrellaHeaderName])
            .sorted()
        let library = libraryName(for: target)
        var lines: [String] = []
        if target.isCUDA {
            lines.append(GeneratedBanner.hashComment([
                "Builds the CUDA kernels of this folder (\(target.rawValue)) into \(library).",
                "  make                     -> \(library)",
                "  make NVCC=/path/to/nvcc  -> another nvcc",
                "  make clean",
                "Link the consumer with -lcudart; include attngen.h.",
            ]))
            lines += [
                "",
                "NVCC ?= nvcc",
                "AR ?= ar",
                "NVCCFLAGS ?= -O3",
                "ATTNGEN_NVCCFLAGS = -std=c++17 -arch=\(nvccArchitecture(for: target)) -Werror all-warnings",
            ]
        } else {
            lines.append(GeneratedBanner.hashComment([
                "Builds the C kernels of this folder into \(library).",
                "  make              -> \(library), with -O3 -march=native: vectors as wide as this machine's CPU has",
                "  make PORTABLE=1   -> with -O3 for the baseline instruction set of the compiler's target, for a",
                "                       library that runs on other machines (x86-64: SSE2, about 4x slower than AVX-512)",
                "  make CFLAGS=...   -> your own optimisation flags instead",
                "  make OPENMP=1     -> with OpenMP worker threads (link the consumer with -fopenmp too)",
                "  make CC=clang     -> another C11 compiler",
                "  make clean",
                "Link the consumer with -lm; include attngen.h.",
            ]))
            lines += [
                "",
                "AR ?= ar",
                "ifeq ($(PORTABLE),1)",
                "CFLAGS ?= -O3",
                "else",
                "CFLAGS ?= -O3 -march=native",
                "endif",
                "ATTNGEN_CFLAGS = -std=c11 -Wall -Wextra",
                "ifeq ($(OPENMP),1)",
                "ATTNGEN_CFLAGS += -fopenmp",
                "endif",
            ]
        }
        lines.append("")
        lines += list("SOURCES", sources)
        lines.append("")
        lines += list("HEADERS", headers)
        lines += [
            "",
            "OBJECTS = $(SOURCES:\(sourceExtension)=.o)",
            "",
            ".PHONY: all clean",
            "",
            "all: \(library)",
            "",
            "\(library): $(OBJECTS)",
            "\trm -f $@",
            "\t$(AR) rcs $@ $(OBJECTS)",
            "",
            "%.o: %\(sourceExtension) $(HEADERS)",
            target.isCUDA
                ? "\t$(NVCC) $(ATTNGEN_NVCCFLAGS) $(NVCCFLAGS) -c $< -o $@"
                : "\t$(CC) $(ATTNGEN_CFLAGS) $(CFLAGS) -c $< -o $@",
            "",
            "clean:",
            "\trm -f $(OBJECTS) \(library)",
        ]
        return GeneratedFile(path: makefileName, contents: lines.joined(separator: "\n") + "\n")
    }

    /// `NAME = \` followed by one item per line.
    static func list(_ name: String, _ items: [String]) -> [String] {
        guard !items.isEmpty else { return ["\(name) ="] }
        var lines = ["\(name) = \\"]
        for (index, item) in items.enumerated() {
            lines.append("\t\(item)" + (index + 1 < items.count ? " \\" : ""))
        }
        return lines
    }
}
