#include "CFuzzerDriver.h"

// libFuzzer's entry point when the program has its own main. Weak: an ordinary build (no
// -sanitize=fuzzer) links without libFuzzer, and rpl_fuzz_run then says so instead of failing.
extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size))
    __attribute__((weak));

int rpl_fuzz_run(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size)) {
    if (LLVMFuzzerRunDriver == 0) return -1;
    return LLVMFuzzerRunDriver(argc, argv, test);
}
