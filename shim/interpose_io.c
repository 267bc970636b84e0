/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The calls SOCKREDIR_BUFFER=auto watches (see autoflush.c), and those that
 * keep stdout and stderr in order when both are the connection (stderr.c).
 * Otherwise, or with the shim inactive, each costs one predictable branch
 * before the real call.  The real definitions are looked up at first use.
 *
 *   waits       flush first: input and readiness (read, recv*, poll,
 *               select, epoll_wait* ...; not with a zero timeout), time,
 *               children and signals (sleep, nanosleep, wait*, sigwait* ...),
 *               fork, vfork, spawn, system, popen, pclose
 *   stdio input flush first, unless the stream's buffer already holds what
 *               the call needs (a line for fgets and getline, a byte for
 *               getc, the count for fread); scanf always, since it may want
 *               more than the line it has (it leaves the newline behind)
 *   writes      to a descriptor of the connection: stdout's bytes first
 *   output      to stdio: arm the idle flush; without stdout's lock
 *               (*_unlocked, __overflow, __fsetlocking): keep the flusher away
 *
 * and, with SOCKREDIR_STDERR=connection (stderr.c), in every buffering:
 *
 *   output      to stdout or stderr (and libc's perror, warn, err, psignal):
 *               what the other of the two holds is sent first
 *   writes      to a descriptor of the connection, fd 2 included: what
 *               both hold is sent first
 *
 * Names are those compilers emit too: __isoc99_*, *_chk, __getdelim, and
 * __uflow and __overflow, which the inline getc_unlocked and putc_unlocked
 * of glibc's headers call when their buffer is empty or full.  These are
 * glibc's alone and are wrapped only under __GLIBC__: musl's headers emit
 * none of them (no fortified or inline stdio), so a musl program calls the
 * plain names, which are wrapped on both.  What differs between the two
 * inside the libc is a table in sockredir(7), PLATFORMS.
 */
/*
 * Our read, printf, getc_unlocked ... must not meet the inline and fortified
 * definitions glibc's headers give them when optimizing.
 */
#undef _FORTIFY_SOURCE
#ifndef __NO_INLINE__
#define __NO_INLINE__ 1
#endif

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "shim.h"

#define INTERPOSED __attribute__((visibility("default")))
/* auto, or stdout and stderr both on the connection (stderr.c). */
#define ACTIVE __builtin_expect(autoflush_active | stderr_ordered, 0)
#define AUTO autoflush_active

/* Keeps errno as the program's call left it. */
#define QUIETLY(call) do { int saved_errno = errno; call; errno = saved_errno; } while (0)

#define FLUSH_IF(condition) QUIETLY(if (AUTO && (condition)) autoflush_now())
#define BEFORE_INPUT(stream, need, delim) \
	QUIETLY(if (AUTO) autoflush_before_input((stream), (need), (delim)))
#define BEFORE_WRITE(fd) QUIETLY(if (AUTO) autoflush_before_write(fd); \
	else if (stderr_ordered) order_before_write(fd))
#define ORDER(stream) QUIETLY(if (stderr_ordered) order_before_output(stream))
#define AFTER_OUTPUT QUIETLY(if (AUTO) autoflush_after_output())
#define UNLOCKED QUIETLY(if (AUTO) autoflush_unlocked_output())

/*
 * Each wrapper finds its definition at first use, with dlsym; and lists its
 * slot in the section wrapped_definitions, so that an inetd listener can
 * look them all up once before it forks (resolve_wrapped_functions): else
 * every copy would do the same lookups again, walking every library's
 * symbol tables and faulting their pages in, on its connection's time.
 */
struct wrapped_definition {
	void **slot;
	const char *name;
};

#define LISTED(slot_name, symbol)					\
	static struct wrapped_definition listed_definition		\
	    __attribute__((used, section("wrapped_definitions"))) = { &(slot_name), symbol }

/* The linker's names for the section's ends. */
extern struct wrapped_definition __start_wrapped_definitions[];	/* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
extern struct wrapped_definition __stop_wrapped_definitions[];	/* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

void
resolve_wrapped_functions(void)
{
	for (struct wrapped_definition *d = __start_wrapped_definitions;
	    // cppcheck-suppress comparePointers
	    d < __stop_wrapped_definitions; d++)
		real_function(d->slot, d->name);
}

/* WRAP(type, name, (parameters), (arguments), before, after) */
#define WRAP(type, name, params, args, before, after)			\
INTERPOSED type name params;						\
WRAP_SYMBOL(type, name, #name, params, args, before, after)

#define WRAP_SYMBOL(type, name, symbol, params, args, before, after)	\
INTERPOSED type name params						\
{									\
	static void *definition = NULL;					\
	LISTED(definition, symbol);					\
	type result;							\
									\
	if (ACTIVE) { before; }						\
	/* A type and a parameter list cannot take parentheses: */	\
	result = ((type (*) params)real_function(&definition, symbol)) /* NOLINT(bugprone-macro-parentheses) */ args; \
	if (ACTIVE) { after; }						\
	return result;							\
}

#define NOTHING (void)0
#define WAIT(type, name, params, args) WRAP(type, name, params, args, FLUSH_IF(1), NOTHING)
#define WAIT_UNLESS(type, name, params, args, nonblocking) \
	WRAP(type, name, params, args, FLUSH_IF(!(nonblocking)), NOTHING)
/* Output to STREAM: what the other of stdout and stderr holds goes first. */
#define OUTPUT(type, name, params, args, stream) \
	WRAP(type, name, params, args, ORDER(stream), AFTER_OUTPUT)
#define OUTPUT_UNLOCKED(type, name, params, args, stream) \
	WRAP(type, name, params, args, UNLOCKED; ORDER(stream), AFTER_OUTPUT)

/* recvmmsg's and sendmmsg's flags: int in glibc, unsigned in musl. */
#ifdef __GLIBC__
typedef int mmsg_flags;
#else
typedef unsigned mmsg_flags;
#endif

static int
zero_timespec(const struct timespec *t)
{
	return t != NULL && t->tv_sec == 0 && t->tv_nsec == 0;
}

static int
zero_timeval(const struct timeval *t)
{
	return t != NULL && t->tv_sec == 0 && t->tv_usec == 0;
}

/* Input and readiness. */
WAIT(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n))
#ifdef __GLIBC__
WAIT(ssize_t, __read_chk, (int fd, void *buf, size_t n, size_t buflen), (fd, buf, n, buflen))
#endif
WAIT(ssize_t, readv, (int fd, const struct iovec *iov, int count), (fd, iov, count))
WAIT_UNLESS(ssize_t, recv, (int fd, void *buf, size_t n, int flags), (fd, buf, n, flags),
    flags & MSG_DONTWAIT)
#ifdef __GLIBC__
WAIT_UNLESS(ssize_t, __recv_chk, (int fd, void *buf, size_t n, size_t buflen, int flags),
    (fd, buf, n, buflen, flags), flags & MSG_DONTWAIT)
#endif
WAIT_UNLESS(ssize_t, recvfrom, (int fd, void *buf, size_t n, int flags,
    struct sockaddr *from, socklen_t *fromlen), (fd, buf, n, flags, from, fromlen),
    flags & MSG_DONTWAIT)
#ifdef __GLIBC__
WAIT_UNLESS(ssize_t, __recvfrom_chk, (int fd, void *buf, size_t n, size_t buflen, int flags,
    struct sockaddr *from, socklen_t *fromlen), (fd, buf, n, buflen, flags, from, fromlen),
    flags & MSG_DONTWAIT)
#endif
WAIT_UNLESS(ssize_t, recvmsg, (int fd, struct msghdr *message, int flags),
    (fd, message, flags), flags & MSG_DONTWAIT)
WAIT_UNLESS(int, recvmmsg, (int fd, struct mmsghdr *messages, unsigned count, mmsg_flags flags,
    struct timespec *timeout), (fd, messages, count, flags, timeout),
    (flags & MSG_DONTWAIT) || zero_timespec(timeout))
WAIT_UNLESS(int, poll, (struct pollfd *fds, nfds_t count, int timeout),
    (fds, count, timeout), timeout == 0)
#ifdef __GLIBC__
WAIT_UNLESS(int, __poll_chk, (struct pollfd *fds, nfds_t count, int timeout, size_t fdslen),
    (fds, count, timeout, fdslen), timeout == 0)
#endif
WAIT_UNLESS(int, ppoll, (struct pollfd *fds, nfds_t count, const struct timespec *timeout,
    const sigset_t *mask), (fds, count, timeout, mask), zero_timespec(timeout))
#ifdef __GLIBC__
WAIT_UNLESS(int, __ppoll_chk, (struct pollfd *fds, nfds_t count,
    const struct timespec *timeout, const sigset_t *mask, size_t fdslen),
    (fds, count, timeout, mask, fdslen), zero_timespec(timeout))
#endif
WAIT_UNLESS(int, select, (int count, fd_set *reads, fd_set *writes, fd_set *errors,
    struct timeval *timeout), (count, reads, writes, errors, timeout), zero_timeval(timeout))
WAIT_UNLESS(int, pselect, (int count, fd_set *reads, fd_set *writes, fd_set *errors,
    const struct timespec *timeout, const sigset_t *mask),
    (count, reads, writes, errors, timeout, mask), zero_timespec(timeout))
WAIT_UNLESS(int, epoll_wait, (int epfd, struct epoll_event *events, int count, int timeout),
    (epfd, events, count, timeout), timeout == 0)
WAIT_UNLESS(int, epoll_pwait, (int epfd, struct epoll_event *events, int count, int timeout,
    const sigset_t *mask), (epfd, events, count, timeout, mask), timeout == 0)
#ifdef __GLIBC__
WAIT_UNLESS(int, epoll_pwait2, (int epfd, struct epoll_event *events, int count,
    const struct timespec *timeout, const sigset_t *mask), (epfd, events, count, timeout, mask),
    zero_timespec(timeout))
#endif

/* Time, children, signals. */
WAIT(unsigned, sleep, (unsigned seconds), (seconds))
WAIT(int, usleep, (useconds_t us), (us))
WAIT(int, nanosleep, (const struct timespec *duration, struct timespec *left),
    (duration, left))
WAIT(int, clock_nanosleep, (clockid_t clock, int flags, const struct timespec *until,
    struct timespec *left), (clock, flags, until, left))
WAIT(int, pause, (void), ())
WAIT(int, sigsuspend, (const sigset_t *mask), (mask))
WAIT(int, sigwait, (const sigset_t *set, int *signo), (set, signo))
WAIT(int, sigwaitinfo, (const sigset_t *set, siginfo_t *info), (set, info))
WAIT_UNLESS(int, sigtimedwait, (const sigset_t *set, siginfo_t *info,
    const struct timespec *timeout), (set, info, timeout), zero_timespec(timeout))
WAIT(pid_t, wait, (int *status), (status))
WAIT_UNLESS(pid_t, waitpid, (pid_t pid, int *status, int options), (pid, status, options),
    options & WNOHANG)
WAIT_UNLESS(int, waitid, (idtype_t type, id_t id, siginfo_t *info, int options),
    (type, id, info, options), options & WNOHANG)
WAIT_UNLESS(pid_t, wait3, (int *status, int options, struct rusage *usage),
    (status, options, usage), options & WNOHANG)
WAIT_UNLESS(pid_t, wait4, (pid_t pid, int *status, int options, struct rusage *usage),
    (pid, status, options, usage), options & WNOHANG)

/* New processes: no line twice, none lost. */
WAIT(pid_t, fork, (void), ())
WAIT(int, posix_spawn, (pid_t *pid, const char *path,
    const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attributes,
    char *const argv[], char *const envp[]), (pid, path, actions, attributes, argv, envp))
WAIT(int, posix_spawnp, (pid_t *pid, const char *file,
    const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attributes,
    char *const argv[], char *const envp[]), (pid, file, actions, attributes, argv, envp))
WAIT(int, system, (const char *command), (command))
WAIT(FILE *, popen, (const char *command, const char *type), (command, type))
/* pclose waits for its child inside the libc, where no wrapper sees it. */
WAIT(int, pclose, (FILE *stream), (stream))

/*
 * vfork cannot be wrapped by a C function: the child would return through
 * the wrapper's frame and the parent find it clobbered.  A stub per
 * architecture calls flush_before_vfork, which flushes and returns the real
 * vfork, then jumps there with the stack and the return address as the
 * caller left them (x86_64 and i386: on the stack; aarch64: in x30, kept
 * on the stack across the call and popped before the jump).  The real vfork
 * then returns straight to the caller, in the child and in the parent.  A
 * stub rather than fork in vfork's place: fork would copy the address
 * space of a large program for each command a shell (dash) runs, and
 * would let the parent run before the child has exec'd.  Elsewhere (no
 * stub) vfork is not wrapped, and auto sends what the parent's stdout holds
 * at the parent's next flush point instead.
 */
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
static void *real_vfork;
static struct wrapped_definition vfork_listed
    __attribute__((used, section("wrapped_definitions"))) = { &real_vfork, "vfork" };
void *flush_before_vfork(void);

void *
flush_before_vfork(void)
{
	if (ACTIVE)
		FLUSH_IF(1);
	return real_function(&real_vfork, "vfork");
}
#endif

#if defined(__x86_64__)
__asm__(".text\n"
    ".globl vfork\n"
    ".type vfork, @function\n"
    "vfork:\n"
    "	sub $8, %rsp\n"
    "	call flush_before_vfork\n"
    "	add $8, %rsp\n"
    "	jmp *%rax\n"
    ".size vfork, .-vfork\n");
#elif defined(__i386__)
__asm__(".text\n"
    ".globl vfork\n"
    ".type vfork, @function\n"
    "vfork:\n"
    "	sub $12, %esp\n"
    "	call flush_before_vfork\n"
    "	add $12, %esp\n"
    "	jmp *%eax\n"
    ".size vfork, .-vfork\n");
#elif defined(__aarch64__)
__asm__(".text\n"
    ".globl vfork\n"
    ".type vfork, %function\n"
    "vfork:\n"
    "	stp x29, x30, [sp, #-16]!\n"
    "	mov x29, sp\n"
    "	bl flush_before_vfork\n"
    "	ldp x29, x30, [sp], #16\n"
    "	br x0\n"
    ".size vfork, .-vfork\n");
#endif

/* stdio input. */
WRAP(char *, fgets, (char *buf, int n, FILE *stream), (buf, n, stream),
    BEFORE_INPUT(stream, n > 1 ? (size_t)n - 1 : 1, '\n'), NOTHING)
WRAP(char *, fgets_unlocked, (char *buf, int n, FILE *stream), (buf, n, stream),
    BEFORE_INPUT(stream, n > 1 ? (size_t)n - 1 : 1, '\n'), NOTHING)
#ifdef __GLIBC__
WRAP(char *, __fgets_chk, (char *buf, size_t buflen, int n, FILE *stream),
    (buf, buflen, n, stream), BEFORE_INPUT(stream, n > 1 ? (size_t)n - 1 : 1, '\n'), NOTHING)
WRAP(char *, __fgets_unlocked_chk, (char *buf, size_t buflen, int n, FILE *stream),
    (buf, buflen, n, stream), BEFORE_INPUT(stream, n > 1 ? (size_t)n - 1 : 1, '\n'), NOTHING)
#endif
WRAP(ssize_t, getline, (char **line, size_t *size, FILE *stream), (line, size, stream),
    BEFORE_INPUT(stream, 0, '\n'), NOTHING)
WRAP(ssize_t, getdelim, (char **line, size_t *size, int delim, FILE *stream),
    (line, size, delim, stream), BEFORE_INPUT(stream, 0, delim), NOTHING)
#ifdef __GLIBC__
WRAP(ssize_t, __getdelim, (char **line, size_t *size, int delim, FILE *stream),
    (line, size, delim, stream), BEFORE_INPUT(stream, 0, delim), NOTHING)
WRAP(int, _IO_getc, (FILE *stream), (stream), BEFORE_INPUT(stream, 1, -1), NOTHING)
#endif
WRAP(int, getc, (FILE *stream), (stream), BEFORE_INPUT(stream, 1, -1), NOTHING)
WRAP(int, fgetc, (FILE *stream), (stream), BEFORE_INPUT(stream, 1, -1), NOTHING)
WRAP(int, getc_unlocked, (FILE *stream), (stream), BEFORE_INPUT(stream, 1, -1), NOTHING)
WRAP(int, fgetc_unlocked, (FILE *stream), (stream), BEFORE_INPUT(stream, 1, -1), NOTHING)
WRAP(int, getchar, (void), (), BEFORE_INPUT(stdin, 1, -1), NOTHING)
WRAP(int, getchar_unlocked, (void), (), BEFORE_INPUT(stdin, 1, -1), NOTHING)
WRAP(size_t, fread, (void *buf, size_t size, size_t n, FILE *stream), (buf, size, n, stream),
    BEFORE_INPUT(stream, size * n, -1), NOTHING)
WRAP(size_t, fread_unlocked, (void *buf, size_t size, size_t n, FILE *stream),
    (buf, size, n, stream), BEFORE_INPUT(stream, size * n, -1), NOTHING)
#ifdef __GLIBC__
WRAP(size_t, __fread_chk, (void *buf, size_t buflen, size_t size, size_t n, FILE *stream),
    (buf, buflen, size, n, stream), BEFORE_INPUT(stream, size * n, -1), NOTHING)
WRAP(size_t, __fread_unlocked_chk, (void *buf, size_t buflen, size_t size, size_t n,
    FILE *stream), (buf, buflen, size, n, stream), BEFORE_INPUT(stream, size * n, -1), NOTHING)
WAIT(int, __uflow, (FILE *stream), (stream))
WAIT(int, __underflow, (FILE *stream), (stream))
#endif
WAIT(wint_t, fgetwc, (FILE *stream), (stream))
WAIT(wint_t, getwc, (FILE *stream), (stream))
WAIT(wint_t, getwchar, (void), ())
WAIT(wchar_t *, fgetws, (wchar_t *buf, int n, FILE *stream), (buf, n, stream))

/*
 * In C99 mode glibc's headers send scanf to __isoc99_scanf; the plain names
 * are the old symbols, which old binaries still call (and musl's only ones).
 */
INTERPOSED int old_vscanf(const char *format, va_list list) __asm__("vscanf");
INTERPOSED int old_vfscanf(FILE *stream, const char *format, va_list list) __asm__("vfscanf");
INTERPOSED int old_scanf(const char *format, ...) __asm__("scanf");
INTERPOSED int old_fscanf(FILE *stream, const char *format, ...) __asm__("fscanf");
WRAP_SYMBOL(int, old_vscanf, "vscanf", (const char *format, va_list list), (format, list),
    FLUSH_IF(1), NOTHING)
WRAP_SYMBOL(int, old_vfscanf, "vfscanf", (FILE *stream, const char *format, va_list list),
    (stream, format, list), FLUSH_IF(1), NOTHING)
#ifdef __GLIBC__
WAIT(int, __isoc99_vscanf, (const char *format, va_list list), (format, list))
WAIT(int, __isoc99_vfscanf, (FILE *stream, const char *format, va_list list),
    (stream, format, list))
#endif

/* Direct writes: to the connection, after what stdout holds. */
WRAP(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n),
    BEFORE_WRITE(fd), NOTHING)
WRAP(ssize_t, writev, (int fd, const struct iovec *iov, int count), (fd, iov, count),
    BEFORE_WRITE(fd), NOTHING)
WRAP(ssize_t, send, (int fd, const void *buf, size_t n, int flags), (fd, buf, n, flags),
    BEFORE_WRITE(fd), NOTHING)
WRAP(ssize_t, sendto, (int fd, const void *buf, size_t n, int flags,
    const struct sockaddr *to, socklen_t tolen), (fd, buf, n, flags, to, tolen),
    BEFORE_WRITE(fd), NOTHING)
WRAP(ssize_t, sendmsg, (int fd, const struct msghdr *message, int flags),
    (fd, message, flags), BEFORE_WRITE(fd), NOTHING)
WRAP(int, sendmmsg, (int fd, struct mmsghdr *messages, unsigned count, mmsg_flags flags),
    (fd, messages, count, flags), BEFORE_WRITE(fd), NOTHING)
WRAP(ssize_t, sendfile, (int out, int in, off_t *offset, size_t n), (out, in, offset, n),
    BEFORE_WRITE(out), NOTHING)
#ifdef __GLIBC__
/* (musl's header makes sendfile64 a macro for sendfile) */
WRAP(ssize_t, sendfile64, (int out, int in, off64_t *offset, size_t n),
    (out, in, offset, n), BEFORE_WRITE(out), NOTHING)
WRAP(int, __vdprintf_chk, (int fd, int flag, const char *format, va_list list),
    (fd, flag, format, list), BEFORE_WRITE(fd), NOTHING)
#endif
WRAP(int, vdprintf, (int fd, const char *format, va_list list), (fd, format, list),
    BEFORE_WRITE(fd), NOTHING)

/*
 * stdio output.  The *_unlocked forms, and __overflow (called by the inline
 * putc_unlocked of glibc's headers), write without stdout's lock: the idle
 * flusher must then keep away (autoflush.c).
 */
WRAP(int, fflush_unlocked, (FILE *stream), (stream), UNLOCKED, NOTHING)
WRAP(int, __fsetlocking, (FILE *stream, int type), (stream, type),
    QUIETLY(if (type == FSETLOCKING_BYCALLER) autoflush_unlocked_output()), NOTHING)
OUTPUT(int, puts, (const char *text), (text), stdout)
OUTPUT(int, fputs, (const char *text, FILE *stream), (text, stream), stream)
OUTPUT_UNLOCKED(int, fputs_unlocked, (const char *text, FILE *stream), (text, stream),
    stream)
OUTPUT(int, fputc, (int c, FILE *stream), (c, stream), stream)
OUTPUT_UNLOCKED(int, fputc_unlocked, (int c, FILE *stream), (c, stream), stream)
OUTPUT(int, putc, (int c, FILE *stream), (c, stream), stream)
#ifdef __GLIBC__
OUTPUT(int, _IO_putc, (int c, FILE *stream), (c, stream), stream)
OUTPUT_UNLOCKED(int, __overflow, (FILE *stream, int c), (stream, c), stream)
OUTPUT(int, __vprintf_chk, (int flag, const char *format, va_list list), (flag, format, list),
    stdout)
OUTPUT(int, __vfprintf_chk, (FILE *stream, int flag, const char *format, va_list list),
    (stream, flag, format, list), stream)
#endif
OUTPUT_UNLOCKED(int, putc_unlocked, (int c, FILE *stream), (c, stream), stream)
OUTPUT(int, putchar, (int c), (c), stdout)
OUTPUT_UNLOCKED(int, putchar_unlocked, (int c), (c), stdout)
OUTPUT(size_t, fwrite, (const void *buf, size_t size, size_t n, FILE *stream),
    (buf, size, n, stream), stream)
OUTPUT_UNLOCKED(size_t, fwrite_unlocked, (const void *buf, size_t size, size_t n,
    FILE *stream), (buf, size, n, stream), stream)
OUTPUT(int, vprintf, (const char *format, va_list list), (format, list), stdout)
OUTPUT(int, vfprintf, (FILE *stream, const char *format, va_list list),
    (stream, format, list), stream)
OUTPUT(wint_t, fputwc, (wchar_t c, FILE *stream), (c, stream), stream)
OUTPUT(wint_t, putwc, (wchar_t c, FILE *stream), (c, stream), stream)
OUTPUT(wint_t, putwchar, (wchar_t c), (c), stdout)
OUTPUT(int, fputws, (const wchar_t *text, FILE *stream), (text, stream), stream)
OUTPUT(int, vwprintf, (const wchar_t *format, va_list list), (format, list), stdout)
OUTPUT(int, vfwprintf, (FILE *stream, const wchar_t *format, va_list list),
    (stream, format, list), stream)

/*
 * The variadic ones pass their list to the v-form of the same family (the
 * real one, not our wrapper), which is what glibc does itself.
 */
#define VARIADIC(type, name, params, last, vname, vparams, vargs, before, after) \
INTERPOSED type name params;						\
VARIADIC_SYMBOL(type, name, params, last, vname, vparams, vargs, before, after)

#define VARIADIC_SYMBOL(type, name, params, last, vname, vparams, vargs, before, after) \
INTERPOSED type name params						\
{									\
	static void *definition = NULL;					\
	LISTED(definition, #vname);					\
	va_list list;							\
	type result;							\
									\
	if (ACTIVE) { before; }						\
	va_start(list, last);						\
	result = ((type (*) vparams)real_function(&definition, #vname)) /* NOLINT(bugprone-macro-parentheses) */ vargs; \
	va_end(list);							\
	if (ACTIVE) { after; }						\
	return result;							\
}

VARIADIC(int, printf, (const char *format, ...), format, vprintf,
    (const char *, va_list), (format, list), ORDER(stdout), AFTER_OUTPUT)
VARIADIC(int, fprintf, (FILE *stream, const char *format, ...), format, vfprintf,
    (FILE *, const char *, va_list), (stream, format, list), ORDER(stream), AFTER_OUTPUT)
#ifdef __GLIBC__
VARIADIC(int, __printf_chk, (int flag, const char *format, ...), format, __vprintf_chk,
    (int, const char *, va_list), (flag, format, list), ORDER(stdout), AFTER_OUTPUT)
VARIADIC(int, __fprintf_chk, (FILE *stream, int flag, const char *format, ...), format,
    __vfprintf_chk, (FILE *, int, const char *, va_list), (stream, flag, format, list),
    ORDER(stream), AFTER_OUTPUT)
#endif
VARIADIC(int, wprintf, (const wchar_t *format, ...), format, vwprintf,
    (const wchar_t *, va_list), (format, list), ORDER(stdout), AFTER_OUTPUT)
VARIADIC(int, fwprintf, (FILE *stream, const wchar_t *format, ...), format, vfwprintf,
    (FILE *, const wchar_t *, va_list), (stream, format, list), ORDER(stream), AFTER_OUTPUT)
VARIADIC(int, dprintf, (int fd, const char *format, ...), format, vdprintf,
    (int, const char *, va_list), (fd, format, list), BEFORE_WRITE(fd), NOTHING)
#ifdef __GLIBC__
VARIADIC(int, __dprintf_chk, (int fd, int flag, const char *format, ...), format,
    __vdprintf_chk, (int, int, const char *, va_list), (fd, flag, format, list),
    BEFORE_WRITE(fd), NOTHING)
#endif
VARIADIC_SYMBOL(int, old_scanf, (const char *format, ...), format, vscanf,
    (const char *, va_list), (format, list), FLUSH_IF(1), NOTHING)
VARIADIC_SYMBOL(int, old_fscanf, (FILE *stream, const char *format, ...), format, vfscanf,
    (FILE *, const char *, va_list), (stream, format, list), FLUSH_IF(1), NOTHING)
#ifdef __GLIBC__
VARIADIC(int, __isoc99_scanf, (const char *format, ...), format, __isoc99_vscanf,
    (const char *, va_list), (format, list), FLUSH_IF(1), NOTHING)
VARIADIC(int, __isoc99_fscanf, (FILE *stream, const char *format, ...), format,
    __isoc99_vfscanf, (FILE *, const char *, va_list), (stream, format, list),
    FLUSH_IF(1), NOTHING)
#endif

/*
 * libc's own writers of stderr (stderr.c): what stdout holds goes first.
 * perror writes through a stream of its own on a duplicate of fd 2, so
 * what stderr holds goes first too.  err and verr end the process.
 */
#define STDERR_WRITER(name, params, args, before)			\
INTERPOSED void name params;						\
INTERPOSED void name params						\
{									\
	static void *definition = NULL;					\
									\
	if (ACTIVE) { before; }						\
	((void (*) params)real_function(&definition, #name)) /* NOLINT(bugprone-macro-parentheses) */ args; \
}

#define STDERR_VARIADIC(name, params, last, vname, vparams, vargs)	\
INTERPOSED void name params;						\
INTERPOSED void name params						\
{									\
	static void *definition = NULL;					\
	va_list list;							\
									\
	if (ACTIVE) { ORDER(stderr); }					\
	va_start(list, last);						\
	((void (*) vparams)real_function(&definition, #vname)) /* NOLINT(bugprone-macro-parentheses) */ vargs; \
	va_end(list);							\
}

STDERR_WRITER(perror, (const char *text), (text),
    QUIETLY(if (stderr_ordered) order_send_both()))
STDERR_WRITER(psignal, (int signo, const char *text), (signo, text), ORDER(stderr))
STDERR_WRITER(psiginfo, (const siginfo_t *info, const char *text), (info, text),
    ORDER(stderr))
STDERR_WRITER(vwarn, (const char *format, va_list list), (format, list), ORDER(stderr))
STDERR_WRITER(vwarnx, (const char *format, va_list list), (format, list), ORDER(stderr))
STDERR_WRITER(verr, (int status, const char *format, va_list list), (status, format, list),
    ORDER(stderr))
STDERR_WRITER(verrx, (int status, const char *format, va_list list), (status, format, list),
    ORDER(stderr))
STDERR_VARIADIC(warn, (const char *format, ...), format, vwarn, (const char *, va_list),
    (format, list))
STDERR_VARIADIC(warnx, (const char *format, ...), format, vwarnx, (const char *, va_list),
    (format, list))
STDERR_VARIADIC(err, (int status, const char *format, ...), format, verr,
    (int, const char *, va_list), (status, format, list))
STDERR_VARIADIC(errx, (int status, const char *format, ...), format, verrx,
    (int, const char *, va_list), (status, format, list))
