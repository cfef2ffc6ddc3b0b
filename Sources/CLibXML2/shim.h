// libxml2 for the FHIR XML reader. Debian's libxml2 is built with ICU and Foundation brings its
// own ICU: in debug builds both define UErrorCode, so ICU support is hidden before the headers.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <libxml/tree.h>
#include <libxml/globals.h>
#include <libxml/parserInternals.h>

// The byte offset in the document of the parser's position (the XML reader's SAX path takes a
// narrative's source text by it: the input is UTF-8, which libxml2 keeps unconverted).
static inline long rpl_xml_position(xmlParserCtxtPtr ctxt) {
    if (ctxt == NULL || ctxt->input == NULL || ctxt->input->cur == NULL || ctxt->input->base == NULL) return -1;
    return (long)ctxt->input->consumed + (long)(ctxt->input->cur - ctxt->input->base);
}

// Whether the parser took its input as UTF-8 without converting it (a memory parser detects
// UTF-16 from the first bytes, where the streaming reader is told UTF-8).
static inline int rpl_xml_unconverted(xmlParserCtxtPtr ctxt) {
    return ctxt != NULL && ctxt->input != NULL && (ctxt->input->buf == NULL || ctxt->input->buf->encoder == NULL);
}

// libxml2 prints some messages (e.g. "xmlParseChunk: encoder error") through its generic error
// function, which is variadic and so cannot be written in Swift. This one drops them; every error
// the program reports comes through its own error path. Set for this thread and as the default
// for threads that use libxml2 later.
static void rpl_xml_ignore_generic(void *context, const char *message, ...) {
    (void)context;
    (void)message;
}

static void rpl_xml_ignore_structured(void *context, xmlErrorPtr error) {
    (void)context;
    (void)error;
}

static inline void rpl_xml_silence(void) {
    xmlSetGenericErrorFunc(NULL, rpl_xml_ignore_generic);
    xmlThrDefSetGenericErrorFunc(NULL, rpl_xml_ignore_generic);
    xmlSetStructuredErrorFunc(NULL, rpl_xml_ignore_structured);
    xmlThrDefSetStructuredErrorFunc(NULL, rpl_xml_ignore_structured);
}
