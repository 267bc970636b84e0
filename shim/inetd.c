/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * inetd mode: the process that loaded the shim becomes a forking server, as
 * tcpserver and the forking servers of the seed's chapter, but with no relay
 * and no exec: it never runs main, and each child takes one connection and
 * returns into the constructor, which puts it on fds 0 and 1 and lets main
 * run.  The program is already loaded when it forks, so a connection costs
 * a fork, not a fork and an exec.
 */
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

static volatile sig_atomic_t stopping;

static void
on_stop(int signo)
{
	(void)signo;
	stopping = 1;
}

/* Only interrupts ppoll, so that children are reaped as they end. */
static void
on_child(int signo)
{
	(void)signo;
}

struct signal_state {
	struct sigaction term, interrupt, child;
	sigset_t mask;
};

static void
take_signals(struct signal_state *saved, sigset_t *waiting)
{
	struct sigaction stop = { .sa_handler = on_stop };
	struct sigaction child = { .sa_handler = on_child, .sa_flags = SA_NOCLDSTOP };
	sigset_t ours;

	sigemptyset(&ours);
	sigaddset(&ours, SIGTERM);
	sigaddset(&ours, SIGINT);
	sigaddset(&ours, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ours, &saved->mask);
	*waiting = saved->mask;
	sigdelset(waiting, SIGTERM);
	sigdelset(waiting, SIGINT);
	sigdelset(waiting, SIGCHLD);
	sigaction(SIGTERM, &stop, &saved->term);
	sigaction(SIGINT, &stop, &saved->interrupt);
	sigaction(SIGCHLD, &child, &saved->child);
}

/* The program gets its signals back as they were when it started. */
static void
give_back_signals(const struct signal_state *saved)
{
	sigaction(SIGTERM, &saved->term, NULL);
	sigaction(SIGINT, &saved->interrupt, NULL);
	sigaction(SIGCHLD, &saved->child, NULL);
	sigprocmask(SIG_SETMASK, &saved->mask, NULL);
}

static void
reap_children(unsigned *active)
{
	while (*active > 0 && waitpid(-1, NULL, WNOHANG) > 0)
		(*active)--;
}

static void
refuse(const struct sockaddr *peer, socklen_t length)
{
	char text[300];

	describe_address(peer, length, text, sizeof(text));
	report("inetd: refused connection from %s (not in " SOCKREDIR_ENV_ALLOW ")",
	    text);
}

/*
 * Accepts one connection on a listener and forks for it.  Returns the stream
 * in the child; in the listener -1, with *more cleared once no connection is
 * left waiting.
 */
static int
serve_one(const struct sockredir_config *config, int listener, unsigned *active,
    int *more)
{
	struct sockaddr_storage peer;
	socklen_t peerlen = sizeof(peer);
	int stream = accept4(listener, (struct sockaddr *)&peer, &peerlen, SOCK_CLOEXEC);
	pid_t child;

	if (stream == -1) {
		*more = 0;
		/* Out of descriptors: pause rather than spin. */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS)
			poll(NULL, 0, 100);
		return -1;
	}
	if (!sockredir_allow_match(config->allow, config->nallow,
	    (struct sockaddr *)&peer)) {
		refuse((struct sockaddr *)&peer, peerlen);
		close(stream);
		return -1;
	}
	if ((child = fork()) == 0)
		return stream;
	close(stream);
	if (child == -1)
		report("inetd: fork: %s", strerror(errno));
	else
		(*active)++;
	return -1;
}

/*
 * Accept and fork until SIGTERM or SIGINT; returns the stream in a child.
 * Each wake-up takes every connection waiting, up to MAX children; at MAX
 * the listeners are not polled, so further connections wait in the backlog.
 * Stopped, the listener closes its sockets, lets running children finish
 * (it does not signal them), reaps them and exits 0.
 */
int
serve_connections(const struct sockredir_config *config, int *listeners, int count)
{
	struct signal_state saved;
	struct pollfd waiting_fds[16];
	sigset_t waiting;
	unsigned active = 0;

	take_signals(&saved, &waiting);
	for (int i = 0; i < count; i++) {
		waiting_fds[i].fd = listeners[i];
		waiting_fds[i].events = POLLIN;
	}
	while (!stopping) {
		int ready = ppoll(waiting_fds, active < config->max_children ?
		    (nfds_t)count : 0, NULL, &waiting);

		reap_children(&active);
		for (int i = 0; ready > 0 && i < count; i++) {
			int more = waiting_fds[i].revents & POLLIN;

			while (more && !stopping && active < config->max_children) {
				int stream = serve_one(config, listeners[i], &active, &more);

				if (stream != -1) {
					for (int j = 0; j < count; j++)
						close(listeners[j]);
					give_back_signals(&saved);
					return stream;
				}
			}
		}
	}
	for (int i = 0; i < count; i++)
		close(listeners[i]);
	if (config->is_unix)
		remove_unix_socket(config->unix_path);
	while (active > 0 && waitpid(-1, NULL, 0) > 0)
		active--;
	_exit(0);
}
