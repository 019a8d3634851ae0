import Foundation
import RiptidesProfile

/// The nameservers of a resolv.conf(5), in order, at most three (as the
/// C library uses them).
enum Nameservers {
    static func read(from path: String) -> [IPAddress] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        var result: [IPAddress] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver", let address = IPAddress(String(fields[1])) else { continue }
            if !result.contains(address) { result.append(address) }
        }
        return Array(result.prefix(3))
    }
}
