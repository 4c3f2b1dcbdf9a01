import HistoryCheck
import Testing

/// Hand-made key-value histories (puts and gets of registers, as etcd's load makes them), each
/// with the verdict a careful reader would give it.
@Suite("Linearizability of hand-made key-value histories")
struct KVRegisterModelTests {
    @Test func getsSeeTheLatestCompletedPut() {
        #expect(checkRegisters([get("k", nil, 0, 5), put("k", "1", 10, 20), get("k", "1", 30, 40),
                                put("k", "2", 50, 60), get("k", "2", 70, 80)]) == .linearizable)
    }

    @Test func aStaleGetAfterACompletedPutIsCaught() throws {
        // What a serializable get from a member cut off from the leader returns: the value
        // before a put that completed before the get was even called.
        let history = [put("k", "1", 0, 10), put("k", "2", 20, 30), get("k", "1", by: 3, 40, 50)]
        let window = try #require(checkRegisters(history).window)
        #expect(window.partition == "k")
        #expect(window.failingOperation == history[2])
        // The narrowing keeps the least that still fails: the stale get alone does, since within
        // the window nobody wrote its value.
        #expect(window.indices == [2])
        #expect(checkRegisters(window.operations).window != nil, "the window fails alone")
    }

    @Test func aGetOfAnAbsentKeyAfterItsPutIsStale() {
        #expect(checkRegisters([put("k", "1", 0, 10), get("k", nil, 20, 30)]).window != nil)
    }

    @Test func aGetConcurrentWithAPutMaySeeEitherValue() {
        #expect(checkRegisters([put("k", "1", 0, 10), put("k", "2", 20, 40), get("k", "1", 25, 30)]) == .linearizable)
        #expect(checkRegisters([put("k", "1", 0, 10), put("k", "2", 20, 40), get("k", "2", 25, 30)]) == .linearizable)
    }

    @Test func twoGetsMayNotSeeAPutAppearAndThenVanish() {
        // Concurrent with the put, but the first get saw the new value and returned before the
        // second was called: the second may not see the old one again.
        let history = [put("k", "1", 0, 10), put("k", "2", 20, 100), get("k", "2", by: 2, 30, 40), get("k", "1", by: 3, 50, 60)]
        #expect(checkRegisters(history).window?.failingOperation == history[3])
    }

    @Test func aPutWithAnUnknownOutcomeMayTakeEffectLateOrNever() {
        let late = [put("k", "1", 0, 10), put("k", "2", by: 3, 15, nil, .unknown), get("k", "1", 20, 30), get("k", "2", 40, 50)]
        #expect(checkRegisters(late) == .linearizable)
        let never = [put("k", "1", 0, 10), put("k", "2", by: 3, 15, 18, .unknown), get("k", "1", 40, 50)]
        #expect(checkRegisters(never) == .linearizable)
        // A failed put had no effect, so reading its value is a value nobody wrote.
        let failed = [put("k", "1", 0, 10), put("k", "2", by: 3, 15, 18, .fail), get("k", "2", 40, 50)]
        #expect(checkRegisters(failed).window != nil)
    }

    @Test func aValueNobodyWroteIsCaught() {
        #expect(checkRegisters([put("k", "1", 0, 10), get("k", "ghost", 20, 30)]).window != nil)
    }

    @Test func keysAreCheckedApart() throws {
        // Key a is fine; key b's get is stale. Only b fails, and its window holds only b's operations.
        let history = [put("a", "1", 0, 10), put("b", "1", 0, 10), get("a", "1", 20, 30), put("b", "2", 20, 30),
                       get("b", "1", by: 3, 40, 50)]
        let window = try #require(checkRegisters(history).window)
        #expect(window.partition == "b")
        #expect(window.operations.allSatisfy { if case .put(key: "b", _) = $0.kind { true } else if case .get(key: "b", _) = $0.kind { true } else { false } })
    }

    @Test func taskSetOperationsAreNotTheRegistersConcern() {
        // One history may hold both kinds; each model checks its own.
        let history = [add("t1", 0, 10), read([], 20, 30), put("k", "1", 0, 10), get("k", "1", 20, 30)]
        #expect(checkRegisters(history) == .linearizable)
        #expect(check(history).window != nil, "the task set still sees its stale read")
    }

    @Test func exportWritesJepsensIndependentRegisterPairs() {
        let lines = HistoryExport.jsonLines([put("k", "1", 0, 10), get("k", "1", 20, 30), get("k", nil, by: 3, 40, 50)])
            .split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines[0].contains(#""f":"write","value":["k","1"]"#))
        #expect(lines[2].contains(#""type":"invoke""#) && lines[2].contains(#""f":"read","value":["k",null]"#))
        #expect(lines[3].contains(#""type":"ok""#) && lines[3].contains(#""value":["k","1"]"#))
        #expect(lines[5].contains(#""value":["k",null]"#))
    }
}
