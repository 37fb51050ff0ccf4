/* The scanner is header-only (see include/line_scan.h); a C target needs one source file. */
#include "line_scan.h"
