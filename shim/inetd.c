/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * inetd mode: the process that loaded the shim becomes a forking server, as
 * tcpserver and the forking servers of the seed's chapter, but with no relay
 * and no exec: it never runs main, and each child takes one connection and
 * returns into the constructor, which puts it on fds 0 and 1 and lets main
 * run.  The program is already loaded when it forks, so a connection costs
 * a fork, not a fork and an exec.
 *
 * The listener is one loop round ppoll: listening sockets, connections whose
 * PROXY header is on its way, and the clock (session limits, header
 * deadlines).  Its signals are blocked except inside ppoll; and since ppoll
 * returns a ready descriptor without delivering a signal that is pending,
 * each round also asks sigpending whether a stop was requested, so that a
 * listener whose accept keeps failing still stops at once.
 *
 * With SOCKREDIR_PREFORK=N the listener also keeps up to N copies forked in
 * advance, each waiting on a socketpair of its own (its channel).  The
 * listener still accepts every connection and decides everything it decides
 * without a pool (ALLOW, MAX, MAX_PER_PEER, the PROXY header, the log); then,
 * instead of forking, it hands the connection and its header to a waiting
 * copy with SCM_RIGHTS, and forks a replacement once the connections in hand
 * are served.  So the fork, and the page faults a fresh copy takes, are off
 * the connection's path, and every guarantee is the listener's as before.
 * A waiting copy runs nothing of the program: it ends, without main, when
 * its channel closes (the listener stopped, or died) or a stop signal
 * reaches it.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

#define PENDING_MAX 128		/* connections waiting for their PROXY header */
#define FAILURE_PAUSE_MS 100	/* after a failed accept or fork */

static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };
#define NSTOP (sizeof(stop_signals) / sizeof(stop_signals[0]))

static volatile sig_atomic_t stop_signal;

static void
on_stop(int signo)
{
	stop_signal = signo;
}

/* Only interrupts ppoll, so that children are reaped as they end. */
static void
on_child(int signo)
{
	(void)signo;
}

struct signal_state {
	struct sigaction stop[NSTOP], child;
	sigset_t mask;
};

/* A peer address as MAX_PER_PEER counts it: IPv4, or IPv6 /128. */
struct peer_key {
	int family;
	unsigned char address[16];
};

/* One copy of the program: a child, in a process group of its own. */
struct copy {
	pid_t pid;
	int running;
	int64_t term_at;	/* SESSION_TIMEOUT: SIGTERM due; 0: none */
	int64_t kill_at;	/* SIGKILL due, 2 s after SIGTERM; 0: none */
	struct peer_key peer;
};

/* A connection accepted whose PROXY header has not all arrived. */
struct pending {
	int fd;
	int ready;		/* header read; waiting for a free copy slot */
	int64_t deadline;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct proxy_reader reader;
};

/* A copy forked in advance, waiting on its channel for a connection. */
struct waiting_copy {
	pid_t pid;
	int channel;		/* the listener's end; -1: closed, to be reaped */
};

/* What the listener sends a waiting copy beside the connection itself. */
struct handoff {
	int proxied;		/* a PROXY header was read */
	struct sockredir_proxy header;
};

struct listener {
	const struct sockredir_config *config;
	const int *sockets;
	int count;
	int stopping;
	struct signal_state signals;
	sigset_t waiting;		/* the mask inside ppoll */
	struct copy *copies;
	size_t ncopies, capacity;
	unsigned running;
	unsigned untracked;		/* copies not in copies[] (out of memory) */
	struct pending *pending;	/* PROXY only */
	size_t npending;
	int accept_failing, fork_failing;	/* in a burst: reported already */
	struct waiting_copy *pool;	/* PREFORK only */
	size_t nwaiting;		/* entries in pool[], closed ones included */
	unsigned ready;			/* of them, with their channel open */
};

static int64_t
now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
take_signals(struct signal_state *saved, sigset_t *waiting)
{
	struct sigaction stop = { .sa_handler = on_stop };
	struct sigaction child = { .sa_handler = on_child, .sa_flags = SA_NOCLDSTOP };
	sigset_t ours;

	sigemptyset(&ours);
	for (size_t i = 0; i < NSTOP; i++)
		sigaddset(&ours, stop_signals[i]);
	sigaddset(&ours, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ours, &saved->mask);
	*waiting = saved->mask;
	for (size_t i = 0; i < NSTOP; i++) {
		sigdelset(waiting, stop_signals[i]);
		sigaction(stop_signals[i], &stop, &saved->stop[i]);
	}
	sigdelset(waiting, SIGCHLD);
	sigaction(SIGCHLD, &child, &saved->child);
}

/* The program gets its signals back as they were when it started. */
static void
give_back_signals(const struct signal_state *saved)
{
	for (size_t i = 0; i < NSTOP; i++)
		sigaction(stop_signals[i], &saved->stop[i], NULL);
	sigaction(SIGCHLD, &saved->child, NULL);
	sigprocmask(SIG_SETMASK, &saved->mask, NULL);
}

/* Delivered, or still pending because ppoll found a socket ready first. */
static int
stop_requested(void)
{
	sigset_t pending;

	if (stop_signal)
		return 1;
	if (sigpending(&pending) == 0)
		for (size_t i = 0; i < NSTOP; i++)
			if (sigismember(&pending, stop_signals[i]))
				return 1;
	return 0;
}

/* Waits out a failure, signals and children included: never a spin. */
static void
pause_after_failure(const struct listener *l)
{
	struct timespec pause = { 0, FAILURE_PAUSE_MS * 1000000L };

	ppoll(NULL, 0, &pause, &l->waiting);
}

static void
peer_key_of(const struct sockaddr *peer, struct peer_key *key)
{
	memset(key, 0, sizeof(*key));
	key->family = peer->sa_family;
	if (peer->sa_family == AF_INET)
		memcpy(key->address, &((const struct sockaddr_in *)peer)->sin_addr, 4);
	else if (peer->sa_family == AF_INET6) {
		const unsigned char *address =
		    ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)address)) {
			key->family = AF_INET;
			memcpy(key->address, address + 12, 4);
		} else
			memcpy(key->address, address, 16);
	}
}

static unsigned
copies_for(const struct listener *l, const struct peer_key *key)
{
	unsigned n = 0;

	for (size_t i = 0; i < l->ncopies; i++)
		n += l->copies[i].running && l->copies[i].peer.family == key->family &&
		    memcmp(l->copies[i].peer.address, key->address, 16) == 0;
	return n;
}

static void
forget_copy(struct listener *l, size_t i)
{
	l->copies[i] = l->copies[--l->ncopies];
}

static int
remember_copy(struct listener *l, pid_t pid, const struct peer_key *key)
{
	struct copy *copy;

	if (l->ncopies == l->capacity) {
		size_t capacity = l->capacity ? l->capacity * 2 : 64;
		struct copy *grown = realloc(l->copies, capacity * sizeof(*grown));

		if (grown == NULL)
			return -1;
		l->copies = grown;
		l->capacity = capacity;
	}
	copy = &l->copies[l->ncopies++];
	memset(copy, 0, sizeof(*copy));
	copy->pid = pid;
	copy->running = 1;
	copy->peer = *key;
	if (l->config->session_timeout_ms > 0)
		copy->term_at = now_ms() + l->config->session_timeout_ms;
	return 0;
}

/* A waiting copy that ended (the pool's, see fill_pool): forgotten. */
static int
forget_waiting(struct listener *l, pid_t pid)
{
	for (size_t i = 0; i < l->nwaiting; i++) {
		if (l->pool[i].pid != pid)
			continue;
		if (l->pool[i].channel != -1) {
			close(l->pool[i].channel);
			l->ready--;
		}
		l->pool[i] = l->pool[--l->nwaiting];
		return 1;
	}
	return 0;
}

/* Each copy that ended: reaped, and with DEBUG, its status in the log. */
static void
reap_copies(struct listener *l)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		size_t i = 0;

		while (i < l->ncopies && (l->copies[i].pid != pid || !l->copies[i].running))
			i++;
		if (i < l->ncopies) {
			l->copies[i].running = 0;
			/* Its group may live on: SIGKILL still due. */
			if (l->copies[i].kill_at == 0)
				forget_copy(l, i);
		} else if (forget_waiting(l, pid) || l->untracked == 0)
			continue;	/* a waiting copy (no connection, no log), or not ours */
		else
			l->untracked--;
		l->running--;
		if (l->config->debug)
			report("inetd: end pid %d %s %d (%u/%u)", (int)pid,
			    WIFSIGNALED(status) ? "signal" : "status",
			    WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status), l->running, l->config->max_children);
	}
}

/*
 * SESSION_TIMEOUT: SIGTERM to the copy's process group, and SIGKILL 2 s
 * later to whatever of it is still there.
 */
static void
enforce_session_limits(struct listener *l, int64_t now)
{
	for (size_t i = 0; i < l->ncopies;) {
		struct copy *copy = &l->copies[i];

		if (copy->running && copy->term_at != 0 && now >= copy->term_at) {
			kill(-copy->pid, SIGTERM);
			copy->term_at = 0;
			copy->kill_at = now + SOCKREDIR_SESSION_KILL_MS;
		}
		if (copy->kill_at != 0 && now >= copy->kill_at) {
			kill(-copy->pid, SIGKILL);
			copy->kill_at = 0;
			if (!copy->running) {
				forget_copy(l, i);
				continue;
			}
		}
		i++;
	}
}

static void
close_pending(struct listener *l, size_t i)
{
	close(l->pending[i].fd);
	l->pending[i] = l->pending[--l->npending];
}

/* Waiting copies read EOF on their channel and end, never running main. */
static void
close_pool(struct listener *l)
{
	for (size_t i = 0; i < l->nwaiting; i++) {
		if (l->pool[i].channel != -1)
			close(l->pool[i].channel);
		l->pool[i].channel = -1;
	}
	l->ready = 0;
}

static void
stop_listening(struct listener *l)
{
	for (int i = 0; i < l->count; i++)
		close(l->sockets[i]);
	while (l->npending > 0)
		close_pending(l, 0);
	close_pool(l);
	if (l->config->is_unix && l->config->listen_fds == 0)
		remove_unix_socket(l->config->unix_path);
	l->stopping = 1;
}

static void
log_listening(const struct listener *l)
{
	for (int i = 0; i < l->count; i++) {
		struct sockaddr_storage local;
		socklen_t locallen = sizeof(local);
		char text[300] = "?";

		if (getsockname(l->sockets[i], (struct sockaddr *)&local, &locallen) == 0)
			describe_address((struct sockaddr *)&local, locallen, text,
			    sizeof(text));
		report("inetd: listening on %s, max %u", text, l->config->max_children);
	}
}

/* In a child: no descriptor of the listener's stays with the copy but STREAM. */
static void
leave_listener(struct listener *l, int stream)
{
	setpgid(0, 0);
	for (int i = 0; i < l->count; i++)
		close(l->sockets[i]);
	for (size_t i = 0; i < l->npending; i++)
		if (l->pending[i].fd != stream)
			close(l->pending[i].fd);
	for (size_t i = 0; i < l->nwaiting; i++)
		if (l->pool[i].channel != -1)
			close(l->pool[i].channel);
}

/* In a copy: the listener's arrays, still reachable (see take_connection). */
static void *left_behind[3] __attribute__((used));

/* In the copy, with its connection: the program's signals, and main next. */
static int
take_connection(struct listener *l, int stream, const struct sockredir_proxy *header)
{
	give_back_signals(&l->signals);
	report_close();
	if (header != NULL)
		use_proxy_header(header);
	/*
	 * The listener's arrays are not freed but left reachable: free would
	 * write to heap pages, copying them in every copy, to give back memory
	 * the program may never ask for.
	 */
	left_behind[0] = l->copies;
	left_behind[1] = l->pending;
	left_behind[2] = l->pool;
	return stream;
}

static int
become_copy(struct listener *l, int stream, const struct sockredir_proxy *header)
{
	leave_listener(l, stream);
	return take_connection(l, stream, header);
}

/* A descriptor and a struct handoff in one message on a channel. */
union handoff_control {
	char bytes[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/*
 * In a copy forked in advance: waits for its connection on CHANNEL, its
 * end of a socketpair with the listener.  Ends, never running main, when the
 * channel closes (the listener stopped or died) or a stop signal reaches it.
 */
static int
wait_for_connection(struct listener *l, int channel)
{
	struct handoff handoff;
	union handoff_control control;
	struct iovec data = { .iov_base = &handoff, .iov_len = sizeof(handoff) };
	struct msghdr message = { .msg_iov = &data, .msg_iovlen = 1,
	    .msg_control = control.bytes, .msg_controllen = sizeof(control.bytes) };
	struct pollfd ready = { .fd = channel, .events = POLLIN };
	struct cmsghdr *passed;
	ssize_t got;
	int stream;

	leave_listener(l, -1);
	do {
		if (stop_signal)
			_exit(0);
		if (ppoll(&ready, 1, NULL, &l->waiting) == -1 && errno != EINTR)
			_exit(EX_OSERR);
		got = stop_signal ? -1 : recvmsg(channel, &message,
		    MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (got == -1 && (stop_signal || errno == EINTR || errno == EAGAIN));
	passed = CMSG_FIRSTHDR(&message);
	if (got != (ssize_t)sizeof(handoff) || passed == NULL ||
	    passed->cmsg_level != SOL_SOCKET || passed->cmsg_type != SCM_RIGHTS)
		_exit(0);	/* the channel closed: no connection for this copy */
	memcpy(&stream, CMSG_DATA(passed), sizeof(stream));
	close(channel);
	return take_connection(l, stream, handoff.proxied ? &handoff.header : NULL);
}

/*
 * Gives the connection to a waiting copy; returns its pid, or 0 if none
 * took it (none waiting, or those left died).  The listener's end of the
 * channel closes either way: a copy takes one connection in its life.
 */
static pid_t
hand_off(struct listener *l, int stream, const struct sockredir_proxy *header)
{
	struct handoff handoff = { .proxied = header != NULL };
	union handoff_control control;
	struct iovec data = { .iov_base = &handoff, .iov_len = sizeof(handoff) };
	struct msghdr message = { .msg_iov = &data, .msg_iovlen = 1,
	    .msg_control = control.bytes, .msg_controllen = sizeof(control.bytes) };
	struct cmsghdr *passing;

	if (header != NULL)
		handoff.header = *header;
	memset(&control, 0, sizeof(control));
	passing = CMSG_FIRSTHDR(&message);
	passing->cmsg_level = SOL_SOCKET;
	passing->cmsg_type = SCM_RIGHTS;
	passing->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(passing), &stream, sizeof(stream));
	for (size_t i = l->nwaiting; l->ready > 0 && i-- > 0;) {
		struct waiting_copy copy = l->pool[i];
		ssize_t sent;

		if (copy.channel == -1)
			continue;
		sent = sendmsg(copy.channel, &message, MSG_NOSIGNAL);
		close(copy.channel);
		l->pool[i].channel = -1;
		l->ready--;
		if (sent == (ssize_t)sizeof(handoff)) {
			/* A running copy from now on, in copies[]. */
			l->pool[i] = l->pool[--l->nwaiting];
			return copy.pid;
		}
		/* It died waiting; reap_copies forgets it. */
	}
	return 0;
}

static void
report_fork_failure(struct listener *l, const char *what, const char *consequence)
{
	if (!l->fork_failing)
		report("inetd: %s: %s (%s)", what, strerror(errno), consequence);
	l->fork_failing = 1;
	pause_after_failure(l);
}

/*
 * SOCKREDIR_PREFORK: keeps that many copies waiting, within MAX with the
 * running ones.  Returns the stream in a copy, once a connection was handed
 * to it; -1 in the listener.
 */
static int
fill_pool(struct listener *l)
{
	while (!l->stopping && l->ready < l->config->prefork &&
	    l->running + l->untracked + l->nwaiting < l->config->max_children) {
		int pair[2];
		pid_t child;

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == -1) {
			report_fork_failure(l, "socketpair",
			    "fewer copies waiting until it succeeds again");
			return -1;
		}
		if ((child = fork()) == 0) {
			close(pair[0]);
			return wait_for_connection(l, pair[1]);
		}
		close(pair[1]);
		if (child == -1) {
			close(pair[0]);
			report_fork_failure(l, "fork",
			    "fewer copies waiting until it succeeds again");
			return -1;
		}
		l->fork_failing = 0;
		setpgid(child, child);
		l->pool[l->nwaiting++] = (struct waiting_copy){ .pid = child, .channel = pair[0] };
		l->ready++;
	}
	return -1;
}

/*
 * Hands the connection to a waiting copy, or forks one for it.  Returns the
 * stream in the child; in the listener -1, the stream closed.  MAX_PER_PEER counts by the original
 * client under PROXY.
 */
static int
start_copy(struct listener *l, int stream, const struct sockaddr *peer,
    socklen_t peerlen, const struct sockredir_proxy *header)
{
	const struct sockredir_config *config = l->config;
	struct sockaddr_storage client;
	struct peer_key key;
	char from[300];
	pid_t child;

	if (header != NULL && header->addressed) {
		proxy_sockaddr(&header->source, &client);
		peer = (struct sockaddr *)&client;
		peerlen = sizeof(client);
	}
	peer_key_of(peer, &key);
	if (config->max_per_peer > 0 && !config->is_unix &&
	    copies_for(l, &key) >= config->max_per_peer) {
		describe_address(peer, peerlen, from, sizeof(from));
		report("inetd: refused connection from %s (%s=%u copies already "
		    "running for this address)", from, SOCKREDIR_ENV_MAX_PER_PEER,
		    config->max_per_peer);
		drain_refused(stream);
		close(stream);
		return -1;
	}
	if ((child = hand_off(l, stream, header)) == 0) {
		if ((child = fork()) == 0)
			return become_copy(l, stream, header);
		if (child == -1) {
			close(stream);
			report_fork_failure(l, "fork",
			    "connections dropped until it succeeds again");
			return -1;
		}
		l->fork_failing = 0;
		setpgid(child, child);
	}
	close(stream);
	if (remember_copy(l, child, &key) == -1) {
		report("inetd: out of memory: pid %d has no session limit",
		    (int)child);
		l->untracked++;
	}
	l->running++;
	if (config->debug) {
		describe_address(peer, peerlen, from, sizeof(from));
		report("inetd: pid %d from %s (%u/%u)", (int)child, from, l->running,
		    config->max_children);
	}
	return -1;
}

static void
refuse(const struct sockaddr *peer, socklen_t length, const char *why)
{
	char text[300];

	describe_address(peer, length, text, sizeof(text));
	report("inetd: refused connection from %s (%s)", text, why);
}

/* PROXY: one more step of a header; refused if it is not one. */
static void
read_pending(struct listener *l, size_t i)
{
	struct pending *pending = &l->pending[i];
	int result = proxy_read_step(pending->fd, &pending->reader);

	if (result == 1)
		pending->ready = 1;
	else if (result == -1) {
		refuse((struct sockaddr *)&pending->peer, pending->peerlen,
		    proxy_failure(errno));
		drain_refused(pending->fd);
		close_pending(l, i);
	}
}

static void
expire_pending(struct listener *l, int64_t now)
{
	for (size_t i = 0; i < l->npending;) {
		if (!l->pending[i].ready && now >= l->pending[i].deadline) {
			refuse((struct sockaddr *)&l->pending[i].peer,
			    l->pending[i].peerlen, proxy_failure(ETIMEDOUT));
			drain_refused(l->pending[i].fd);
			close_pending(l, i);
		} else
			i++;
	}
}

/* The connection waiting longest for its header is refused; 0: none waits. */
static int
evict_oldest_pending(struct listener *l)
{
	size_t oldest = l->npending;

	for (size_t i = 0; i < l->npending; i++)
		if (!l->pending[i].ready && (oldest == l->npending ||
		    l->pending[i].deadline < l->pending[oldest].deadline))
			oldest = i;
	if (oldest == l->npending)
		return 0;
	refuse((struct sockaddr *)&l->pending[oldest].peer, l->pending[oldest].peerlen,
	    "PROXY header not complete, dropped for a newer connection: "
	    "128 already waiting");
	drain_refused(l->pending[oldest].fd);
	close_pending(l, oldest);
	return 1;
}

/* Connections whose header is in: a copy each, while MAX allows. */
static int
start_ready(struct listener *l)
{
	for (size_t i = 0; i < l->npending && l->running < l->config->max_children;) {
		struct pending pending;
		int stream;

		if (!l->pending[i].ready) {
			i++;
			continue;
		}
		pending = l->pending[i];
		l->pending[i] = l->pending[--l->npending];
		stream = start_copy(l, pending.fd, (struct sockaddr *)&pending.peer,
		    pending.peerlen, &pending.reader.header);
		if (stream != -1)
			return stream;
	}
	return -1;
}

/*
 * Accepts one connection on a listener: forks for it, or with PROXY, starts
 * reading its header.  Returns the stream in a child; in the listener -1,
 * with *more cleared once no connection is left waiting.
 */
static int
serve_one(struct listener *l, int socket, int *more)
{
	const struct sockredir_config *config = l->config;
	struct sockaddr_storage peer = { 0 };
	socklen_t peerlen = sizeof(peer);
	int stream = accept4(socket, (struct sockaddr *)&peer, &peerlen, SOCK_CLOEXEC);
	struct pending *pending;

	if (stream == -1) {
		*more = 0;
		/* A client that left first, or none left: nothing failed. */
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return -1;
		/*
		 * EMFILE, ENFILE, ENOBUFS, ENOMEM (or anything else): the
		 * connection waits in the backlog.  Say so once a burst, pause,
		 * go on; never spin.
		 */
		if (!l->accept_failing)
			report("inetd: accept: %s (retrying every %d ms)",
			    strerror(errno), FAILURE_PAUSE_MS);
		l->accept_failing = 1;
		pause_after_failure(l);
		return -1;
	}
	l->accept_failing = 0;
	if (!sockredir_allow_match(config->allow, config->nallow,
	    (struct sockaddr *)&peer)) {
		refuse((struct sockaddr *)&peer, peerlen, "not in " SOCKREDIR_ENV_ALLOW);
		drain_refused(stream);
		close(stream);
		return -1;
	}
	if (!config->proxy)
		return start_copy(l, stream, (struct sockaddr *)&peer, peerlen, NULL);
	/*
	 * Every slot taken by a header still on its way: the oldest gives way.
	 * Connections that never send their header cannot stop the listener
	 * accepting (a balancer's header comes with its first segment).
	 */
	if (l->npending == PENDING_MAX && !evict_oldest_pending(l)) {
		refuse((struct sockaddr *)&peer, peerlen, "too many connections "
		    "waiting for their PROXY header");
		drain_refused(stream);
		close(stream);
		return -1;
	}
	pending = &l->pending[l->npending++];
	memset(pending, 0, sizeof(*pending));
	pending->fd = stream;
	pending->deadline = now_ms() + SOCKREDIR_PROXY_DEADLINE_MS;
	pending->peer = peer;
	pending->peerlen = peerlen;
	/* The header usually came with the connection. */
	read_pending(l, l->npending - 1);
	return -1;
}

static int
accepting(const struct listener *l)
{
	return !l->stopping && l->running < l->config->max_children;
}

/* Until the next session limit or header deadline; -1: none. */
static int64_t
next_deadline(const struct listener *l)
{
	int64_t next = -1;

	for (size_t i = 0; i < l->ncopies; i++) {
		int64_t due = l->copies[i].running && l->copies[i].term_at ?
		    l->copies[i].term_at : l->copies[i].kill_at;

		if (due != 0 && (next == -1 || due < next))
			next = due;
	}
	for (size_t i = 0; i < l->npending; i++)
		if (!l->pending[i].ready && (next == -1 || l->pending[i].deadline < next))
			next = l->pending[i].deadline;
	return next;
}

static int
wait_for_events(struct listener *l, struct pollfd *fds, nfds_t *nlisteners,
    nfds_t *nfds)
{
	int64_t next = next_deadline(l);
	struct timespec timeout, *timeoutp = NULL;
	nfds_t n = 0;

	if (accepting(l))
		for (int i = 0; i < l->count; i++)
			fds[n++] = (struct pollfd){ .fd = l->sockets[i], .events = POLLIN };
	*nlisteners = n;
	for (size_t i = 0; i < l->npending; i++)
		if (!l->pending[i].ready)
			fds[n++] = (struct pollfd){ .fd = l->pending[i].fd, .events = POLLIN };
	if (next != -1) {
		int64_t left = next - now_ms();

		left = left > 0 ? left : 0;
		timeout.tv_sec = left / 1000;
		timeout.tv_nsec = (left % 1000) * 1000000L;
		timeoutp = &timeout;
	}
	*nfds = n;
	return ppoll(fds, n, timeoutp, &l->waiting);
}

/* Pending connections with something to read; fds[] after the listeners. */
static void
read_ready_pending(struct listener *l, const struct pollfd *fds, nfds_t nfds)
{
	for (nfds_t k = 0; k < nfds; k++) {
		if (fds[k].revents == 0)
			continue;
		for (size_t i = 0; i < l->npending; i++) {
			if (l->pending[i].fd == fds[k].fd && !l->pending[i].ready) {
				read_pending(l, i);
				break;
			}
		}
	}
}

/*
 * Accept and fork until SIGTERM, SIGINT or SIGHUP; returns the stream in a
 * child.  Each wake-up takes every connection waiting, up to MAX children;
 * at MAX the listeners are not polled, so further connections wait in the
 * backlog.  Stopped, the listener closes its sockets, lets running children
 * finish (it does not signal them, but their session limits still hold),
 * reaps them and exits 0.
 */
int
serve_connections(const struct sockredir_config *config, const int *listeners,
    int count)
{
	struct pollfd fds[SOCKREDIR_MAX_LISTENERS + PENDING_MAX];
	struct listener l = { .config = config, .sockets = listeners, .count = count };

	take_signals(&l.signals, &l.waiting);
	/* Once here, rather than in every copy on its connection's time. */
	resolve_wrapped_functions();
	if (prepare_copy_environment() != 0 || register_exit_path() != 0) {
		report("inetd: out of memory");
		_exit(EX_OSERR);
	}
	if (config->proxy && (l.pending = calloc(PENDING_MAX, sizeof(*l.pending))) == NULL) {
		report("inetd: out of memory");
		_exit(EX_OSERR);
	}
	if (config->prefork > 0 &&
	    (l.pool = calloc(config->max_children, sizeof(*l.pool))) == NULL) {
		report("inetd: out of memory");
		_exit(EX_OSERR);
	}
	if (config->debug)
		log_listening(&l);
	for (;;) {
		nfds_t nlisteners, nfds;
		int ready, stream;

		/* Delivered (in ppoll, or the pause after a failure). */
		if (!l.stopping && stop_signal)
			stop_listening(&l);
		if (l.stopping && l.ncopies == 0 && l.running == 0 && l.nwaiting == 0)
			break;
		if ((stream = fill_pool(&l)) != -1)
			return stream;
		ready = wait_for_events(&l, fds, &nlisteners, &nfds);
		reap_copies(&l);
		enforce_session_limits(&l, now_ms());
		/* Or still pending: one sigpending a wake-up. */
		if (!l.stopping && stop_requested())
			stop_listening(&l);
		if (l.stopping)
			continue;
		if (ready > 0 && config->proxy)
			read_ready_pending(&l, fds + nlisteners, nfds - nlisteners);
		if (config->proxy) {
			expire_pending(&l, now_ms());
			if ((stream = start_ready(&l)) != -1)
				return stream;
		}
		for (nfds_t i = 0; ready > 0 && i < nlisteners; i++) {
			int more = fds[i].revents & POLLIN;

			while (more && accepting(&l) && !stop_signal) {
				stream = serve_one(&l, fds[i].fd, &more);
				if (stream == -1 && config->proxy)
					stream = start_ready(&l);
				if (stream != -1)
					return stream;
			}
		}
	}
	_exit(0);
}
