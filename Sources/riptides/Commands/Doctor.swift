import ArgumentParser
import RiptidesExec

/// `riptides doctor`: what this kernel offers and the protection that follows.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what this kernel and environment offer riptides, and the protection that results.",
        discussion: "Exit status 0 when riptides can enforce policies here, 1 when it cannot."
    )

    func run() throws {
        let protection = Protection.probe()
        var lines = ["riptides doctor: Linux \(protection.kernelRelease)", ""]
        let width = protection.rows.map(\.feature.count).max() ?? 0
        lines.append("| " + "feature".padding(width) + " | here | protection |")
        lines.append("|" + String(repeating: "-", count: width + 2) + "|------|------------|")
        for row in protection.rows {
            lines.append("| " + row.feature.padding(width) + " | " + (row.present ? "yes " : "no  ") + " | " + row.consequence + " |")
        }
        lines.append("")
        lines.append(protection.defaultIsolation == .netns
            ? "isolation tier: netns (own network namespace with only loopback) on top of the filter"
            : "isolation tier: filter (seccomp user notification)")
        lines.append(protection.canEnforce ? "verdict: riptides can enforce egress policies here"
                                           : "verdict: riptides cannot enforce here")
        StandardStreams.writeOut(lines.joined(separator: "\n") + "\n")
        if !protection.canEnforce { throw ExitCode(1) }
    }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
