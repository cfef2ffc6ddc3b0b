import ArgumentParser
import ExitStatus
import FHIR

/// `rpl-adapter convert`: any R4 resource or Bundle, JSON to XML or back, losslessly.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a FHIR R4 resource or Bundle between JSON and XML.",
        discussion: """
            The input format is sniffed (first non-blank byte: '{' JSON, '<' XML). Without --to, \
            JSON becomes XML and XML becomes JSON. Exit 65 with an OperationOutcome on standard \
            output for input that is not well-formed or not FHIR; 74 when the file cannot be read.

            Example:
              rpl-adapter convert --to xml --pretty plan.json > plan.xml
            """
    )

    @Option(name: .long, help: "Output format: json or xml (default: the other one).")
    var to: OutputFormat?

    @Flag(name: .long, help: "Indented output.")
    var pretty = false

    @Argument(help: "Input file, or - for standard input.")
    var file: String = "-"

    func run() throws {
        var outputFormat = to?.format ?? .json
        do {
            let input = try InputFile.read(file)
            let inputFormat = try input.withBytes { (b) throws(FHIRFormatError) in try FHIRFormat.detect(b) }
            outputFormat = to?.format ?? (inputFormat == .json ? .xml : .json)
            let resource = try input.withBytes { (b) throws(FHIRFormatError) -> Element in
                do throws(FHIRFormatError) {
                    return try inputFormat.read(b)
                } catch {
                    if inputFormat == .json && FHIRFormat.looksLikeNDJSON(b) {
                        throw FHIRFormatError(.structure, "looks like ndjson (one resource per line): convert takes one resource (\(error.message))", line: error.line, column: error.column)
                    }
                    throw error
                }
            }
            Terminal.output(try outputFormat.write(resource, pretty: pretty))
        } catch let error as InputFile.ReadError {
            Terminal.error("rpl-adapter: \(error.message)")
            throw ExitStatus.ioError.exitCode
        } catch let error as FHIRFormatError {
            Terminal.report(error, source: file, as: outputFormat, pretty: pretty)
            throw ExitStatus.dataError.exitCode
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case json, xml
    var format: FHIRFormat { self == .json ? .json : .xml }
}
