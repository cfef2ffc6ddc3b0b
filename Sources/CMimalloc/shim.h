// mimalloc (Debian's libmimalloc-dev): serve's allocator. Linked before the C library, its malloc
// and free are the process's, as with LD_PRELOAD (see Package.swift, rpl-serve).
#include <mimalloc.h>
