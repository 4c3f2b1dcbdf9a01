import BinaryCoding

extension Command {
    /// The tag byte that opens each encoded command. Values are part of the log format: never reuse one.
    enum Tag: UInt8 {
        case submit = 1
        case assign = 2
        case start = 3
        case complete = 4
        case fail = 5
        case cancel = 6
        case timeout = 7
        case requeue = 8
        case expire = 9
    }

    /// The compact binary form stored in a Raft log entry: a tag byte, then the fields in order.
    public func encode() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case let .submit(key, spec, at):
            w.write(Tag.submit.rawValue)
            w.write(key)
            spec.encode(into: &w)
            w.write(varint: at)
        case let .assign(task, node, epoch, at):
            w.write(Tag.assign.rawValue)
            w.write(task)
            w.write(node)
            w.write(varint: epoch)
            w.write(varint: at)
        case let .start(task, node, epoch, at):
            w.write(Tag.start.rawValue)
            w.write(task)
            w.write(node)
            w.write(varint: epoch)
            w.write(varint: at)
        case let .complete(task, node, epoch, result, at):
            w.write(Tag.complete.rawValue)
            w.write(task)
            w.write(node)
            w.write(varint: epoch)
            w.write(result)
            w.write(varint: at)
        case let .fail(task, node, epoch, message, at):
            w.write(Tag.fail.rawValue)
            w.write(task)
            w.write(node)
            w.write(varint: epoch)
            w.write(message)
            w.write(varint: at)
        case let .cancel(task, at):
            w.write(Tag.cancel.rawValue)
            w.write(task)
            w.write(varint: at)
        case let .timeout(task, epoch, at):
            w.write(Tag.timeout.rawValue)
            w.write(task)
            w.write(varint: epoch)
            w.write(varint: at)
        case let .requeue(node, at):
            w.write(Tag.requeue.rawValue)
            w.write(node)
            w.write(varint: at)
        case let .expire(limits, at):
            w.write(Tag.expire.rawValue)
            w.write(varint: limits.finishedBefore)
            w.write(varint: limits.keepFinished)
            w.write(varint: limits.keysBefore)
            w.write(varint: limits.limit)
            w.write(varint: at)
        }
        return w.bytes
    }

    /// Decodes exactly one command from `bytes`; malformed input (including trailing bytes) throws.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Command {
        var r = ByteReader(bytes)
        let tagOffset = r.offset
        let raw = try r.readByte()
        guard let tag = Tag(rawValue: raw) else {
            throw .unknownTag(offset: tagOffset, tag: raw, type: "task command")
        }
        let command: Command
        switch tag {
        case .submit:
            let key = try r.readString()
            let spec = try TaskSpec.decode(from: &r)
            command = .submit(key: key, spec: spec, at: try r.readVarint())
        case .assign:
            let task = try r.readString()
            let node = try r.readString()
            let epoch = try r.readVarint()
            command = .assign(task: task, node: node, epoch: epoch, at: try r.readVarint())
        case .start:
            let task = try r.readString()
            let node = try r.readString()
            let epoch = try r.readVarint()
            command = .start(task: task, node: node, epoch: epoch, at: try r.readVarint())
        case .complete:
            let task = try r.readString()
            let node = try r.readString()
            let epoch = try r.readVarint()
            let result = try r.readString()
            command = .complete(task: task, node: node, epoch: epoch, result: result, at: try r.readVarint())
        case .fail:
            let task = try r.readString()
            let node = try r.readString()
            let epoch = try r.readVarint()
            let message = try r.readString()
            command = .fail(task: task, node: node, epoch: epoch, message: message, at: try r.readVarint())
        case .cancel:
            let task = try r.readString()
            command = .cancel(task: task, at: try r.readVarint())
        case .timeout:
            let task = try r.readString()
            let epoch = try r.readVarint()
            command = .timeout(task: task, epoch: epoch, at: try r.readVarint())
        case .requeue:
            let node = try r.readString()
            command = .requeue(node: node, at: try r.readVarint())
        case .expire:
            let finishedBefore = try r.readVarint()
            let keep = try r.readInt()
            let keysBefore = try r.readVarint()
            let limit = try r.readInt()
            let limits = RetentionLimits(finishedBefore: finishedBefore, keepFinished: keep, keysBefore: keysBefore, limit: limit)
            command = .expire(limits, at: try r.readVarint())
        }
        try r.expectEnd()
        return command
    }
}
