#ifndef PMARK_ICU_H
#define PMARK_ICU_H
// pmark's window onto ICU (UTS #39 confusable skeletons and NFKC, spec §10.5).
//
// Only plain C types cross this header: ICU's own headers are included by pmark_icu.c alone.
// Swift's Foundation bundles a private ICU (_FoundationICU) whose enums differ from the system
// ICU's; a module that imported both Foundation and the system headers failed to build
// ("'UErrorCode' has different definitions in different modules"). ICU's C symbols are also
// versioned by macros (uspoof_open -> uspoof_open_72) that Swift cannot see; the C file calls
// them by their unversioned names and compiles against whichever ICU the system has.
#include <stdint.h>

/// Status codes: 0 is success, negative a warning, positive an error (ICU's UErrorCode values).
void *pmark_uspoof_open(int32_t *status);
void pmark_uspoof_close(void *checker);
/// UTS #39 skeleton of `text` (UTF-16) into `dest`; returns its length (may exceed capacity).
int32_t pmark_uspoof_getSkeleton(const void *checker, const uint16_t *text, int32_t length,
                                 uint16_t *dest, int32_t destCapacity, int32_t *status);
const void *pmark_nfkc(int32_t *status);
int32_t pmark_normalize(const void *normalizer, const uint16_t *src, int32_t length, uint16_t *dest,
                        int32_t capacity, int32_t *status);
#endif
