import TestSupport

/// The test scenarios of every suite here, by a short name.
typealias S = Scenario
