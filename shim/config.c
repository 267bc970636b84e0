/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Configuration: the environment, read and validated before any name lookup
 * or network action.  Pure code: everything comes in through getenv_fn, so the
 * unit tests drive it with a table and no constructor runs.
 */
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "strl.h"

#include "sockredir.h"
#include "shim.h"

static const struct {
	const char *name;
	enum sockredir_mode mode;
} mode_names[] = {
	{ "out", SOCKREDIR_OUT },
	{ "in", SOCKREDIR_IN },
	{ "client", SOCKREDIR_CLIENT },
	{ "both", SOCKREDIR_CLIENT },
	{ "server", SOCKREDIR_SERVER },
	{ "inetd", SOCKREDIR_INETD },
	{ "attach", SOCKREDIR_ATTACH },
};

const char *
sockredir_mode_name(enum sockredir_mode mode)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (mode_names[i].mode == mode)
			return mode_names[i].name;
	return "inactive";
}

/* What a mode means, in the contract's table. */
int
mode_listens(enum sockredir_mode mode)
{
	return mode == SOCKREDIR_SERVER || mode == SOCKREDIR_INETD;
}

/* Where a connection may begin with a PROXY header. */
static int
mode_takes_proxy(enum sockredir_mode mode)
{
	return mode == SOCKREDIR_SERVER || mode == SOCKREDIR_INETD ||
	    mode == SOCKREDIR_ATTACH;
}

int
mode_redirects_stdin(enum sockredir_mode mode)
{
	return mode != SOCKREDIR_OUT;
}

int
mode_redirects_stdout(enum sockredir_mode mode)
{
	return mode != SOCKREDIR_IN;
}

static int
bad_value(char *why, size_t whylen, const char *name, const char *value,
    const char *reason)
{
	char quoted[300];

	quote_value(value, quoted, sizeof(quoted));
	snprintf(why, whylen, "%s=\"%s\": %s", name, quoted, reason);
	return EX_USAGE;
}

int
sockredir_parse_seconds(const char *text, long *ms)
{
	const char *point = strchr(text, '.');
	char whole[16];
	long seconds, fraction_ms = 0, scale = 100;
	size_t len = point ? (size_t)(point - text) : strlen(text);

	if (len == 0 || len >= sizeof(whole))
		return -1;
	memcpy(whole, text, len);
	whole[len] = '\0';
	if (sockredir_parse_decimal(whole, 0, SOCKREDIR_MAX_SECONDS, &seconds) != 0)
		return -1;
	if (point != NULL) {
		const char *digit = point + 1;
		int rest = 0;

		if (*digit == '\0')
			return -1;
		for (; *digit != '\0'; digit++) {
			if (*digit < '0' || *digit > '9')
				return -1;
			if (scale > 0)
				fraction_ms += (*digit - '0') * scale;
			else if (*digit != '0')
				rest = 1;
			scale /= 10;
		}
		/* Round up so that a tiny nonzero time never reads as "off". */
		fraction_ms += rest;
	}
	if (seconds == SOCKREDIR_MAX_SECONDS && fraction_ms > 0)
		return -1;
	*ms = seconds * 1000 + fraction_ms;
	return 0;
}

int
sockredir_parse_buffer(const char *text, enum sockredir_buffer *buffer)
{
	if (strcmp(text, "line") == 0)
		*buffer = SOCKREDIR_BUFFER_LINE;
	else if (strcmp(text, "full") == 0)
		*buffer = SOCKREDIR_BUFFER_FULL;
	else if (strcmp(text, "none") == 0)
		*buffer = SOCKREDIR_BUFFER_NONE;
	else if (strcmp(text, "auto") == 0)
		*buffer = SOCKREDIR_BUFFER_AUTO;
	else
		return -1;
	return 0;
}

int
sockredir_parse_stderr(const char *text, int *connection)
{
	if (strcmp(text, SOCKREDIR_STDERR_KEEP) == 0)
		*connection = 0;
	else if (strcmp(text, SOCKREDIR_STDERR_CONNECTION) == 0)
		*connection = 1;
	else
		return -1;
	return 0;
}

static int
parse_mode(const char *value, enum sockredir_mode *mode)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(value, mode_names[i].name) == 0) {
			*mode = mode_names[i].mode;
			return 0;
		}
	}
	return -1;
}

static int
parse_host(struct sockredir_config *config, const char *value, char *why,
    size_t whylen)
{
	const char *original = value;	/* what the error line quotes */
	size_t len = strlen(value);

	if (strncmp(value, SOCKREDIR_UNIX_PREFIX, strlen(SOCKREDIR_UNIX_PREFIX)) == 0) {
		const char *path = value + strlen(SOCKREDIR_UNIX_PREFIX);

		if (*path == '\0')
			return bad_value(why, whylen, SOCKREDIR_ENV_HOST, value,
			    "no socket path after \"unix:\"");
		if (strlcpy(config->unix_path, path, sizeof(config->unix_path)) >=
		    sizeof(config->unix_path))
			return bad_value(why, whylen, SOCKREDIR_ENV_HOST, value,
			    "socket path longer than 107 bytes");
		config->is_unix = 1;
		return 0;
	}
	if (len >= 2 && value[0] == '[' && value[len - 1] == ']') {
		value++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(config->host))
		return bad_value(why, whylen, SOCKREDIR_ENV_HOST, original,
		    len == 0 ? "empty address" : "host name longer than 255 bytes");
	memcpy(config->host, value, len);
	config->host[len] = '\0';
	return 0;
}

static int
parse_port(const char *value, unsigned *port)
{
	long number;
	const struct servent *service;

	if (sockredir_parse_decimal(value, 1, 65535, &number) == 0) {
		*port = (unsigned)number;
		return 0;
	}
	if (strspn(value, "0123456789") == strlen(value))
		return -1;	/* digits, but out of range */
	service = getservbyname(value, "tcp");
	if (service == NULL)
		return -1;
	*port = ntohs((uint16_t)service->s_port);
	return 0;
}

/* An unset or empty variable (other than MODE) means its default. */
static const char *
lookup(sockredir_getenv_fn getenv_fn, const char *name)
{
	const char *value = getenv_fn(name);

	return value != NULL && *value != '\0' ? value : NULL;
}

/*
 * Socket activation, as sd_listen_fds(3) reads it: the variables are for us
 * only when LISTEN_PID is our PID; then LISTEN_FDS sockets from fd 3 are
 * our listeners.  A LISTEN_PID that is not ours (or not a number) is left
 * alone, as the variables of some other process.
 */
static int
parse_activation(struct sockredir_config *config, sockredir_getenv_fn getenv_fn,
    char *why, size_t whylen)
{
	const char *value;
	long number;

	if ((value = lookup(getenv_fn, SOCKREDIR_ENV_LISTEN_PID)) == NULL ||
	    sockredir_parse_decimal(value, 1, 0x7fffffff, &number) != 0 ||
	    number != (long)getpid())
		return 0;
	if ((value = lookup(getenv_fn, SOCKREDIR_ENV_LISTEN_FDS)) == NULL)
		return 0;
	if (sockredir_parse_decimal(value, 0, SOCKREDIR_MAX_LISTENERS, &number) != 0)
		return bad_value(why, whylen, SOCKREDIR_ENV_LISTEN_FDS, value,
		    "not a number of passed sockets from 0 to 16");
	config->listen_fds = (unsigned)number;
	return 0;
}

/* MAX, ALLOW, MAX_PER_PEER, SESSION_TIMEOUT and PREFORK apply to inetd mode only. */
static int
parse_inetd(struct sockredir_config *config, sockredir_getenv_fn getenv_fn,
    char *why, size_t whylen)
{
	const char *value;
	long max;

	config->max_children = SOCKREDIR_DEFAULT_MAX;
	if ((value = lookup(getenv_fn, SOCKREDIR_ENV_MAX)) != NULL) {
		if (sockredir_parse_decimal(value, 1, 65535, &max) != 0)
			return bad_value(why, whylen, SOCKREDIR_ENV_MAX, value,
			    "not a number of connections from 1 to 65535");
		config->max_children = (unsigned)max;
	}
	/* At most MAX copies at once, waiting ones included. */
	if ((value = lookup(getenv_fn, SOCKREDIR_ENV_PREFORK)) != NULL) {
		if (sockredir_parse_decimal(value, 0, config->max_children, &max) != 0) {
			char reason[80];

			snprintf(reason, sizeof(reason),
			    "not a number of waiting copies from 0 to %s (%u)",
			    SOCKREDIR_ENV_MAX, config->max_children);
			return bad_value(why, whylen, SOCKREDIR_ENV_PREFORK, value, reason);
		}
		config->prefork = (unsigned)max;
	}
	/* Per peer address: a unix: host has none, so it is ignored there. */
	if (!config->is_unix &&
	    (value = lookup(getenv_fn, SOCKREDIR_ENV_MAX_PER_PEER)) != NULL) {
		if (sockredir_parse_decimal(value, 1, 65535, &max) != 0)
			return bad_value(why, whylen, SOCKREDIR_ENV_MAX_PER_PEER, value,
			    "not a number of connections from 1 to 65535");
		config->max_per_peer = (unsigned)max;
	}
	if ((value = lookup(getenv_fn, SOCKREDIR_ENV_SESSION_TIMEOUT)) != NULL &&
	    sockredir_parse_seconds(value, &config->session_timeout_ms) != 0)
		return bad_value(why, whylen, SOCKREDIR_ENV_SESSION_TIMEOUT, value,
		    "not a number of seconds from 0 to 86400 (e.g. 2.5)");
	if ((value = lookup(getenv_fn, SOCKREDIR_ENV_ALLOW)) == NULL)
		return 0;
	if (config->is_unix)
		return bad_value(why, whylen, SOCKREDIR_ENV_ALLOW, value,
		    "does not apply to a unix: host (it filters IP addresses)");
	return sockredir_parse_allow(value, config->allow, &config->nallow, why,
	    whylen);
}

int
sockredir_parse_config(struct sockredir_config *config,
    sockredir_getenv_fn getenv_fn, char *why, size_t whylen)
{
	const char *value;
	int opens;

	memset(config, 0, sizeof(*config));
	config->mode = SOCKREDIR_INACTIVE;
	strlcpy(config->host, SOCKREDIR_DEFAULT_HOST, sizeof(config->host));
	config->port = SOCKREDIR_DEFAULT_PORT;
	config->buffer = SOCKREDIR_BUFFER_LINE;
	config->linger_ms = SOCKREDIR_DEFAULT_LINGER_MS;
	why[0] = '\0';

	value = getenv_fn(SOCKREDIR_ENV_MODE);
	if (value == NULL || *value == '\0')
		return 0;
	if (parse_mode(value, &config->mode) != 0)
		return bad_value(why, whylen, SOCKREDIR_ENV_MODE, value,
		    "unknown mode (out, in, client, both, server, inetd, attach)");

	if (mode_listens(config->mode) &&
	    parse_activation(config, getenv_fn, why, whylen) != 0)
		return EX_USAGE;
	/* attach opens nothing, and passed sockets are bound already. */
	opens = config->mode != SOCKREDIR_ATTACH && config->listen_fds == 0;
	if (opens && (value = lookup(getenv_fn, SOCKREDIR_ENV_HOST)) != NULL &&
	    parse_host(config, value, why, whylen) != 0)
		return EX_USAGE;
	if (opens && !config->is_unix &&
	    (value = lookup(getenv_fn, SOCKREDIR_ENV_PORT)) != NULL &&
	    parse_port(value, &config->port) != 0)
		return bad_value(why, whylen, SOCKREDIR_ENV_PORT, value,
		    "not a port number (1..65535) or a known TCP service");

	if ((value = lookup(getenv_fn, SOCKREDIR_ENV_BUFFER)) != NULL &&
	    sockredir_parse_buffer(value, &config->buffer) != 0)
		return bad_value(why, whylen, SOCKREDIR_ENV_BUFFER, value,
		    "not one of line, full, none, auto");
	/* Where fd 1 is not the connection (in), fd 2 cannot join it. */
	if (mode_redirects_stdout(config->mode) &&
	    (value = lookup(getenv_fn, SOCKREDIR_ENV_STDERR)) != NULL &&
	    sockredir_parse_stderr(value, &config->stderr_connection) != 0)
		return bad_value(why, whylen, SOCKREDIR_ENV_STDERR, value,
		    "not keep (fd 2 stays) or connection (fd 2 on the connection too)");
	/* inetd serves until signalled, attach waits for nothing: no TIMEOUT. */
	if (config->mode != SOCKREDIR_INETD && config->mode != SOCKREDIR_ATTACH &&
	    (value = lookup(getenv_fn, SOCKREDIR_ENV_TIMEOUT)) != NULL &&
	    sockredir_parse_seconds(value, &config->timeout_ms) != 0)
		return bad_value(why, whylen, SOCKREDIR_ENV_TIMEOUT, value,
		    "not a number of seconds from 0 to 86400 (e.g. 2.5)");
	if ((value = lookup(getenv_fn, SOCKREDIR_ENV_LINGER)) != NULL &&
	    sockredir_parse_seconds(value, &config->linger_ms) != 0)
		return bad_value(why, whylen, SOCKREDIR_ENV_LINGER, value,
		    "not a number of seconds from 0 to 86400 (e.g. 2.5)");
	if ((value = lookup(getenv_fn, SOCKREDIR_ENV_DEBUG)) != NULL) {
		if (strcmp(value, "1") == 0)
			config->debug = 1;
		else if (strcmp(value, "0") != 0)
			return bad_value(why, whylen, SOCKREDIR_ENV_DEBUG, value,
			    "not 1 (on) or 0 (off)");
	}
	if (mode_takes_proxy(config->mode) &&
	    (value = lookup(getenv_fn, SOCKREDIR_ENV_PROXY)) != NULL) {
		if (strcmp(value, "1") == 0)
			config->proxy = 1;
		else if (strcmp(value, "0") != 0)
			return bad_value(why, whylen, SOCKREDIR_ENV_PROXY, value,
			    "not 1 (a PROXY protocol header required) or 0 (off)");
	}
	if (config->mode == SOCKREDIR_INETD)
		return parse_inetd(config, getenv_fn, why, whylen);
	return 0;
}
