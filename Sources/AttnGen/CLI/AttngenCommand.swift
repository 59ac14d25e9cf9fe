import Foundation

/// The `attngen` tool as a library: `run` parses the arguments, does the work and returns the exit status.
/// `Sources/attngen/main.swift` only calls it.
public enum AttngenCommand {
    public static let version = GeneratedBanner.toolVersion

    /// Runs `attngen` with `arguments` (without the program name).
    public static func run(_ arguments: [String], output: CommandOutput = .process) -> Int32 {
        do {
            switch try CommandLineParser.parse(arguments) {
            case .help(let topic):
                output.standardOutput(HelpText.text(for: topic))
            case .version:
                output.standardOutput("attngen \(version)\n")
            case .emit(let request):
                try emit(request, output: output)
            case .plan(let request):
                output.standardOutput(try plan(request))
            }
            return ExitCode.success
        } catch {
            output.standardError("attngen: error: \(error.message)\n")
            if error.kind == .usage && arguments.isEmpty {
                output.standardError(HelpText.text(for: .general))
            }
            return error.exitCode
        }
    }

    /// The variants a request names.
    static func specs(from source: VariantSource) throws(CommandLineError) -> [AttentionSpec] {
        switch source {
        case .flags(let flags):
            return [try flags.spec()]
        case .catalogue:
            return DefaultCatalogue.variants
        case .specFile(let path):
            do {
                let file = try SpecFile.load(path: path)
                guard !file.variants.isEmpty else {
                    throw SpecFileError(variantIndex: nil, variantName: nil, field: "variants",
                                        message: "lists no variant")
                }
                return try file.validatedSpecs()
            } catch {
                throw .failure("\(SpecFile.displayName(of: path)): \(error)")
            }
        }
    }

    // MARK: emit

    static func emit(_ request: EmitRequest, output: CommandOutput) throws(CommandLineError) {
        let specs = try specs(from: request.source)
        let choices: [TargetChoice]
        switch request.backend {
        case .single(let choice): choices = [choice]
        case .all, .torch: choices = TargetChoice.all
        }
        // Plan everything first, so that an invalid spec is reported as such whatever the backend.
        for choice in choices {
            try planAll(packaged(specs, for: choice, request: request), choice: choice, budget: request.budget)
        }
        let variants: OutputManifest.Variants = request.source == .catalogue ? .catalogue : .named(specs.map(\.name))
        var files: [GeneratedFile]
        switch request.backend {
        case .single(let choice):
            files = try generate(specs, choice: choice, request: request, variants: variants, output: output)
        case .all:
            let outputs = try generateEveryTarget(specs, request: request, variants: variants, output: output)
            files = outputs.flatMap { choice, generated in
                let folder = CatalogueLayout.subfolder(for: choice)
                return generated.map { GeneratedFile(path: "\(folder)/\($0.path)", contents: $0.contents) }
            }
            if let package = request.torchPackage {
                files += try torchPackage(package, specs: specs, outputs: outputs, request: request, variants: variants)
                    .map { GeneratedFile(path: "\(CatalogueLayout.torchSubfolder)/\($0.path)", contents: $0.contents) }
            }
            files += [CatalogueLayout.topLevelMakefile(choices: TargetChoice.all),
                      OutputManifest(targets: TargetChoice.all, budget: request.budget, variants: variants,
                                     torchPackage: request.torchPackage).file]
        case .torch:
            let outputs = try generateEveryTarget(specs, request: request, variants: variants, output: output)
            files = try torchPackage(request.torchPackage ?? TorchPackage.defaultName, specs: specs, outputs: outputs,
                                     request: request, variants: variants)
        }
        let destination = URL(fileURLWithPath: request.output)
        do {
            try AtomicOutputWriter(destination: destination, force: request.force).write(files)
        } catch {
            throw .failure(error.message)
        }
        if !request.quiet {
            output.standardError("attngen: wrote \(files.count) files to \(request.output)\n")
        }
    }

    /// Every target's files (`TargetChoice.all`), each as `generate` makes them for a folder of its own.
    private static func generateEveryTarget(_ specs: [AttentionSpec], request: EmitRequest, variants: OutputManifest.Variants,
                                            output: CommandOutput) throws(CommandLineError)
        -> [(choice: TargetChoice, files: [GeneratedFile])] {
        var outputs: [(choice: TargetChoice, files: [GeneratedFile])] = []
        for choice in TargetChoice.all {
            let held = try packaged(specs, for: choice, request: request)
            if held.isEmpty { continue }
            outputs.append((choice, try generate(held, choice: choice, request: request, variants: variants, output: output)))
        }
        return outputs
    }

    /// The variants of `specs` whose kernels for `choice` a request writes: all of them, except that the PyTorch
    /// package (`emit torch`) leaves a variant out of a device whose families do not read its inputs (fp8 on sm80:
    /// the package then raises that reason on such a GPU; `TorchPackage`), where `emit all` refuses it.
    private static func packaged(_ specs: [AttentionSpec], for choice: TargetChoice,
                                 request: EmitRequest) throws(CommandLineError) -> [AttentionSpec] {
        guard case .torch = request.backend else { return specs }
        var held: [AttentionSpec] = []
        for spec in specs {
            do {
                if choice.inputRefusal(try VariantModel(lowering: spec)) == nil { held.append(spec) }
            } catch {
                throw failure(error, specs: specs, target: choice)
            }
        }
        return held
    }

    /// The PyTorch package of `outputs` (each target's files), with its own manifest.
    private static func torchPackage(_ package: String, specs: [AttentionSpec],
                                     outputs: [(choice: TargetChoice, files: [GeneratedFile])], request: EmitRequest,
                                     variants: OutputManifest.Variants) throws(CommandLineError) -> [GeneratedFile] {
        do {
            let models = try specs.map { (spec) throws(SpecError) in try VariantModel(lowering: spec) }
            return try TorchPackage.files(package: package, variants: models, outputs: outputs, templates: .bundled())
                + [OutputManifest(targets: TargetChoice.all, budget: request.budget, variants: variants,
                                  torchPackage: package).file]
        } catch {
            throw .failure("cannot render the PyTorch package: \(error.field): \(error.message)")
        }
    }

    private static func planAll(_ specs: [AttentionSpec], choice: TargetChoice, budget: Int?) throws(CommandLineError) {
        do {
            _ = try KernelGenerator.plan(specs, planners: choice.targets.map { FamilyPlanner(target: $0, budget: budget) })
        } catch {
            throw failure(error, specs: specs, target: choice)
        }
    }

    /// "invalid spec: NAME.field: message (target sm80)"; the name only when there are several variants.
    private static func failure(_ error: SpecError, specs: [AttentionSpec], target: TargetChoice) -> CommandLineError {
        var field = error.field
        if specs.count == 1, let name = specs.first?.name, field.hasPrefix(name + ".") {
            field = String(field.dropFirst(name.count + 1))
        }
        return .failure("invalid spec: \(field): \(error.message)" + (target.device == .cpu ? "" : " (target \(target))"))
    }

    /// Files for one target: the emitter's, then the umbrella header, the Makefile and the manifest of the
    /// request. Nothing touches the disk.
    static func generate(_ specs: [AttentionSpec], choice: TargetChoice, request: EmitRequest,
                         variants: OutputManifest.Variants, output: CommandOutput) throws(CommandLineError) -> [GeneratedFile] {
        let generator: KernelGenerator
        do {
            generator = try KernelGenerator(choice: choice, budget: request.budget)
        } catch {
            throw .failure("cannot set up the \(choice) backend: \(error.message)")
        }
        let target = choice.primary
        let showsProgress = !request.quiet && specs.count > 1
        let names = specs.map(\.name)
        do {
            let files = try generator.generate(specs) { done, total in
                if showsProgress {
                    output.standardError("[\(done)/\(total)] \(choice) \(names[done - 1])\n")
                }
            }
            return files + LibraryBuildFiles.files(for: target, emitted: files, variantNames: names)
                + [OutputManifest(targets: [choice], budget: request.budget, variants: variants).file]
        } catch {
            throw .failure("invalid spec: \(error.field): \(error.message)")
        }
    }

    // MARK: plan

    static func plan(_ request: PlanRequest) throws(CommandLineError) -> String {
        let specs = try specs(from: request.source)
        if request.blockDensity != nil && !specs.contains(where: { $0.blockSparseLayout != nil }) {
            throw .usage("--block-density applies to block-sparse variants, and none of the variants is block-sparse")
        }
        let planners = request.target.targets.map { FamilyPlanner(target: $0, budget: request.budget) }
        let planned: [KernelGenerator.PlannedVariant]
        do {
            planned = try KernelGenerator.plan(specs, planners: planners)
        } catch {
            throw failure(error, specs: specs, target: request.target)
        }
        return planned.map { item in
            var estimate: TrafficEstimate?
            if let nq = request.queryLength, let nk = request.keyLength {
                estimate = TrafficEstimate(variant: item.variant, plan: item.plan.forward, queryLength: nq, keyLength: nk,
                                           blockDensity: request.blockDensity ?? 1)
            }
            // The density applies to block-sparse variants only; their reports say it.
            let density = item.variant.blockSparse == nil ? nil : request.blockDensity
            return PlanReport.text(variant: item.variant, plan: item.plan, estimate: estimate, blockDensity: density)
        }.joined(separator: "\n")
    }
}
