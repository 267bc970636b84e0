/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SOCKREDIR_BUFFER=auto: stdout is fully buffered, and whatever it holds is
 * sent before the program could be waiting on its peer or could lose it.
 * The wrappers in interpose_io.c call in here at those moments: before a
 * wait for input, readiness, time, a child or a signal; before fork, spawn
 * and exec; before _exit; before a direct write to the connection.  What
 * none of these sends (a progress line of a long computation) is sent by a
 * helper thread once it has waited IDLE_FLUSH_MS.
 *
 * With SOCKREDIR_STDERR=connection, stderr's partial line (a prompt) is
 * sent at the same moments as stdout's bytes, and by the same thread.
 *
 * The thread is started at the first output that needs it, not at start-up
 * (creating a thread costs about 0.25 ms); it waits on a condition variable,
 * so it uses no CPU while nothing is pending, and it sends no signal to the
 * program.  It blocks every signal, so the program's signals still reach the
 * program's own threads.  It never waits for stdout's lock while holding its
 * own (ftrylockfile), so a program that holds stdout cannot deadlock with it.
 * glibc's exit flushes stdio without taking the stream lock, so the thread is
 * stopped before that (autoflush_stop, from the exit path's atexit handler,
 * registered before main).
 *
 * Many programs write stdout without its lock: GNU coreutils, sed and grep
 * (gnulib's unlocked-io.h turns every call into its *_unlocked form), and
 * every inline putc_unlocked.  Beside them the thread could not flush
 * without racing the program over the buffer, so once the program is seen
 * doing that (autoflush_unlocked_output), the thread flushes no more: such
 * programs get every flush but the idle one.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

#define IDLE_FLUSH_MS 10

int autoflush_active;

static struct stream_id connection;
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_wake;
static atomic_llong pending_since_ns;	/* 0: nothing pending */
static atomic_int flusher_asleep;	/* in an untimed wait: must be woken */
static atomic_int unlocked_stdio;	/* the program writes stdout without its lock */
static int flusher_started, flusher_stopping;

/*
 * Rounds of IDLE_FLUSH_MS the thread keeps watching after the last pending
 * output before it sleeps until woken: a dialog arms the idle flush at
 * every reply, and waking a sleeping thread each time would cost more than
 * the reply.  An idle program sees that many wake-ups, then none.
 */
#define WATCH_ROUNDS 3

static long long
now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* What stdout holds, and stderr when it is on the connection too (stderr.c). */
static size_t
pending_bytes(void)
{
	return __fpending(stdout) + (stderr_ordered ? __fpending(stderr) : 0);
}

/*
 * With stdout's lock held (and stderr's, WITH_STDERR): send what is
 * pending, stderr's partial line first (it is the older, see stderr.c), and
 * say whether any is left.  fflush takes the lock again, which is allowed
 * (it is recursive), and unlike fflush_unlocked it is not one of our
 * wrappers: nothing here may call a function this library wraps
 * (interpose_io.c).
 */
static void
flush_locked(int with_stderr)
{
	if (with_stderr && __fpending(stderr) > 0)
		fflush(stderr);
	if (__fpending(stdout) > 0)
		fflush(stdout);
	atomic_store(&pending_since_ns, pending_bytes() > 0 ? now_ns() : 0);
}

/* stderr's lock only tried: a thread busy with stderr sends its line itself. */
void
autoflush_now(void)
{
	int with_stderr;

	if (atomic_load_explicit(&pending_since_ns, memory_order_relaxed) == 0 &&
	    pending_bytes() == 0)
		return;
	flockfile(stdout);
	with_stderr = stderr_ordered && ftrylockfile(stderr) == 0;
	flush_locked(with_stderr);
	if (with_stderr)
		funlockfile(stderr);
	funlockfile(stdout);
}

static void
wait_until_ns(long long due)
{
	struct timespec until = { (time_t)(due / 1000000000LL), (long)(due % 1000000000LL) };

	pthread_cond_timedwait(&idle_wake, &idle_lock, &until);
}

/* Both locks while either is flushed: a write waits for us (stderr.c). */
static int
try_lock_output(void)
{
	if (ftrylockfile(stdout) != 0)
		return -1;
	if (stderr_ordered && ftrylockfile(stderr) != 0) {
		funlockfile(stdout);
		return -1;
	}
	return 0;
}

static void *
idle_flusher(void *unused)
{
	int idle_rounds = 0;

	(void)unused;
	pthread_mutex_lock(&idle_lock);
	while (!flusher_stopping) {
		long long since = atomic_load(&pending_since_ns), due;

		if (since == 0 && idle_rounds < WATCH_ROUNDS) {
			idle_rounds++;
			wait_until_ns(now_ns() + IDLE_FLUSH_MS * 1000000LL);
			continue;
		}
		if (since == 0 || atomic_load(&unlocked_stdio)) {
			/* Said before looking again, so that an arm in between is seen. */
			atomic_store(&flusher_asleep, 1);
			if (atomic_load(&pending_since_ns) == 0 || atomic_load(&unlocked_stdio))
				pthread_cond_wait(&idle_wake, &idle_lock);
			atomic_store(&flusher_asleep, 0);
			continue;
		}
		idle_rounds = 0;
		due = since + IDLE_FLUSH_MS * 1000000LL;
		if (now_ns() < due) {
			wait_until_ns(due);
			continue;
		}
		if (try_lock_output() != 0) {
			/* The program is using stdout right now: look again soon. */
			wait_until_ns(now_ns() + 1000000LL);
			continue;
		}
		flush_locked(stderr_ordered);
		if (stderr_ordered)
			funlockfile(stderr);
		funlockfile(stdout);
	}
	pthread_mutex_unlock(&idle_lock);
	return NULL;
}

static void
start_flusher(void)
{
	pthread_condattr_t attributes;
	pthread_t thread;
	sigset_t all, saved;

	pthread_condattr_init(&attributes);
	pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
	pthread_cond_init(&idle_wake, &attributes);
	pthread_condattr_destroy(&attributes);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	if (pthread_create(&thread, NULL, idle_flusher, NULL) == 0)
		pthread_detach(thread);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

/*
 * Before the program writes stdout without its lock: from now on the thread
 * leaves stdout alone.  Taking the thread's lock waits out a flush of its
 * that may be under way.
 */
void
autoflush_unlocked_output(void)
{
	if (atomic_load_explicit(&unlocked_stdio, memory_order_relaxed))
		return;
	pthread_mutex_lock(&idle_lock);
	atomic_store(&unlocked_stdio, 1);
	pthread_mutex_unlock(&idle_lock);
}

/*
 * What was pending after the program's last output.  Less pending after this
 * output means stdio sent its full buffer in between: the oldest byte now
 * pending is this output's, and the idle flush counts from now.  Else output
 * that keeps filling the buffer would be flushed by the thread every
 * IDLE_FLUSH_MS, which finds stdout's lock held and retries every 1 ms.
 */
static atomic_size_t pending_after_output;

/* After the program wrote to stdout: arm the idle flush if that is new. */
void
autoflush_after_output(void)
{
	size_t pending, before;

	if (atomic_load_explicit(&unlocked_stdio, memory_order_relaxed))
		return;
	pending = pending_bytes();
	before = atomic_load_explicit(&pending_after_output, memory_order_relaxed);
	atomic_store_explicit(&pending_after_output, pending, memory_order_relaxed);
	if (pending == 0)
		return;
	if (atomic_load_explicit(&pending_since_ns, memory_order_relaxed) != 0) {
		if (pending < before)
			atomic_store(&pending_since_ns, now_ns());
		return;
	}
	atomic_store(&pending_since_ns, now_ns());
	if (flusher_started && !atomic_load(&flusher_asleep))
		return;		/* it is watching, and will see this */
	pthread_mutex_lock(&idle_lock);
	if (!flusher_stopping) {
		if (!flusher_started) {
			flusher_started = 1;
			start_flusher();
		}
		pthread_cond_signal(&idle_wake);
	}
	pthread_mutex_unlock(&idle_lock);
}

/*
 * Before stdio input from STREAM: if its buffer already holds what the call
 * needs (a line, NEED bytes), the call does not wait and nothing need be
 * sent.  NEED 0 with a delimiter: a line ending in DELIM.
 */
void
autoflush_before_input(FILE *stream, size_t need, int delim)
{
	const char *next;
	size_t buffered = 0;

#ifdef __GLIBC__
	next = stream->_IO_read_ptr;
	if (stream->_IO_read_end > next)
		buffered = (size_t)(stream->_IO_read_end - next);
#else
	/* musl's FILE is opaque; it says what its buffer holds (gnulib's way). */
	next = __freadptr(stream, &buffered);
	if (next == NULL)
		buffered = 0;
#endif
	if (need > 0 && buffered >= need)
		return;
	if (delim >= 0 && buffered > 0 &&
	    memchr(next, delim, need > 0 && need < buffered ? need : buffered) != NULL)
		return;
	autoflush_now();
}

/* Before a direct write: to the connection, stdout's bytes go first. */
void
autoflush_before_write(int fd)
{
	if (atomic_load_explicit(&pending_since_ns, memory_order_relaxed) == 0 &&
	    pending_bytes() == 0)
		return;
	if (fd == STDOUT_FILENO || fd == STDIN_FILENO ||
	    (stderr_ordered && fd == STDERR_FILENO) || fd_is_stream(fd, &connection))
		autoflush_now();
}

/* The exit path: nothing may flush behind exit's own unlocked flush. */
void
autoflush_stop(void)
{
	if (!autoflush_active)
		return;
	pthread_mutex_lock(&idle_lock);
	flusher_stopping = 1;
	if (flusher_started)
		pthread_cond_signal(&idle_wake);
	pthread_mutex_unlock(&idle_lock);
}

/* A forked child has no flusher thread: it starts its own when it needs one. */
static void
reset_in_child(void)
{
	pthread_mutex_init(&idle_lock, NULL);
	flusher_started = 0;
	flusher_stopping = 0;
	atomic_store(&flusher_asleep, 0);
	atomic_store(&pending_since_ns, 0);
	autoflush_after_output();
}

void
autoflush_start(const struct stream_id *stream)
{
	connection = *stream;
	setvbuf(stdout, NULL, _IOFBF, BUFSIZ);
	pthread_atfork(NULL, NULL, reset_in_child);
	/* Registered before main, so it runs after the program's handlers. */
	atexit(autoflush_stop);
	autoflush_active = 1;
}
