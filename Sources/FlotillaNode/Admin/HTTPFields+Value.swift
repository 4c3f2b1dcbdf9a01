import HTTPTypes

extension HTTPFields {
    /// The value of the field named `name`; with several, their values joined as `self[name]`
    /// joins them. The usual single field skips that join, which every request paid twice.
    func value(of name: HTTPField.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            if found != nil { return self[name] }
            found = field.value
        }
        return found
    }
}
