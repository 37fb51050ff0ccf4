#define _GNU_SOURCE
#include <unistd.h>
#include "cfilesync.h"

int cfilesync_syncfs(int fd) { return syncfs(fd); }
