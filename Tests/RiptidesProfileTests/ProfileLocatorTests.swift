import Foundation
import RiptidesProfile
import Testing

@Suite struct ProfileLocatorTests {
    /// A scratch directory tree, removed when the test ends.
    final class Scratch {
        let root: String
        init() throws {
            root = NSTemporaryDirectory() + "riptides-locator-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        }
        func file(_ relative: String) throws -> String {
            let path = root + "/" + relative
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: path, contents: Data("identity: spiffe://a.example/x\n".utf8))
            return path
        }
        deinit { try? FileManager.default.removeItem(atPath: root) }
    }

    @Test(arguments: ["./agent.yaml", "profiles/x", "agent.yaml", "agent.yml", "/etc/riptides/profiles/x.yaml"])
    func pathsAreUsedAsGiven(_ argument: String) throws {
        let locator = ProfileLocator(environment: [:], currentDirectory: "/nowhere")
        #expect(try locator.locate(argument) == argument)
    }

    @Test func environmentComesBeforeLocalProfiles() throws {
        let scratch = try Scratch()
        let first = try scratch.file("env2/agent.yaml")
        _ = try scratch.file("work/profiles/agent.yaml")
        let locator = ProfileLocator(
            environment: ["RIPTIDES_PROFILE_PATH": "\(scratch.root)/env1::\(scratch.root)/env2"],
            currentDirectory: scratch.root + "/work")
        #expect(try locator.locate("agent") == first)
    }

    @Test func localProfilesComeNext() throws {
        let scratch = try Scratch()
        let local = try scratch.file("work/profiles/agent.yaml")
        let locator = ProfileLocator(environment: ["RIPTIDES_PROFILE_PATH": scratch.root + "/empty"], currentDirectory: scratch.root + "/work")
        #expect(try locator.locate("agent") == local)
        #expect(locator.searchDirectories == [scratch.root + "/empty", scratch.root + "/work/profiles", "/etc/riptides/profiles"])
    }

    @Test func missingNameListsWhereItLooked() throws {
        let locator = ProfileLocator(environment: ["RIPTIDES_PROFILE_PATH": "/a:/b"], currentDirectory: "/w")
        let error = try #require(throws: ProfileLocatorError.self) { try locator.locate("ghost-riptides-test") }
        #expect(error.description == "no profile named 'ghost-riptides-test'; looked for /a/ghost-riptides-test.yaml, "
            + "/b/ghost-riptides-test.yaml, /w/profiles/ghost-riptides-test.yaml, /etc/riptides/profiles/ghost-riptides-test.yaml")
        #expect(!error.description.contains("\n"))
    }
}
