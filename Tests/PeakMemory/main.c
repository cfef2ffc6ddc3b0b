// peak-memory FILE PROGRAM [ARG...]: runs PROGRAM, writes its peak resident memory in KiB to
// FILE, and exits as PROGRAM did (its exit code, or the signal that ended it).
//
// For the tests' memory bounds. A child that a large process starts with posix_spawn (a vfork)
// shares that process's memory until its exec, and Linux's exec keeps the larger peak: the child
// of a 300 MB test process reports 300 MB however little it uses. Forked from this small process,
// PROGRAM's peak is its own.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: peak-memory FILE PROGRAM [ARG...]\n");
        return 64;
    }
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        perror("peak-memory: fork");
        return 71;
    }
    if (child == 0) {
        // Killed when this process is (the tests' watchdog kills this one).
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        execv(argv[2], argv + 2);
        perror("peak-memory: exec");
        _exit(127);
    }
    // The child's input and output are its own: its reader sees the end when it exits.
    close(0);
    close(1);
    int status;
    struct rusage usage;
    while (wait4(child, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("peak-memory: wait4");
            return 71;
        }
    }
    FILE *file = fopen(argv[1], "w");
    if (file == NULL || fprintf(file, "%ld\n", usage.ru_maxrss) < 0 || fclose(file) != 0) {
        perror("peak-memory: writing the peak");
        return 74;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    // Ended by a signal: end the same way.
    signal(WTERMSIG(status), SIG_DFL);
    raise(WTERMSIG(status));
    return 128 + WTERMSIG(status);
}
