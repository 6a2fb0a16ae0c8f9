#ifndef CICU_SHIM_H
#define CICU_SHIM_H
// ICU's C API names are versioned by macros (uspoof_open -> uspoof_open_72); Swift does not
// see those macros, so these unversioned inline wrappers are what Swift calls. They compile
// against whichever ICU the system has.
#include <unicode/uspoof.h>
#include <unicode/unorm2.h>
#include <unicode/utypes.h>

static inline USpoofChecker *pmark_uspoof_open(UErrorCode *status) { return uspoof_open(status); }
static inline void pmark_uspoof_close(USpoofChecker *sc) { uspoof_close(sc); }
/// UTS #39 skeleton of `text` (UTF-16) into `dest`; returns its length (may exceed capacity).
static inline int32_t pmark_uspoof_getSkeleton(const USpoofChecker *sc, const UChar *text, int32_t length,
                                               UChar *dest, int32_t destCapacity, UErrorCode *status) {
    return uspoof_getSkeleton(sc, 0, text, length, dest, destCapacity, status);
}
static inline const UNormalizer2 *pmark_nfkc(UErrorCode *status) { return unorm2_getNFKCInstance(status); }
static inline int32_t pmark_normalize(const UNormalizer2 *n, const UChar *src, int32_t length, UChar *dest, int32_t cap, UErrorCode *status) {
    return unorm2_normalize(n, src, length, dest, cap, status);
}
static inline const char *pmark_u_errorName(UErrorCode code) { return u_errorName(code); }
#endif
