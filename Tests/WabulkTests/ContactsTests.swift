import Foundation
import Testing

@testable import Contacts

@Suite struct PhoneNormalizerTests {
    let india = try! PhoneNormalizer(defaultCountry: "91")

    @Test func defaultCountryCodeBecomesARegion() throws {
        #expect(india.region == "IN")
        #expect(try PhoneNormalizer(defaultCountry: "49").region == "DE")
        #expect(try PhoneNormalizer(defaultCountry: "US").region == "US")
    }

    @Test(arguments: [
        ("98765 43210", "+919876543210"),
        ("+91 98765-43210", "+919876543210"),
        ("09876543210", "+919876543210"),
        ("(+91) 9876 543 210", "+919876543210"),
        ("0091 98765 43210", "+919876543210"),
        ("+1 650-253-0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
    ])
    func spellingsNormalize(raw: String, e164: String) {
        #expect(india.normalize(raw) == .valid(e164))
    }

    @Test(arguments: [
        ("", "phone number is empty"),
        ("+", "not a phone number"),
        ("12", "too short for a phone number"),
        ("+91 12345 678", "not a number in use (+9112345678)"),
        ("+999 1234567", "unknown country calling code"),
    ])
    func invalidNumbersSayWhy(raw: String, reason: String) {
        #expect(india.normalize(raw) == .invalid(reason: reason))
    }

    /// A placeholder or a typo, not a vanity number: "98450ABCDE" read as keypad digits is +91 98450 22233,
    /// a stranger. Every spelling with a letter in it is refused for that reason.
    @Test(arguments: [
        "98450ABCDE", "ABCDEFGHIJ", "hello", "98765 4321O", "98765x43210", "+91 98765 43210 mobile", "tel: +91 98765 43210",
        "९८७६५abcde", "98765 4321а",  // Cyrillic a
        "９８７６５ＡＢＣＤＥ",
    ])
    func lettersInAPhoneCellAreRefused(raw: String) {
        #expect(india.normalize(raw) == PhoneNormalizer.letters)
        #expect(PhoneNormalizer.letters == .invalid(reason: "letters: a phone number is digits only (a placeholder or a typo?)"))
    }

    @Test func digitsInOtherScriptsAreNotLetters() {
        #expect(!PhoneNormalizer.hasLetters("९८७६५ ४३२१०"))
        #expect(!PhoneNormalizer.hasLetters("+91 (98765) 43-210"))
    }

    @Test func vanityNumbersOnlyWhenTheSettingAllowsThem() throws {
        let lenient = try PhoneNormalizer(defaultCountry: "91", allowsLetters: true)
        #expect(lenient.normalize("98450ABCDE") == .valid("+919845022233"))
        #expect(india.normalize("98450ABCDE") == PhoneNormalizer.letters)
    }
}

@Suite struct CSVParserTests {
    @Test func quotedFieldsKeepSeparatorsQuotesAndLineBreaks() throws {
        let text = "Name,Phone,Note\r\n\"Sharma, Priya\",98765 43210,\"said \"\"hi\"\"\nthen left\"\r\nRavi,98765 43211,\r\n"
        let rows = try CSVParser(delimiter: UInt8(ascii: ",")).parse(Array(text.utf8))
        #expect(rows == [["Name", "Phone", "Note"], ["Sharma, Priya", "98765 43210", "said \"hi\"\nthen left"], ["Ravi", "98765 43211", ""]])
    }

    @Test(arguments: [
        ("a;b;c\n1;2;3", UInt8(ascii: ";")), ("a\tb\n1\t2", UInt8(ascii: "\t")), ("a|b|c", UInt8(ascii: "|")),
        ("\"x;y\",b,c\n", UInt8(ascii: ",")), ("name", UInt8(ascii: ",")),
    ])
    func delimiterIsSniffedFromTheHeader(text: String, expected: UInt8) {
        #expect(CSVParser.sniffDelimiter(text[...]) == expected)
    }

    @Test(arguments: [
        ("vip, delhi;staff|x", ["vip", "delhi", "staff", "x"]), ("* myContacts ::: Delhi ::: VIP", ["Delhi", "VIP"]),
        ("::::x", [":x"]), ("a:b, c::d", ["a:b", "c::d"]), (" , ;| ", []), ("é ,ü|ñ", ["é", "ü", "ñ"]), ("", []),
        ("solo", ["solo"]), ("a:::", ["a"]), ("c, c;d|c", ["c", "d"]),
    ])
    func tagsSplitOnEverySeparator(text: String, expected: [String]) {
        #expect(ColumnMapping.splitTags(text) == expected)
    }

    @Test func jsonColumnsEscapeOnlyWhatJSONNeeds() throws {
        #expect(CompactJSON.array(["vip", "say \"hi\"", "a\\b", "tab\there", "é"]) == #"["vip","say \"hi\"","a\\b","tab\there","é"]"#)
        #expect(CompactJSON.object(["b": "2", "a": "line\nbreak"]) == #"{"a":"line\nbreak","b":"2"}"#)
        let decoded = try JSONSerialization.jsonObject(with: Data(CompactJSON.array(["\u{1}", "\"", "ok"]).utf8)) as? [String]
        #expect(decoded == ["\u{1}", "\"", "ok"])
        // Read back: what this writer and SQLite's JSON functions write; anything else is left to Foundation.
        #expect(CompactJSON.strings(#"["a", "say \"hi\"","\u00e9\ud83d\ude00","x\/y\n"]"#) == ["a", "say \"hi\"", "é😀", "x/y\n"])
        #expect(CompactJSON.strings("[]") == [])
        #expect(CompactJSON.stringObject(#"{"City":"Pune","Note":"a,b"}"#) == ["City": "Pune", "Note": "a,b"])
        for unusual in [#"["a",1]"#, #"{"a":null}"#, #"["a""#, #"["\u12g4"]"#, #"["a"] x"#, #"{"a","b"}"#, #"["\ud83d"]"#] {
            #expect(CompactJSON.strings(unusual) == nil && CompactJSON.stringObject(unusual) == nil, "\(unusual)")
        }
        for text in [CompactJSON.array(["vip", "tab\there", "\u{7}", "ü"]), #"["x","y"]"#] {
            #expect(CompactJSON.strings(text) == (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]))
        }
    }

    @Test func excelEncodingsDecode() {
        let utf8BOM = Data([0xEF, 0xBB, 0xBF] + Array("Nämé".utf8))
        #expect(TextDecoding.decode(utf8BOM) == ("Nämé", .utf8))
        var utf16 = Data([0xFF, 0xFE])
        utf16.append("Nämé".data(using: .utf16LittleEndian)!)
        #expect(TextDecoding.decode(utf16) == ("Nämé", .utf16le))
        var utf16be = Data([0xFE, 0xFF])
        utf16be.append("Zoë".data(using: .utf16BigEndian)!)
        #expect(TextDecoding.decode(utf16be) == ("Zoë", .utf16be))
        let cp1252 = Data([0x4E, 0xE4, 0x6D, 0xE9, 0x80])  // "Nämé€" in Windows-1252
        #expect(TextDecoding.decode(cp1252) == ("Nämé€", .windows1252))
    }
}

@Suite struct ContactImporterTests {
    func importer(_ dir: TempDir) throws -> ContactImporter {
        ContactImporter(
            registry: try ContactRegistry(path: dir.url.appendingPathComponent("contacts.sqlite")),
            normalizer: try PhoneNormalizer(defaultCountry: "91")
        )
    }

    @Test func rowsLandOrAreExplained() throws {
        let dir = TempDir()
        let file = dir.file(
            "people.csv",
            """
            Full Name;Mobile;Labels;City
            Priya Sharma;98765 43210;vip, delhi;Delhi
            Ravi;+91 98765 43211;mumbai|vip;Mumbai
            Bad Row;12345;;Pune

            Priya S;09876543210;newsletter;
            """
        )
        let result = try importer(dir).importFile(file)
        #expect(result.summary.rowsRead == 4)
        #expect(result.summary.inserted == 2)
        #expect(result.summary.duplicatesInFile == 1)
        #expect(result.summary.rejected == 1)
        #expect(result.summary.delimiter == ";")
        #expect(result.rejected == [RejectedRow(row: 4, column: "Mobile", value: "12345", reason: "too short for a phone number")])
        let registry = try ContactRegistry(path: dir.url.appendingPathComponent("contacts.sqlite"))
        let priya = try #require(try registry.contact(phone: "+919876543210"))
        #expect(priya.name == "Priya S")
        #expect(priya.tags == ["vip", "delhi", "newsletter"])
        #expect(priya.fields == ["City": "Delhi"])
        #expect(try registry.contact(phone: "+919876543211")?.tags == ["mumbai", "vip"])
    }

    @Test func sameFileTwiceImportsOnceAndReimportMerges() throws {
        let dir = TempDir()
        let imp = try importer(dir)
        let file = dir.file("a.csv", "First Name,Last Name,Phone,Tags,City,Plan\nAsha,Rao,9876543210,a,Pune,gold\n")
        let first = try imp.importFile(file)
        let again = try imp.importFile(file)
        #expect(first.alreadyImported == false)
        #expect(again.alreadyImported == true)
        #expect(again.summary.inserted == 1)
        let other = dir.file("b.csv", "Phone,Tags,City,Plan,Lang\n+919876543210,\"b, a\",,silver,hi\n")
        let merged = try imp.importFile(other)
        #expect(merged.summary.inserted == 0)
        #expect(merged.summary.updated == 1)
        let c = try #require(try imp.registry.contact(phone: "+919876543210"))
        #expect(c.name == "Asha Rao")
        #expect(c.tags == ["a", "b"])
        // An empty cell keeps the stored value; a filled one replaces it; a new column adds a field.
        #expect(c.fields == ["First Name": "Asha", "Last Name": "Rao", "City": "Pune", "Plan": "silver", "Lang": "hi"])
    }

    /// A re-import into a full registry merges in Swift from one query per batch; duplicates inside a file
    /// imported into an empty registry merge inside SQLite. Both must leave the same contacts.
    @Test func bothMergePathsLeaveTheSameContacts() throws {
        let header = "Name,Phone,Tags,City,Note\n"
        let first = "Asha,9876543210,\"a, b\",Pune,\"said \"\"hi\"\"\"\nRavi,9876543211,,Delhi,\nMeera,9876543212,x,,n1\n"
        let second = ",9876543210,\"b, c, c\",,new note\nRavi Kumar,+91 98765 43211,é|a,Mumbai,\nMeera,09876543212,,Goa,\nNew,9876543213,z,Agra,\n"
        let a = TempDir()
        let b = TempDir()
        let twoFiles = try importer(a)
        _ = try twoFiles.importFile(a.file("first.csv", header + first))
        let update = try twoFiles.importFile(a.file("second.csv", header + second))
        #expect(update.summary.updated == 3)
        #expect(update.summary.inserted == 1)
        let oneFile = try importer(b)
        let both = try oneFile.importFile(b.file("both.csv", header + first + second))
        #expect(both.summary.inserted == 4)
        #expect(both.summary.duplicatesInFile == 3)
        let viaSwift = try twoFiles.registry.list()
        let viaSQL = try oneFile.registry.list()
        #expect(viaSwift.map(\.phone) == ["+919876543210", "+919876543211", "+919876543212", "+919876543213"])
        #expect(viaSwift.map(\.name) == viaSQL.map(\.name))
        #expect(viaSwift.map(\.fields) == viaSQL.map(\.fields))
        #expect(viaSwift[0].tags == ["a", "b", "c"])
        #expect(viaSwift[0].fields == ["City": "Pune", "Note": "new note"])
        #expect(viaSwift[1].name == "Ravi Kumar" && viaSwift[1].tags == ["é", "a"])
        #expect(viaSwift.map(\.tags) == viaSQL.map(\.tags))
    }

    @Test func optedOutContactsAreNeverResurrected() throws {
        let dir = TempDir()
        let imp = try importer(dir)
        _ = try imp.importFile(dir.file("a.csv", "Phone\n9876543210\n"))
        #expect(try imp.registry.apply([PreferenceChange(phone: "+919876543210", optedOut: true, source: "test", at: Date())]).first?.changed == true)
        let r = try imp.importFile(dir.file("b.csv", "Phone,Name\n9876543210,New Name\n"))
        #expect(r.summary.skippedOptedOut == 1)
        #expect(try imp.registry.contact(phone: "+919876543210")?.optedOut == true)
        #expect(try imp.registry.count(reachableOnly: true) == 0)
    }

    @Test func aFileWithoutAPhoneColumnIsRefused() throws {
        let dir = TempDir()
        #expect(throws: ContactsError.noPhoneColumn(file: "x.csv", headers: ["Name", "Email"])) {
            try importer(dir).importFile(dir.file("x.csv", "Name,Email\nA,a@x\n"))
        }
    }
}
