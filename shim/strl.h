/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * strlcpy and strlcat: the libc's own where it has them (musl; glibc from
 * 2.38 on), libbsd's where it does not (glibc 2.36, Debian 12).  The
 * Makefile tries the libc first and defines SOCKREDIR_LIBBSD otherwise.
 */
#ifndef SOCKREDIR_STRL_H
#define SOCKREDIR_STRL_H

#include <string.h>
#ifdef SOCKREDIR_LIBBSD
#include <bsd/string.h>
#endif

#endif
