import Foundation
import Sandbox

/// The demo's sample files: 60 rows in the shapes staff really send, some invalid, some duplicate.
enum DemoData {
    static let firstNames = [
        "Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Sneha", "Arjun", "Kavya", "Rahul", "Isha",
        "Karan", "Meera", "Aditya", "Pooja", "Siddharth", "Neha", "Aryan", "Diya", "Nikhil", "Riya",
        "Manish", "Tanvi", "Harsh", "Aditi", "Yash", "Simran", "Dev", "Anjali", "Kabir", "Nisha",
        "Varun", "Shreya", "Rajat", "Sakshi", "Gaurav", "Muskan", "Amit", "Pallavi", "Sahil", "Ritika",
        "Mohit", "Swati", "Ankit", "Divya", "Rakesh", "Bhavna", "Tarun", "Komal", "Vivek", "Jyoti",
        "Sunil", "Lata",
    ]

    static let invalidPhones = ["12345", "not a number", "+91 12345 678", "98765"]
    static var rowCount: Int { firstNames.count + invalidPhones.count + 4 }

    /// 52 valid numbers in mixed spellings, 4 invalid ones, 4 repeats of earlier rows.
    static var contactsCSV: String {
        var lines = ["Name,Phone Number,Tags,City"]
        for (i, name) in firstNames.enumerated() {
            let national = "98765\(String(format: "%05d", 43210 + i))"
            let spelled: String
            switch i % 4 {
            case 0: spelled = "+91 \(national.prefix(5)) \(national.suffix(5))"
            case 1: spelled = "0\(national)"
            case 2: spelled = "91-\(national)"
            default: spelled = national
            }
            let tags = i % 10 == 9 ? "staff" : (i % 2 == 0 ? "vip, delhi" : "mumbai")
            lines.append("\(name) Sharma,\(spelled),\"\(tags)\",\(i % 2 == 0 ? "Delhi" : "Mumbai")")
        }
        for (i, bad) in invalidPhones.enumerated() { lines.append("Invalid \(i + 1),\(bad),,Pune") }
        for i in 0..<4 { lines.append("\(firstNames[i]) Sharma,+9198765\(String(format: "%05d", 43210 + i)),returning,Delhi") }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func manifest(id: String) -> String {
        """
        {
          "id": "\(id)",
          "name": "wabulk demo campaign",
          "template": { "name": "diwali_offer", "language": "en_US" },
          "audience": { "all": true, "excludeTags": ["staff"] },
          "variables": { "body": ["{name}", "20%"] }
        }
        """
    }

    /// One number Meta refuses (not on WhatsApp), one that opted out of marketing (fails by webhook),
    /// one that hits a transient error once and succeeds on retry.
    static let failures: [SandboxScript.Failure] = [
        .init(target: .phone("919876543211"), code: 131026),
        .init(target: .phone("919876543212"), code: 131050, async: true),
        .init(target: .phone("919876543213"), code: 131000, times: 1),
    ]

    /// Codes the dispatcher retries: a rejection with one of these is not a final failure.
    static let transientCodes: Set<Int> = [131000]

    /// Written under a hidden name, then renamed: the watcher never sees half a file.
    static func drop(_ text: String, as name: String, into inbox: URL) throws {
        let temp = inbox.appendingPathComponent(".\(name).part")
        try Data(text.utf8).write(to: temp)
        try FileManager.default.moveItem(at: temp, to: inbox.appendingPathComponent(name))
    }
}
