import RiptidesProfile
import Testing

/// Every class of profile error: where it is reported and what it says.
@Suite struct ProfileErrorTests {
    /// One broken profile, the position of the (only) diagnostic, and words the message must contain.
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var yaml: String
        var position: String
        var message: String
        var testDescription: String { label }
    }

    static let header = "identity: spiffe://acme.example/agent\nrules:\n"

    static let cases: [Case] = [
        Case(label: "YAML syntax", yaml: "identity: [unclosed\n", position: "2:1", message: "YAML syntax error"),
        Case(label: "empty file", yaml: "", position: "1:1", message: "the profile is empty"),
        Case(label: "top level is a list", yaml: "- a\n", position: "1:1", message: "expected a mapping with 'identity' and 'rules', found a list"),
        Case(label: "missing identity", yaml: "rules: []\n", position: "1:1", message: "missing required key 'identity'"),
        Case(label: "unknown top-level key with hint", yaml: "identity: spiffe://a.example/x\nrule: []\n",
             position: "2:1", message: "unknown key 'rule'; did you mean 'rules'?"),
        Case(label: "unknown rule key with hint", yaml: header + "  - name: a\n    to: [a.example]\n    prots: [443]\n",
             position: "5:5", message: "rule 'a': unknown key 'prots'; did you mean 'ports'?"),
        Case(label: "synonym hint", yaml: header + "  - name: a\n    hosts: [a.example]\n    to: [b.example]\n",
             position: "4:5", message: "did you mean 'to'?"),
        Case(label: "duplicate YAML key", yaml: "identity: spiffe://a.example/x\nidentity: spiffe://a.example/y\n",
             position: "1:1", message: "duplicate key 'identity'"),
        Case(label: "SPIFFE scheme", yaml: "identity: https://acme.example/agent\n", position: "1:11", message: "is not a SPIFFE ID"),
        Case(label: "SPIFFE upper-case scheme", yaml: "identity: SPIFFE://acme.example/agent\n", position: "1:11", message: "in lower case"),
        Case(label: "SPIFFE trust domain characters", yaml: "identity: spiffe://Acme.example/agent\n", position: "1:11",
             message: "has 'A' in its trust domain"),
        Case(label: "SPIFFE port", yaml: "identity: spiffe://acme.example:8443/agent\n", position: "1:11", message: "has a port in its trust domain"),
        Case(label: "SPIFFE empty trust domain", yaml: "identity: spiffe:///agent\n", position: "1:11", message: "has no trust domain"),
        Case(label: "SPIFFE empty segment", yaml: "identity: spiffe://acme.example/a//b\n", position: "1:11", message: "empty path segment"),
        Case(label: "SPIFFE dot segment", yaml: "identity: spiffe://acme.example/a/../b\n", position: "1:11", message: "dot segments"),
        Case(label: "SPIFFE trailing slash", yaml: "identity: spiffe://acme.example/a/\n", position: "1:11", message: "trailing slash"),
        Case(label: "SPIFFE path characters", yaml: "identity: spiffe://acme.example/a%20b\n", position: "1:11", message: "percent-encoded"),
        Case(label: "SPIFFE query", yaml: "identity: \"spiffe://acme.example/a?x=1\"\n", position: "1:11", message: "a query in its path"),
        Case(label: "bad mode", yaml: "identity: spiffe://a.example/x\nmode: enforcing\n", position: "2:7",
             message: "'enforcing' is not one of enforce, observe; did you mean 'enforce'?"),
        Case(label: "rules not a list", yaml: "identity: spiffe://a.example/x\nrules: {}\n", position: "2:8", message: "expected 'rules' to be a list"),
        Case(label: "missing name", yaml: header + "  - to: [a.example]\n", position: "3:5", message: "rule 1: missing required key 'name'"),
        Case(label: "missing to", yaml: header + "  - name: a\n", position: "3:5", message: "rule 'a': missing required key 'to'"),
        Case(label: "empty to", yaml: header + "  - name: a\n    to: []\n", position: "4:9", message: "rule 'a': 'to' is empty"),
        Case(label: "to not a list", yaml: header + "  - name: a\n    to: a.example\n", position: "4:9", message: "expected 'to' to be a list"),
        Case(label: "duplicate rule name", yaml: header + "  - name: a\n    to: [a.example]\n  - name: a\n    to: [b.example]\n",
             position: "5:11", message: "duplicate rule name 'a'; it is first defined at line 3, column 11"),
        Case(label: "bad rule name", yaml: header + "  - name: my rule\n    to: [a.example]\n", position: "3:11", message: "may hold only letters"),
        Case(label: "bad IPv4", yaml: header + "  - name: a\n    to: [256.1.1.1]\n", position: "4:10", message: "not a valid IPv4 address"),
        Case(label: "IPv4 leading zero", yaml: header + "  - name: a\n    to: [010.0.0.1]\n", position: "4:10", message: "without leading zeros"),
        Case(label: "shortened IPv4", yaml: header + "  - name: a\n    to: [127.1]\n", position: "4:10", message: "not a valid IPv4 address"),
        Case(label: "bad IPv6", yaml: header + "  - name: a\n    to: [\"1::2::3\"]\n", position: "4:10", message: "'1::2::3' is not an IP address"),
        Case(label: "IPv6 in brackets", yaml: header + "  - name: a\n    to: [\"[::1]\"]\n", position: "4:10", message: "without brackets"),
        Case(label: "CIDR length", yaml: header + "  - name: a\n    to: [10.0.0.0/33]\n", position: "4:10", message: "invalid prefix length '33'"),
        Case(label: "CIDR host bits", yaml: header + "  - name: a\n    to: [10.0.0.1/8]\n", position: "4:10", message: "did you mean 10.0.0.0/8?"),
        Case(label: "IPv6 CIDR host bits", yaml: header + "  - name: a\n    to: [\"2001:db8::1/32\"]\n", position: "4:10",
             message: "did you mean 2001:db8::/32?"),
        Case(label: "host with port", yaml: header + "  - name: a\n    to: [\"api.example.com:443\"]\n", position: "4:10",
             message: "write 'api.example.com' in 'to' and 443 in 'ports'"),
        Case(label: "URL", yaml: header + "  - name: a\n    to: [\"https://api.example.com/v1\"]\n", position: "4:10",
             message: "is a URL; write only the host name, e.g. api.example.com"),
        Case(label: "non-ASCII host", yaml: header + "  - name: a\n    to: [bücher.example]\n", position: "4:10", message: "punycode"),
        Case(label: "wildcard not leftmost", yaml: header + "  - name: a\n    to: [\"api.*.example.com\"]\n", position: "4:10",
             message: "only '*.' followed by a name"),
        Case(label: "partial wildcard label", yaml: header + "  - name: a\n    to: [\"api*.example.com\"]\n", position: "4:10",
             message: "not the whole leftmost label"),
        Case(label: "double wildcard", yaml: header + "  - name: a\n    to: [\"*.*.example.com\"]\n", position: "4:10",
             message: "not the whole leftmost label"),
        Case(label: "bare wildcard", yaml: header + "  - name: a\n    to: [\"*\"]\n", position: "4:10", message: "would match every host name"),
        Case(label: "bad host character", yaml: header + "  - name: a\n    to: [a_b.example]\n", position: "4:10", message: "contains '_'"),
        Case(label: "label hyphen", yaml: header + "  - name: a\n    to: [-a.example]\n", position: "4:10", message: "starts or ends with '-'"),
        Case(label: "empty label", yaml: header + "  - name: a\n    to: [a..example]\n", position: "4:10", message: "empty label"),
        Case(label: "long label", yaml: header + "  - name: a\n    to: [\(String(repeating: "a", count: 64)).example]\n", position: "4:10",
             message: "a label of 64 characters"),
        Case(label: "unspecified address", yaml: header + "  - name: a\n    to: [0.0.0.0]\n", position: "4:10", message: "write 127.0.0.1"),
        Case(label: "relative unix path", yaml: header + "  - name: a\n    to: [\"unix:run/x.sock\"]\n", position: "4:10", message: "absolute path"),
        Case(label: "port zero", yaml: header + "  - name: a\n    to: [a.example]\n    ports: [0]\n", position: "5:13", message: "port 0"),
        Case(label: "port too large", yaml: header + "  - name: a\n    to: [a.example]\n    ports: [65536]\n", position: "5:13", message: "out of range"),
        Case(label: "port not a number", yaml: header + "  - name: a\n    to: [a.example]\n    ports: [https]\n", position: "5:13",
             message: "'https' is not a port"),
        Case(label: "backwards range", yaml: header + "  - name: a\n    to: [a.example]\n    ports: [\"9000-8000\"]\n", position: "5:13",
             message: "runs backwards"),
        Case(label: "empty ports", yaml: header + "  - name: a\n    to: [a.example]\n    ports: []\n", position: "5:12", message: "'ports' is empty"),
        Case(label: "bad protocol", yaml: header + "  - name: a\n    to: [a.example]\n    protocol: TCP\n", position: "5:15",
             message: "'TCP' is not one of any, tcp, udp; did you mean 'tcp'?"),
        Case(label: "bad action", yaml: header + "  - name: a\n    to: [a.example]\n    action: block\n", position: "5:13",
             message: "'block' is not one of allow, deny"),
        Case(label: "unix with ports", yaml: header + "  - name: a\n    to: [\"unix:/run/x.sock\"]\n    ports: [80]\n", position: "5:5",
             message: "'ports' does not apply to unix:/path entries"),
        Case(label: "workload exe relative", yaml: "identity: spiffe://a.example/x\nworkload:\n  exe: python3\n", position: "3:8",
             message: "'exe' must be an absolute path"),
        Case(label: "workload sha256", yaml: "identity: spiffe://a.example/x\nworkload:\n  exe_sha256: abc\n", position: "3:15",
             message: "SHA-256 digest of 64 hex digits"),
        Case(label: "workload uid negative", yaml: "identity: spiffe://a.example/x\nworkload:\n  uid: -1\n", position: "3:8",
             message: "non-negative integer"),
        Case(label: "workload gid too large", yaml: "identity: spiffe://a.example/x\nworkload:\n  gid: 4294967295\n", position: "3:8",
             message: "non-negative integer below 4294967295"),
        Case(label: "workload unknown key", yaml: "identity: spiffe://a.example/x\nworkload:\n  exe_sha: abc\n", position: "3:3",
             message: "did you mean 'exe_sha256'?"),
    ]

    @Test(arguments: cases)
    func reportsTheErrorWhereItIs(_ testCase: Case) throws {
        let error = try #require(throws: ProfileError.self) { try ProfileLoader.parse(testCase.yaml, path: "p.yaml") }
        #expect(error.diagnostics.count == 1, "\(error)")
        let diagnostic = try #require(error.diagnostics.first)
        #expect("\(diagnostic.line):\(diagnostic.column)" == testCase.position, "\(diagnostic)")
        #expect(diagnostic.message.contains(testCase.message), "\(diagnostic)")
        #expect(diagnostic.description.hasPrefix("p.yaml:\(testCase.position): "))
    }

    @Test func reportsEveryErrorInFileOrder() throws {
        let yaml = """
            identity: spiffe://a.example/x
            mode: sometimes
            rules:
              - name: a
                to: [10.0.0.1/8, ok.example]
                ports: [0]
              - name: a
                to: []
            """
        let error = try #require(throws: ProfileError.self) { try ProfileLoader.parse(yaml, path: "p.yaml") }
        // The second 'a' is a duplicate even though the first has errors of its own.
        #expect(error.diagnostics.map { "\($0.line):\($0.column)" } == ["2:7", "5:10", "6:13", "7:11", "8:9"])
        #expect(error.description.split(separator: "\n").count == 5)
        #expect(error.description.hasPrefix("p.yaml:2:7: mode: 'sometimes' is not one of enforce, observe"))
    }

    @Test func unreadableFileIsOneWholeFileDiagnostic() throws {
        let error = try #require(throws: ProfileError.self) { try ProfileLoader.load(contentsOf: "/nonexistent/riptides.yaml") }
        #expect(error.description == "/nonexistent/riptides.yaml: cannot read: no such file")
    }
}
