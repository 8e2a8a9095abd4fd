/* Preloaded in every sandbox (/etc/ld.so.preload): statx() without AT_NO_AUTOMOUNT.
 *
 * gVisor as Debian 12 packages it (runsc 0.0~20221219) answers EINVAL to every statx() that
 * carries AT_NO_AUTOMOUNT, and coreutils always passes it: `ls /workspace` and `stat FILE` fail in
 * a gVisor sandbox. A sandbox has no automount points, so dropping the flag changes nothing else
 * (under runc as well). Programs that call stat() or fstatat() (Python, find, cp) never needed it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
{
    static int (*real)(int, const char *, int, unsigned int, struct statx *);
    if (!real)
        real = (int (*)(int, const char *, int, unsigned int, struct statx *))dlsym(RTLD_NEXT, "statx");
    return real(dirfd, path, flags & ~AT_NO_AUTOMOUNT, mask, buf);
}
