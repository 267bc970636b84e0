/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The libc calls the shim wraps.  Each wrapper costs one predictable branch
 * when the shim has nothing to do, then calls the real function, found with
 * dlsym(RTLD_NEXT) in the constructor (or at first use, should another
 * library's constructor call it before ours has run).  In the constructor,
 * because these run where dlsym must not: _exit in a signal handler, exec in
 * the child of vfork, which shares the parent's memory and locks.
 *
 *   _exit, _Exit      end the conversation first (exitpath.c), as exit does
 *   close, dup2, dup3, close_range, closefrom
 *                     keep the exit descriptor out of the program's reach:
 *                     it is not the program's to close, and a number the
 *                     program asks for by name is given up to it
 *   exec*             an exec that takes the connection away from fds 0 and
 *                     1 ends the conversation first (its exit descriptor is
 *                     close-on-exec, and the new image could not find it);
 *                     under BUFFER=auto, what stdout holds is sent first
 *
 * glibc's own internal calls (exit's _exit, fclose's close, execvp's
 * execve) do not come here; nothing here depends on them.
 */
#include <sys/syscall.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "shim.h"

#define INTERPOSED __attribute__((visibility("default")))

typedef void exit_fn(int);
typedef int close_fn(int);
typedef int dup2_fn(int, int);
typedef int dup3_fn(int, int, int);
typedef int close_range_fn(unsigned, unsigned, int);
typedef int execve_fn(const char *, char *const[], char *const[]);
typedef int execv_fn(const char *, char *const[]);
typedef int fexecve_fn(int, char *const[], char *const[]);
typedef int execveat_fn(int, const char *, char *const[], char *const[], int);

/* The real definitions, found at first use. */
static struct {
	void *exit_lower, *exit_upper, *close, *dup2, *dup3, *close_range;
	void *execve, *execvpe, *execv, *execvp, *fexecve, *execveat;
} real;

#define REAL(type, name) ((type *)real_function(&real.name, #name))

void
resolve_real_functions(void)
{
	static const char *const names[] = { "_exit", "_Exit", "close", "dup2",
	    "dup3", "close_range", "execve", "execvpe", "execv", "execvp",
	    "fexecve", "execveat" };
	void **slots[] = { &real.exit_lower, &real.exit_upper, &real.close, &real.dup2,
	    &real.dup3, &real.close_range, &real.execve, &real.execvpe,
	    &real.execv, &real.execvp, &real.fexecve, &real.execveat };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		real_function(slots[i], names[i]);
}

int
real_close(int fd)
{
	return REAL(close_fn, close)(fd);
}

/* _exit flushes no stdio buffer, but under auto what stdout holds is sent. */
static void __attribute__((noreturn))
end_then(exit_fn *end, int status)
{
	if (autoflush_active) {
		autoflush_stop();
		autoflush_now();
	}
	end_conversation(0);
	if (end != NULL)
		end(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

INTERPOSED void
_exit(int status)
{
	end_then((exit_fn *)real_function(&real.exit_lower, "_exit"), status);
}

/* Its name is reserved to the implementation, which is what it interposes. */
INTERPOSED void
_Exit(int status)	/* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
{
	end_then((exit_fn *)real_function(&real.exit_upper, "_Exit"), status);
}

INTERPOSED int
close(int fd)
{
	if (fd == exit_fd_number() && fd != -1) {
		errno = EBADF;
		return -1;
	}
	return REAL(close_fn, close)(fd);
}

INTERPOSED int
dup2(int oldfd, int newfd)
{
	if (newfd == exit_fd_number() && newfd != -1 && move_exit_fd() == -1)
		return -1;
	return REAL(dup2_fn, dup2)(oldfd, newfd);
}

INTERPOSED int
dup3(int oldfd, int newfd, int flags)
{
	if (newfd == exit_fd_number() && newfd != -1 && move_exit_fd() == -1)
		return -1;
	return REAL(dup3_fn, dup3)(oldfd, newfd, flags);
}

/*
 * A range that covers the exit descriptor is closed around it.  glibc's
 * names: musl (1.2.3) has neither, nor execveat, and a program there can
 * reach them only by syscall(2), which no preload sees.
 */
#ifdef __GLIBC__
INTERPOSED int
close_range(unsigned first, unsigned last, int flags)
{
	int fd = exit_fd_number();

	if (fd == -1 || (unsigned)fd < first || (unsigned)fd > last ||
	    (flags & CLOSE_RANGE_CLOEXEC))
		return REAL(close_range_fn, close_range)(first, last, flags);
	if ((unsigned)fd > first && REAL(close_range_fn, close_range)(first, (unsigned)fd - 1, flags) == -1)
		return -1;
	if ((unsigned)fd < last)
		return REAL(close_range_fn, close_range)((unsigned)fd + 1, last, flags);
	return 0;
}

INTERPOSED void
closefrom(int lowfd)
{
	close_range(lowfd < 0 ? 0 : (unsigned)lowfd, ~0U, 0);
}
#endif

static void
before_exec(void)
{
	if (autoflush_active)
		autoflush_now();
	end_conversation_before_exec();
}

INTERPOSED int
execve(const char *path, char *const argv[], char *const envp[])
{
	before_exec();
	return REAL(execve_fn, execve)(path, argv, envp);
}

INTERPOSED int
execv(const char *path, char *const argv[])
{
	before_exec();
	return REAL(execv_fn, execv)(path, argv);
}

INTERPOSED int
execvp(const char *file, char *const argv[])
{
	before_exec();
	return REAL(execv_fn, execvp)(file, argv);
}

INTERPOSED int
execvpe(const char *file, char *const argv[], char *const envp[])
{
	before_exec();
	return REAL(execve_fn, execvpe)(file, argv, envp);
}

INTERPOSED int
fexecve(int fd, char *const argv[], char *const envp[])
{
	before_exec();
	return REAL(fexecve_fn, fexecve)(fd, argv, envp);
}

#ifdef __GLIBC__
INTERPOSED int
execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
    int flags)
{
	before_exec();
	return REAL(execveat_fn, execveat)(dirfd, path, argv, envp, flags);
}
#endif

/*
 * execl, execle, execlp: the list becomes an array, as glibc does, and goes
 * to the real array form (not back through our wrapper).  The list is
 * bounded by ARG_MAX, so the array fits on the stack.
 */
static size_t
count_arguments(const char *first, va_list list)
{
	size_t count = 0;

	for (const char *arg = first; arg != NULL; arg = va_arg(list, const char *))
		count++;
	return count;
}

static void
take_arguments(const char *first, va_list list, char **argv, size_t count)
{
	argv[0] = (char *)first;
	for (size_t i = 1; i <= count; i++)
		argv[i] = i < count ? va_arg(list, char *) : NULL;
	if (count > 0)
		(void)va_arg(list, char *);	/* the terminating NULL */
}

#define LIST_TO_ARRAY(first, argv, list) do {				\
	va_list counting;						\
	size_t count;							\
	va_start(list, first);						\
	va_copy(counting, list);					\
	count = count_arguments(first, counting);			\
	va_end(counting);						\
	(argv) = __builtin_alloca((count + 1) * sizeof(char *));	\
	take_arguments(first, list, argv, count);			\
} while (0)

INTERPOSED int
execl(const char *path, const char *arg, ...)
{
	va_list list;
	char **argv;

	LIST_TO_ARRAY(arg, argv, list);
	va_end(list);
	before_exec();
	return REAL(execv_fn, execv)(path, argv);
}

INTERPOSED int
execlp(const char *file, const char *arg, ...)
{
	va_list list;
	char **argv;

	LIST_TO_ARRAY(arg, argv, list);
	va_end(list);
	before_exec();
	return REAL(execv_fn, execvp)(file, argv);
}

INTERPOSED int
execle(const char *path, const char *arg, ...)
{
	va_list list;
	char **argv, **envp;

	LIST_TO_ARRAY(arg, argv, list);
	envp = va_arg(list, char **);
	va_end(list);
	before_exec();
	return REAL(execve_fn, execve)(path, argv, envp);
}
