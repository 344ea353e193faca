#ifndef CDNNL_SHIM_H
#define CDNNL_SHIM_H
// oneDNN's C API (2.x) from the system (Debian: libdnnl-dev).
#include <oneapi/dnnl/dnnl.h>

// Execution argument indices, as constants Swift imports (the DNNL_ARG_* macros are defined
// through other macros, which Swift does not import).
static const int cdnnl_arg_src = DNNL_ARG_SRC;
static const int cdnnl_arg_dst = DNNL_ARG_DST;
static const int cdnnl_arg_weights = DNNL_ARG_WEIGHTS;
static const int cdnnl_arg_bias = DNNL_ARG_BIAS;
static const int cdnnl_arg_mean = DNNL_ARG_MEAN;
static const int cdnnl_arg_variance = DNNL_ARG_VARIANCE;
static const int cdnnl_arg_scale = DNNL_ARG_SCALE;
static const int cdnnl_arg_shift = DNNL_ARG_SHIFT;
static const int cdnnl_arg_workspace = DNNL_ARG_WORKSPACE;
static const int cdnnl_arg_diff_src = DNNL_ARG_DIFF_SRC;
static const int cdnnl_arg_diff_dst = DNNL_ARG_DIFF_DST;
static const int cdnnl_arg_diff_weights = DNNL_ARG_DIFF_WEIGHTS;
static const int cdnnl_arg_diff_bias = DNNL_ARG_DIFF_BIAS;
static const int cdnnl_arg_diff_scale = DNNL_ARG_DIFF_SCALE;
static const int cdnnl_arg_diff_shift = DNNL_ARG_DIFF_SHIFT;
static const int cdnnl_arg_from = DNNL_ARG_FROM;
static const int cdnnl_arg_to = DNNL_ARG_TO;
static const int cdnnl_arg_scratchpad = DNNL_ARG_SCRATCHPAD;
#endif
