/// The obvious per-output loops for `Upsample2x`, generic over the float type: compute each output's source
/// coordinate from the align_corners=False formula and interpolate (forward) or scatter (backward).
extension Upsample2x {
    static func referenceTaps<T: BinaryFloatingPoint>(_ o: Int, _ length: Int, _: T.Type) -> [(Int, T)] {
        var s = (T(o) + 0.5) / 2 - 0.5
        if s < 0 { s = 0 }
        let i0 = Int(s), lambda = s - T(i0)
        return [(i0, 1 - lambda), (min(i0 + 1, length - 1), lambda)]
    }

    public static func forwardReference<T: BinaryFloatingPoint>(_ mode: Mode, n: Int, c: Int, h: Int, w: Int,
                                                                x: [T]) -> [T] {
        var y = [T](repeating: 0, count: 4 * x.count)
        for pl in 0..<(n * c) {
            for oy in 0..<(2 * h) {
                for ox in 0..<(2 * w) {
                    let o = pl * 4 * h * w + oy * 2 * w + ox
                    if mode == .nearest { y[o] = x[pl * h * w + (oy / 2) * w + ox / 2]; continue }
                    for (iy, wy) in referenceTaps(oy, h, T.self) {
                        for (ix, wx) in referenceTaps(ox, w, T.self) { y[o] += wy * wx * x[pl * h * w + iy * w + ix] }
                    }
                }
            }
        }
        return y
    }

    public static func backwardReference<T: BinaryFloatingPoint>(_ mode: Mode, n: Int, c: Int, h: Int, w: Int,
                                                                 gy: [T]) -> [T] {
        var gx = [T](repeating: 0, count: gy.count / 4)
        for pl in 0..<(n * c) {
            for oy in 0..<(2 * h) {
                for ox in 0..<(2 * w) {
                    let g = gy[pl * 4 * h * w + oy * 2 * w + ox]
                    if mode == .nearest { gx[pl * h * w + (oy / 2) * w + ox / 2] += g; continue }
                    for (iy, wy) in referenceTaps(oy, h, T.self) {
                        for (ix, wx) in referenceTaps(ox, w, T.self) { gx[pl * h * w + iy * w + ix] += wy * wx * g }
                    }
                }
            }
        }
        return gx
    }
}
