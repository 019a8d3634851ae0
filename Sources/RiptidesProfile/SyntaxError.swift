/// Why a piece of text is not a valid value (an address, a CIDR, a SPIFFE ID, a host name, a port).
///
/// The message says what was found and what was expected; it names no file,
/// since the caller knows where the text came from.
public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
