#ifndef CTHEANO_SHIM_H
#define CTHEANO_SHIM_H
// CBLAS and LAPACKE from the system (Debian: libopenblas-dev, liblapacke-dev).
#include <cblas.h>
#include <lapacke.h>
#endif
