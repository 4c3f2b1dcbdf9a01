/// A value in a theme file: the part of TOML themes use (strings, integers, booleans, arrays
/// and tables). Tables keep their keys in file order.
enum ThemeValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case array([ThemeValue])
    case table([(key: String, value: ThemeValue)])

    static func == (a: ThemeValue, b: ThemeValue) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): x == y
        case let (.integer(x), .integer(y)): x == y
        case let (.bool(x), .bool(y)): x == y
        case let (.array(x), .array(y)): x == y
        case let (.table(x), .table(y)): x.map(\.key) == y.map(\.key) && x.map(\.value) == y.map(\.value)
        default: false
        }
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var int: Int? { if case .integer(let n) = self { n } else { nil } }
    var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    var array: [ThemeValue]? { if case .array(let a) = self { a } else { nil } }
    var table: [(key: String, value: ThemeValue)]? { if case .table(let t) = self { t } else { nil } }

    /// The keys of a table, in file order (empty for other values).
    var keys: [String] { table?.map(\.key) ?? [] }

    subscript(key: String) -> ThemeValue? { table?.first { $0.key == key }?.value }
}
