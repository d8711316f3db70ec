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

#define SLIC_ABI_VERSION 5u

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
/* The GEMM micro-kernel the library was built with: "12x32-avx512" or "6x16-avx2" (static string). */
const char *slic_gemm_kernel(void);
/* The FMA ceiling, for benchmarks: `iterations` rounds of one FMA on each of the micro-kernel's independent
 * accumulators (24 sixteen-wide, or 12 eight-wide), on the calling thread. Writes the FLOPs done and a checksum
 * (sum over accumulators c of 1 + (c − 1)·(1 − 2⁻¹⁰)^iterations, in float arithmetic). Time it yourself. */
int32_t slic_fma_probe(int64_t iterations, int64_t *flops, float *checksum);

/* ---- nn kernels (see Sources/SwiftLICCAPI/Exports+NN.swift) ------------------------------------------- */
/* NCHW float32, dense row-major. Counts are element counts; each is checked against the shape. Forward outputs
 * and input gradients are overwritten; weight/bias/slope gradients ACCUMULATE (+=). Optional buffers (bias,
 * slopes, grad_bias, grad_input of linear) are NULL with count 0. Outputs must not overlap inputs, except where
 * said. Results are bit-identical for any thread count. */
enum { SLIC_PAD_ZEROS = 0, SLIC_PAD_REFLECT = 1 };
enum { SLIC_ACT_IDENTITY = 0, SLIC_ACT_RELU = 1, SLIC_ACT_PRELU = 2, SLIC_ACT_SIGMOID = 3, SLIC_ACT_TANH = 4 };

/* Conv2D (cross-correlation, groups = 1): x n×c×h×w, weight cout×c×k×k, y n×cout×ho×wo with
 * ho = (h + 2·padding − k)/stride + 1. Reflect padding needs padding < h and < w. The forward adds the bias and
 * applies `activation` (SLIC_ACT_*; PReLU takes cout slopes) in the same pass. `algorithm`: 0 auto (Winograd
 * F(2×2, 3×3) for 3×3, stride-1, padding-1 convolutions with ≥ 8 input and ≥ 4 output channels, else the unrolled
 * GEMM), 1 unrolled, 2 Winograd (an error where it does not apply). */
int32_t slic_conv2d_forward(const float *x, int64_t x_count, const float *w, int64_t w_count, const float *bias,
                            int64_t bias_count, float *y, int64_t y_count, int64_t n, int64_t c, int64_t h,
                            int64_t wd, int64_t cout, int64_t k, int64_t stride, int64_t padding,
                            int32_t padding_mode, int32_t activation, const float *slopes, int64_t slopes_count,
                            int32_t algorithm);
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
/* Shapes are NCHW float32 (n, c, h, w ≥ 1) of the *input*; every buffer comes with its element count, checked
 * against the shape. Gradients are overwritten, not accumulated. Random draws use Philox4x32-10: element i of a
 * call uses counter offset + i under key seed, so results depend only on (seed, offset, input). */
/* GDN (inverse = 0) / IGDN (inverse = 1): y_i = x_i · (beta_i + Σ_j gamma[i·c + j] x_j²)^(∓½). */
int32_t slic_gdn_forward(int32_t inverse, int64_t n, int64_t c, int64_t h, int64_t w, const float *x, int64_t x_count,
                         const float *beta, int64_t beta_count, const float *gamma, int64_t gamma_count, float *y,
                         int64_t y_count);
int32_t slic_gdn_backward(int32_t inverse, int64_t n, int64_t c, int64_t h, int64_t w, const float *x,
                          int64_t x_count, const float *beta, int64_t beta_count, const float *gamma,
                          int64_t gamma_count, const float *grad_y, int64_t grad_y_count, float *grad_x,
                          int64_t grad_x_count, float *grad_beta, int64_t grad_beta_count, float *grad_gamma,
                          int64_t grad_gamma_count);
/* 2×2 max pooling, stride 2: y is n×c×⌊h/2⌋×⌊w/2⌋; ties go to the first maximum in row-major window order. */
int32_t slic_maxpool2x2_forward(int64_t n, int64_t c, int64_t h, int64_t w, const float *x, int64_t x_count,
                                float *y, int64_t y_count);
int32_t slic_maxpool2x2_backward(int64_t n, int64_t c, int64_t h, int64_t w, const float *x, int64_t x_count,
                                 const float *grad_y, int64_t grad_y_count, float *grad_x, int64_t grad_x_count);
/* CDF 9/7 wavelet transform (JPEG 2000's irreversible filter, lifting with whole-sample symmetric extension),
 * `levels` levels (0...10) on each of `planes` planes of h×w, in place of the Mallat layout (low band top left).
 * op 0 = analysis, 1 = synthesis (its exact inverse), 2 = adjoint of analysis, 3 = adjoint of synthesis (the
 * backward passes). Each subband is scaled by the L2 norm of its synthesis basis functions, so a unit error on any
 * coefficient costs about the same squared error in the plane. x and y (both planes·h·w values) must not overlap. */
int32_t slic_dwt97(int32_t op, int64_t levels, int64_t planes, int64_t h, int64_t w, const float *x, int64_t x_count,
                   float *y, int64_t y_count);
/* 2× upsampling, mode 0 = nearest, 1 = bilinear (align_corners = false); y is n×c×2h×2w. */
int32_t slic_upsample2x_forward(int32_t mode, int64_t n, int64_t c, int64_t h, int64_t w, const float *x,
                                int64_t x_count, float *y, int64_t y_count);
int32_t slic_upsample2x_backward(int32_t mode, int64_t n, int64_t c, int64_t h, int64_t w, const float *grad_y,
                                 int64_t grad_y_count, float *grad_x, int64_t grad_x_count);
/* Pixel shuffle (unshuffle = 0: n×c·r²×h×w → n×c×h·r×w·r) or unshuffle (the inverse); n, c, h, w of the input. */
int32_t slic_pixel_shuffle(int32_t unshuffle, int64_t r, int64_t n, int64_t c, int64_t h, int64_t w, const float *x,
                           int64_t x_count, float *y, int64_t y_count);
/* Quantization proxies (y may alias x): y = x + U(−½, ½]; y = round half to even; y = ±1 with P(+1) = (1+x)/2. */
int32_t slic_uniform_noise_add(uint64_t seed, uint64_t offset, const float *x, int64_t x_count, float *y,
                               int64_t y_count);
int32_t slic_round_half_even(const float *x, int64_t x_count, float *y, int64_t y_count);
int32_t slic_binarize_stochastic(uint64_t seed, uint64_t offset, const float *x, int64_t x_count, float *y,
                                 int64_t y_count);
/* out_i = u_i ∈ [0, 1) of the stream (24-bit resolution). */
int32_t slic_random_uniform(uint64_t seed, uint64_t offset, float *out, int64_t count);
/* Inverted dropout: y = x · [u ≥ p] / (1 − p); the backward pass is the same call on the gradient. */
int32_t slic_dropout(float p, uint64_t seed, uint64_t offset, const float *x, int64_t x_count, float *y,
                     int64_t y_count);
/* One Adam(W) step in place on param, exp_avg, exp_avg_sq (grad is read); step ≥ 1 counts this step. */
int32_t slic_adam_step(float *param, int64_t param_count, const float *grad, int64_t grad_count, float *exp_avg,
                       int64_t exp_avg_count, float *exp_avg_sq, int64_t exp_avg_sq_count, float lr, float beta1,
                       float beta2, float eps, float weight_decay, int32_t decoupled, int64_t step);
/* *out = Σ x_i² in double, a fixed-order blocked sum (same for any thread count). */
int32_t slic_sum_of_squares(const float *x, int64_t count, double *out);
/* kind 0 = MSE, 1 = L1 (means); *out = loss; grad (NULL to skip) = ∂loss/∂pred. */
int32_t slic_loss(int32_t kind, const float *pred, int64_t pred_count, const float *target, int64_t target_count,
                  float *grad, int64_t grad_count, double *out);

/* ---- latent codec (see Sources/SwiftLICCAPI/Exports+Codec.swift) -------------------------------------- */
/* A C×h×w float32 latent ⇄ one self-describing stream (docs/FORMAT.md). Optional float arrays pass count 0 for
 * "none". pca_mode: 0 none, 1 per-image PCA (basis_bits-bit basis + means as side information), 2 fixed PCA
 * given by the caller (C×C basis, row k = k-th direction, and C means; the stream stores only their hash).
 * target_bytes 0 codes every pass (exact w.r.t. the quantizer); layers ≥ 1 quality layers (the stream may be cut
 * at any layer boundary, see slic_latent_truncate_length). filter_strengths: none (count 0) or one byte per layer
 * for the decoder's post-filter (docs/FORMAT.md). max_pixels ≤ 0 uses the default guard (2^28) on the
 * image pixel count and on the latent element count. */
int64_t slic_latent_encode_bound(int64_t c, int64_t h, int64_t w, int32_t layers, int64_t model_id_bytes);
int32_t slic_latent_encode(const float *y, int64_t y_count, int64_t c, int64_t h, int64_t w, int32_t bits, float step,
                           const float *channel_steps, int64_t channel_steps_count, int64_t target_bytes,
                           int32_t layers, int32_t pca_mode, int32_t basis_bits, const float *fixed_basis,
                           int64_t fixed_basis_count, const float *fixed_mean, int64_t fixed_mean_count,
                           const uint8_t *model_id, int64_t model_id_bytes, uint64_t model_hash,
                           int64_t image_height, int64_t image_width, int32_t color_mode,
                           const uint8_t *filter_strengths, int64_t filter_strengths_count, int32_t flags,
                           uint8_t *out, int64_t out_capacity, int64_t *written);
/* flags of slic_latent_encode: with a target, code every pass before allocating (the rate-targeted encoder's
 * obvious twin: it stops coding a block once allocation no longer reaches its last coded plane). */
enum { SLIC_LATENT_ENCODE_EXHAUSTIVE = 1 };
/* Validates the header and every layer (CRCs included) without decoding; fills info[SLIC_LATENT_INFO_COUNT]. */
enum {
    SLIC_LATENT_INFO_VERSION = 0, SLIC_LATENT_INFO_IMAGE_HEIGHT, SLIC_LATENT_INFO_IMAGE_WIDTH,
    SLIC_LATENT_INFO_COLOR_MODE, SLIC_LATENT_INFO_CHANNELS, SLIC_LATENT_INFO_HEIGHT, SLIC_LATENT_INFO_WIDTH,
    SLIC_LATENT_INFO_BITS, SLIC_LATENT_INFO_STEP_BITS /* float32 bit pattern */, SLIC_LATENT_INFO_PCA_MODE,
    SLIC_LATENT_INFO_LAYERS, SLIC_LATENT_INFO_LAYERS_PRESENT, SLIC_LATENT_INFO_MODEL_HASH /* uint64 bits */,
    SLIC_LATENT_INFO_HAS_CHANNEL_STEPS, SLIC_LATENT_INFO_BASIS_BITS, SLIC_LATENT_INFO_HEADER_BYTES,
    SLIC_LATENT_INFO_STREAM_BYTES, SLIC_LATENT_INFO_MODEL_ID_BYTES, SLIC_LATENT_INFO_HAS_FILTER_STRENGTHS,
    SLIC_LATENT_INFO_COUNT
};
int32_t slic_latent_read_header(const uint8_t *data, int64_t count, int64_t max_pixels, int64_t *info,
                                int64_t info_count, uint8_t *model_id, int64_t model_id_capacity);
/* Per-channel steps (all 1 when the stream has none); out_count must equal the channel count. */
int32_t slic_latent_channel_steps(const uint8_t *data, int64_t count, int64_t max_pixels, float *out,
                                  int64_t out_count);
/* The encoder's post-filter strengths, one byte per layer (out_count must equal the header's layer count);
 * SLIC_INVALID_ARGUMENT when the stream has none (SLIC_LATENT_INFO_HAS_FILTER_STRENGTHS = 0). */
int32_t slic_latent_filter_strengths(const uint8_t *data, int64_t count, int64_t max_pixels, uint8_t *out,
                                     int64_t out_count);
/* Decodes into out (C×h×w floats). check_model_hash ≠ 0: SLIC_MODEL_MISMATCH unless the stream's hash equals. */
int32_t slic_latent_decode(const uint8_t *data, int64_t count, int64_t max_pixels, int32_t check_model_hash,
                           uint64_t model_hash, const float *fixed_basis, int64_t fixed_basis_count,
                           const float *fixed_mean, int64_t fixed_mean_count, float *out, int64_t out_count);
/* Longest prefix ending at a layer boundary of at most target_bytes bytes: itself a valid lower-rate stream. */
int32_t slic_latent_truncate_length(const uint8_t *data, int64_t count, int64_t target_bytes, int64_t max_pixels,
                                    int64_t *length);

#ifdef __cplusplus
}
#endif
#endif /* SWIFTLIC_H */
