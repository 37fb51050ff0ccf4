#include "phone_shim.h"
#include <phonenumbers/phonenumberutil.h>
#include <cstring>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

static void copy_out(const std::string &s, char *out, size_t outlen) {
    if (outlen == 0) return;
    std::strncpy(out, s.c_str(), outlen - 1);
    out[outlen - 1] = 0;
}

extern "C" phone_result phone_to_e164(const char *number, const char *region, char *out, size_t outlen) {
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
    if (util->IsValidNumber(pn)) return PHONE_VALID;
    switch (util->IsPossibleNumberWithReason(pn)) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE: return PHONE_INVALID_COUNTRY;
    case PhoneNumberUtil::TOO_SHORT: return PHONE_TOO_SHORT;
    case PhoneNumberUtil::TOO_LONG: return PHONE_TOO_LONG;
    case PhoneNumberUtil::INVALID_LENGTH: return PHONE_INVALID_LENGTH;
    default: return PHONE_INVALID;
    }
}

extern "C" int phone_region_for_calling_code(int calling_code, char *out, size_t outlen) {
    std::string region;
    PhoneNumberUtil::GetInstance()->GetRegionCodeForCountryCode(calling_code, &region);
    if (region == "ZZ") return 0;
    copy_out(region, out, outlen);
    return 1;
}
