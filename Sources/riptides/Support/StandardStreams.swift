import RiptidesSystem

/// Unbuffered writes to standard output and standard error, so the two stay in order.
enum StandardStreams {
    static func writeOut(_ text: String) { write(text, to: 1) }
    static func writeError(_ text: String) { write(text, to: 2) }

    private static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { _ = writeAll(descriptor, UnsafeRawBufferPointer($0)) }
    }
}
