// Exports for colour conversion and GEMM. Thin: validate, call the core, map the status.
import SwiftLIC

private func direction(_ toRGB: Int32) -> YCbCr.Direction { toRGB != 0 ? .toRGB : .toYCbCr }

private func pixelCount(_ pixels: Int64, _ inCount: Int64, _ outCount: Int64) throws(SLICError) -> Int {
    try require(pixels >= 0 && pixels <= Int64.max / 3, "color: invalid pixel count \(pixels)")
    try require(inCount == 3 * pixels, "color: input holds \(inCount) values, expected 3×\(pixels)")
    try require(outCount == 3 * pixels, "color: output holds \(outCount) values, expected 3×\(pixels)")
    return Int(pixels)
}

@_cdecl("slic_color_u8_u8")
public func slic_color_u8_u8(_ toRGB: Int32, _ input: UnsafePointer<UInt8>?, _ inCount: Int64,
                             _ output: UnsafeMutablePointer<UInt8>?, _ outCount: Int64, _ pixels: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let n = try pixelCount(pixels, inCount, outCount)
        YCbCr.convert(direction(toRGB), bytes: try buffer(input, inCount, "input"),
                      into: try mutableBuffer(output, outCount, "output"), pixels: n)
    }
}

@_cdecl("slic_color_u8_f32")
public func slic_color_u8_f32(_ toRGB: Int32, _ input: UnsafePointer<UInt8>?, _ inCount: Int64,
                              _ output: UnsafeMutablePointer<Float>?, _ outCount: Int64, _ pixels: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let n = try pixelCount(pixels, inCount, outCount)
        YCbCr.convert(direction(toRGB), bytes: try buffer(input, inCount, "input"),
                      intoPlanes: try mutableBuffer(output, outCount, "output"), pixels: n)
    }
}

@_cdecl("slic_color_f32_u8")
public func slic_color_f32_u8(_ toRGB: Int32, _ input: UnsafePointer<Float>?, _ inCount: Int64,
                              _ output: UnsafeMutablePointer<UInt8>?, _ outCount: Int64, _ pixels: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let n = try pixelCount(pixels, inCount, outCount)
        YCbCr.convert(direction(toRGB), planes: try buffer(input, inCount, "input"),
                      intoBytes: try mutableBuffer(output, outCount, "output"), pixels: n)
    }
}

@_cdecl("slic_color_f32_f32")
public func slic_color_f32_f32(_ toRGB: Int32, _ input: UnsafePointer<Float>?, _ inCount: Int64,
                               _ output: UnsafeMutablePointer<Float>?, _ outCount: Int64, _ pixels: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        let n = try pixelCount(pixels, inCount, outCount)
        YCbCr.convert(direction(toRGB), planes: try buffer(input, inCount, "input"),
                      intoPlanes: try mutableBuffer(output, outCount, "output"), pixels: n)
    }
}

@_cdecl("slic_gemm_kernel")
public func slic_gemm_kernel() -> UnsafePointer<CChar> {
    UnsafeRawPointer(GEMM.kernelName.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("slic_fma_probe")
public func slic_fma_probe(_ iterations: Int64, _ flops: UnsafeMutablePointer<Int64>?,
                           _ checksum: UnsafeMutablePointer<Float>?) -> Int32 {
    guarded { () throws(SLICError) in
        try require(iterations >= 0, "fma_probe: expected iterations ≥ 0, got \(iterations)")
        try require(iterations <= Int64(Int.max / (GEMM.probeChains * 32)),
                    "fma_probe: \(iterations) iterations overflow the FLOP count")
        guard let flops, let checksum else { throw SLICError.invalid("fma_probe: null output pointer") }
        let result = GEMM.fmaProbe(iterations: Int(iterations))
        flops.pointee = Int64(result.flops)
        checksum.pointee = result.checksum
    }
}

@_cdecl("slic_gemm_f32")
public func slic_gemm_f32(_ transA: Int32, _ transB: Int32, _ m: Int64, _ n: Int64, _ k: Int64, _ alpha: Float,
                          _ a: UnsafePointer<Float>?, _ aCount: Int64, _ lda: Int64,
                          _ b: UnsafePointer<Float>?, _ bCount: Int64, _ ldb: Int64, _ beta: Float,
                          _ c: UnsafeMutablePointer<Float>?, _ cCount: Int64, _ ldc: Int64) -> Int32 {
    guarded { () throws(SLICError) in
        try GEMM.validate(transA: transA != 0, transB: transB != 0, m: Int(m), n: Int(n), k: Int(k),
                          aCount: Int(aCount), lda: Int(lda), bCount: Int(bCount), ldb: Int(ldb),
                          cCount: Int(cCount), ldc: Int(ldc))
        if m == 0 || n == 0 { return }
        let ab = try buffer(a, aCount, "A"), bb = try buffer(b, bCount, "B")
        let cb = try mutableBuffer(c, cCount, "C")
        // k == 0 may come with empty A and B: any non-null pointer will do, nothing is read.
        var dummy: Float = 0
        withUnsafePointer(to: &dummy) { z in
            GEMM.sgemm(transA: transA != 0, transB: transB != 0, m: Int(m), n: Int(n), k: Int(k), alpha: alpha,
                       a: ab.baseAddress ?? z, lda: Int(lda), b: bb.baseAddress ?? z, ldb: Int(ldb), beta: beta,
                       c: cb.baseAddress!, ldc: Int(ldc))
        }
    }
}
