// zlib from the system (Debian: zlib1g-dev): deflate, inflate and crc32 for .npz archives.
#include <zlib.h>
