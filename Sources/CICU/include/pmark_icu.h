#ifndef PMARK_ICU_H
#define PMARK_ICU_H
#include <stdint.h>
// The ICU calls Markings needs, behind plain C types. ICU's own headers stay inside shim.c:
// exposed to Swift they clash with the ICU copy Foundation carries ("UErrorCode has different
// definitions in different modules"), so any module importing both Foundation and Markings
// failed to build from clean. ICU's C symbols are versioned by macros (uspoof_open ->
// uspoof_open_72); shim.c is compiled against whichever ICU the system has.
// Status values are ICU's UErrorCode: 0 is U_ZERO_ERROR, > 0 a failure, < 0 a warning.
void *pmark_uspoof_open(int32_t *status);
void pmark_uspoof_close(void *checker);
/// UTS #39 skeleton of `text` (UTF-16) into `dest`; returns its length (may exceed capacity).
int32_t pmark_uspoof_getSkeleton(const void *checker, const uint16_t *text, int32_t length, uint16_t *dest, int32_t destCapacity, int32_t *status);
const void *pmark_nfkc(int32_t *status);
int32_t pmark_normalize(const void *normalizer, const uint16_t *src, int32_t length, uint16_t *dest, int32_t capacity, int32_t *status);
const char *pmark_u_errorName(int32_t code);
#endif
