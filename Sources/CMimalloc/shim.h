// mimalloc (Debian's libmimalloc-dev): serve's allocator. Ahead of libc.so.6 among the libraries
// rpl-serve needs (the C compiler's driver puts -lc last), its malloc and free are the process's,
// as with LD_PRELOAD (see Package.swift, rpl-serve; Serve.swift's Allocator says which is in use).
#include <mimalloc.h>
