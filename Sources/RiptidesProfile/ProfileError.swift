/// Every problem found in a profile; a profile with any never yields a ``Profile``.
public struct ProfileError: Error, Sendable, CustomStringConvertible {
    /// In file order.
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One `FILE:LINE:COLUMN: message` per line.
    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}
