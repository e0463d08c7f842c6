/*
 * subreaper PROGRAM [ARGS...]
 *
 * Runs PROGRAM (libvirtd in the foreground) as the child of a child
 * subreaper. PID 1 on our test machines reaps orphans only every ~2 s, and
 * libvirt waits for QEMU's pid to vanish, so `virsh destroy` would take
 * ~1.8 s and a killed backend would linger as a zombie that still looks
 * alive. Here every orphaned descendant (QEMU, pvgpu-backend) is reparented
 * to us and reaped at once.
 *
 * SIGTERM, SIGINT, SIGHUP and SIGQUIT are forwarded to PROGRAM. When
 * PROGRAM exits, we keep reaping until no descendant is left (QEMU and the
 * backends outlive a libvirtd restart), then exit with PROGRAM's status.
 *
 * Exit codes: PROGRAM's exit status, 128+N if it died of signal N,
 * 125 on a setup error, 127 if PROGRAM could not be executed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int exit_code_of(int status)
{
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return 128 + WTERMSIG(status);
}

/* Reaps every exited child; returns 0 once no child is left, else 1. */
static int reap_children(pid_t program, int *program_status, int *program_done)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);

        if (pid == 0) {
            return 1;
        }
        if (pid < 0) {
            if (errno == EINTR) {
                continue;
            }
            return 0; /* ECHILD: nothing left to wait for */
        }
        if (pid == program) {
            *program_status = status;
            *program_done = 1;
        }
    }
}

int main(int argc, char **argv)
{
    static const int handled_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT };
    sigset_t handled, saved;
    pid_t program;
    int program_status = 0;
    int program_done = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s PROGRAM [ARGS...]\n", argv[0]);
        return 125;
    }

    sigemptyset(&handled);
    for (size_t i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]); i++) {
        sigaddset(&handled, handled_signals[i]);
    }
    if (sigprocmask(SIG_BLOCK, &handled, &saved) != 0) {
        fprintf(stderr, "subreaper: sigprocmask: %s\n", strerror(errno));
        return 125;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "subreaper: PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
        return 125;
    }

    program = fork();
    if (program < 0) {
        fprintf(stderr, "subreaper: fork: %s\n", strerror(errno));
        return 125;
    }
    if (program == 0) {
        sigprocmask(SIG_SETMASK, &saved, NULL);
        execvp(argv[1], argv + 1);
        fprintf(stderr, "subreaper: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }

    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&handled, &info);

        if (sig < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "subreaper: sigwaitinfo: %s\n", strerror(errno));
            return 125;
        }
        if (sig != SIGCHLD) {
            if (!program_done) {
                kill(program, sig);
            }
            continue;
        }
        if (!reap_children(program, &program_status, &program_done)) {
            return program_done ? exit_code_of(program_status) : 125;
        }
    }
}
