import Yams

/// Turns a composed YAML tree into a ``Profile``, collecting every problem
/// with its position rather than stopping at the first.
struct ProfileParser {
    let path: String
    private(set) var diagnostics: [Diagnostic] = []
    /// Valid but weakening; they never stop a profile from loading.
    private(set) var warnings: [Diagnostic] = []

    init(path: String) {
        self.path = path
    }

    /// The profile, or nil when any diagnostic was recorded.
    mutating func parse(_ yaml: String) -> Profile? {
        let root: Node?
        do {
            // The basic resolver leaves every scalar a string: values are parsed here, and
            // skipping implicit-type regular expressions makes large profiles load several times faster.
            root = try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            report(error, in: yaml)
            return nil
        } catch {
            diagnose(SourceLocation(line: 1, column: 1), "not valid YAML: \(error)")
            return nil
        }
        guard let root, !isNull(root) else {
            diagnose(SourceLocation(line: 1, column: 1),
                     "the profile is empty; expected a mapping with 'identity' and 'rules'")
            return nil
        }
        guard let mapping = root.mapping else {
            diagnose(location(of: root), "expected a mapping with 'identity' and 'rules', found \(kind(of: root))")
            return nil
        }

        var identity: SPIFFEID?
        var mode = ProfileMode.enforce
        var rules: [Rule] = []
        var workload: WorkloadSelector?
        var capabilities: [String] = []
        var sawIdentity = false
        for (keyNode, value) in mapping {
            guard let key = key(keyNode, known: ProfileKeys.topLevel, in: "the profile") else { continue }
            switch key {
            case "identity":
                sawIdentity = true
                guard let text = scalar(value, expected: "a SPIFFE ID such as spiffe://acme.example/agent/research", for: "identity")
                else { continue }
                do throws(SyntaxError) {
                    identity = try SPIFFEID(parsing: text)
                } catch {
                    diagnose(location(of: value), "invalid identity: \(error.message)")
                }
            case "mode":
                if let parsed: ProfileMode = choice(value, for: "mode") { mode = parsed }
            case "rules":
                rules = parseRules(value)
            case "workload":
                workload = parseWorkload(value)
            case "capabilities":
                capabilities = parseCapabilities(value)
            default:
                continue
            }
        }
        if !sawIdentity {
            diagnose(location(of: root),
                     "missing required key 'identity'; expected a SPIFFE ID such as spiffe://acme.example/agent/research")
        }
        guard diagnostics.isEmpty, let identity else { return nil }
        return Profile(path: path, identity: identity, mode: mode, rules: rules, workload: workload,
                       keptCapabilities: capabilities, warnings: warnings)
    }

    // MARK: Capabilities

    /// `capabilities: [net_bind_service, ...]`: Linux capability names, with
    /// or without `CAP_`, any case.
    private mutating func parseCapabilities(_ node: Node) -> [String] {
        guard let items = node.sequence else {
            diagnose(location(of: node), "expected 'capabilities' to be a list of capability names such as net_bind_service, found \(kind(of: node))")
            return []
        }
        var names: [String] = []
        for item in items {
            guard let text = scalar(item, expected: "a capability name such as net_bind_service", for: "capabilities") else { continue }
            var name = text.lowercased()
            if name.hasPrefix("cap_") { name.removeFirst(4) }
            guard Self.capabilityNames.contains(name) else {
                let hint = KeySuggestion.suggestion(for: name, among: Self.capabilityNames).map { "; did you mean \($0)?" } ?? ""
                diagnose(location(of: item), "capabilities: '\(text)' is not a Linux capability\(hint)")
                continue
            }
            if names.contains("cap_" + name) { continue }
            names.append("cap_" + name)
            if let power = Self.filterUndoingCapabilities[name] {
                warn(location(of: item), "capabilities: keeping \(name) lets the agent undo riptides's enforcement: \(power)")
            }
        }
        return names
    }

    /// Capabilities that give a root agent a way around the filter, with
    /// what they allow.
    static let filterUndoingCapabilities = [
        "sys_admin": "it can mount file systems, enter other namespaces and load BPF programs",
        "sys_ptrace": "it can trace riptides itself and answer its own trapped calls",
        "net_admin": "it can change routes, firewall rules and interfaces of the network it is in",
        "sys_module": "it can load kernel modules",
        "sys_rawio": "it can write to kernel memory and I/O ports",
        "sys_boot": "it can load and boot another kernel",
        "bpf": "it can load BPF programs",
    ]

    /// The Linux capabilities, 0 through 40, without the `cap_` prefix.
    static let capabilityNames = [
        "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
        "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
        "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
        "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
        "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
        "checkpoint_restore",
    ]

    // MARK: Rules

    private mutating func parseRules(_ node: Node) -> [Rule] {
        guard let items = node.sequence else {
            diagnose(location(of: node), "expected 'rules' to be a list of rules, found \(kind(of: node))")
            return []
        }
        var rules: [Rule] = []
        var firstDefinition: [String: SourceLocation] = [:]
        for (index, item) in items.enumerated() {
            // Names are compared whether or not their rules have other problems, so every duplicate is reported.
            var duplicate = false
            if let nameNode = item.mapping?["name"], let name = nameNode.scalar?.string, Self.ruleNameProblem(name) == nil {
                if let first = firstDefinition[name] {
                    diagnose(location(of: nameNode), "duplicate rule name '\(name)'; it is first defined at line \(first.line), column \(first.column)")
                    duplicate = true
                } else {
                    firstDefinition[name] = location(of: nameNode)
                }
            }
            if let rule = parseRule(item, number: index + 1), !duplicate { rules.append(rule) }
        }
        return rules
    }

    private mutating func parseRule(_ node: Node, number: Int) -> Rule? {
        guard let mapping = node.mapping else {
            diagnose(location(of: node), "rule \(number): expected a mapping with 'name' and 'to', found \(kind(of: node))")
            return nil
        }
        let errorsBefore = diagnostics.count
        var label = "rule \(number)"
        var name: String?
        if let nameNode = mapping["name"], let text = scalar(nameNode, expected: "a rule name", for: "\(label): 'name'") {
            if let problem = Self.ruleNameProblem(text) {
                diagnose(location(of: nameNode), "\(label): rule name '\(text)' \(problem)")
            } else {
                name = text
                label = "rule '\(text)'"
            }
        }
        var action = RuleAction.allow
        var transport = RuleProtocol.any
        var destinations: [RuleDestination] = []
        var ports: [PortRange]?
        var sawTo = false
        var portsLocation: SourceLocation?
        var protocolLocation: SourceLocation?
        for (keyNode, value) in mapping {
            guard let key = key(keyNode, known: ProfileKeys.rule, in: label) else { continue }
            switch key {
            case "to":
                sawTo = true
                destinations = parseDestinations(value, label: label)
            case "ports":
                portsLocation = location(of: keyNode)
                ports = parsePorts(value, label: label)
            case "protocol":
                protocolLocation = location(of: keyNode)
                if let parsed: RuleProtocol = choice(value, for: "\(label): 'protocol'") { transport = parsed }
            case "action":
                if let parsed: RuleAction = choice(value, for: "\(label): 'action'") { action = parsed }
            default:
                continue
            }
        }
        if mapping["name"] == nil {
            diagnose(location(of: node), "\(label): missing required key 'name'; every rule needs a unique name")
        }
        if !sawTo {
            diagnose(location(of: node),
                     "\(label): missing required key 'to'; expected a list of host names, IP addresses, CIDR blocks or unix:/path entries")
        }
        if destinations.contains(where: { if case .unixPath = $0 { true } else { false } }) {
            if let portsLocation {
                diagnose(portsLocation, "\(label): 'ports' does not apply to unix:/path entries; put the unix sockets in a rule of their own")
            }
            if let protocolLocation, transport != .any {
                diagnose(protocolLocation,
                         "\(label): 'protocol' does not apply to unix:/path entries; put the unix sockets in a rule of their own")
            }
        }
        guard diagnostics.count == errorsBefore, let name else { return nil }
        return Rule(name: name, action: action, destinations: destinations, ports: ports, transport: transport,
                    location: location(of: node))
    }

    /// Why `name` is not a usable rule name, or nil when it is.
    static func ruleNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 128 { return "is longer than 128 characters" }
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "."
        }
        return allowed ? nil : "may hold only letters, digits, '-', '_' and '.'"
    }

    private mutating func parseDestinations(_ node: Node, label: String) -> [RuleDestination] {
        guard let entries = node.sequence else {
            diagnose(location(of: node), "\(label): expected 'to' to be a list, e.g. [api.example.com, 10.0.0.0/8], found \(kind(of: node))")
            return []
        }
        guard !entries.isEmpty else {
            diagnose(location(of: node),
                     "\(label): 'to' is empty; expected at least one host name, IP address, CIDR block or unix:/path")
            return []
        }
        var destinations: [RuleDestination] = []
        for entry in entries {
            guard let text = scalar(entry, expected: "a host name, IP address, CIDR block or unix:/path", for: "\(label): 'to' entry")
            else { continue }
            do throws(SyntaxError) {
                let destination = try RuleDestination(parsing: text)
                if !destinations.contains(destination) { destinations.append(destination) }
            } catch {
                diagnose(location(of: entry), "\(label): \(error.message)")
            }
        }
        return destinations
    }

    private mutating func parsePorts(_ node: Node, label: String) -> [PortRange]? {
        guard let entries = node.sequence else {
            diagnose(location(of: node), "\(label): expected 'ports' to be a list, e.g. [443, \"8000-8999\"], found \(kind(of: node))")
            return nil
        }
        guard !entries.isEmpty else {
            diagnose(location(of: node), "\(label): 'ports' is empty; omit 'ports' to allow any port, or list ports such as [443]")
            return nil
        }
        var ports: [PortRange] = []
        for entry in entries {
            guard let text = scalar(entry, expected: "a port such as 443 or a range such as \"8000-8999\"", for: "\(label): 'ports' entry")
            else { continue }
            do throws(SyntaxError) {
                ports.append(try PortRange(parsing: text))
            } catch {
                diagnose(location(of: entry), "\(label): \(error.message)")
            }
        }
        return ports
    }

    // MARK: Workload

    private mutating func parseWorkload(_ node: Node) -> WorkloadSelector? {
        guard let mapping = node.mapping else {
            diagnose(location(of: node), "expected 'workload' to be a mapping of \(ProfileKeys.workload.joined(separator: ", ")), found \(kind(of: node))")
            return nil
        }
        var workload = WorkloadSelector()
        var any = false
        for (keyNode, value) in mapping {
            guard let key = key(keyNode, known: ProfileKeys.workload, in: "workload") else { continue }
            any = true
            switch key {
            case "exe":
                guard let text = scalar(value, expected: "an absolute path", for: "workload: 'exe'") else { continue }
                if text.hasPrefix("/") {
                    workload.exe = text
                } else {
                    diagnose(location(of: value), "workload: 'exe' must be an absolute path, found '\(text)'")
                }
            case "script":
                workload.script = scalar(value, expected: "a path", for: "workload: 'script'")
            case "exe_sha256", "script_sha256":
                guard let text = scalar(value, expected: "64 hex digits", for: "workload: '\(key)'") else { continue }
                let isHex = text.utf8.allSatisfy { ("0"..."9").contains(Unicode.Scalar($0)) || ("a"..."f").contains(Unicode.Scalar($0)) || ("A"..."F").contains(Unicode.Scalar($0)) }
                guard text.utf8.count == 64, isHex else {
                    diagnose(location(of: value), "workload: '\(key)' must be a SHA-256 digest of 64 hex digits, found '\(text)' (\(text.count) characters)")
                    continue
                }
                if key == "exe_sha256" { workload.exeSHA256 = text.lowercased() } else { workload.scriptSHA256 = text.lowercased() }
            case "uid", "gid":
                guard let text = scalar(value, expected: "a non-negative integer", for: "workload: '\(key)'") else { continue }
                guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), text.count <= 10,
                      let number = UInt64(text), number < UInt64(UInt32.max)
                else {
                    diagnose(location(of: value), "workload: '\(key)' must be a non-negative integer below 4294967295, found '\(text)'")
                    continue
                }
                if key == "uid" { workload.uid = UInt32(number) } else { workload.gid = UInt32(number) }
            default:
                continue
            }
        }
        if !any, mapping.isEmpty {
            diagnose(location(of: node), "'workload' is empty; give at least one of \(ProfileKeys.workload.joined(separator: ", ")), or remove it")
        }
        return workload
    }

    // MARK: Helpers

    /// The key's text when it is one of `known`; otherwise records an "unknown key" diagnostic with a hint.
    private mutating func key(_ node: Node, known: [String], in context: String) -> String? {
        guard let key = node.scalar?.string else {
            diagnose(location(of: node), "\(context): expected a key name, found \(kind(of: node))")
            return nil
        }
        if known.contains(key) { return key }
        var message = "\(context): unknown key '\(key)'"
        if let suggestion = KeySuggestion.suggestion(for: key, among: known) {
            message += "; did you mean '\(suggestion)'?"
        }
        message += " (expected one of: \(known.joined(separator: ", ")))"
        diagnose(location(of: node), message)
        return nil
    }

    /// The text of a non-null scalar; otherwise records that `expected` was wanted for `what`.
    private mutating func scalar(_ node: Node, expected: String, for what: String) -> String? {
        guard let scalar = node.scalar, !isNull(node) else {
            diagnose(location(of: node), "\(what): expected \(expected), found \(kind(of: node))")
            return nil
        }
        return scalar.string
    }

    /// One of an enumeration's raw values; otherwise records the choices (and the closest one).
    private mutating func choice<Choice: RawRepresentable & CaseIterable>(_ node: Node, for what: String) -> Choice?
    where Choice.RawValue == String {
        let choices = Choice.allCases.map(\.rawValue)
        guard let text = scalar(node, expected: choices.joined(separator: " or "), for: what) else { return nil }
        if let value = Choice(rawValue: text) { return value }
        var message = "\(what): '\(text)' is not one of \(choices.joined(separator: ", "))"
        if let suggestion = KeySuggestion.suggestion(for: text, among: choices) {
            message += "; did you mean '\(suggestion)'?"
        }
        diagnose(location(of: node), message)
        return nil
    }

    private func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    private func kind(of node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar(let scalar):
            isNull(node) ? "nothing" : "'\(scalar.string)'"
        }
    }

    private func location(of node: Node) -> SourceLocation {
        guard let mark = node.mark else { return SourceLocation(line: 1, column: 1) }
        return SourceLocation(line: mark.line, column: mark.column)
    }

    private mutating func diagnose(_ location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(file: path, line: location.line, column: location.column, message: message))
    }

    /// Records a warning: `message` is prefixed `warning: `.
    private mutating func warn(_ location: SourceLocation, _ message: String) {
        warnings.append(Diagnostic(file: path, line: location.line, column: location.column, message: "warning: " + message))
    }

    /// Records a YAML syntax error at the position libyaml reports.
    private mutating func report(_ error: YamlError, in yaml: String) {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            diagnose(SourceLocation(line: mark.line, column: mark.column), message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            diagnose(SourceLocation(line: context.mark.line, column: context.mark.column),
                     "duplicate key \(keys) in the same mapping; each key may appear once")
        case .reader(let problem, let offset, _, _):
            let location = offset.map { Self.location(ofUTF8Offset: $0, in: yaml) } ?? SourceLocation(line: 1, column: 1)
            diagnose(location, "cannot read the YAML text: \(problem)")
        default:
            diagnose(SourceLocation(line: 1, column: 1), "not valid YAML: \(error)")
        }
    }

    static func location(ofUTF8Offset offset: Int, in text: String) -> SourceLocation {
        var line = 1, column = 1
        for scalar in String(decoding: text.utf8.prefix(offset), as: UTF8.self).unicodeScalars {
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return SourceLocation(line: line, column: column)
    }
}
