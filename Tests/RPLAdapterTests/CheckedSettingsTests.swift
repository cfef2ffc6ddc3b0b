import FHIR
import Foundation
import RPLAdapter
import RPLGuideline
import Testing
import TestSupport

/// Issue 15: a site's settings are checked as they load: no silent fallback to the program's own
/// numbers, no misspelled or repeated name, no low limit at or above its high one. In-process.
@Suite(.serialized) struct CheckedSettingsTests {
    /// The problems of a Profiles copy whose Parameters file was edited; none when it loads.
    func problems(_ file: String, _ edit: @escaping (inout [[String: Any]]) -> Void) -> [String] {
        do {
            _ = try InProcess.profiles(changing: file) { text in
                var json = try! JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
                var parameters = json["parameter"] as! [[String: Any]]
                edit(&parameters)
                json["parameter"] = parameters
                return String(decoding: try! JSONSerialization.data(withJSONObject: json), as: UTF8.self)
            }
            return []
        } catch let e as Profiles.LoadError {
            return e.problems
        } catch {
            return ["\(error)"]
        }
    }

    func set(_ name: String, _ value: Any, _ key: String) -> (inout [[String: Any]]) -> Void {
        { ps in for i in ps.indices where ps[i]["name"] as? String == name { ps[i][key] = value } }
    }

    @Test func theShippedSettingsLoad() {
        #expect(problems("Parameters-rpl-defaults.json") { _ in }.isEmpty)
        #expect(problems("Parameters-rpl-site.json") { _ in }.isEmpty)
    }

    @Test func aLowLimitAtOrAboveItsHighLimitIsRefused() {
        #expect(problems("Parameters-rpl-defaults.json", set("tshHigh", 0.3, "valueDecimal")) == ["Parameters-rpl-defaults.json: tshLow 0.4 is not below tshHigh 0.3"])
        #expect(problems("Parameters-rpl-defaults.json", set("freeT4Low", 23, "valueDecimal")) == ["Parameters-rpl-defaults.json: freeT4Low 23 is not below freeT4High 23"])
        #expect(problems("Parameters-rpl-defaults.json", set("bmiLow", 31, "valueDecimal")) == ["Parameters-rpl-defaults.json: bmiLow 31 is not below bmiHigh 30"])
        #expect(problems("Parameters-rpl-defaults.json", set("secondTrimesterBeforeDays", 84, "valueInteger"))
            == ["Parameters-rpl-defaults.json: secondTrimesterFromDays 84 is not below secondTrimesterBeforeDays 84"])
        #expect(problems("Parameters-rpl-defaults.json", set("plausibleTSH", ["low": ["value": 5], "high": ["value": 5]], "valueRange"))
            == ["Parameters-rpl-defaults.json: plausibleTSH must be a valueRange with finite low below high"])
    }

    @Test func anUnknownParameterIsRefused() {
        let found = problems("Parameters-rpl-defaults.json") { ps in ps.append(["name": "lookbackMonth", "valueInteger": 6]) }
        #expect(found.count == 1 && found[0].hasPrefix("Parameters-rpl-defaults.json: unknown parameter lookbackMonth; expected one of"), "\(found)")
        let site = problems("Parameters-rpl-site.json") { ps in ps.append(["name": "requestStlye", "valueCode": "put"]) }
        #expect(site.count == 1 && site[0].hasPrefix("Parameters-rpl-site.json: unknown parameter requestStlye"), "\(site)")
    }

    @Test func aDuplicatedParameterIsRefused() {
        #expect(problems("Parameters-rpl-defaults.json") { ps in ps.append(["name": "tshHigh", "valueDecimal": 5]) }
            == ["Parameters-rpl-defaults.json: tshHigh is given more than once"])
        #expect(problems("Parameters-rpl-site.json") { ps in ps.append(["name": "requestStyle", "valueCode": "put"]) }
            == ["Parameters-rpl-site.json: requestStyle is given more than once"])
    }

    @Test func aMissingParameterIsRefusedNotReplacedByTheProgramsOwnNumber() {
        #expect(problems("Parameters-rpl-defaults.json") { ps in ps.removeAll { $0["name"] as? String == "postpartumDays" } }
            == ["Parameters-rpl-defaults.json: postpartumDays is missing"])
    }

    @Test func anAssigningAuthorityIsChecked() {
        func authority(_ parts: [[String: Any]]) -> (inout [[String: Any]]) -> Void { { $0.append(["name": "hl7v2AssigningAuthorities", "part": parts]) } }
        #expect(problems("Parameters-rpl-site.json", authority([["name": "system", "valueUri": "http://x/mrn"], ["name": "authority", "valueString": "UMCU"]])).isEmpty)
        #expect(problems("Parameters-rpl-site.json", authority([["name": "system", "valueUri": "http://x/mrn"]])).count == 1)
        #expect(problems("Parameters-rpl-site.json", authority([["name": "system", "valueUri": "http://x/mrn"], ["name": "authority", "valueString": "A^B"]])).count == 1)
        #expect(problems("Parameters-rpl-site.json", authority([["name": "system", "valueUri": "http://fhir.nl/fhir/NamingSystem/bsn"], ["name": "authority", "valueString": "X"]])).count == 1)
    }
}
