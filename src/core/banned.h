/*
 * Functions that invite overflows or hidden state, poisoned so they cannot be
 * used by accident. Layer: core. The build force-includes this file before
 * every source file; the C library headers that declare these functions are
 * read first so their declarations are not themselves poisoned. Use str_copy,
 * struct str, snprintf or span_to_u64 instead.
 */
#ifndef CORE_BANNED_H
#define CORE_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

/* With _FORTIFY_SOURCE, clang's C library headers make some of these macros. */
#undef strcpy
#undef strcat
#undef sprintf
#undef vsprintf
#undef gets
#undef strtok
#undef strncpy
#undef atoi

#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok strncpy atoi

#endif
