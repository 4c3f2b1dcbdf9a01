/// The version every node and client reports.
public let flotillaVersion = "0.1.0"
