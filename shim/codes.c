/* SPDX-License-Identifier: BSD-2-Clause */
/* The sysexits code for a failed system call, as the contract's Errors say. */
#include <errno.h>

#include "shim.h"

/* Out of descriptors or memory is the system's failure; the rest, the peer's. */
int
exit_code_for(int error)
{
	switch (error) {
	case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM:
	case EAFNOSUPPORT: case EPROTONOSUPPORT:
		return EX_OSERR;
	default:
		return EX_UNAVAILABLE;
	}
}
