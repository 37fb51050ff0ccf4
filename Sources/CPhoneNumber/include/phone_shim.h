#pragma once
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of normalizing one number.
typedef enum {
    PHONE_VALID = 0,
    PHONE_NOT_A_NUMBER = 1,      /* could not be parsed at all */
    PHONE_INVALID_COUNTRY = 2,   /* no such country calling code */
    PHONE_TOO_SHORT = 3,
    PHONE_TOO_LONG = 4,
    PHONE_INVALID_LENGTH = 5,    /* a length no number of that country has */
    PHONE_INVALID = 6            /* right length, but not a number range in use */
} phone_result;

/// Parses `number` (national numbers read as `region`, e.g. "IN") and writes its E.164 form into `out`.
phone_result phone_to_e164(const char *number, const char *region, char *out, size_t outlen);

/// The same with the validity check chosen: `fast` 1 applies libphonenumber's validity rule to its metadata
/// with PCRE2 (see phone_shim.cpp), 0 asks libphonenumber's IsValidNumber. Same answers; the tests compare them.
phone_result phone_to_e164_checked(const char *number, const char *region, char *out, size_t outlen, int fast);

/// 1 when `phone_to_e164` checks numbers of this calling code itself, 0 when it asks IsValidNumber
/// (calling codes shared by several regions, such as 1 and 44).
int phone_fast_validity_covers(int calling_code);

/// Writes the region ("US", "CA") a number in E.164 belongs to; returns 0 when it cannot tell.
int phone_region_of_number(const char *e164, char *out, size_t outlen);

/// Writes the main region code ("IN") for a calling code (91); returns 0 when unknown.
int phone_region_for_calling_code(int calling_code, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
