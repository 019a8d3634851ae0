import Testing

@Suite("doctor")
struct DoctorTests {
    @Test("doctor prints a table of kernel features and a verdict, exit 0 where riptides can enforce")
    func doctorTable() throws {
        let result = try Harness.riptides(["doctor"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("| seccomp user notification (5.0)  | yes  |"))
        #expect(result.stdout.contains("| pidfd_getfd (5.6)"))
        #expect(result.stdout.contains("Landlock ABI"))
        #expect(result.stdout.contains("verdict: riptides can enforce egress policies here"))
    }
}
