#include <libxml/xmlversion.h>
/* Debian's libxml2 is built with ICU; its encoding.h then includes the system ICU headers, which
   clash with the ICU copy Foundation carries. pmark uses no ICU-specific libxml2 API (the ICU
   fields only change a struct pmark never touches), so the headers are read without them. */
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlreader.h>
#include <libxml/parser.h>
