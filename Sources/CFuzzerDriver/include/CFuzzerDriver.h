#ifndef RPL_FUZZER_DRIVER_H
#define RPL_FUZZER_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver with the test function; -1 when the binary was built without
/// `-sanitize=fuzzer` (libFuzzer absent). See rpl-fuzz/main.swift.
int rpl_fuzz_run(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));

#endif
