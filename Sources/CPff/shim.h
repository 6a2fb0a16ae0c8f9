// libpff.h includes libbfio.h when LIBPFF_HAVE_BFIO is set; pmark opens files by name only,
// so the BFIO handle functions (and the libbfio-dev headers) are left out.
#include <libpff/features.h>
#undef LIBPFF_HAVE_BFIO
#include <libpff.h>
