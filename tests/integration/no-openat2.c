/*
 * LD_PRELOAD shim for tftp.sh: a kernel (or a container's seccomp filter)
 * without openat2.  Every other system call passes through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/syscall.h>

long
syscall(long number, ...)
{
	static long (*real)(long, ...);
	long arg[6];
	va_list ap;

	if (number == SYS_openat2) {
		errno = ENOSYS;
		return -1;
	}
	/* As glibc's own syscall(): six argument registers, used or not. */
	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		arg[i] = va_arg(ap, long);
	va_end(ap);
	if (real == NULL)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(number, arg[0], arg[1], arg[2], arg[3], arg[4], arg[5]);
}
