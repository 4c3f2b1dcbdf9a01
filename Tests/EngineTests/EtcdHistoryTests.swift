import HistoryCheck
import Testing
@testable import Orchestrator

/// An etcd load's history through the control plane's one check.
@Suite("etcd histories through ClientHistory")
struct EtcdHistoryTests {
    func put(_ value: String, _ call: Int64, _ ret: Int64) -> HistoryOperation {
        HistoryOperation(client: 1, call: call, ret: ret, kind: .put(key: "k", value: value))
    }

    func get(_ value: String?, _ call: Int64, _ ret: Int64) -> HistoryOperation {
        HistoryOperation(client: 2, call: call, ret: ret, kind: .get(key: "k", value: value))
    }

    @Test func putsAndGetsAreCheckedNotPassedOver() {
        // The task-set model sees nothing in this history; the register model must still judge it.
        let stale = [put("1", 0, 10), put("2", 20, 30), get("1", 40, 50)]
        #expect(ClientHistory.check(stale) != .linearizable)
        #expect(ClientHistory.summary(ClientHistory.check(stale), operations: 3).contains("a get that returned 1"))
        #expect(ClientHistory.check([put("1", 0, 10), get("1", 20, 30)]) == .linearizable)
        // Mixed with task operations, a stale task read still fails first.
        let mixed = [HistoryOperation(client: 3, call: 0, ret: 10, kind: .add(key: "t")),
                     HistoryOperation(client: 3, call: 20, ret: 30, kind: .read(keys: [])), put("1", 0, 10), get("1", 20, 30)]
        #expect(ClientHistory.check(mixed) != .linearizable)
    }
}
