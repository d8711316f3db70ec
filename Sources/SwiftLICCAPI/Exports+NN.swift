// Exports of the nn kernels: convolution, transposed convolution, linear, activations, PReLU.
// Thin: validate every count and shape, call the core, map the status. Gradients of parameters accumulate (+=);
// gradients of inputs and forward outputs are overwritten.
import SwiftLIC

/// A buffer that may be absent (null pointer): the optional bias or input gradient.
private func optionalBuffer<T>(_ p: UnsafePointer<T>?, _ count: Int64, _ name: String) throws(SLICError)
    -> UnsafeBufferPointer<T>? {
    if p == nil { try require(count == 0, "\(name): null pointer with length \(count)"); return nil }
    return try buffer(p, count, name)
}

private func optionalMutableBuffer<T>(_ p: UnsafeMutablePointer<T>?, _ count: Int64, _ name: String)
    throws(SLICError) -> UnsafeMutableBufferPointer<T>? {
    if p == nil { try require(count == 0, "\(name): null pointer with length \(count)"); return nil }
    return try mutableBuffer(p, count, name)
}

private func activationKind(_ op: String, _ kind: Int32, slopes: UnsafeBufferPointer<Float>?, channels: Int)
    throws(SLICError) -> Activation {
    guard let a = Activation(rawValue: kind) else {
        throw SLICError.invalid("\(op): unknown activation \(kind) (0 identity, 1 relu, 2 prelu, 3 sigmoid, 4 tanh)")
    }
    if a == .prelu {
        try require(slopes?.count == channels,
                    "\(op): prelu needs \(channels) slopes, got \(slopes?.count ?? 0)")
    }
    return a
}

private func convGeometry(_ n: Int64, _ c: Int64, _ h: Int64, _ w: Int64, _ cout: Int64, _ k: Int64, _ s: Int64,
                          _ p: Int64, _ mode: Int32) throws(SLICError) -> Conv2DGeometry {
    guard let m = PaddingMode(rawValue: mode) else {
        throw SLICError.invalid("conv2d: unknown padding mode \(mode) (0 zeros, 1 reflect)")
    }
    return Conv2DGeometry(batch: Int(n), inChannels: Int(c), height: Int(h), width: Int(w), outChannels: Int(cout),
                          kernel: Int(k), stride: Int(s), padding: Int(p), paddingMode: m)
}

private func transposeGeometry(_ n: Int64, _ c: Int64, _ h: Int64, _ w: Int64, _ cout: Int64, _ k: Int64,
                               _ s: Int64, _ p: Int64, _ op: Int64) -> ConvTranspose2DGeometry {
    ConvTranspose2DGeometry(batch: Int(n), inChannels: Int(c), height: Int(h), width: Int(w),
                            outChannels: Int(cout), kernel: Int(k), stride: Int(s), padding: Int(p),
                            outputPadding: Int(op))
}

// MARK: Conv2D

@_cdecl("slic_conv2d_forward")
public func slic_conv2d_forward(_ x: UnsafePointer<Float>?, _ xCount: Int64, _ w: UnsafePointer<Float>?,
                                _ wCount: Int64, _ b: UnsafePointer<Float>?, _ bCount: Int64,
                                _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64,
                                _ n: Int64, _ c: Int64, _ h: Int64, _ wd: Int64, _ cout: Int64, _ k: Int64,
                                _ stride: Int64, _ padding: Int64, _ mode: Int32,
                                _ activation: Int32, _ slopes: UnsafePointer<Float>?, _ slopesCount: Int64,
                                _ algorithm: Int32) -> Int32 {
    guarded { () throws(SLICError) in
        let g = try convGeometry(n, c, h, wd, cout, k, stride, padding, mode)
        let algo: Conv2D.Algorithm
        switch algorithm {
        case 0: algo = .auto
        case 1: algo = .unrolled
        case 2:
            try require(Conv2D.winogradApplies(g), "conv2d: algorithm winograd needs a 3×3, stride-1, padding-1 "
                        + "convolution with ≥ 8 input and ≥ 4 output channels and an input of at least 2×2, got "
                        + "\(g.kernel)×\(g.kernel), stride \(g.stride), padding \(g.padding), \(g.inChannels) → "
                        + "\(g.outChannels) channels, \(g.height)×\(g.width)")
            algo = .winograd
        default: throw .invalid("conv2d: algorithm must be 0 (auto), 1 (unrolled) or 2 (winograd), got \(algorithm)")
        }
        let xb = try buffer(x, xCount, "input"), wb = try buffer(w, wCount, "weight")
        let bb = try optionalBuffer(b, bCount, "bias"), yb = try mutableBuffer(y, yCount, "output")
        let sb = try optionalBuffer(slopes, slopesCount, "slopes")
        try g.validateCounts("conv2d", input: xb.count, weight: wb.count, output: yb.count, bias: bb?.count)
        let act = try activationKind("conv2d", activation, slopes: sb, channels: g.outChannels)
        try requireDisjoint("conv2d", yb, "output", [(xb, "input"), (wb, "weight"), (bb, "bias"), (sb, "slopes")])
        Conv2D.forward(g, input: xb, weight: wb, bias: bb, output: yb, activation: act, slopes: sb, algorithm: algo)
    }
}

@_cdecl("slic_conv2d_backward_data")
public func slic_conv2d_backward_data(_ gy: UnsafePointer<Float>?, _ gyCount: Int64, _ w: UnsafePointer<Float>?,
                                      _ wCount: Int64, _ gx: UnsafeMutablePointer<Float>?, _ gxCount: Int64,
                                      _ n: Int64, _ c: Int64, _ h: Int64, _ wd: Int64, _ cout: Int64, _ k: Int64,
                                      _ stride: Int64, _ padding: Int64, _ mode: Int32) -> Int32 {
    guarded { () throws(SLICError) in
        let g = try convGeometry(n, c, h, wd, cout, k, stride, padding, mode)
        let gyb = try buffer(gy, gyCount, "grad_output"), wb = try buffer(w, wCount, "weight")
        let gxb = try mutableBuffer(gx, gxCount, "grad_input")
        try g.validateCounts("conv2d backward", input: gxb.count, weight: wb.count, output: gyb.count, bias: nil)
        try requireDisjoint("conv2d backward", gxb, "grad_input", [(gyb, "grad_output"), (wb, "weight")])
        Conv2D.backwardData(g, gradOutput: gyb, weight: wb, gradInput: gxb)
    }
}

@_cdecl("slic_conv2d_backward_weight")
public func slic_conv2d_backward_weight(_ x: UnsafePointer<Float>?, _ xCount: Int64, _ gy: UnsafePointer<Float>?,
                                        _ gyCount: Int64, _ gw: UnsafeMutablePointer<Float>?, _ gwCount: Int64,
                                        _ gb: UnsafeMutablePointer<Float>?, _ gbCount: Int64,
                                        _ n: Int64, _ c: Int64, _ h: Int64, _ wd: Int64, _ cout: Int64, _ k: Int64,
                                        _ stride: Int64, _ padding: Int64, _ mode: Int32) -> Int32 {
    guarded { () throws(SLICError) in
        let g = try convGeometry(n, c, h, wd, cout, k, stride, padding, mode)
        let xb = try buffer(x, xCount, "input"), gyb = try buffer(gy, gyCount, "grad_output")
        let gwb = try mutableBuffer(gw, gwCount, "grad_weight")
        let gbb = try optionalMutableBuffer(gb, gbCount, "grad_bias")
        try g.validateCounts("conv2d backward", input: xb.count, weight: gwb.count, output: gyb.count,
                             bias: gbb?.count)
        try requireDisjoint("conv2d backward", gwb, "grad_weight", [(xb, "input"), (gyb, "grad_output")])
        Conv2D.backwardWeight(g, input: xb, gradOutput: gyb, gradWeight: gwb, gradBias: gbb)
    }
}

// MARK: ConvTranspose2D

@_cdecl("slic_conv_transpose2d_forward")
public func slic_conv_transpose2d_forward(_ x: UnsafePointer<Float>?, _ xCount: Int64, _ w: UnsafePointer<Float>?,
                                          _ wCount: Int64, _ b: UnsafePointer<Float>?, _ bCount: Int64,
                                          _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64,
                                          _ n: Int64, _ c: Int64, _ h: Int64, _ wd: Int64, _ cout: Int64,
                                          _ k: Int64, _ stride: Int64, _ padding: Int64, _ outputPadding: Int64,
                                          _ activation: Int32, _ slopes: UnsafePointer<Float>?,
                                          _ slopesCount: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let g = transposeGeometry(n, c, h, wd, cout, k, stride, padding, outputPadding)
        let xb = try buffer(x, xCount, "input"), wb = try buffer(w, wCount, "weight")
        let bb = try optionalBuffer(b, bCount, "bias"), yb = try mutableBuffer(y, yCount, "output")
        let sb = try optionalBuffer(slopes, slopesCount, "slopes")
        try g.validateCounts("conv_transpose2d", input: xb.count, weight: wb.count, output: yb.count,
                             bias: bb?.count)
        let act = try activationKind("conv_transpose2d", activation, slopes: sb, channels: g.outChannels)
        try requireDisjoint("conv_transpose2d", yb, "output",
                            [(xb, "input"), (wb, "weight"), (bb, "bias"), (sb, "slopes")])
        ConvTranspose2D.forward(g, input: xb, weight: wb, bias: bb, output: yb, activation: act, slopes: sb)
    }
}

@_cdecl("slic_conv_transpose2d_backward_data")
public func slic_conv_transpose2d_backward_data(_ gy: UnsafePointer<Float>?, _ gyCount: Int64,
                                                _ w: UnsafePointer<Float>?, _ wCount: Int64,
                                                _ gx: UnsafeMutablePointer<Float>?, _ gxCount: Int64,
                                                _ n: Int64, _ c: Int64, _ h: Int64, _ wd: Int64, _ cout: Int64,
                                                _ k: Int64, _ stride: Int64, _ padding: Int64,
                                                _ outputPadding: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let g = transposeGeometry(n, c, h, wd, cout, k, stride, padding, outputPadding)
        let gyb = try buffer(gy, gyCount, "grad_output"), wb = try buffer(w, wCount, "weight")
        let gxb = try mutableBuffer(gx, gxCount, "grad_input")
        try g.validateCounts("conv_transpose2d backward", input: gxb.count, weight: wb.count, output: gyb.count,
                             bias: nil)
        try requireDisjoint("conv_transpose2d backward", gxb, "grad_input", [(gyb, "grad_output"), (wb, "weight")])
        ConvTranspose2D.backwardData(g, gradOutput: gyb, weight: wb, gradInput: gxb)
    }
}

@_cdecl("slic_conv_transpose2d_backward_weight")
public func slic_conv_transpose2d_backward_weight(_ x: UnsafePointer<Float>?, _ xCount: Int64,
                                                  _ gy: UnsafePointer<Float>?, _ gyCount: Int64,
                                                  _ gw: UnsafeMutablePointer<Float>?, _ gwCount: Int64,
                                                  _ gb: UnsafeMutablePointer<Float>?, _ gbCount: Int64,
                                                  _ n: Int64, _ c: Int64, _ h: Int64, _ wd: Int64, _ cout: Int64,
                                                  _ k: Int64, _ stride: Int64, _ padding: Int64,
                                                  _ outputPadding: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let g = transposeGeometry(n, c, h, wd, cout, k, stride, padding, outputPadding)
        let xb = try buffer(x, xCount, "input"), gyb = try buffer(gy, gyCount, "grad_output")
        let gwb = try mutableBuffer(gw, gwCount, "grad_weight")
        let gbb = try optionalMutableBuffer(gb, gbCount, "grad_bias")
        try g.validateCounts("conv_transpose2d backward", input: xb.count, weight: gwb.count, output: gyb.count,
                             bias: gbb?.count)
        try requireDisjoint("conv_transpose2d backward", gwb, "grad_weight", [(xb, "input"), (gyb, "grad_output")])
        ConvTranspose2D.backwardWeight(g, input: xb, gradOutput: gyb, gradWeight: gwb, gradBias: gbb)
    }
}

// MARK: Linear

@_cdecl("slic_linear_forward")
public func slic_linear_forward(_ x: UnsafePointer<Float>?, _ xCount: Int64, _ w: UnsafePointer<Float>?,
                                _ wCount: Int64, _ b: UnsafePointer<Float>?, _ bCount: Int64,
                                _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64,
                                _ n: Int64, _ inFeatures: Int64, _ outFeatures: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let xb = try buffer(x, xCount, "input"), wb = try buffer(w, wCount, "weight")
        let bb = try optionalBuffer(b, bCount, "bias"), yb = try mutableBuffer(y, yCount, "output")
        try Linear.validate(batch: Int(n), inFeatures: Int(inFeatures), outFeatures: Int(outFeatures),
                            input: xb.count, weight: wb.count, output: yb.count, bias: bb?.count)
        try requireDisjoint("linear", yb, "output", [(xb, "input"), (wb, "weight"), (bb, "bias")])
        Linear.forward(batch: Int(n), inFeatures: Int(inFeatures), outFeatures: Int(outFeatures), input: xb,
                       weight: wb, bias: bb, output: yb)
    }
}

@_cdecl("slic_linear_backward")
public func slic_linear_backward(_ x: UnsafePointer<Float>?, _ xCount: Int64, _ w: UnsafePointer<Float>?,
                                 _ wCount: Int64, _ gy: UnsafePointer<Float>?, _ gyCount: Int64,
                                 _ gx: UnsafeMutablePointer<Float>?, _ gxCount: Int64,
                                 _ gw: UnsafeMutablePointer<Float>?, _ gwCount: Int64,
                                 _ gb: UnsafeMutablePointer<Float>?, _ gbCount: Int64,
                                 _ n: Int64, _ inFeatures: Int64, _ outFeatures: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let xb = try buffer(x, xCount, "input"), wb = try buffer(w, wCount, "weight")
        let gyb = try buffer(gy, gyCount, "grad_output")
        let gxb = try optionalMutableBuffer(gx, gxCount, "grad_input")
        let gwb = try mutableBuffer(gw, gwCount, "grad_weight")
        let gbb = try optionalMutableBuffer(gb, gbCount, "grad_bias")
        try Linear.validate(batch: Int(n), inFeatures: Int(inFeatures), outFeatures: Int(outFeatures),
                            input: xb.count, weight: wb.count, output: gyb.count, bias: gbb?.count)
        try require(gwb.count == wb.count, "linear backward: grad_weight holds \(gwb.count) values, expected \(wb.count)")
        if let gxb {
            try require(gxb.count == xb.count, "linear backward: grad_input holds \(gxb.count) values, expected \(xb.count)")
            try requireDisjoint("linear backward", gxb, "grad_input", [(gyb, "grad_output"), (wb, "weight")])
        }
        try requireDisjoint("linear backward", gwb, "grad_weight", [(xb, "input"), (gyb, "grad_output")])
        Linear.backward(batch: Int(n), inFeatures: Int(inFeatures), outFeatures: Int(outFeatures), input: xb,
                        weight: wb, gradOutput: gyb, gradInput: gxb, gradWeight: gwb, gradBias: gbb)
    }
}

// MARK: Activations

private func elementwiseKind(_ op: String, _ kind: Int32) throws(SLICError) -> Activation {
    guard let a = Activation(rawValue: kind), a != .prelu else {
        throw SLICError.invalid("\(op): expected activation 0 identity, 1 relu, 3 sigmoid or 4 tanh, got \(kind)")
    }
    return a
}

/// y = f(x); x and y may be the same array (in place).
@_cdecl("slic_activation_forward")
public func slic_activation_forward(_ kind: Int32, _ x: UnsafePointer<Float>?, _ xCount: Int64,
                                    _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let a = try elementwiseKind("activation", kind)
        let xb = try buffer(x, xCount, "input"), yb = try mutableBuffer(y, yCount, "output")
        try require(xb.count == yb.count, "activation: output holds \(yb.count) values, expected \(xb.count)")
        if xb.count > 0 { a.forward(xb, yb) }
    }
}

/// gx = gy·f′ from the forward output y; gy and gx may be the same array.
@_cdecl("slic_activation_backward")
public func slic_activation_backward(_ kind: Int32, _ y: UnsafePointer<Float>?, _ yCount: Int64,
                                     _ gy: UnsafePointer<Float>?, _ gyCount: Int64,
                                     _ gx: UnsafeMutablePointer<Float>?, _ gxCount: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let a = try elementwiseKind("activation backward", kind)
        let yb = try buffer(y, yCount, "output"), gyb = try buffer(gy, gyCount, "grad_output")
        let gxb = try mutableBuffer(gx, gxCount, "grad_input")
        try require(gyb.count == yb.count && gxb.count == yb.count,
                    "activation backward: output, grad_output and grad_input hold \(yb.count), \(gyb.count) and "
                        + "\(gxb.count) values, expected equal counts")
        if yb.count > 0 { a.backward(output: yb, gradOutput: gyb, gradInput: gxb) }
    }
}

private func preluCounts(_ op: String, _ n: Int64, _ c: Int64, _ s: Int64, tensors: [(Int, String)],
                         slopes: Int) throws(SLICError) {
    try require(n >= 1 && c >= 1 && s >= 1, "\(op): expected batch, channels, spatial ≥ 1, got \(n), \(c), \(s)")
    let (nc, o1) = n.multipliedReportingOverflow(by: c)
    let (total, o2) = nc.multipliedReportingOverflow(by: s)
    try require(!o1 && !o2, "\(op): \(n)×\(c)×\(s) is too large")
    for (count, name) in tensors {
        try require(count == Int(total), "\(op): \(name) holds \(count) values, expected \(n)×\(c)×\(s)")
    }
    try require(slopes == Int(c), "\(op): expected \(c) slopes (one per channel), got \(slopes)")
}

@_cdecl("slic_prelu_forward")
public func slic_prelu_forward(_ x: UnsafePointer<Float>?, _ xCount: Int64, _ a: UnsafePointer<Float>?,
                               _ aCount: Int64, _ y: UnsafeMutablePointer<Float>?, _ yCount: Int64,
                               _ n: Int64, _ c: Int64, _ spatial: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let xb = try buffer(x, xCount, "input"), ab = try buffer(a, aCount, "slopes")
        let yb = try mutableBuffer(y, yCount, "output")
        try preluCounts("prelu", n, c, spatial, tensors: [(xb.count, "input"), (yb.count, "output")], slopes: ab.count)
        PReLU.forward(xb, slopes: ab, output: yb, batch: Int(n), channels: Int(c), spatial: Int(spatial))
    }
}

@_cdecl("slic_prelu_backward")
public func slic_prelu_backward(_ x: UnsafePointer<Float>?, _ xCount: Int64, _ a: UnsafePointer<Float>?,
                                _ aCount: Int64, _ gy: UnsafePointer<Float>?, _ gyCount: Int64,
                                _ gx: UnsafeMutablePointer<Float>?, _ gxCount: Int64,
                                _ ga: UnsafeMutablePointer<Float>?, _ gaCount: Int64,
                                _ n: Int64, _ c: Int64, _ spatial: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let xb = try buffer(x, xCount, "input"), ab = try buffer(a, aCount, "slopes")
        let gyb = try buffer(gy, gyCount, "grad_output"), gxb = try mutableBuffer(gx, gxCount, "grad_input")
        let gab = try mutableBuffer(ga, gaCount, "grad_slopes")
        try preluCounts("prelu backward", n, c, spatial,
                        tensors: [(xb.count, "input"), (gyb.count, "grad_output"), (gxb.count, "grad_input")],
                        slopes: ab.count)
        try require(gab.count == ab.count, "prelu backward: grad_slopes holds \(gab.count) values, expected \(ab.count)")
        try requireDisjoint("prelu backward", gxb, "grad_input", [(xb, "input"), (ab, "slopes")])
        try requireDisjoint("prelu backward", gab, "grad_slopes", [(xb, "input"), (gyb, "grad_output")])
        PReLU.backward(xb, slopes: ab, gradOutput: gyb, gradInput: gxb, gradSlopes: gab, batch: Int(n),
                       channels: Int(c), spatial: Int(spatial))
    }
}
