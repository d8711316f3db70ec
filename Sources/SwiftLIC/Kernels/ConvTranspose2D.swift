/// Transposed 2-D convolution ("deconvolution"), PyTorch's `ConvTranspose2d` with groups = 1, zero padding.
///
/// Layouts: input N×Cin×H×W, weight Cin×Cout×k×k (PyTorch's), output N×Cout×Ho×Wo with
/// Ho = (H − 1)·s − 2p + k + output_padding. It is the adjoint of the convolution that maps Cout×Ho×Wo to
/// Cin×H×W with the same weight, so every pass reuses a `Conv2D` pass of that `convolution` geometry:
/// forward = Conv2D backward-data, backward-data = Conv2D forward, backward-weight = Conv2D backward-weight with
/// the roles of input and output gradient swapped.
public enum ConvTranspose2D {}

public struct ConvTranspose2DGeometry: Sendable, Equatable {
    public var batch: Int
    public var inChannels: Int
    public var height: Int
    public var width: Int
    public var outChannels: Int
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var outputPadding: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernel: Int,
                stride: Int = 1, padding: Int = 0, outputPadding: Int = 0) {
        self.batch = batch
        self.inChannels = inChannels
        self.height = height
        self.width = width
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    public var outHeight: Int { (height - 1) * stride - 2 * padding + kernel + outputPadding }
    public var outWidth: Int { (width - 1) * stride - 2 * padding + kernel + outputPadding }
    public var inputCount: Int { batch * inChannels * height * width }
    public var outputCount: Int { batch * outChannels * outHeight * outWidth }
    public var weightCount: Int { inChannels * outChannels * kernel * kernel }

    /// The convolution this is the transpose of: Cout×Ho×Wo → Cin×H×W, weight Cin×(Cout·k·k).
    public var convolution: Conv2DGeometry {
        Conv2DGeometry(batch: batch, inChannels: outChannels, height: outHeight, width: outWidth,
                       outChannels: inChannels, kernel: kernel, stride: stride, padding: padding)
    }

    public func validate(_ op: String = "conv_transpose2d") throws(SLICError) {
        try ConvShapeCheck.dimensions(op, [("batch", batch), ("in_channels", inChannels), ("height", height),
                                           ("width", width), ("out_channels", outChannels), ("kernel", kernel),
                                           ("stride", stride)], padding: padding)
        try require(outputPadding >= 0 && outputPadding < stride,
                    "\(op): expected 0 ≤ output_padding < stride (\(stride)), got \(outputPadding)")
        try require(outHeight >= 1 && outWidth >= 1,
                    "\(op): padding \(padding) leaves an empty output (\(outHeight)×\(outWidth))")
        try convolution.validate(op)
    }

    public func validateCounts(_ op: String, input: Int, weight: Int, output: Int, bias: Int?) throws(SLICError) {
        try validate(op)
        try ConvShapeCheck.counts(op, [
            ("input", input, inputCount, "\(batch)×\(inChannels)×\(height)×\(width)"),
            ("weight", weight, weightCount, "\(inChannels)×\(outChannels)×\(kernel)×\(kernel)"),
            ("output", output, outputCount, "\(batch)×\(outChannels)×\(outHeight)×\(outWidth)"),
            ("bias", bias, outChannels, "\(outChannels)"),
        ])
    }
}

extension ConvTranspose2D {
    /// y = Wᵀ ⊛ x (+ bias, then `activation`).
    public static func forward(_ g: ConvTranspose2DGeometry, input: UnsafeBufferPointer<Float>,
                               weight: UnsafeBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?,
                               output: UnsafeMutableBufferPointer<Float>,
                               activation: Activation = .identity, slopes: UnsafeBufferPointer<Float>? = nil,
                               bandBudget: Int = Conv2D.defaultBandBudget) {
        Conv2D.backwardData(g.convolution, gradOutput: input, weight: weight, gradInput: output,
                            epilogue: Epilogue(bias: bias, activation: activation, slopes: slopes),
                            bandBudget: bandBudget)
    }

    /// gx = ∂L/∂x (overwrites `gradInput`).
    public static func backwardData(_ g: ConvTranspose2DGeometry, gradOutput: UnsafeBufferPointer<Float>,
                                    weight: UnsafeBufferPointer<Float>,
                                    gradInput: UnsafeMutableBufferPointer<Float>,
                                    bandBudget: Int = Conv2D.defaultBandBudget) {
        Conv2D.forward(g.convolution, input: gradOutput, weight: weight, bias: nil, output: gradInput,
                       bandBudget: bandBudget)
    }

    /// gW += ∂L/∂W and, when given, gb += Σ gy (accumulates).
    public static func backwardWeight(_ g: ConvTranspose2DGeometry, input: UnsafeBufferPointer<Float>,
                                      gradOutput: UnsafeBufferPointer<Float>,
                                      gradWeight: UnsafeMutableBufferPointer<Float>,
                                      gradBias: UnsafeMutableBufferPointer<Float>?,
                                      bandBudget: Int = Conv2D.defaultBandBudget) {
        if let gradBias {
            Conv2D.sumChannels(gradOutput.baseAddress!, batch: g.batch, channels: g.outChannels,
                               spatial: g.outHeight * g.outWidth, into: gradBias)
        }
        Conv2D.backwardWeight(g.convolution, input: gradOutput, gradOutput: input, gradWeight: gradWeight,
                              gradBias: nil, bandBudget: bandBudget)
    }
}
