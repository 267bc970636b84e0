/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The constructor.  It reads like the contract: parse the environment,
 * connect (or listen and accept), redirect fds 0/1, set stdout's buffering,
 * tell the children, arm the exit path, and last put fd 2 on the connection
 * when SOCKREDIR_STDERR asks; all before main runs.  When it
 * cannot, it writes one line to stderr and ends the process with a sysexits
 * code, so that main never runs on the wrong streams.
 */
#include <sys/auxv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

static const char *
environment(const char *name)
{
	return getenv(name);
}

static void __attribute__((noreturn))
fail(int code, const char *why)
{
	report("%s", why);
	_exit(code);
}

static void __attribute__((noreturn))
fail_system(const char *what)
{
	char why[256];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(errno));
	fail(EX_OSERR, why);
}

/*
 * The listening sockets: those a service manager passed, or new ones on
 * HOST and PORT.  Returns their count, or minus a sysexits code.
 */
static int
open_listeners(struct sockredir_config *config, int *listeners, char *endpoint,
    size_t endpointlen, char *why, size_t whylen)
{
	struct addrinfo *list;
	int count;

	if (config->listen_fds > 0) {
		snprintf(endpoint, endpointlen, "the passed sockets");
		return take_passed_listeners(config, listeners, why, whylen);
	}
	if ((count = resolve_endpoint(config, &list, why, whylen)) != 0)
		return -count;
	describe_endpoint(config, endpoint, endpointlen);
	if (config->is_unix && clear_stale_unix_socket(config->unix_path) == -1) {
		snprintf(why, whylen, "listen on %s: %s", endpoint,
		    errno == EEXIST ? "exists and is not a socket; left untouched" :
		    errno == EADDRINUSE ? "another server is listening there" :
		    strerror(errno));
		count = -exit_code_for(errno);
	} else if ((count = local_listen(list, listeners, SOCKREDIR_MAX_LISTENERS)) == -1) {
		snprintf(why, whylen, "listen on %s: %s", endpoint, strerror(errno));
		count = -exit_code_for(errno);
	}
	free_endpoint(config, list);
	return count;
}

/* server: the first connection to arrive on any listener. */
static int
accept_one(struct sockredir_config *config, char *why, size_t whylen)
{
	int listeners[SOCKREDIR_MAX_LISTENERS], count, stream;
	char endpoint[400];

	if ((count = open_listeners(config, listeners, endpoint, sizeof(endpoint),
	    why, whylen)) < 0)
		return count;
	stream = accept_first(listeners, count, config->timeout_ms);
	if (config->is_unix && config->listen_fds == 0)
		remove_unix_socket(config->unix_path);
	if (stream == -1 && errno == ETIMEDOUT) {
		snprintf(why, whylen, "no connection to %s within %ld.%03ld seconds",
		    endpoint, config->timeout_ms / 1000, config->timeout_ms % 1000);
		return -EX_UNAVAILABLE;
	}
	if (stream == -1) {
		snprintf(why, whylen, "accept on %s: %s", endpoint, strerror(errno));
		return -EX_OSERR;
	}
	return stream;
}

/* inetd: returns only in a copy, with its connection; the listener never. */
static int
serve_copies(struct sockredir_config *config, char *why, size_t whylen)
{
	int listeners[SOCKREDIR_MAX_LISTENERS], count;
	char endpoint[400];

	if ((count = open_listeners(config, listeners, endpoint, sizeof(endpoint),
	    why, whylen)) < 0)
		return count;
	return serve_connections(config, listeners, count);
}

/* out, in, client: connect to HOST and PORT. */
static int
connect_out(const struct sockredir_config *config, char *why, size_t whylen)
{
	struct addrinfo *list;
	char endpoint[400];
	int stream;

	if ((stream = resolve_endpoint(config, &list, why, whylen)) != 0)
		return -stream;
	describe_endpoint(config, endpoint, sizeof(endpoint));
	if ((stream = remote_connect(list, config->timeout_ms)) == -1) {
		snprintf(why, whylen, "connect to %s: %s", endpoint, strerror(errno));
		stream = -exit_code_for(errno);
	}
	free_endpoint(config, list);
	return stream;
}

static void
report_connection(const struct sockredir_config *config, int stream)
{
	struct sockaddr_storage local, remote;
	socklen_t locallen = sizeof(local), remotelen = sizeof(remote);
	char here[300] = "?", there[300] = "?";
	/* Under PROXY, the original client and the address it reached. */
	int proxied = proxied_addresses(&local, &remote);

	if (proxied || getsockname(stream, (struct sockaddr *)&local, &locallen) == 0)
		describe_address((struct sockaddr *)&local, locallen, here, sizeof(here));
	if (proxied || getpeername(stream, (struct sockaddr *)&remote, &remotelen) == 0)
		describe_address((struct sockaddr *)&remote, remotelen, there,
		    sizeof(there));
	report("%s: %s %s, local %s, on fd %s",
	    sockredir_mode_name(config->mode),
	    mode_listens(config->mode) ? "accepted" :
	    config->mode == SOCKREDIR_ATTACH ? "attached to" : "connected to",
	    there, here,
	    config->mode == SOCKREDIR_OUT ? "1" :
	    config->mode == SOCKREDIR_IN ? "0" : "0 and 1");
}

/*
 * A child, or a program the connector exec'd: the stream is already there.
 * Keep its buffering while fd 1 is still the stream; the connector itself
 * (same PID after exec) keeps its exit path, with a new exit descriptor
 * (the old one was close-on-exec).  Every command a shimmed shell
 * runs comes here, so read only the two variables that matter, which the
 * connector has validated: not the whole configuration, whose PORT may be a
 * service name to look up and whose ALLOW list may be long.
 */
static void
continue_inherited(const struct stream_id *stream, const char *mode)
{
	enum sockredir_buffer buffer = SOCKREDIR_BUFFER_LINE;
	long linger_ms = SOCKREDIR_DEFAULT_LINGER_MS;
	int on_stdout = fd_is_stream(STDOUT_FILENO, stream), on_stderr = 0;
	const char *value;

	/* STDERR=connection (not in in mode), and this one's fd 2 has not gone elsewhere. */
	if ((value = getenv(SOCKREDIR_ENV_STDERR)) != NULL && *value != '\0' &&
	    strcmp(mode, SOCKREDIR_MODE_IN) != 0)
		sockredir_parse_stderr(value, &on_stderr);
	on_stderr = on_stderr && fd_is_stream(STDERR_FILENO, stream);
	if (on_stdout) {
		if ((value = getenv(SOCKREDIR_ENV_BUFFER)) != NULL && *value != '\0')
			sockredir_parse_buffer(value, &buffer);
		set_stdout_buffering(buffer, stream);
	}
	if (on_stderr) {
		set_stderr_buffering();
		if (on_stdout)
			order_start(stream);
	}
	if (stream->pid == getpid()) {
		if ((value = getenv(SOCKREDIR_ENV_LINGER)) != NULL && *value != '\0')
			sockredir_parse_seconds(value, &linger_ms);
		/* Any standard fd that still holds the connection. */
		if (on_stdout)
			install_exit_path(stream, STDOUT_FILENO, linger_ms);
		else if (fd_is_stream(STDIN_FILENO, stream))
			install_exit_path(stream, STDIN_FILENO, linger_ms);
		else if (fd_is_stream(STDERR_FILENO, stream))
			install_exit_path(stream, STDERR_FILENO, linger_ms);
	}
}

__attribute__((constructor)) static void
sockredir_init(void)
{
	struct sockredir_config config;
	struct stream_id stream_id;
	const char *mode = getenv(SOCKREDIR_ENV_MODE);
	char why[1024];
	int stream, redirected, code;

	resolve_real_functions();
	if (mode == NULL || *mode == '\0' || getauxval(AT_SECURE))
		return;
	report_init();
	if (inherited_stream(&stream_id)) {
		continue_inherited(&stream_id, mode);
		return;
	}
	if ((code = sockredir_parse_config(&config, environment, why, sizeof(why))) != 0)
		fail(code, why);
	/* attach opens no socket that could take a closed fd's number. */
	if (config.mode != SOCKREDIR_ATTACH)
		reserve_standard_fds();
	/* Before connecting, so that an inetd listener does it once for all. */
	if (prepare_environment(&config) == -1)
		fail_system("setting up the environment");

	switch (config.mode) {
	case SOCKREDIR_ATTACH:	/* a service manager left it on fds 0 and 1 */
		stream = attached_stream(why, sizeof(why));
		break;
	case SOCKREDIR_INETD:	/* returns only in each copy, never in the listener */
		stream = serve_copies(&config, why, sizeof(why));
		break;
	case SOCKREDIR_SERVER:
		stream = accept_one(&config, why, sizeof(why));
		break;
	default:
		stream = connect_out(&config, why, sizeof(why));
	}
	if (stream < 0)
		fail(-stream, why);
	/* inetd: the listener has read the header, and logs each copy itself. */
	if (config.mode != SOCKREDIR_INETD &&
	    (code = read_proxy_or_fail(stream, &config, why, sizeof(why))) != 0)
		fail(code, why);
	if (config.debug && config.mode != SOCKREDIR_INETD)
		report_connection(&config, stream);
	if (config.buffer != SOCKREDIR_BUFFER_FULL)
		set_nodelay(stream);

	/* attach: the connection is on fds 0 and 1 already. */
	if (config.mode != SOCKREDIR_ATTACH &&
	    redirect_stream(stream, config.mode) == -1)
		fail_system("dup2");
	release_standard_fds(config.mode, config.stderr_connection);
	redirected = mode_redirects_stdout(config.mode) ? STDOUT_FILENO : STDIN_FILENO;
	if (identify_stream(redirected, &stream_id) == -1)
		fail_system("setting up the environment");
	if (redirected == STDOUT_FILENO)
		set_stdout_buffering(config.buffer, &stream_id);

	if (mark_stream(&stream_id) == -1 ||
	    describe_connection(redirected, &config) == -1 ||
	    install_exit_path(&stream_id, redirected, config.linger_ms) != 0)
		fail_system("setting up the environment");
	/* Last, once nothing is left to report: fd 2 becomes the connection. */
	if (config.stderr_connection && join_stderr(&stream_id) == -1)
		fail_system("dup2 onto fd 2");
	report_close();
}
