import ArgumentParser
import RiptidesPolicy
import RiptidesProfile

/// `riptides explain --profile P [--protocol tcp|udp] DESTINATION`.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the decision a profile makes for a destination, the rule that makes it, and why.",
        discussion: """
            DESTINATION is host[:port], ip[:port], [v6]:port, an IPv6 address, or unix:/path. A host name is \
            resolved with the system resolver, and the name and each address it resolves to are shown; the \
            result, as exec would decide a connection, is allow only when every address is allowed (the name \
            alone decides when it does not resolve). An address is also matched against the rules of the \
            profile's host names that resolve to it, as exec does. Without a port, allow means some port is allowed. \
            Exits 0 for allow, 1 for deny, 2 for bad input (including an invalid profile).
            """)

    @OptionGroup var profileOption: ProfileOption

    // Checked in run(), not by the parser, so that bad values exit 2 as the contract says.
    @Option(name: .customLong("protocol"), help: ArgumentHelp("tcp or udp.", valueName: "tcp|udp"))
    var transportName = "tcp"

    @Argument(help: ArgumentHelp("What to explain.", valueName: "DESTINATION"))
    var destination: String?

    func run() throws {
        guard let transport = TransportProtocol(rawValue: transportName) else {
            StandardStreams.writeError("riptides: invalid --protocol '\(transportName)'; expected tcp or udp\n")
            throw ExitCode(2)
        }
        guard let destination else {
            StandardStreams.writeError("riptides: missing DESTINATION (host[:port], ip[:port], [v6]:port or unix:/path)\n")
            throw ExitCode(2)
        }
        let path: String
        do {
            guard let located = try profileOption.locate() else {
                throw ExplainFailure("missing --profile PATH|NAME")
            }
            path = located
        } catch {
            StandardStreams.writeError("riptides: \(error)\n")
            throw ExitCode(2)
        }
        let policy: EgressPolicy
        do throws(ProfileError) {
            policy = EgressPolicy(try ProfileLoader.load(contentsOf: path))
        } catch {
            StandardStreams.writeError(error.description + "\n")
            throw ExitCode(2)
        }
        let target: ExplainDestination
        do throws(SyntaxError) {
            target = try ExplainDestination(parsing: destination)
        } catch {
            StandardStreams.writeError("riptides: invalid DESTINATION: \(error.message)\n")
            throw ExitCode(2)
        }
        var addresses: [IPAddress] = []
        var failure: String?
        if case .host(let name, _) = target {
            switch HostResolver.resolve(name, protocol: transport) {
            case .success(let resolved): addresses = resolved
            case .failure(let error): failure = error.message
            }
        }
        var hostsOfAddress: [String] = []
        var pending = 0
        if case .address(let address, _) = target {
            (hostsOfAddress, pending) = HostResolver.names(policy.resolvableHostNames, resolvingTo: address, protocol: transport)
        }
        var explanation = policy.explain(target, protocol: transport, addresses: addresses, resolutionFailure: failure,
                                         hostsOfAddress: hostsOfAddress)
        if pending > 0 {
            explanation.notes.append("\(pending) of the profile's host names had not resolved after 5 s; their rules were not matched against this address")
        }
        StandardStreams.writeOut(explanation.rendered)
        if explanation.decision.verdict == .deny { throw ExitCode(1) }
    }
}

private struct ExplainFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
