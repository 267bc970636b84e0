/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target over the whole configuration parser and the ALLOW
 * matcher.  The input is the environment: up to twelve values separated by
 * NUL bytes (MODE, HOST, PORT, BUFFER, TIMEOUT, LINGER, DEBUG, MAX, ALLOW,
 * MAX_PER_PEER, SESSION_TIMEOUT, PROXY; a missing value is unset), then 16
 * bytes of a peer address.  The whole input is also given to the PROXY
 * header parser.  Besides the sanitizers, it checks the contract's
 * invariants and aborts on a breach.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sockredir.h"
#include "shim.h"

static const char *names[] = {
	SOCKREDIR_ENV_MODE, SOCKREDIR_ENV_HOST, SOCKREDIR_ENV_PORT,
	SOCKREDIR_ENV_BUFFER, SOCKREDIR_ENV_TIMEOUT, SOCKREDIR_ENV_LINGER,
	SOCKREDIR_ENV_DEBUG, SOCKREDIR_ENV_MAX, SOCKREDIR_ENV_ALLOW,
	SOCKREDIR_ENV_MAX_PER_PEER, SOCKREDIR_ENV_SESSION_TIMEOUT, SOCKREDIR_ENV_PROXY,
};
#define NVARS (sizeof(names) / sizeof(names[0]))
static const char *values[NVARS];

static const char *
fake_getenv(const char *name)
{
	for (size_t i = 0; i < NVARS; i++)
		if (strcmp(names[i], name) == 0)
			return values[i];
	return NULL;
}

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
check_config(const struct sockredir_config *config, const unsigned char *peer_bytes)
{
	struct sockaddr_in6 peer6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in peer4 = { .sin_family = AF_INET };

	check(config->mode >= SOCKREDIR_INACTIVE && config->mode <= SOCKREDIR_ATTACH);
	if (config->mode == SOCKREDIR_INACTIVE)
		return;
	check(config->is_unix || (config->port >= 1 && config->port <= 65535));
	check(config->is_unix || strlen(config->host) > 0);
	check(config->timeout_ms >= 0 && config->timeout_ms <= 86400000L);
	check(config->linger_ms >= 0 && config->linger_ms <= 86400000L);
	check(config->debug == 0 || config->debug == 1);
	check(config->proxy == 0 || config->proxy == 1);
	check(!config->proxy || config->mode == SOCKREDIR_SERVER ||
	    config->mode == SOCKREDIR_INETD || config->mode == SOCKREDIR_ATTACH);
	if (config->mode != SOCKREDIR_INETD) {
		check(config->max_per_peer == 0 && config->session_timeout_ms == 0);
		return;
	}
	check(config->max_children >= 1 && config->max_children <= 65535);
	check(config->max_per_peer <= 65535 && (!config->is_unix || config->max_per_peer == 0));
	check(config->session_timeout_ms >= 0 && config->session_timeout_ms <= 86400000L);
	check(config->nallow <= SOCKREDIR_MAX_ALLOW);
	for (size_t i = 0; i < config->nallow; i++) {
		const struct sockredir_allow *rule = &config->allow[i];

		/* A rule always admits its own network address. */
		if (rule->family == AF_INET) {
			check(rule->prefix <= 32);
			memcpy(&peer4.sin_addr, rule->address, 4);
			check(sockredir_allow_match(rule, 1, (struct sockaddr *)&peer4));
		} else {
			check(rule->family == AF_INET6 && rule->prefix <= 128);
			memcpy(&peer6.sin6_addr, rule->address, 16);
			check(sockredir_allow_match(rule, 1, (struct sockaddr *)&peer6));
		}
	}
	memcpy(&peer6.sin6_addr, peer_bytes, 16);
	memcpy(&peer4.sin_addr, peer_bytes, 4);
	(void)sockredir_allow_match(config->allow, config->nallow, (struct sockaddr *)&peer6);
	(void)sockredir_allow_match(config->allow, config->nallow, (struct sockaddr *)&peer4);
}

/*
 * The PROXY parser: a decision is final (a longer input never changes it),
 * a v1 header lies within its 107 bytes and the input, a v2 one is at
 * least its 16 bytes.
 */
static void
check_proxy(const uint8_t *data, size_t size)
{
	struct sockredir_proxy proxy, longer;
	int result = sockredir_parse_proxy(data, size, &proxy);

	check(result >= -1 && result <= 1);
	if (size > 0)
		check(sockredir_parse_proxy(data, size - 1, &longer) != -1 || result == -1);
	if (result != 1)
		return;
	check(proxy.version == 1 || proxy.version == 2);
	if (proxy.version == 1)
		check(proxy.header_length >= 8 && proxy.header_length <= 107 &&
		    proxy.header_length <= size);
	else
		check(proxy.header_length >= 16 && proxy.header_length <= 16 + 65535);
	check(!proxy.addressed || proxy.source.family == proxy.destination.family);
	check(!proxy.addressed || proxy.source.port <= 65535);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sockredir_config config;
	unsigned char peer_bytes[16] = { 0 };
	char *copy = malloc(size + 1), *p = copy, *end = copy + size, why[1024];
	size_t n = 0;
	int result;

	memcpy(copy, data, size);
	copy[size] = '\0';
	memset(values, 0, sizeof(values));
	while (n < NVARS && p <= end) {
		values[n++] = p;
		p += strlen(p) + 1;
	}
	if (p < end)
		memcpy(peer_bytes, p, (size_t)(end - p) < 16 ? (size_t)(end - p) : 16);

	result = sockredir_parse_config(&config, fake_getenv, why, sizeof(why));
	check(result == 0 || result == EX_USAGE);
	if (result == EX_USAGE) {
		check(strncmp(why, "SOCKREDIR_", 10) == 0);
		check(strchr(why, '\n') == NULL && strlen(why) < sizeof(why) - 1);
	} else
		check_config(&config, peer_bytes);
	free(copy);
	check_proxy(data, size);
	return 0;
}
