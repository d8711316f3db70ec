// Exports of the layer kernels: GDN, max pooling, 2× upsampling, pixel shuffle, quantization proxies, dropout,
// Adam, losses. Thin: validate every count against the shape, call the core, map the status.
import SwiftLIC

@_cdecl("slic_gdn_forward")
public func slic_gdn_forward(_ inverse: Int32, _ n: Int64, _ c: Int64, _ h: Int64, _ w: Int64,
                             _ x: UnsafePointer<Float>?, _ xCount: Int64, _ beta: UnsafePointer<Float>?,
                             _ betaCount: Int64, _ gamma: UnsafePointer<Float>?, _ gammaCount: Int64,
                             _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        _ = try GDN.validate(n: Int(n), c: Int(c), h: Int(h), w: Int(w), x: Int(xCount), beta: Int(betaCount),
                             gamma: Int(gammaCount), outputs: [("y", Int(yCount))])
        GDN.forward(inverse: inverse != 0, n: Int(n), c: Int(c), pixels: Int(h * w), x: try buffer(x, xCount, "x"),
                    beta: try buffer(beta, betaCount, "beta"), gamma: try buffer(gamma, gammaCount, "gamma"),
                    y: try mutableBuffer(y, yCount, "y"))
    }
}

@_cdecl("slic_gdn_backward")
public func slic_gdn_backward(_ inverse: Int32, _ n: Int64, _ c: Int64, _ h: Int64, _ w: Int64,
                              _ x: UnsafePointer<Float>?, _ xCount: Int64, _ beta: UnsafePointer<Float>?,
                              _ betaCount: Int64, _ gamma: UnsafePointer<Float>?, _ gammaCount: Int64,
                              _ gy: UnsafePointer<Float>?, _ gyCount: Int64,
                              _ gx: UnsafeMutablePointer<Float>?, _ gxCount: Int64,
                              _ gBeta: UnsafeMutablePointer<Float>?, _ gBetaCount: Int64,
                              _ gGamma: UnsafeMutablePointer<Float>?, _ gGammaCount: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        _ = try GDN.validate(n: Int(n), c: Int(c), h: Int(h), w: Int(w), x: Int(xCount), beta: Int(betaCount),
                             gamma: Int(gammaCount),
                             outputs: [("grad_y", Int(gyCount)), ("grad_x", Int(gxCount)),
                                       ("grad_beta", Int(gBetaCount)), ("grad_gamma", Int(gGammaCount))])
        GDN.backward(inverse: inverse != 0, n: Int(n), c: Int(c), pixels: Int(h * w), x: try buffer(x, xCount, "x"),
                     beta: try buffer(beta, betaCount, "beta"), gamma: try buffer(gamma, gammaCount, "gamma"),
                     gy: try buffer(gy, gyCount, "grad_y"), gx: try mutableBuffer(gx, gxCount, "grad_x"),
                     gBeta: try mutableBuffer(gBeta, gBetaCount, "grad_beta"),
                     gGamma: try mutableBuffer(gGamma, gGammaCount, "grad_gamma"))
    }
}

@_cdecl("slic_maxpool2x2_forward")
public func slic_maxpool2x2_forward(_ n: Int64, _ c: Int64, _ h: Int64, _ w: Int64,
                                    _ x: UnsafePointer<Float>?, _ xCount: Int64,
                                    _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        _ = try MaxPool2x2.validate(n: Int(n), c: Int(c), h: Int(h), w: Int(w), input: Int(xCount), output: Int(yCount))
        MaxPool2x2.forward(n: Int(n), c: Int(c), h: Int(h), w: Int(w), x: try buffer(x, xCount, "x"),
                           y: try mutableBuffer(y, yCount, "y"))
    }
}

@_cdecl("slic_maxpool2x2_backward")
public func slic_maxpool2x2_backward(_ n: Int64, _ c: Int64, _ h: Int64, _ w: Int64,
                                     _ x: UnsafePointer<Float>?, _ xCount: Int64,
                                     _ gy: UnsafePointer<Float>?, _ gyCount: Int64,
                                     _ gx: UnsafeMutablePointer<Float>?, _ gxCount: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        _ = try MaxPool2x2.validate(n: Int(n), c: Int(c), h: Int(h), w: Int(w), input: Int(xCount),
                                    output: Int(gyCount), outputName: "grad_y")
        try require(gxCount == xCount, "maxpool2x2: grad_x holds \(gxCount) values, expected \(xCount) (as x)")
        MaxPool2x2.backward(n: Int(n), c: Int(c), h: Int(h), w: Int(w), x: try buffer(x, xCount, "x"),
                            gy: try buffer(gy, gyCount, "grad_y"), gx: try mutableBuffer(gx, gxCount, "grad_x"))
    }
}

private func upsampleMode(_ mode: Int32) throws(SLICError) -> Upsample2x.Mode {
    guard let m = Upsample2x.Mode(rawValue: mode) else {
        throw SLICError.invalid("upsample2x: expected mode 0 (nearest) or 1 (bilinear), got \(mode)")
    }
    return m
}

@_cdecl("slic_upsample2x_forward")
public func slic_upsample2x_forward(_ mode: Int32, _ n: Int64, _ c: Int64, _ h: Int64, _ w: Int64,
                                    _ x: UnsafePointer<Float>?, _ xCount: Int64,
                                    _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let m = try upsampleMode(mode)
        try Upsample2x.validate(n: Int(n), c: Int(c), h: Int(h), w: Int(w), input: Int(xCount), output: Int(yCount))
        Upsample2x.forward(m, n: Int(n), c: Int(c), h: Int(h), w: Int(w), x: try buffer(x, xCount, "x"),
                           y: try mutableBuffer(y, yCount, "y"))
    }
}

@_cdecl("slic_upsample2x_backward")
public func slic_upsample2x_backward(_ mode: Int32, _ n: Int64, _ c: Int64, _ h: Int64, _ w: Int64,
                                     _ gy: UnsafePointer<Float>?, _ gyCount: Int64,
                                     _ gx: UnsafeMutablePointer<Float>?, _ gxCount: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let m = try upsampleMode(mode)
        try Upsample2x.validate(n: Int(n), c: Int(c), h: Int(h), w: Int(w), input: Int(gxCount), output: Int(gyCount),
                                inputName: "grad_x", outputName: "grad_y")
        Upsample2x.backward(m, n: Int(n), c: Int(c), h: Int(h), w: Int(w), gy: try buffer(gy, gyCount, "grad_y"),
                            gx: try mutableBuffer(gx, gxCount, "grad_x"))
    }
}

@_cdecl("slic_pixel_shuffle")
public func slic_pixel_shuffle(_ unshuffle: Int32, _ r: Int64, _ n: Int64, _ c: Int64, _ h: Int64, _ w: Int64,
                               _ x: UnsafePointer<Float>?, _ xCount: Int64,
                               _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        _ = try PixelShuffle.validate(unshuffle: unshuffle != 0, r: Int(r), n: Int(n), c: Int(c), h: Int(h),
                                      w: Int(w), input: Int(xCount), output: Int(yCount))
        PixelShuffle.apply(unshuffle: unshuffle != 0, r: Int(r), n: Int(n), c: Int(c), h: Int(h), w: Int(w),
                           x: try buffer(x, xCount, "x"), y: try mutableBuffer(y, yCount, "y"))
    }
}

/// The shared body of the elementwise exports: check x and y hold the same count, then run `body` on them.
private func elementwise(_ op: String, _ x: UnsafePointer<Float>?, _ xCount: Int64, _ y: UnsafeMutablePointer<Float>?,
                         _ yCount: Int64,
                         _ body: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) -> Int32 {
    guarded { () throws(SLICError) in
        try Quantize.validate(op, input: Int(xCount), output: Int(yCount))
        body(try buffer(x, xCount, "x"), try mutableBuffer(y, yCount, "y"))
    }
}

@_cdecl("slic_uniform_noise_add")
public func slic_uniform_noise_add(_ seed: UInt64, _ offset: UInt64, _ x: UnsafePointer<Float>?, _ xCount: Int64,
                                   _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64) -> Int32 {
    elementwise("uniform_noise", x, xCount, y, yCount) { Quantize.addUniformNoise(seed: seed, offset: offset, x: $0, y: $1) }
}

@_cdecl("slic_round_half_even")
public func slic_round_half_even(_ x: UnsafePointer<Float>?, _ xCount: Int64,
                                 _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64) -> Int32 {
    elementwise("round", x, xCount, y, yCount) { Quantize.round(x: $0, y: $1) }
}

@_cdecl("slic_binarize_stochastic")
public func slic_binarize_stochastic(_ seed: UInt64, _ offset: UInt64, _ x: UnsafePointer<Float>?, _ xCount: Int64,
                                     _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64) -> Int32 {
    elementwise("binarize", x, xCount, y, yCount) { Quantize.binarize(seed: seed, offset: offset, x: $0, y: $1) }
}

@_cdecl("slic_random_uniform")
public func slic_random_uniform(_ seed: UInt64, _ offset: UInt64, _ out: UnsafeMutablePointer<Float>?,
                                _ count: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        Quantize.uniform(seed: seed, offset: offset, out: try mutableBuffer(out, count, "out"))
    }
}

@_cdecl("slic_dropout")
public func slic_dropout(_ p: Float, _ seed: UInt64, _ offset: UInt64, _ x: UnsafePointer<Float>?, _ xCount: Int64,
                         _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64) -> Int32 {
    guard p >= 0 && p <= 1 else {
        return guarded { () throws(SLICError) in try Dropout.validate(p: p, input: Int(xCount), output: Int(yCount)) }
    }
    return elementwise("dropout", x, xCount, y, yCount) { Dropout.apply(p: p, seed: seed, offset: offset, x: $0, y: $1) }
}

@_cdecl("slic_adam_step")
public func slic_adam_step(_ param: UnsafeMutablePointer<Float>?, _ paramCount: Int64,
                           _ grad: UnsafePointer<Float>?, _ gradCount: Int64,
                           _ m: UnsafeMutablePointer<Float>?, _ mCount: Int64,
                           _ v: UnsafeMutablePointer<Float>?, _ vCount: Int64,
                           _ lr: Float, _ beta1: Float, _ beta2: Float, _ eps: Float, _ weightDecay: Float,
                           _ decoupled: Int32, _ step: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let h = Adam.Hyper(lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                           decoupled: decoupled != 0, step: Int(step))
        try Adam.validate(h, param: Int(paramCount), grad: Int(gradCount), m: Int(mCount), v: Int(vCount))
        Adam.step(h, param: try mutableBuffer(param, paramCount, "param"), grad: try buffer(grad, gradCount, "grad"),
                  m: try mutableBuffer(m, mCount, "exp_avg"), v: try mutableBuffer(v, vCount, "exp_avg_sq"))
    }
}

@_cdecl("slic_sum_of_squares")
public func slic_sum_of_squares(_ x: UnsafePointer<Float>?, _ count: Int64,
                                _ out: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded { () throws(SLICError) in
        try require(out != nil, "sum_of_squares: null output pointer")
        out!.pointee = Adam.sumOfSquares(try buffer(x, count, "x"))
    }
}

@_cdecl("slic_loss")
public func slic_loss(_ kind: Int32, _ pred: UnsafePointer<Float>?, _ predCount: Int64,
                      _ target: UnsafePointer<Float>?, _ targetCount: Int64,
                      _ grad: UnsafeMutablePointer<Float>?, _ gradCount: Int64,
                      _ out: UnsafeMutablePointer<Double>?) -> Int32 {
    guarded { () throws(SLICError) in
        guard let k = Loss.Kind(rawValue: kind) else {
            throw SLICError.invalid("loss: expected kind 0 (mse) or 1 (l1), got \(kind)")
        }
        try require(out != nil, "loss: null output pointer")
        try Loss.validate(k, pred: Int(predCount), target: Int(targetCount), grad: grad == nil ? nil : Int(gradCount))
        out!.pointee = Loss.evaluate(k, pred: try buffer(pred, predCount, "pred"),
                                     target: try buffer(target, targetCount, "target"),
                                     grad: grad == nil ? nil : try mutableBuffer(grad, gradCount, "grad"))
    }
}

@_cdecl("slic_dwt97")
public func slic_dwt97(_ op: Int32, _ levels: Int64, _ planes: Int64, _ h: Int64, _ w: Int64,
                       _ x: UnsafePointer<Float>?, _ xCount: Int64,
                       _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        guard let operation = DWT97.Operation(rawValue: op) else {
            throw SLICError.invalid("dwt97: expected op 0 (analysis), 1 (synthesis), 2 (analysis adjoint) or "
                                    + "3 (synthesis adjoint), got \(op)")
        }
        _ = try DWT97.validate(levels: Int(levels), planes: Int(planes), height: Int(h), width: Int(w),
                               input: Int(xCount), output: Int(yCount))
        let src = try buffer(x, xCount, "x"), dst = try mutableBuffer(y, yCount, "y")
        try requireDisjoint("dwt97", dst, "y", [(src, "x")])
        DWT97.apply(operation, levels: Int(levels), planes: Int(planes), height: Int(h), width: Int(w),
                    x: src, y: dst)
    }
}
