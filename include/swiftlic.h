/*
 * swiftlic.h — the C ABI of libswiftlic.so, the one contract between the Swift core and its callers.
 *
 * Rules (docs: ../README.md, DESIGN.md):
 *  - Every function that can fail returns int32_t status: SLIC_OK (0) or one of the codes below.
 *    slic_status_string(status) gives static text; slic_last_error() gives this thread's detail message
 *    for the last failure (valid until the next failing call on the same thread).
 *  - The caller owns all memory. Inputs: pointer + element count (+ shape); outputs: pointer + capacity.
 *    Nothing is retained after a call returns. Bad input never traps: it returns SLIC_INVALID_ARGUMENT.
 *  - No global mutable state except the thread count, so callers may run calls concurrently.
 *  - Memory from slic_alloc (64-byte aligned) is released with slic_free.
 */
#ifndef SWIFTLIC_H
#define SWIFTLIC_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLIC_ABI_VERSION 1u

enum {
    SLIC_OK = 0,
    SLIC_INVALID_ARGUMENT = 1,
    SLIC_BUFFER_TOO_SMALL = 2,
    SLIC_CORRUPT_STREAM = 3,
    SLIC_UNSUPPORTED_VERSION = 4,
    SLIC_MODEL_MISMATCH = 5,
    SLIC_LIMIT_EXCEEDED = 6,
    SLIC_OUT_OF_MEMORY = 7,
    SLIC_INTERNAL_ERROR = 8
};

/* ---- support ------------------------------------------------------------------------------------------ */
uint32_t slic_abi_version(void);
const char *slic_status_string(int32_t status);
const char *slic_last_error(void);
int32_t slic_set_num_threads(int32_t n);           /* 1..1024 */
int32_t slic_get_num_threads(void);
int32_t slic_alloc(int64_t bytes, void **out);
void slic_free(void *p);

/* ---- colour: JPEG full-range BT.601; u8 images interleaved H×W×3, f32 images planar 3×H×W in [0,1] ---- */
/* to_rgb = 0: RGB → YCbCr; to_rgb = 1: YCbCr → RGB. Counts are element counts (3 × pixels). */
int32_t slic_color_u8_u8(int32_t to_rgb, const uint8_t *in, int64_t in_count, uint8_t *out, int64_t out_count,
                         int64_t pixels);
int32_t slic_color_u8_f32(int32_t to_rgb, const uint8_t *in, int64_t in_count, float *out, int64_t out_count,
                          int64_t pixels);
int32_t slic_color_f32_u8(int32_t to_rgb, const float *in, int64_t in_count, uint8_t *out, int64_t out_count,
                          int64_t pixels);
int32_t slic_color_f32_f32(int32_t to_rgb, const float *in, int64_t in_count, float *out, int64_t out_count,
                           int64_t pixels);

/* ---- GEMM: C ← α·op(A)·op(B) + β·C, row-major; counts are the buffers' element counts ---------------- */
int32_t slic_gemm_f32(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                      const float *a, int64_t a_count, int64_t lda, const float *b, int64_t b_count, int64_t ldb,
                      float beta, float *c, int64_t c_count, int64_t ldc);

/* ---- nn kernels (see Sources/SwiftLICCAPI/Exports+NN.swift) ------------------------------------------- */
/* NCHW float32, dense row-major. Counts are element counts; each is checked against the shape. Forward outputs
 * and input gradients are overwritten; weight/bias/slope gradients ACCUMULATE (+=). Optional buffers (bias,
 * slopes, grad_bias, grad_input of linear) are NULL with count 0. Outputs must not overlap inputs, except where
 * said. Results are bit-identical for any thread count. */
enum { SLIC_PAD_ZEROS = 0, SLIC_PAD_REFLECT = 1 };
enum { SLIC_ACT_IDENTITY = 0, SLIC_ACT_RELU = 1, SLIC_ACT_PRELU = 2, SLIC_ACT_SIGMOID = 3, SLIC_ACT_TANH = 4 };

/* Conv2D (cross-correlation, groups = 1): x n×c×h×w, weight cout×c×k×k, y n×cout×ho×wo with
 * ho = (h + 2·padding − k)/stride + 1. Reflect padding needs padding < h and < w. The forward adds the bias and
 * applies `activation` (SLIC_ACT_*; PReLU takes cout slopes) in the same pass. */
int32_t slic_conv2d_forward(const float *x, int64_t x_count, const float *w, int64_t w_count, const float *bias,
                            int64_t bias_count, float *y, int64_t y_count, int64_t n, int64_t c, int64_t h,
                            int64_t wd, int64_t cout, int64_t k, int64_t stride, int64_t padding,
                            int32_t padding_mode, int32_t activation, const float *slopes, int64_t slopes_count);
int32_t slic_conv2d_backward_data(const float *gy, int64_t gy_count, const float *w, int64_t w_count, float *gx,
                                  int64_t gx_count, int64_t n, int64_t c, int64_t h, int64_t wd, int64_t cout,
                                  int64_t k, int64_t stride, int64_t padding, int32_t padding_mode);
int32_t slic_conv2d_backward_weight(const float *x, int64_t x_count, const float *gy, int64_t gy_count, float *gw,
                                    int64_t gw_count, float *gb, int64_t gb_count, int64_t n, int64_t c, int64_t h,
                                    int64_t wd, int64_t cout, int64_t k, int64_t stride, int64_t padding,
                                    int32_t padding_mode);

/* ConvTranspose2D (PyTorch's ConvTranspose2d, zero padding): x n×c×h×w, weight c×cout×k×k, y n×cout×ho×wo with
 * ho = (h − 1)·stride − 2·padding + k + output_padding, 0 ≤ output_padding < stride. */
int32_t slic_conv_transpose2d_forward(const float *x, int64_t x_count, const float *w, int64_t w_count,
                                      const float *bias, int64_t bias_count, float *y, int64_t y_count, int64_t n,
                                      int64_t c, int64_t h, int64_t wd, int64_t cout, int64_t k, int64_t stride,
                                      int64_t padding, int64_t output_padding, int32_t activation,
                                      const float *slopes, int64_t slopes_count);
int32_t slic_conv_transpose2d_backward_data(const float *gy, int64_t gy_count, const float *w, int64_t w_count,
                                            float *gx, int64_t gx_count, int64_t n, int64_t c, int64_t h,
                                            int64_t wd, int64_t cout, int64_t k, int64_t stride, int64_t padding,
                                            int64_t output_padding);
int32_t slic_conv_transpose2d_backward_weight(const float *x, int64_t x_count, const float *gy, int64_t gy_count,
                                              float *gw, int64_t gw_count, float *gb, int64_t gb_count, int64_t n,
                                              int64_t c, int64_t h, int64_t wd, int64_t cout, int64_t k,
                                              int64_t stride, int64_t padding, int64_t output_padding);

/* Linear: x n×in, weight out×in, y n×out = x·weightᵀ + bias. */
int32_t slic_linear_forward(const float *x, int64_t x_count, const float *w, int64_t w_count, const float *bias,
                            int64_t bias_count, float *y, int64_t y_count, int64_t n, int64_t in_features,
                            int64_t out_features);
int32_t slic_linear_backward(const float *x, int64_t x_count, const float *w, int64_t w_count, const float *gy,
                             int64_t gy_count, float *gx, int64_t gx_count, float *gw, int64_t gw_count, float *gb,
                             int64_t gb_count, int64_t n, int64_t in_features, int64_t out_features);

/* Element-wise activations (SLIC_ACT_IDENTITY/RELU/SIGMOID/TANH). The backward takes the forward's OUTPUT y.
 * y may be x (in place); gx may be gy. */
int32_t slic_activation_forward(int32_t activation, const float *x, int64_t x_count, float *y, int64_t y_count);
int32_t slic_activation_backward(int32_t activation, const float *y, int64_t y_count, const float *gy,
                                 int64_t gy_count, float *gx, int64_t gx_count);

/* PReLU over n×c×spatial (spatial = h·w, or 1): one slope per channel. y may be x; gx may be gy. */
int32_t slic_prelu_forward(const float *x, int64_t x_count, const float *slopes, int64_t slopes_count, float *y,
                           int64_t y_count, int64_t n, int64_t c, int64_t spatial);
int32_t slic_prelu_backward(const float *x, int64_t x_count, const float *slopes, int64_t slopes_count,
                            const float *gy, int64_t gy_count, float *gx, int64_t gx_count, float *g_slopes,
                            int64_t g_slopes_count, int64_t n, int64_t c, int64_t spatial);

/* ---- layer kernels: GDN, pooling, resampling, quantization proxies, Adam, losses
 *      (see Sources/SwiftLICCAPI/Exports+Layers.swift) ------------------------------------------------- */

/* ---- latent codec (see Sources/SwiftLICCAPI/Exports+Codec.swift) -------------------------------------- */

#ifdef __cplusplus
}
#endif
#endif /* SWIFTLIC_H */
