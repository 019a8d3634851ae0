import RiptidesPolicy
import RiptidesProfile

// riptides-bench: compile time and decision throughput for generated profiles
// of 10, 1,000 and 100,000 rules (a quarter each IPv4 CIDR, IPv6 CIDR, exact
// host, wildcard host; one in 50 a deny rule; half with ports).
// Build and run with: swift run -c release riptides-bench

/// SplitMix64, seeded, so every run measures the same attempts.
struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func profileText(rules count: Int) -> String {
    var lines = ["identity: spiffe://bench.example/agent", "rules:"]
    lines.reserveCapacity(count * 4 + 2)
    for i in 0..<count {
        lines.append("  - name: rule-\(i)")
        switch i % 4 {
        case 0: lines.append("    to: [\(10 + (i >> 16) % 100).\((i >> 8) & 0xFF).\(i & 0xFF).0/24]")
        case 1: lines.append("    to: [\"2001:db8:\(String(i >> 16, radix: 16)):\(String(i & 0xFFFF, radix: 16))::/64\"]")
        case 2: lines.append("    to: [svc\(i).example.com]")
        default: lines.append("    to: [\"*.zone\(i).example.net\"]")
        }
        if i % 2 == 0 { lines.append("    ports: [443, \"8000-8999\"]") }
        if i % 50 == 49 { lines.append("    action: deny") }
    }
    return lines.joined(separator: "\n") + "\n"
}

struct Attempt {
    var address: IPAddress
    var port: UInt16
    var hosts: [String]
}

func attempts(rules count: Int, withHosts: Bool) -> [Attempt] {
    var random = Generator(state: 42)
    return (0..<4096).map { _ in
        let i = Int.random(in: 0..<max(count, 1), using: &random)
        let hit = Bool.random(using: &random)
        let port: UInt16 = Bool.random(using: &random) ? 443 : UInt16.random(in: 1...65535, using: &random)
        var hosts: [String] = []
        if withHosts {
            hosts = [i % 2 == 0 ? "svc\(i).example.com" : "api.zone\(i).example.net"]
            if !hit { hosts = ["unknown\(i).example.org"] }
        }
        let address: IPAddress
        if i % 4 == 1 {
            address = hit ? .v6(high: 0x2001_0db8_0000_0000 | UInt64(i >> 16) << 16 | UInt64(i & 0xFFFF), low: UInt64.random(in: 0...UInt64.max, using: &random))
                : .v6(high: UInt64.random(in: 0...UInt64.max, using: &random), low: 1)
        } else {
            let base = UInt32(10 + (i >> 16) % 100) << 24 | UInt32((i >> 8) & 0xFF) << 16 | UInt32(i & 0xFF) << 8
            address = hit ? .v4(base | UInt32.random(in: 0...255, using: &random)) : .v4(UInt32.random(in: 0...UInt32.max, using: &random))
        }
        return Attempt(address: address, port: port, hosts: hosts)
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Best of `repeats` timings of `body`.
func best<T>(_ repeats: Int, _ body: () -> T) -> (Double, T) {
    var fastest = Double.infinity
    var result: T?
    for _ in 0..<repeats {
        let clock = ContinuousClock()
        let start = clock.now
        let value = body()
        fastest = min(fastest, seconds(clock.now - start))
        result = value
    }
    return (fastest, result!)
}

func format(_ value: Double, _ digits: Int = 1) -> String {
    var scaled = (value * pow10(digits)).rounded() / pow10(digits)
    if scaled == -0 { scaled = 0 }
    return "\(scaled)"
}

func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { r, _ in r * 10 } }

print("riptides-bench: generated profiles; times are the best of several runs")
print("rules   | parse YAML | compile   | ns/decision (address) | decisions/s (address) | ns/decision (+1 host name) | decisions/s (+1 host name)")
for count in [10, 1_000, 100_000] {
    let text = profileText(rules: count)
    let repeats = count >= 100_000 ? 3 : 10
    let (parseTime, profile) = best(repeats) { try! ProfileLoader.parse(text, path: "bench.yaml") }
    let (compileTime, policy) = best(repeats) { EgressPolicy(profile) }
    var cells: [String] = []
    for withHosts in [false, true] {
        let list = attempts(rules: count, withHosts: withHosts)
        let rounds = 500
        var allowed = 0
        let (time, _) = best(3) {
            for _ in 0..<rounds {
                for attempt in list {
                    let decision = policy.evaluate(address: attempt.address, port: attempt.port, protocol: .tcp, hosts: attempt.hosts)
                    if decision.verdict == .allow { allowed &+= 1 }
                }
            }
            return allowed
        }
        let decisions = Double(rounds * list.count)
        cells.append(format(time / decisions * 1e9))
        cells.append(format(decisions / time / 1e6, 2) + " M")
    }
    print("\(count)".padding(7) + " | " + (format(parseTime * 1e3) + " ms").padding(10) + " | "
        + (format(compileTime * 1e3) + " ms").padding(9) + " | " + cells[0].padding(21) + " | " + cells[1].padding(21) + " | "
        + cells[2].padding(26) + " | " + cells[3])
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
