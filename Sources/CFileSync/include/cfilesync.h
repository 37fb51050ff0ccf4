#pragma once
/// syncfs(2) is a GNU extension that Swift's Glibc module does not expose.
int cfilesync_syncfs(int fd);
