/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The program's environment: what it tells the children (a child that loads
 * the shim again must not connect again: it finds SOCKREDIR_STREAM, which
 * names the process that connected and the socket, device and inode, it
 * holds), and the connection described to the program itself.  The values
 * are read and written by inherit.c; this file does the system calls.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <dlfcn.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

int
identify_stream(int fd, struct stream_id *id)
{
	struct stat status;

	if (fstat(fd, &status) == -1 || !S_ISSOCK(status.st_mode))
		return -1;
	id->pid = getpid();
	id->dev = status.st_dev;
	id->ino = status.st_ino;
	return 0;
}

int
fd_is_stream(int fd, const struct stream_id *id)
{
	struct stat status;

	return fstat(fd, &status) == 0 && S_ISSOCK(status.st_mode) &&
	    status.st_dev == id->dev && status.st_ino == id->ino;
}

static char stream_slot[sizeof(SOCKREDIR_ENV_STREAM) + 64];
static int stream_slot_in_environ;	/* see prepare_copy_environment */

int
mark_stream(const struct stream_id *id)
{
	snprintf(stream_slot, sizeof(stream_slot), "%s=%jd:%ju:%ju", SOCKREDIR_ENV_STREAM,
	    (intmax_t)id->pid, (uintmax_t)id->dev, (uintmax_t)id->ino);
	return stream_slot_in_environ ? 0 : putenv(stream_slot);
}

int
inherited_stream(struct stream_id *id)
{
	return parse_stream_value(getenv(SOCKREDIR_ENV_STREAM), id);
}

/* Our own entry of LD_PRELOAD, made absolute for children that chdir. */
static int
make_preload_absolute(void)
{
	const char *preload = getenv("LD_PRELOAD");
	char self[PATH_MAX], *rewritten;
	Dl_info info;
	int result;

	if (preload == NULL || dladdr((void *)make_preload_absolute, &info) == 0 ||
	    info.dli_fname == NULL || realpath(info.dli_fname, self) == NULL)
		return 0;
	if ((result = rewrite_preload(preload, self, realpath, &rewritten)) <= 0)
		return result;
	result = setenv("LD_PRELOAD", rewritten, 1);
	free(rewritten);
	return result;
}

/*
 * Python buffers its own sys.stdout and ignores stdio's setvbuf; this is the
 * seed's "run it with -u" done for the user.  A value already set is theirs.
 */
static int
set_python_unbuffered(void)
{
	const char *value = getenv("PYTHONUNBUFFERED");

	if (value != NULL && *value != '\0')
		return 0;
	return setenv("PYTHONUNBUFFERED", "1", 1);
}

/* What the children need whatever the connection: done before connecting. */
int
prepare_environment(const struct sockredir_config *config)
{
	if (make_preload_absolute() == -1)
		return -1;
	if (mode_redirects_stdout(config->mode) &&
	    config->buffer != SOCKREDIR_BUFFER_FULL)
		return set_python_unbuffered();
	return 0;
}

/*
 * The variables that describe one connection are written into static slots
 * and put into the environment with putenv, which keeps the slot itself: in
 * an inetd child, right after fork, this costs no malloc and no copy.
 */
#define SLOT(name, size) static char name[size]
SLOT(proto_slot, sizeof("PROTO=UNIX"));
SLOT(local_ip_slot, sizeof("TCPLOCALIP=") + INET6_ADDRSTRLEN);
SLOT(local_port_slot, sizeof("TCPLOCALPORT=") + 24);
SLOT(remote_ip_slot, sizeof("TCPREMOTEIP=") + INET6_ADDRSTRLEN);
SLOT(remote_port_slot, sizeof("TCPREMOTEPORT=") + 24);
SLOT(unix_path_slot, sizeof("UNIXLOCALPATH=") + 108);
SLOT(unix_pid_slot, sizeof("UNIXREMOTEPID=") + 24);
SLOT(unix_euid_slot, sizeof("UNIXREMOTEEUID=") + 24);
SLOT(unix_egid_slot, sizeof("UNIXREMOTEEGID=") + 24);

/* Every name of the description, so none is ever inherited stale or forged. */
enum description_name {
	NAME_PROTO, NAME_TCPLOCALIP, NAME_TCPLOCALPORT, NAME_TCPREMOTEIP, NAME_TCPREMOTEPORT,
	NAME_TCPLOCALHOST, NAME_TCPREMOTEHOST, NAME_TCPREMOTEINFO,
	NAME_UNIXLOCALPATH, NAME_UNIXREMOTEPID, NAME_UNIXREMOTEEUID, NAME_UNIXREMOTEEGID,
	N_NAMES
};
static const char *const description_names[N_NAMES] = {
	[NAME_PROTO] = "PROTO",
	[NAME_TCPLOCALIP] = "TCPLOCALIP", [NAME_TCPLOCALPORT] = "TCPLOCALPORT",
	[NAME_TCPREMOTEIP] = "TCPREMOTEIP", [NAME_TCPREMOTEPORT] = "TCPREMOTEPORT",
	[NAME_TCPLOCALHOST] = "TCPLOCALHOST", [NAME_TCPREMOTEHOST] = "TCPREMOTEHOST",
	[NAME_TCPREMOTEINFO] = "TCPREMOTEINFO",
	[NAME_UNIXLOCALPATH] = "UNIXLOCALPATH", [NAME_UNIXREMOTEPID] = "UNIXREMOTEPID",
	[NAME_UNIXREMOTEEUID] = "UNIXREMOTEEUID", [NAME_UNIXREMOTEEGID] = "UNIXREMOTEEGID",
};

/* Which of the names a connection's description sets. */
#define BIT(name) (1u << NAME_##name)
#define TCP_NAMES (BIT(PROTO) | BIT(TCPLOCALIP) | BIT(TCPLOCALPORT) | \
	BIT(TCPREMOTEIP) | BIT(TCPREMOTEPORT))
#define UNIX_PATHLESS (BIT(PROTO) | BIT(UNIXREMOTEPID) | BIT(UNIXREMOTEEUID) | \
	BIT(UNIXREMOTEEGID))	/* a client's socket has no path */
#define UNIX_NAMES (UNIX_PATHLESS | BIT(UNIXLOCALPATH))

/*
 * Which names the environment may hold (any, until the inetd listener
 * removes those it does not prepare), and which of them are held by our
 * own slot: the entry is the slot itself, so writing the slot is enough.
 */
static unsigned names_present = (1u << N_NAMES) - 1;
static unsigned names_in_slots;

static int
put(char *slot, size_t size, enum description_name name, const char *value)
{
	unsigned bit = 1u << name;

	snprintf(slot, size, "%s=%s", description_names[name], value);
	if (names_in_slots & bit)
		return 0;
	if (putenv(slot) != 0)
		return -1;
	names_present |= bit;
	names_in_slots |= bit;
	return 0;
}

static int
put_number(char *slot, size_t size, enum description_name name, uintmax_t value)
{
	char text[24];

	snprintf(text, sizeof(text), "%ju", value);
	return put(slot, size, name, text);
}

#define PUT(slot, name, value) put(slot, sizeof(slot), NAME_##name, value)
#define PUT_NUMBER(slot, name, value) put_number(slot, sizeof(slot), NAME_##name, value)

/*
 * The names not set are removed after the others are put, so that a copy
 * whose listener prepared the names (prepare_copy_environment) neither
 * grows environ nor touches the heap.  Each putenv and unsetenv walks the
 * whole environment: only the names that may be there are removed.
 */
static void
forget_description_except(unsigned kept)
{
	for (size_t i = 0; i < N_NAMES; i++) {
		unsigned bit = 1u << i;

		if ((names_present & bit) && !(kept & bit)) {
			unsetenv(description_names[i]);
			names_present &= ~bit;
			names_in_slots &= ~bit;
		}
	}
}

/*
 * UNIXLOCALPATH: the path the socket is bound to; a client's has none.
 * Returns the names set (0: none, the connection cannot be described), or -1.
 */
static int
describe_unix(int stream, const struct sockaddr_un *local, socklen_t locallen)
{
	struct ucred peer;
	socklen_t peerlen = sizeof(peer);
	size_t pathlen = locallen > offsetof(struct sockaddr_un, sun_path) ?
	    strnlen(local->sun_path, locallen - offsetof(struct sockaddr_un, sun_path)) : 0;
	char path[sizeof(local->sun_path) + 1];

	if (getsockopt(stream, SOL_SOCKET, SO_PEERCRED, &peer, &peerlen) == -1)
		return 0;
	memcpy(path, local->sun_path, pathlen);
	path[pathlen] = '\0';
	if (PUT(proto_slot, PROTO, "UNIX") != 0 || (pathlen > 0 &&
	    PUT(unix_path_slot, UNIXLOCALPATH, path) != 0))
		return -1;
	if (PUT_NUMBER(unix_pid_slot, UNIXREMOTEPID, (uintmax_t)peer.pid) != 0 ||
	    PUT_NUMBER(unix_euid_slot, UNIXREMOTEEUID, peer.uid) != 0 ||
	    PUT_NUMBER(unix_egid_slot, UNIXREMOTEEGID, peer.gid) != 0)
		return -1;
	return pathlen > 0 ? UNIX_NAMES : UNIX_PATHLESS;
}

static int
put_tcp(const struct sockaddr *local, const struct sockaddr *remote)
{
	char localip[INET6_ADDRSTRLEN], remoteip[INET6_ADDRSTRLEN];
	unsigned localport, remoteport;

	if (address_ip_port(local, localip, sizeof(localip), &localport) == -1 ||
	    address_ip_port(remote, remoteip, sizeof(remoteip), &remoteport) == -1)
		return 0;
	return PUT(proto_slot, PROTO, "TCP") != 0 ||
	    PUT(local_ip_slot, TCPLOCALIP, localip) != 0 ||
	    PUT_NUMBER(local_port_slot, TCPLOCALPORT, localport) != 0 ||
	    PUT(remote_ip_slot, TCPREMOTEIP, remoteip) != 0 ||
	    PUT_NUMBER(remote_port_slot, TCPREMOTEPORT, remoteport) != 0 ? -1 :
	    (int)TCP_NAMES;
}

/*
 * inetd: in the listener, before it forks.  The names each copy sets, with
 * empty values for now (the listener never runs main, and a copy sets or
 * removes every one of them before main): their entries are then our slots
 * in every copy, which writes a slot where adding a name would realloc
 * environ and walk it.  TCP's names: a unix: copy removes them, as it
 * removes inherited ones.  The other names are removed here, once, so that
 * no copy looks for them.
 */
int
prepare_copy_environment(void)
{
	if (putenv(strcpy(stream_slot, SOCKREDIR_ENV_STREAM "=")) != 0)
		return -1;
	stream_slot_in_environ = 1;
	if (PUT(proto_slot, PROTO, "") != 0 || PUT(local_ip_slot, TCPLOCALIP, "") != 0 ||
	    PUT(local_port_slot, TCPLOCALPORT, "") != 0 ||
	    PUT(remote_ip_slot, TCPREMOTEIP, "") != 0 ||
	    PUT(remote_port_slot, TCPREMOTEPORT, "") != 0)
		return -1;
	forget_description_except(TCP_NAMES);
	return 0;
}

static int
describe_tcp(int stream, const struct sockaddr *local)
{
	struct sockaddr_storage remote;
	socklen_t remotelen = sizeof(remote);

	if (getpeername(stream, (struct sockaddr *)&remote, &remotelen) == -1)
		return 0;
	return put_tcp(local, (struct sockaddr *)&remote);
}

/*
 * PROXY protocol: the header's addresses, the original client's and the one
 * it reached, describe the connection instead of the proxy's (TCP names,
 * also behind a unix: listener).  A LOCAL or UNKNOWN header leaves the
 * connection's own.
 */
static struct sockaddr_storage proxied_local, proxied_remote;
static int proxied;

void
use_proxy_header(const struct sockredir_proxy *header)
{
	proxied = header->addressed;
	if (proxied) {
		proxy_sockaddr(&header->destination, &proxied_local);
		proxy_sockaddr(&header->source, &proxied_remote);
	}
}

/* For the DEBUG line: the header's addresses, if it gave any. */
int
proxied_addresses(struct sockaddr_storage *local, struct sockaddr_storage *remote)
{
	if (!proxied)
		return 0;
	*local = proxied_local;
	*remote = proxied_remote;
	return 1;
}

/*
 * The connection in the UCSPI convention, as tcpserver and tcpclient (and
 * ucspi-unix) describe it, so programs written for them read their peer the
 * same way.  What the environment held before is forgotten first: a
 * connection that can no longer be described (reset before this copy ran)
 * leaves every name unset rather than inherited.
 */
int
describe_connection(int stream, const struct sockredir_config *config)
{
	struct sockaddr_storage local = { 0 };
	socklen_t locallen = sizeof(local);
	int described = 0;

	(void)config;
	if (proxied)
		described = put_tcp((struct sockaddr *)&proxied_local,
		    (struct sockaddr *)&proxied_remote);
	/* By the socket's family: a passed or attached one has no unix: host. */
	else if (getsockname(stream, (struct sockaddr *)&local, &locallen) == -1)
		described = 0;
	else if (local.ss_family == AF_UNIX)
		described = describe_unix(stream, (struct sockaddr_un *)&local, locallen);
	else
		described = describe_tcp(stream, (struct sockaddr *)&local);
	if (described == -1)
		return -1;
	forget_description_except((unsigned)described);
	return 0;
}
