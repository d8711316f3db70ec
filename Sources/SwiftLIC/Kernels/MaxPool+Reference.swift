/// The obvious loops for `MaxPool2x2`, generic over the float type: scan each window in row-major order and keep
/// the first strictly greater value (or the first NaN).
extension MaxPool2x2 {
    static func windowArgmax<T: BinaryFloatingPoint>(_ x: [T], plane: Int, h: Int, w: Int, i: Int, j: Int) -> Int {
        var best = -1
        for di in 0..<2 {
            for dj in 0..<2 {
                let k = plane * h * w + (2 * i + di) * w + 2 * j + dj
                if best < 0 || x[k] > x[best] || (x[k].isNaN && !x[best].isNaN) { best = k }
            }
        }
        return best
    }

    public static func forwardReference<T: BinaryFloatingPoint>(n: Int, c: Int, h: Int, w: Int, x: [T]) -> [T] {
        var y = [T]()
        for pl in 0..<(n * c) {
            for i in 0..<(h / 2) { for j in 0..<(w / 2) { y.append(x[windowArgmax(x, plane: pl, h: h, w: w, i: i, j: j)]) } }
        }
        return y
    }

    public static func backwardReference<T: BinaryFloatingPoint>(n: Int, c: Int, h: Int, w: Int, x: [T],
                                                                 gy: [T]) -> [T] {
        var gx = [T](repeating: 0, count: x.count)
        var o = 0
        for pl in 0..<(n * c) {
            for i in 0..<(h / 2) {
                for j in 0..<(w / 2) {
                    gx[windowArgmax(x, plane: pl, h: h, w: w, i: i, j: j)] += gy[o]
                    o += 1
                }
            }
        }
        return gx
    }
}
