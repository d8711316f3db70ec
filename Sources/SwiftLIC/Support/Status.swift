/// Status codes shared by the Swift core, the C ABI (`SLIC_*` in include/swiftlic.h) and Python
/// (`swiftlic.errors`). The raw values are part of the ABI: never renumber, only append.
public enum SLICStatus: Int32, Sendable {
    case ok = 0
    case invalidArgument = 1
    case bufferTooSmall = 2
    case corruptStream = 3
    case unsupportedVersion = 4
    case modelMismatch = 5
    case limitExceeded = 6
    case outOfMemory = 7
    case internalError = 8

    /// Static text for a status, as `slic_status_string` returns it.
    public var text: StaticString {
        switch self {
        case .ok: return "ok"
        case .invalidArgument: return "invalid argument"
        case .bufferTooSmall: return "buffer too small"
        case .corruptStream: return "corrupt stream"
        case .unsupportedVersion: return "unsupported version"
        case .modelMismatch: return "model mismatch"
        case .limitExceeded: return "limit exceeded"
        case .outOfMemory: return "out of memory"
        case .internalError: return "internal error"
        }
    }
}

/// The one error type of the core: a status plus a message that says what was expected and what was found.
public struct SLICError: Error, CustomStringConvertible, Sendable {
    public var status: SLICStatus
    public var message: String

    public init(_ status: SLICStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public static func invalid(_ message: String) -> SLICError { SLICError(.invalidArgument, message) }
    public static func corrupt(_ message: String) -> SLICError { SLICError(.corruptStream, message) }

    public var description: String { "\(status.text): \(message)" }
}

/// Throws `invalidArgument` with `message()` unless `condition` holds.
@inlinable
public func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(SLICError) {
    if !condition { throw SLICError(.invalidArgument, message()) }
}
