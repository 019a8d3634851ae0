
/// An error that ends riptides with a given status after one
/// `riptides: ...` line (or several, for a profile's diagnostics).
struct RiptidesFailure: Error {
    var message: String
    var exitStatus: Int32

    init(_ message: String, exitStatus: Int32) {
        self.message = message
        self.exitStatus = exitStatus
    }
}

/// Prints `riptides: message` on stderr.
func printError(_ message: String) {
    StandardStreams.writeError("riptides: \(message)\n")
}
