/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libstall.so: a test preload, placed before the shim, that holds up one
 * call so a test can change the world in the middle of the shim's work.
 * A connect to the Unix socket STALL_PATH, or with STALL_PEERNAME=1 a
 * getpeername (an inetd copy describing its connection), creates
 * STALL_DIR/stalled, waits (10 s at most) until STALL_DIR/go exists, then
 * goes on.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
stall(const char *dir)
{
	char name[PATH_MAX];

	snprintf(name, sizeof(name), "%s/stalled", dir);
	close(open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	snprintf(name, sizeof(name), "%s/go", dir);
	for (int i = 0; i < 1000 && access(name, F_OK) != 0; i++)
		usleep(10000);
}

int
getpeername(int fd, struct sockaddr *address, socklen_t *length)
{
	int (*real)(int, struct sockaddr *, socklen_t *) =
	    (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "getpeername");
	const char *on = getenv("STALL_PEERNAME"), *dir = getenv("STALL_DIR");

	if (on != NULL && strcmp(on, "1") == 0 && dir != NULL)
		stall(dir);
	return real(fd, address, length);
}

int
connect(int fd, const struct sockaddr *address, socklen_t length)
{
	int (*real)(int, const struct sockaddr *, socklen_t) =
	    (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
	const char *path = getenv("STALL_PATH"), *dir = getenv("STALL_DIR");

	if (path != NULL && dir != NULL && address->sa_family == AF_UNIX &&
	    strcmp(((const struct sockaddr_un *)address)->sun_path, path) == 0)
		stall(dir);
	return real(fd, address, length);
}
