import ArgumentParser

/// How every command of this project ends (BSD sysexits.h), named once: the README's tables of exit
/// statuses are this enum. Commands throw `ExitStatus.<case>.exitCode` (or call
/// `exit(ExitStatus.<case>.rawValue)` where they must stop at once); no number is written anywhere
/// else (issue 17, part 5).
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Everything done.
    case success = 0
    /// `replay`: an expectation differs from the output.
    case mismatch = 1
    /// EX_USAGE: the command line is wrong (ArgumentParser's validation errors exit so).
    case usage = 64
    /// EX_DATAERR: some input is not usable (an OperationOutcome says what and where).
    case dataError = 65
    /// EX_NOINPUT: a named input or outbox does not exist.
    case noInput = 66
    /// EX_UNAVAILABLE: a program this one runs is missing; `serve` cannot listen (the port taken).
    case unavailable = 69
    /// EX_IOERR: a file cannot be read, an output cannot be written, an outbox is unusable.
    case ioError = 74
    /// EX_TEMPFAIL: some work left for later (the receiver down, a time limit, a signal).
    case tempFail = 75
    /// EX_CONFIG: the configuration (`--profiles`, the requester for HL7 v2) is wrong.
    case configuration = 78

    /// For ArgumentParser, which ends the process with it.
    public var exitCode: ExitCode { ExitCode(rawValue) }
}
