import Foundation
import Reports
import Testing

@testable import Contacts

/// Every format staff drop, with exact expected counts, numbers, names, tags and rejections.
@Suite struct ContactFormatTests {
    func run(_ name: String, _ bytes: [UInt8]) throws -> (ImportResult, ContactRegistry) {
        let dir = TempDir()
        let registry = try ContactRegistry(path: dir.url.appendingPathComponent("c.sqlite"))
        let importer = ContactImporter(registry: registry, normalizer: try PhoneNormalizer(defaultCountry: "91"))
        let result = try importer.importFile(dir.file(name, bytes: bytes))
        return (result, registry)
    }

    func utf16LE(_ s: String, bom: Bool = true) -> [UInt8] {
        (bom ? [0xFF, 0xFE] : []) + Array(s.data(using: .utf16LittleEndian)!)
    }

    @Test func excelUnicodeTextIsUTF16TabSeparated() throws {
        let (r, registry) = try run("export.txt", utf16LE("Name\tMobile\tTags\r\nZoë Ünal\t98765 43210\tvip\r\nRaj\t98765 43211\t\r\n"))
        #expect(r.summary.encoding == "utf16le")
        #expect(r.summary.delimiter == "tab")
        #expect(r.summary.inserted == 2)
        #expect(try registry.contact(phone: "+919876543210")?.name == "Zoë Ünal")
    }

    @Test func windows1252WhenTheBytesAreNotUTF8() throws {
        let bytes: [UInt8] = Array("Name;Telefono\r\n".utf8) + [0x4A, 0x6F, 0x73, 0xE9] + Array(";9876543210\r\n".utf8)
        let (r, registry) = try run("old.csv", bytes)
        #expect(r.summary.encoding == "windows1252")
        #expect(r.summary.delimiter == ";")
        #expect(try registry.contact(phone: "+919876543210")?.name == "José")
    }

    @Test func utf8WithBOMQuotedLineBreaksBlankAndTrailingRows() throws {
        let text =
            "\u{FEFF}Full Name,Phone Number,Notes\r\n\"Sharma, Priya\",\"+91 98765-43210\",\"line one\nline two\"\r\n\r\n,,\r\nRavi,(+91) 98765 43211,\"said \"\"hi\"\"\"\r\n,,\r\n\r\n"
        let (r, registry) = try run("people.csv", Array(text.utf8))
        #expect(r.summary.encoding == "utf8")
        #expect(r.summary.rowsRead == 2)
        #expect(r.summary.inserted == 2)
        let priya = try #require(try registry.contact(phone: "+919876543210"))
        #expect(priya.name == "Sharma, Priya")
        #expect(priya.fields["Notes"] == "line one\nline two")
        #expect(try registry.contact(phone: "+919876543211")?.fields["Notes"] == "said \"hi\"")
    }

    @Test func googleContactsExport() throws {
        let text =
            "Given Name,Family Name,Phone 1 - Type,Phone 1 - Value,Group Membership\nAsha,Rao,Mobile,+91 98765 43210,* myContacts ::: Delhi ::: VIP\nBen,,Mobile,+44 7911 123456,* myContacts\n"
        let (r, registry) = try run("contacts.csv", Array(text.utf8))
        #expect(r.summary.inserted == 2)
        let asha = try #require(try registry.contact(phone: "+919876543210"))
        #expect(asha.name == "Asha Rao")
        #expect(asha.tags == ["Delhi", "VIP"])
        #expect(asha.fields["Phone 1 - Type"] == "Mobile")
        #expect(try registry.contact(phone: "+447911123456")?.tags == [])
    }

    /// Google joins a contact's numbers in one cell with " ::: ". The first is the phone; the others are kept.
    /// The current export ("First Name", "Labels", "Phone 1 - Label"), the older Google CSV ("Given Name",
    /// "Group Membership", "Phone 1 - Type") and the Outlook CSV Google also offers ("Mobile Phone").
    @Test(arguments: [
        "First Name,Middle Name,Last Name,Labels,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value\n"
            + "Asha,,Rao,* myContacts ::: VIP,* Home,asha@example.com,Mobile,+91 98765 43210 ::: +91 98765 43299 ::: 022 2345 6789,Work,+91 98765 43212\n"
            + "Ben,,,* myContacts,,,Mobile,\"98765 43211 ::: \",,\n",
        "Name,Given Name,Additional Name,Family Name,Group Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value\n"
            + "Asha Rao,Asha,,Rao,* myContacts ::: VIP,* Home,asha@example.com,Mobile,+91 98765 43210 ::: +91 98765 43299 ::: 022 2345 6789\n"
            + "Ben,Ben,,,* myContacts,,,Mobile,98765 43211 ::: \n",
        "First Name,Middle Name,Last Name,Categories,E-mail Address,Mobile Phone,Home Phone\n"
            + "Asha,,Rao,VIP,asha@example.com,+91 98765 43210 ::: +91 98765 43299 ::: 022 2345 6789,\n"
            + "Ben,,,,,98765 43211 ::: ,\n",
    ])
    func googleMultiValuePhoneCellsGiveTheFirstNumber(csv: String) throws {
        let (r, registry) = try run("contacts.csv", Array(csv.utf8))
        #expect(r.rejected == [])
        #expect(r.summary.inserted == 2)
        let asha = try #require(try registry.contact(phone: "+919876543210"))
        #expect(asha.name == "Asha Rao")
        #expect(asha.fields["Other phones"] == "+91 98765 43299, 022 2345 6789")
        #expect(try registry.contact(phone: "+919876543299") == nil)  // kept as a field, not a second contact
        let ben = try #require(try registry.contact(phone: "+919876543211"))
        #expect(ben.fields["Other phones"] == nil)
    }

    @Test func aCellWithLettersIsRejectedWithItsRowAndTheOthersImport() throws {
        let text = "Name,Phone\nA,98765 43210\nPlaceholder,98450ABCDE\nB,+91 98765 43211\nTypo,98765 4321O\nAll letters,ABCDEFGHIJ\n"
        let (r, registry) = try run("list.csv", Array(text.utf8))
        #expect(r.summary.inserted == 2)
        let why = "letters: a phone number is digits only (a placeholder or a typo?)"
        #expect(
            r.rejected == [
                RejectedRow(row: 3, column: "Phone", value: "98450ABCDE", reason: why),
                RejectedRow(row: 5, column: "Phone", value: "98765 4321O", reason: why),
                RejectedRow(row: 6, column: "Phone", value: "ABCDEFGHIJ", reason: why),
            ]
        )
        #expect(try registry.contact(phone: "+919845022233") == nil)
    }

    @Test func pipeSeparatedWithRejectionsListedByRow() throws {
        let text = "phone|name\n9876543210|A\nabc|B\n+91 98765|C\n9876543210|A again\n"
        let (r, _) = try run("list.csv", Array(text.utf8))
        #expect(r.summary.delimiter == "|")
        #expect(r.summary.inserted == 1)
        #expect(r.summary.duplicatesInFile == 1)
        #expect(
            r.rejected == [
                RejectedRow(row: 3, column: "phone", value: "abc", reason: "letters: a phone number is digits only (a placeholder or a typo?)"),
                RejectedRow(row: 4, column: "phone", value: "+91 98765", reason: "too short for a phone number"),
            ]
        )
    }

    @Test func aFileWithNoUsableHeaderIsRefusedClearly() throws {
        #expect(throws: ContactsError.emptyFile(file: "blank.csv")) { try run("blank.csv", Array("\r\n,,\r\n".utf8)) }
        #expect(throws: ContactsError.noPhoneColumn(file: "n.csv", headers: ["9876543210", "Asha"])) {
            try run("n.csv", Array("9876543210,Asha\n".utf8))
        }
    }

    @Test func xlsxWithNumericPhonesAndAContactsSheet() throws {
        let dir = TempDir()
        let path = dir.url.appendingPathComponent("book.xlsx").path
        let workbook = try XLSXWorkbook(path: path)
        let other = workbook.addSheet("Notes")
        other.write(row: 0, [.text("not this sheet")])
        let sheet = workbook.addSheet("Contacts")
        sheet.write(row: 0, [.text("Name"), .text("WhatsApp"), .text("Tags")])
        sheet.write(row: 1, [.text("Numeric"), .number(919_876_543_210), .text("a;b")])
        sheet.write(row: 2, [.text("Text"), .text("+91 98765 43211"), .empty])
        sheet.write(row: 4, [.text("Bad"), .number(12345), .empty])
        try workbook.close()
        let registry = try ContactRegistry(path: dir.url.appendingPathComponent("c.sqlite"))
        let r = try ContactImporter(registry: registry, normalizer: try PhoneNormalizer(defaultCountry: "91")).importFile(URL(fileURLWithPath: path))
        #expect(r.summary.encoding == "xlsx")
        #expect(r.summary.inserted == 2)
        #expect(r.rejected == [RejectedRow(row: 5, column: "WhatsApp", value: "12345", reason: "too short for a phone number")])
        #expect(try registry.contact(phone: "+919876543210")?.tags == ["a", "b"])
    }

    @Test func xlsxFromOpenpyxlWithSharedStringsAndExponentNumbers() async throws {
        let dir = TempDir()
        let path = dir.url.appendingPathComponent("shared.xlsx").path
        let script = """
            import sys, openpyxl
            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "Sheet1"
            ws.append(["Name", "Phone", "City"])
            ws.append(["Asha", 919876543210, "Delhi"])
            ws.append(["Ben", 9.19876543211e11, "Delhi"])
            ws.append(["Chitra", "098765 43212", "Pune"])
            wb.save(sys.argv[1])
            """
        let made = try await runProcess(python3, ["python3", "-c", script, path])
        #expect(made.status == 0)
        let registry = try ContactRegistry(path: dir.url.appendingPathComponent("c.sqlite"))
        let r = try ContactImporter(registry: registry, normalizer: try PhoneNormalizer(defaultCountry: "91")).importFile(URL(fileURLWithPath: path))
        #expect(r.summary.inserted == 3)
        #expect(r.rejected.isEmpty)
        #expect(try registry.list().map(\.phone) == ["+919876543210", "+919876543211", "+919876543212"])
        #expect(try registry.contact(phone: "+919876543211")?.fields["City"] == "Delhi")
    }

    /// openpyxl's write-only mode writes inline strings; 60,000 rows make a sheet over 10 MB, which libxml2
    /// refuses as one in-memory chunk: the reader must stream it.
    @Test func aSheetOverTenMegabytesImportsWhole() async throws {
        let dir = TempDir()
        let path = dir.url.appendingPathComponent("big.xlsx").path
        let script = """
            import sys
            from openpyxl import Workbook
            wb = Workbook(write_only=True)
            ws = wb.create_sheet("Contacts")
            ws.append(["Full Name", "Mobile", "Tags", "City of residence for the campaign"])
            for i in range(60000):
                ws.append([f"Contact number {i} with a long name", 919800000000 + i if i % 2 else f"+91 98{i:08d}", "bulk, xlsx", "Bengaluru Urban District"])
            ws.append(["Bad", "12345", "", ""])
            wb.save(sys.argv[1])
            """
        #expect(try await runProcess(python3, ["python3", "-c", script, path]).status == 0)
        let sheetSize = try await runProcess(
            python3,
            ["python3", "-c", "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).getinfo('xl/worksheets/sheet1.xml').file_size)", path]
        )
        #expect(Int(sheetSize.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 10_000_000)
        let registry = try ContactRegistry(path: dir.url.appendingPathComponent("c.sqlite"))
        let r = try ContactImporter(registry: registry, normalizer: try PhoneNormalizer(defaultCountry: "91")).importFile(URL(fileURLWithPath: path))
        #expect(r.summary.rowsRead == 60_001)
        #expect(r.summary.inserted == 60_000)
        #expect(r.rejected.map(\.row) == [60_002])
        #expect(try registry.count(reachableOnly: true) == 60_000)
        #expect(try registry.contact(phone: "+919800059999")?.name == "Contact number 59999 with a long name")
        #expect(try registry.contact(phone: "+919800000000")?.tags == ["bulk", "xlsx"])
    }

    @Test func aZipBombIsRefusedWithAReason() async throws {
        let dir = TempDir()
        let path = dir.url.appendingPathComponent("bomb.xlsx").path
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1" xmlns:r="r"/></sheets></workbook>')
                z.writestr("xl/worksheets/sheet1.xml", "<" + "a" * 50_000_000 + ">")
            """
        #expect(try await runProcess(python3, ["python3", "-c", script, path]).status == 0)
        let registry = try ContactRegistry(path: dir.url.appendingPathComponent("c.sqlite"))
        #expect(
            throws: ContactsError.unsupportedFormat(
                file: "bomb.xlsx",
                reason: "xl/worksheets/sheet1.xml would inflate to 50000002 bytes; refused as too large"
            )
        ) {
            try ContactImporter(registry: registry, normalizer: try PhoneNormalizer(defaultCountry: "91")).importFile(URL(fileURLWithPath: path))
        }
    }

    @Test func optOutFilesOptNumbersOutAndKeepThemOut() throws {
        let dir = TempDir()
        let registry = try ContactRegistry(path: dir.url.appendingPathComponent("c.sqlite"))
        let importer = ContactImporter(registry: registry, normalizer: try PhoneNormalizer(defaultCountry: "91"))
        _ = try importer.importFile(dir.file("a.csv", "Phone,Name\n9876543210,Asha\n"))
        let r = try importer.importFile(dir.file("unsubscribe-nov.csv", "Phone\n9876543210\n9876543211\n9876543211\n"))
        #expect(r.summary.optedOut == 2)
        #expect(r.summary.duplicatesInFile == 1)
        #expect(try registry.contact(phone: "+919876543210")?.optedOut == true)
        #expect(try registry.contact(phone: "+919876543210")?.optOutSource == "file unsubscribe-nov.csv")
        let again = try importer.importFile(dir.file("b.csv", "Phone,Name\n9876543211,New\n"))
        #expect(again.summary.skippedOptedOut == 1)
        #expect(try registry.count(reachableOnly: true) == 0)
    }
}
