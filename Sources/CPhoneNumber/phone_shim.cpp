#include "phone_shim.h"
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <algorithm>
#include <list>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

// libphonenumber's compiled-in metadata (exported by the library, declared in a header Debian does not ship).
namespace i18n { namespace phonenumbers { int metadata_size(); const void *metadata_get(); } }

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

// IsValidNumber spends most of its time in ICU's regex engine (a new matcher per pattern, the pattern text
// hashed for every cache lookup). Validity itself is a simple rule over libphonenumber's own metadata: the
// national significant number matches the region's general description and at least one number type
// (GetNumberTypeHelper), a description matching when its possible lengths (if any) hold the number's length
// and its pattern (if any) matches the whole number. This applies that rule to the same metadata with PCRE2's
// JIT, for calling codes that belong to a single region; the tests hold it to IsValidNumber's answers.
struct Description {
    std::vector<int> lengths;
    pcre2_code *pattern = nullptr;   // null: an empty pattern, which never matches

    bool matches(const std::string &nsn, pcre2_match_data *scratch) const {
        if (!lengths.empty() && std::find(lengths.begin(), lengths.end(), (int)nsn.size()) == lengths.end()) return false;
        if (!pattern) return false;
        return pcre2_match(pattern, (PCRE2_SPTR)nsn.data(), nsn.size(), 0, 0, scratch, nullptr) >= 0;
    }
};

struct RegionRule {
    Description general;
    std::vector<Description> types;
};

class FastValidity {
public:
    bool covers(int callingCode) { return ruleFor(callingCode) != nullptr; }

    // 1 or 0 for valid or not; -1 when this number is left to libphonenumber.
    int check(const PhoneNumber &number) {
        const RegionRule *rule = ruleFor(number.country_code());
        if (!rule) return -1;
        std::string nsn;
        PhoneNumberUtil::GetInstance()->GetNationalSignificantNumber(number, &nsn);
        // One per thread, freed when the thread ends: each import reads on a thread of its own, and a plain
        // thread_local pointer leaked 160 bytes per import (found by the csv fuzz target's leak check).
        thread_local MatchScratch scratch;
        if (!rule->general.matches(nsn, scratch.data)) return 0;
        for (const Description &type : rule->types)
            if (type.matches(nsn, scratch.data)) return 1;
        return 0;
    }

private:
    struct MatchScratch {
        pcre2_match_data *data = pcre2_match_data_create(4, nullptr);
        ~MatchScratch() { pcre2_match_data_free(data); }
    };
    std::mutex lock;
    bool loaded = false;
    std::unordered_map<std::string, PhoneMetadata> regions;
    std::unordered_map<int, std::unique_ptr<RegionRule>> rules;   // null entry: not handled here

    const RegionRule *ruleFor(int callingCode) {
        std::lock_guard<std::mutex> guard(lock);
        auto found = rules.find(callingCode);
        if (found != rules.end()) return found->second.get();
        std::unique_ptr<RegionRule> &rule = rules[callingCode];
        if (!loaded) load();
        std::list<std::string> codes;
        PhoneNumberUtil::GetInstance()->GetRegionCodesForCountryCallingCode(callingCode, &codes);
        if (codes.size() != 1 || codes.front() == "001") return nullptr;
        auto metadata = regions.find(codes.front());
        if (metadata == regions.end() || metadata->second.country_code() != callingCode) return nullptr;
        const PhoneMetadata &m = metadata->second;
        auto built = std::make_unique<RegionRule>();
        if (!compile(m.general_desc(), built->general)) return nullptr;
        for (const PhoneNumberDesc *desc : {&m.premium_rate(), &m.toll_free(), &m.shared_cost(), &m.voip(), &m.personal_number(),
                                             &m.pager(), &m.uan(), &m.voicemail(), &m.fixed_line(), &m.mobile()}) {
            built->types.emplace_back();
            if (!compile(*desc, built->types.back())) return nullptr;
        }
        rule = std::move(built);
        return rule.get();
    }

    void load() {
        loaded = true;
        PhoneMetadataCollection collection;
        if (!collection.ParseFromArray(i18n::phonenumbers::metadata_get(), i18n::phonenumbers::metadata_size())) return;
        for (const PhoneMetadata &m : collection.metadata()) regions.emplace(m.id(), m);
    }

    static bool compile(const PhoneNumberDesc &desc, Description &out) {
        out.lengths.assign(desc.possible_length().begin(), desc.possible_length().end());
        const std::string &pattern = desc.national_number_pattern();
        if (pattern.empty()) return true;
        int error = 0;
        PCRE2_SIZE offset = 0;
        out.pattern = pcre2_compile((PCRE2_SPTR)pattern.data(), pattern.size(), PCRE2_ANCHORED | PCRE2_ENDANCHORED, &error, &offset, nullptr);
        if (!out.pattern) return false;
        pcre2_jit_compile(out.pattern, PCRE2_JIT_COMPLETE);   // without a JIT, the interpreter gives the same answers
        return true;
    }
};

FastValidity &fastValidity() {
    static FastValidity *instance = new FastValidity();   // never destroyed: worker threads may outlive exit handlers
    return *instance;
}

void copy_out(const std::string &s, char *out, size_t outlen) {
    if (outlen == 0) return;
    std::strncpy(out, s.c_str(), outlen - 1);
    out[outlen - 1] = 0;
}

}  // namespace

extern "C" phone_result phone_to_e164_checked(const char *number, const char *region, char *out, size_t outlen, int fast) {
    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber pn;
    if (outlen) out[0] = 0;
    switch (util->Parse(number, region, &pn)) {
    case PhoneNumberUtil::NO_PARSING_ERROR: break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR: return PHONE_INVALID_COUNTRY;
    case PhoneNumberUtil::TOO_SHORT_NSN:
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD: return PHONE_TOO_SHORT;
    case PhoneNumberUtil::TOO_LONG_NSN: return PHONE_TOO_LONG;
    default: return PHONE_NOT_A_NUMBER;
    }
    std::string e164;
    util->Format(pn, PhoneNumberUtil::E164, &e164);
    copy_out(e164, out, outlen);
    int valid = fast ? fastValidity().check(pn) : -1;
    if (valid < 0) valid = util->IsValidNumber(pn) ? 1 : 0;
    if (valid) return PHONE_VALID;
    switch (util->IsPossibleNumberWithReason(pn)) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE: return PHONE_INVALID_COUNTRY;
    case PhoneNumberUtil::TOO_SHORT: return PHONE_TOO_SHORT;
    case PhoneNumberUtil::TOO_LONG: return PHONE_TOO_LONG;
    case PhoneNumberUtil::INVALID_LENGTH: return PHONE_INVALID_LENGTH;
    default: return PHONE_INVALID;
    }
}

extern "C" phone_result phone_to_e164(const char *number, const char *region, char *out, size_t outlen) {
    return phone_to_e164_checked(number, region, out, outlen, 1);
}

extern "C" int phone_fast_validity_covers(int calling_code) { return fastValidity().covers(calling_code) ? 1 : 0; }

extern "C" int phone_region_of_number(const char *e164, char *out, size_t outlen) {
    PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber parsed;
    if (util->Parse(e164, "ZZ", &parsed) != PhoneNumberUtil::NO_PARSING_ERROR) return 0;
    std::string region;
    util->GetRegionCodeForNumber(parsed, &region);
    if (region.empty() || region == "ZZ") return 0;
    copy_out(region, out, outlen);
    return 1;
}

extern "C" int phone_region_for_calling_code(int calling_code, char *out, size_t outlen) {
    std::string region;
    PhoneNumberUtil::GetInstance()->GetRegionCodeForCountryCode(calling_code, &region);
    if (region == "ZZ") return 0;
    copy_out(region, out, outlen);
    return 1;
}
