import RiptidesProfile
import Testing

@Suite struct AddressTests {
    /// Text, and its canonical form (nil: not an address).
    static let addresses: [(String, String?)] = [
        ("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
        ("256.0.0.1", nil), ("1.2.3", nil), ("1.2.3.4.5", nil), ("01.2.3.4", nil), ("127.1", nil), ("1..2.3", nil),
        ("0x7f.0.0.1", nil), ("1.2.3.4 ", nil), ("", nil),
        ("::", "::"), ("::1", "::1"), ("0:0:0:0:0:0:0:1", "::1"), ("0000:0000:0000:0000:0000:0000:0000:0001", "::1"),
        ("2001:DB8::1", "2001:db8::1"), ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("2001:0db8::0001", "2001:db8::1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("1::", "1::"), ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"), ("::FFFF:c000:0201", "::ffff:192.0.2.1"), ("64:ff9b::192.0.2.1", "64:ff9b::c000:201"),
        ("fe80::1%eth0", nil), ("[::1]", nil), ("1:2:3:4:5:6:7:8:9", nil), ("1::2::3", nil), (":1::", nil), ("1:::2", nil),
        ("12345::", nil), ("::1.2.3", nil), ("1:2:3:4:5:6:7:1.2.3.4", nil), ("g::", nil), ("1:", nil),
    ]

    @Test(arguments: addresses)
    func parsesAndPrintsCanonically(_ text: String, _ canonical: String?) {
        #expect(IPAddress(text)?.description == canonical)
    }

    @Test func factoriesAndOrder() {
        #expect(IPAddress.v4(0x7F00_0001) == IPAddress("127.0.0.1"))
        #expect(IPAddress.v6(high: 0x2001_0db8_0000_0000, low: 1) == IPAddress("2001:db8::1"))
        #expect(IPAddress("::ffff:10.1.2.3")?.unmappedIPv4 == IPAddress("10.1.2.3"))
        #expect(IPAddress("10.0.0.1")! < IPAddress("10.0.0.2")!)
        #expect(IPAddress("255.255.255.255")! < IPAddress("::")!)
    }

    static let prefixes: [(String, String?)] = [
        ("10.0.0.0/8", "10.0.0.0/8"), ("10.1.2.3", "10.1.2.3"), ("10.1.2.3/32", "10.1.2.3"), ("0.0.0.0/0", "0.0.0.0/0"),
        ("2001:DB8::/32", "2001:db8::/32"), ("::/0", "::/0"), ("::1/128", "::1"),
        ("10.0.0.1/8", nil), ("10.0.0.0/33", nil), ("10.0.0.0/", nil), ("10.0.0.0/08", nil), ("10.0.0.0/-1", nil), ("::/129", nil),
    ]

    @Test(arguments: prefixes)
    func parsesPrefixes(_ text: String, _ canonical: String?) {
        #expect((try? IPPrefix(parsing: text))?.description == canonical)
    }

    @Test func prefixContainment() throws {
        let prefix = try IPPrefix(parsing: "192.168.0.0/16")
        #expect(prefix.contains(IPAddress("192.168.255.255")!))
        #expect(!prefix.contains(IPAddress("192.169.0.0")!))
        #expect(!prefix.contains(IPAddress("::ffff:192.168.0.1")!))
        #expect(prefix.lastAddress == IPAddress("192.168.255.255"))
        #expect(try IPPrefix(parsing: "::ffff:10.0.0.0/104").unmappedIPv4 == IPPrefix(parsing: "10.0.0.0/8"))
        #expect(try IPPrefix(parsing: "2001:db8::/32").lastAddress == IPAddress("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"))
    }

    static let spiffeIDs: [(String, Bool)] = [
        ("spiffe://acme.example/agent/research", true), ("spiffe://acme.example", true), ("spiffe://a_b-c.d/A.b-c_9", true),
        ("spiffe://acme.example/", false), ("spiffe://", false), ("spiffe://acme.example/a//b", false),
        ("spiffe://acme.example/./b", false), ("spiffe://user@acme.example/a", false), ("spiffe://acme.example:80/a", false),
        ("spiffe://acme.example/a#f", false), ("spiffe://acme.example/ä", false), ("spiffe:acme.example", false),
        ("spiffe://" + String(repeating: "a", count: 256), false),
        ("spiffe://acme.example/" + String(repeating: "a", count: 2030), false),
    ]

    @Test(arguments: spiffeIDs)
    func validatesSPIFFEIDs(_ text: String, _ valid: Bool) {
        #expect(((try? SPIFFEID(parsing: text)) != nil) == valid)
    }

    static let hosts: [(String, String?)] = [
        ("api.openai.com", "api.openai.com"), ("API.OpenAI.com.", "api.openai.com"), ("*.anthropic.com", "*.anthropic.com"),
        ("localhost", "localhost"), ("xn--bcher-kva.example", "xn--bcher-kva.example"), ("a-b.c", "a-b.c"),
        ("*.com", "*.com"), ("*", nil), ("a.*", nil), ("*.", nil), ("a b.c", nil), ("1.2.3.999", nil), ("a.-b.c", nil),
        ("bücher.example", nil), ("a.com..", nil),
    ]

    @Test(arguments: hosts)
    func validatesHostPatterns(_ text: String, _ normalized: String?) {
        #expect((try? HostPattern(parsing: text))?.description == normalized)
    }

    @Test func wildcardMatchesOnlyBelowItsApex() throws {
        let pattern = try HostPattern(parsing: "*.anthropic.com")
        #expect(pattern.matches(normalized: "api.anthropic.com"))
        #expect(pattern.matches(normalized: "a.b.anthropic.com"))
        #expect(!pattern.matches(normalized: "anthropic.com"))
        #expect(!pattern.matches(normalized: "evilanthropic.com"))
    }
}
