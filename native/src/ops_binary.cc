// Elementwise binary kernels with NumPy/tfjs broadcasting.
#include "common.h"

GMM_OP(Add) { return {at::add(in[0], in[1])}; }
GMM_OP(Sub) { return {at::sub(in[0], in[1])}; }
GMM_OP(Multiply) { return {at::mul(in[0], in[1])}; }
GMM_OP(RealDiv) { return {at::div(in[0], in[1])}; }
