import Foundation

/// A campaign as staff write it in a `.json` dropped into inbox/ (docs/MANIFEST.md).
public struct CampaignManifest: Sendable, Equatable, Codable {
    public struct Template: Sendable, Equatable, Codable {
        public var name: String
        public var language: String
    }

    public struct Audience: Sendable, Equatable, Codable {
        public enum Match: String, Sendable, Codable { case any, all }
        public var all: Bool?
        public var tags: [String]?
        public var match: Match?
        public var phones: [String]?
        public var excludeTags: [String]?
        /// A follow-up: the people of this earlier campaign whose message ended in one of `outcome`.
        public var campaign: String?
        public var outcome: [String]?
        /// Only messages sent at least this long ago ("48h", "2d").
        public var after: String?
        /// Leave out people who replied to the earlier campaign (default true).
        public var excludeReplied: Bool?
    }

    public struct SendWindow: Sendable, Equatable, Codable {
        public var from: String
        public var to: String
        public var timezone: String
    }

    public var id: String
    public var name: String?
    public var description: String?
    public var template: Template
    public var audience: Audience
    public var variables: Variables?
    public var startAt: String?
    public var sendWindow: SendWindow?
    public var rate: String?
    public var dryRun: Bool?
    /// What to do when the audience needs more than Meta's messaging limit leaves: wait (the default: accepted
    /// with a warning saying when it will finish) or refuse.
    public var onLimit: OnLimit?
    /// An A/B test: each number gets one variant by a stable hash (`VariantSplit`), in these shares.
    public var variants: [Variant]?
    /// An A/B test run on a sample first: `holdout` percent of the audience wait, and `winnerAfter` (a duration
    /// like "6h") after the campaign was planned they get the variant with the better read rate.
    public var winnerAfter: String?
    public var holdout: Int?
    /// Planned again at each occurrence of this schedule, each occurrence a campaign of its own.
    public var `repeat`: Repeat?
    /// `"contact-added"`: sent to every contact that enters the audience after the campaign is dropped, once.
    public var trigger: String?
    /// A trigger campaign greets no one after this time (ISO 8601).
    public var until: String?

    public struct Repeat: Sendable, Equatable, Codable {
        public enum Every: String, Sendable, Codable { case day, week }
        public var every: Every
        /// The weekday of a weekly one: mon, tue, wed, thu, fri, sat, sun.
        public var on: String?
        /// Local time of day, HH:MM.
        public var at: String
        public var timezone: String
        /// No occurrence after this time (ISO 8601).
        public var until: String?
        /// Leave out the people the last occurrence messaged (default: everyone the audience holds again).
        public var excludePrevious: Bool?
    }

    /// Every template the campaign sends: each variant's, or its own.
    public var templates: [Template] { variants?.map(\.template) ?? [template] }

    public struct Variant: Sendable, Equatable, Codable {
        public var template: Template
        public var variables: Variables?
        /// Percent of the audience; the shares sum to 100.
        public var share: Int
    }

    public enum OnLimit: String, Sendable, Equatable, Codable { case wait, refuse }
}
