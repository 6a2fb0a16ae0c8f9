#include "pmark_icu.h"
#include <unicode/uspoof.h>
#include <unicode/unorm2.h>
#include <unicode/utypes.h>

void *pmark_uspoof_open(int32_t *status) {
    UErrorCode st = U_ZERO_ERROR;
    USpoofChecker *sc = uspoof_open(&st);
    *status = (int32_t)st;
    return sc;
}

void pmark_uspoof_close(void *checker) { uspoof_close((USpoofChecker *)checker); }

int32_t pmark_uspoof_getSkeleton(const void *checker, const uint16_t *text, int32_t length,
                                 uint16_t *dest, int32_t destCapacity, int32_t *status) {
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = uspoof_getSkeleton((const USpoofChecker *)checker, 0, (const UChar *)text, length,
                                   (UChar *)dest, destCapacity, &st);
    *status = (int32_t)st;
    return n;
}

const void *pmark_nfkc(int32_t *status) {
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *n = unorm2_getNFKCInstance(&st);
    *status = (int32_t)st;
    return n;
}

int32_t pmark_normalize(const void *normalizer, const uint16_t *src, int32_t length, uint16_t *dest,
                        int32_t capacity, int32_t *status) {
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = unorm2_normalize((const UNormalizer2 *)normalizer, (const UChar *)src, length,
                                 (UChar *)dest, capacity, &st);
    *status = (int32_t)st;
    return n;
}
