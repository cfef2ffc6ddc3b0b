// libxml2 for the FHIR XML reader. Debian's libxml2 is built with ICU and Foundation brings its
// own ICU: in debug builds both define UErrorCode, so ICU support is hidden before the headers.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/tree.h>
