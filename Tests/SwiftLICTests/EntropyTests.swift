import XCTest
import Glibc
@testable import SwiftLIC

final class EntropyTests: XCTestCase {
    /// Symbol streams that stress the coder: random with skew, all zeros, all ones, alternating, long runs.
    func streams() -> [[Bool]] {
        var rng = SplitMix64(seed: 7)
        let n = 20_000
        return [
            (0..<n).map { _ in rng.next() % 10 == 0 },
            (0..<n).map { _ in rng.next() & 1 == 0 },
            [Bool](repeating: false, count: n),
            [Bool](repeating: true, count: n),
            (0..<n).map { $0 % 2 == 0 },
            (0..<n).map { ($0 / 1000) % 2 == 0 },
            [],
            [true],
        ]
    }

    /// For each (symbols coded, snapshot): the symbol count and the finished stream cut at the snapshot's truncation
    /// length.
    func truncations(of full: [UInt8], at snaps: [(Int, (position: Int, low: UInt32))]) -> [(Int, [UInt8])] {
        snaps.map { count, snap in (count, Array(full[0..<RangeEncoderCore.truncationLength(full, at: snap)])) }
    }

    func testBinaryCoderRoundTripAndTruncationPoints() {
        for (s, bits) in streams().enumerated() {
            var enc = BinaryArithmeticEncoder()
            var ctx = [BitContext](repeating: BitContext(), count: 4)
            var snaps: [(Int, (position: Int, low: UInt32))] = []
            for (i, b) in bits.enumerated() {
                if i % 3 == 2 { enc.encodeBypass(b) } else { enc.encode(b, &ctx[i & 3]) }
                if i % 997 == 0 { snaps.append((i + 1, enc.snapshot)) }
            }
            let full = enc.core.finish()
            var stream = enc
            let short = stream.finish()
            XCTAssertLessThanOrEqual(short.count, full.count)
            // The shortest stream decodes everything; each truncation point decodes its prefix of symbols.
            for (count, data) in [(bits.count, short)] + truncations(of: full, at: snaps) {
                data.withUnsafeBufferPointer { buf in
                    var dec = BinaryArithmeticDecoder(buf)
                    var dctx = [BitContext](repeating: BitContext(), count: 4)
                    for i in 0..<count {
                        let b = i % 3 == 2 ? dec.decodeBypass() : dec.decode(&dctx[i & 3])
                        if b != bits[i] { XCTFail("stream \(s): symbol \(i) of \(count) wrong with \(data.count) bytes"); return }
                    }
                    XCTAssertTrue(dec.isConsistent, "stream \(s)")
                }
            }
            // Skewed and constant streams compress: the adaptive model learns them.
            // Constant streams cost little beyond their bypass bins (one bit each).
            if s == 2 || s == 3 {
                XCTAssertLessThan(short.count, bits.count / 3 / 8 + 60, "constant stream \(s) took \(short.count) bytes")
            }
        }
    }

    /// Bytes held back for a carry: runs of bypass 1s drive the window to 0xFF bytes, which stay pending (the sink's
    /// `cacheSize` > 1) until a carry or a lower byte settles them; mixed with skewed decisions, both outcomes
    /// occur. The stream and every truncation point taken inside a pending run must decode.
    func testPendingByteRunsRoundTrip() {
        var rng = SplitMix64(seed: 11)
        var enc = BinaryArithmeticEncoder()
        var ctx = [BitContext](repeating: BitContext(), count: 2)
        var symbols: [(bit: Bool, context: Int)] = []  // context −1: a bypass bit
        var snaps: [(Int, (position: Int, low: UInt32))] = []
        var longestPending = 0
        for _ in 0..<400 {
            for _ in 0..<(8 + Int(rng.next() % 120)) {
                enc.encodeBypass(true)
                symbols.append((true, -1))
            }
            for _ in 0..<Int(rng.next() % 6) {
                let bit = rng.next() % 4 == 0, c = Int(rng.next() & 1)
                enc.encode(bit, &ctx[c])
                symbols.append((bit, c))
            }
            longestPending = max(longestPending, enc.core.sink.cacheSize)
            if enc.core.sink.cacheSize > 2 { snaps.append((symbols.count, enc.snapshot)) }
        }
        XCTAssertGreaterThan(longestPending, 8, "the test no longer makes long pending runs")
        XCTAssertGreaterThan(snaps.count, 20)
        let full = enc.core.finish()
        for (count, data) in [(symbols.count, full)] + truncations(of: full, at: snaps) {
            data.withUnsafeBufferPointer { buf in
                var dec = BinaryArithmeticDecoder(buf)
                var dctx = [BitContext](repeating: BitContext(), count: 2)
                for (i, (bit, c)) in symbols[0..<count].enumerated() {
                    let decoded = c < 0 ? dec.decodeBypass() : dec.decode(&dctx[c])
                    if decoded != bit { XCTFail("symbol \(i) of \(count) wrong with \(data.count) bytes"); return }
                }
                XCTAssertTrue(dec.isConsistent)
            }
        }
    }

    /// The context update, branch-free with one shift per estimate, against the obvious rule, for every state
    /// either estimate can hold (and a little beyond) and both bits.
    func testContextUpdateMatchesTheObviousRule() {
        for v in UInt16(0)...UInt16(32768) {
            for bit in [false, true] {
                var fast = BitContext(), reference = BitContext()
                fast.fast = v; fast.slow = v
                reference.fast = v; reference.slow = v
                fast.update(bit)
                reference.referenceUpdate(bit)
                XCTAssertEqual(fast.fast, reference.fast, "fast estimate \(v) after \(bit)")
                XCTAssertEqual(fast.slow, reference.slow, "slow estimate \(v) after \(bit)")
            }
        }
    }

    func testAdaptiveCodingApproachesEntropy() {
        var rng = SplitMix64(seed: 3)
        let n = 100_000
        let bits = (0..<n).map { _ in rng.next() % 20 == 0 }  // p(1) = 0.05: H = 0.2864 bits
        var enc = BinaryArithmeticEncoder()
        var ctx = BitContext()
        for b in bits { enc.encode(b, &ctx) }
        let size = Double(enc.finish().count * 8) / Double(n)
        // The fast rates (chosen for non-stationary bitplanes) cost ~11% on a stationary skewed source.
        XCTAssertLessThan(size, 0.2864 * 1.13)
        XCTAssertGreaterThan(size, 0.2864 * 0.95)
    }

    func block(_ h: Int, _ w: Int, seed: UInt64, scale: Double) -> [Int32] {
        var rng = SplitMix64(seed: seed)
        return (0..<(h * w)).map { _ in
            // Laplacian magnitudes with a few zeros and a few huge values.
            let u = Double(rng.next() >> 11) / Double(1 << 53)
            let m = -scale * log(max(1e-12, 1 - u))
            let v = Int32(m.rounded())
            return rng.next() & 1 == 0 ? v : -v
        }
    }

    /// Every segment's truncation point decodes to exactly the error the encoder's bookkeeping says, in a block
    /// of any height (fewer stripes than segments per pass leave some segments empty).
    func testBitplaneRoundTripAtEverySegment() throws {
        for (h, w, scale) in [(9, 13, 20.0), (4, 4, 1.0), (1, 7, 300.0), (17, 5, 0.3), (30, 6, 12.0)] {
            let values = block(h, w, seed: UInt64(h * 100 + w), scale: scale)
            let enc = values.withUnsafeBufferPointer { BitplaneCoder.encode($0, height: h, width: w) }
            XCTAssertEqual(enc.points.count, BitplaneCoder.segmentCount(planes: enc.planes))
            XCTAssertEqual(enc.points.count, 4 * BitplaneCoder.passCount(planes: enc.planes))
            let hullPoints = Set(RateAllocation.hull(enc.points, block: 0).map(\.points))
            var previousError = Double.infinity
            var expectedError = values.reduce(0.0) { $0 + Double($1) * Double($1) }
            for k in 0...enc.points.count {
                let length = k == 0 ? 0 : enc.points[k - 1].length
                var out = [Int32](repeating: 99, count: h * w)
                try Array(enc.bytes[0..<length]).withUnsafeBufferPointer { buf in
                    try out.withUnsafeMutableBufferPointer {
                        try BitplaneCoder.decode(buf, planes: enc.planes, segments: k, height: h, width: w, into: $0)
                    }
                }
                let err = zip(values, out).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
                // The encoder's distortion bookkeeping matches what the decoder reconstructs.
                if k > 0 { expectedError -= enc.points[k - 1].distortionDecrease }
                XCTAssertEqual(err, expectedError, accuracy: 1e-6 * max(1, err), "\(h)×\(w) segment \(k)")
                // Distortion falls along the hull (a single segment may raise it: the reconstruction is not the
                // centroid).
                if k == 0 || hullPoints.contains(k) {
                    XCTAssertLessThanOrEqual(err, previousError)
                    previousError = err
                }
                if k == enc.points.count { XCTAssertEqual(out, values, "\(h)×\(w): full decode must be exact") }
                // The decoder's state in caller memory full of garbage (as a reused scratch buffer) decodes the same.
                let bytes = BitplaneCoder.stateBytes(height: h, width: w)
                let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
                defer { memory.deallocate() }
                memory.initializeMemory(as: UInt8.self, repeating: 0xA5, count: bytes)
                var lent = [Int32](repeating: -7, count: h * w)
                try Array(enc.bytes[0..<length]).withUnsafeBufferPointer { buf in
                    try lent.withUnsafeMutableBufferPointer {
                        try BitplaneCoder.decode(buf, planes: enc.planes, segments: k, height: h, width: w, into: $0,
                                                 memory: memory)
                    }
                }
                XCTAssertEqual(lent, out, "\(h)×\(w) segment \(k), state in lent memory")
            }
        }
    }

    func testFastBitplaneCoderMatchesReference() throws {
        var cases = [(9, 13, 20.0), (4, 4, 1.0), (1, 7, 300.0), (17, 5, 0.3), (12, 8, 3.0), (5, 1, 9.0),
                     (37, 29, 0.15), (24, 40, 2.0),
                     // Wide and sparse: long quiet runs (both run contexts, halving) and bitmaps over several
                     // 64-bit words, with columns 62…65 at the word boundary.
                     (8, 130, 0.12), (13, 66, 0.3), (4, 63, 0.2), (6, 64, 1.0),
                     // Dense, widths around the 8-column chunks of the fast passes (a chunk's last column turning
                     // significant marks the next chunk; partial chunks at the right edge).
                     (16, 17, 40.0), (20, 8, 60.0), (12, 23, 8.0), (32, 33, 25.0)].map { h, w, scale in (h, w, block(h, w, seed: UInt64(h * 31 + w), scale: scale)) }
        // Magnitudes at the edge of the encoder's packed words (below 2^15 they share each coefficient's word with
        // its flags, from 2^15 they have their own array): the two layouts must code the same bits.
        for top: Int32 in [32767, -32767, 32768, -32768] {
            var values = block(12, 10, seed: UInt64(top.magnitude), scale: 3000).map { max(-30000, min(30000, $0)) }
            values[57] = top
            cases.append((12, 10, values))
        }
        // Sparse with magnitudes near 2^30: run mode and the column skips on the top planes (p = 29).
        var rng = SplitMix64(seed: 5)
        cases.append((8, 9, (0..<72).map { _ in
            rng.next() % 9 != 0 ? 0 : Int32(truncatingIfNeeded: (1 << 30) - 1 - Int64(rng.next() % (1 << 29))) * (rng.next() & 1 == 0 ? 1 : -1)
        }))
        for (h, w, values) in cases {
            let fast = values.withUnsafeBufferPointer { BitplaneCoder.encode($0, height: h, width: w, weight: 2) }
            let ref = values.withUnsafeBufferPointer {
                BitplaneCoder.encode($0, height: h, width: w, weight: 2, state: ReferencePlaneState.self)
            }
            XCTAssertEqual(fast.bytes, ref.bytes, "\(h)×\(w)")
            XCTAssertEqual(fast.points, ref.points, "\(h)×\(w)")
            for k in [0, fast.points.count / 2, fast.points.count / 2 + 1, fast.points.count] {
                let data = Array(fast.bytes[0..<(k == 0 ? 0 : fast.points[k - 1].length)])
                var a = [Int32](repeating: 0, count: h * w), b = a
                try data.withUnsafeBufferPointer { buf in
                    try a.withUnsafeMutableBufferPointer {
                        try BitplaneCoder.decode(buf, planes: fast.planes, segments: k, height: h, width: w, into: $0)
                    }
                    try b.withUnsafeMutableBufferPointer {
                        try BitplaneCoder.decode(buf, planes: fast.planes, segments: k, height: h, width: w, into: $0,
                                                 state: ReferencePlaneState.self)
                    }
                }
                XCTAssertEqual(a, b, "\(h)×\(w) segment \(k)")
            }
        }
    }

    /// Coding a block a few segments, passes or planes at a time (finishing it in between; resuming at every
    /// point of a pass) is `encode`; after k segments the block holds those, decodes like the full block cut there,
    /// its incremental hull is the hull of its points, and the fast state in lent memory full of garbage codes the
    /// same bits as the reference.
    func testSegmentBySegmentEncoderMatchesTheWholeBlock() throws {
        let s = BitplaneCoder.segmentsPerPass
        for (h, w, scale) in [(9, 13, 20.0), (17, 5, 0.3), (8, 130, 0.12), (1, 7, 300.0), (4, 4, 0.0), (33, 9, 9.0)] {
            let values = block(h, w, seed: UInt64(h * 7 + w), scale: scale)
            let whole = values.withUnsafeBufferPointer { BitplaneCoder.encode($0, height: h, width: w, weight: 3) }
            let bytes = PlaneState.Layout(height: h, width: w).bytes
            let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            defer { memory.deallocate() }
            memory.initializeMemory(as: UInt8.self, repeating: 0xA5, count: bytes)
            var fast = values.withUnsafeBufferPointer {
                BitplaneCoder.PlaneEncoder<PlaneState>($0, height: h, width: w, weight: 3, memory: memory)
            }
            var ref = values.withUnsafeBufferPointer {
                BitplaneCoder.PlaneEncoder<ReferencePlaneState>($0, height: h, width: w, weight: 3)
            }
            XCTAssertEqual(fast.planes, whole.planes)
            XCTAssertEqual(fast.isComplete, whole.planes == 0)
            // Steps of segments (positive), passes (negative) and "the rest of this plane" (0), in a cycle.
            let steps = [1, 2, -1, 0, 3, 1, -2, 5, 0, 1, 0, -1, 2]
            var coded = 0, step = 0
            while !fast.isComplete {
                let n = steps[step % steps.count]
                step += 1
                if n == 0 {
                    let planeEnds = (1...max(1, whole.planes)).map { s * BitplaneCoder.passCount(planes: $0) }
                    coded = planeEnds.first { $0 > coded }!
                    fast.code(planes: 1)
                    ref.code(planes: 1)
                } else if n < 0 {
                    coded = min((coded / s - n) * s, whole.points.count)
                    fast.code(passes: -n)
                    ref.code(passes: -n)
                } else {
                    coded = min(coded + n, whole.points.count)
                    fast.code(segments: n)
                    ref.code(segments: n)
                }
                let part = fast.finished(), refPart = ref.finished()
                XCTAssertEqual(fast.truncationPoints(), part.points)
                let hull = RateAllocation.hull(part.points, block: 5)
                XCTAssertEqual(fast.hull(block: 5), hull, "\(h)×\(w) after \(coded) segments")
                XCTAssertEqual(fast.hull(block: 5), hull, "a second call")
                XCTAssertEqual(part.bytes, refPart.bytes, "\(h)×\(w) after \(coded) segments")
                XCTAssertEqual(part.points, refPart.points)
                XCTAssertEqual(part.points.count, coded)
                XCTAssertEqual(fast.segmentsCoded, coded)
                XCTAssertEqual(part.points.map(\.distortionDecrease),
                               Array(whole.points.prefix(part.points.count).map(\.distortionDecrease)))
                for k in [part.points.count - 1, part.points.count] where k > 0 {
                    var a = [Int32](repeating: 7, count: h * w), b = a
                    try Array(part.bytes[0..<part.points[k - 1].length]).withUnsafeBufferPointer { buf in
                        try a.withUnsafeMutableBufferPointer {
                            try BitplaneCoder.decode(buf, planes: part.planes, segments: k, height: h, width: w,
                                                     into: $0)
                        }
                    }
                    try Array(whole.bytes[0..<whole.points[k - 1].length]).withUnsafeBufferPointer { buf in
                        try b.withUnsafeMutableBufferPointer {
                            try BitplaneCoder.decode(buf, planes: whole.planes, segments: k, height: h, width: w,
                                                     into: $0)
                        }
                    }
                    XCTAssertEqual(a, b, "\(h)×\(w) segment \(k)")
                }
            }
            XCTAssertEqual(coded, whole.points.count)
            // Filled in place (the fast state in lent garbage, the reference through its scratch array): the same.
            memory.initializeMemory(as: UInt8.self, repeating: 0x5A, count: bytes)
            func copy(_ b: UnsafeMutableBufferPointer<Int32>) { for i in 0..<b.count { b[i] = values[i] } }
            var filled = try BitplaneCoder.PlaneEncoder<PlaneState>(height: h, width: w, weight: 3, memory: memory,
                                                                   fill: copy)
            var filledRef = try BitplaneCoder.PlaneEncoder<ReferencePlaneState>(height: h, width: w, weight: 3,
                                                                               fill: copy)
            XCTAssertEqual(filled.planes, whole.planes)
            XCTAssertEqual(filledRef.planes, whole.planes)
            filled.code(segments: 1000)
            filledRef.code(segments: 1000)
            XCTAssertEqual(filled.finished().bytes, whole.bytes, "\(h)×\(w) filled in place")
            XCTAssertEqual(filled.finished().points, whole.points)
            XCTAssertEqual(filledRef.finished().bytes, whole.bytes)
            fast.code(planes: 1)  // nothing left: no-ops
            fast.code(passes: 1)
            fast.code(segments: 1)
            let done = fast.finished()
            XCTAssertEqual(done.bytes, whole.bytes, "\(h)×\(w)")
            XCTAssertEqual(done.points, whole.points)
        }
    }

    func testColumnBitsMatchABoolArray() {
        var rng = SplitMix64(seed: 17)
        for w in [1, 2, 3, 61, 62, 63, 64, 65, 66, 127, 128, 130, 200] {
            var bits = [UInt64](repeating: 0, count: ColumnBits.words(width: w))
            var marked = [Bool](repeating: false, count: w)
            for _ in 0..<(w / 3 + 1) {
                let x = Int(rng.next() % UInt64(w))
                bits.withUnsafeMutableBufferPointer { ColumnBits.markNeighbourhood($0.baseAddress!, x) }
                for c in max(0, x - 1)...min(w - 1, x + 1) { marked[c] = true }
                bits.withUnsafeMutableBufferPointer { b in
                    for c in 0..<w {
                        XCTAssertEqual(ColumnBits.test(b.baseAddress!, c), marked[c], "w \(w) column \(c)")
                        let next = (c..<w).first { marked[$0] } ?? w
                        XCTAssertEqual(ColumnBits.next(b.baseAddress!, from: c, width: w), next, "w \(w) from \(c)")
                        let clear = (c..<w).first { !marked[$0] } ?? w
                        XCTAssertEqual(ColumnBits.nextClear(b.baseAddress!, from: c, width: w), clear,
                                       "w \(w) clear from \(c)")
                        if c % 8 == 0 {
                            let chunk = (0..<8).reduce(UInt32(0)) { $0 | (c + $1 < w && marked[c + $1] ? 1 << $1 : 0) }
                            let inside: UInt32 = w - c >= 8 ? 0xFF : (1 << (w - c)) - 1  // (past w: padding)
                            XCTAssertEqual(ColumnBits.chunk(b.baseAddress!, c) & inside, chunk, "w \(w) chunk at \(c)")
                        }
                    }
                }
            }
        }
    }

    func testBitplaneAllZeroAndExtremeBlocks() throws {
        let zero = [Int32](repeating: 0, count: 30)
        let e = zero.withUnsafeBufferPointer { BitplaneCoder.encode($0, height: 5, width: 6) }
        XCTAssertEqual(e.planes, 0)
        XCTAssertTrue(e.bytes.isEmpty)
        let big = (0..<24).map { Int32($0 % 2 == 0 ? (1 << 30) - 1 : -((1 << 30) - 1)) }
        let b = big.withUnsafeBufferPointer { BitplaneCoder.encode($0, height: 4, width: 6) }
        XCTAssertEqual(b.planes, 30)
        var out = [Int32](repeating: 0, count: 24)
        try b.bytes.withUnsafeBufferPointer { buf in
            try out.withUnsafeMutableBufferPointer {
                try BitplaneCoder.decode(buf, planes: 30, segments: b.points.count, height: 4, width: 6, into: $0)
            }
        }
        XCTAssertEqual(out, big)
    }

    /// `bytes` + `finishedTail()` is the finished stream at any point (the obvious way: finish a copy), and the
    /// truncation lengths read from the two parts are those of the whole; coding goes on unaffected.
    func testFinishedTailCompletesTheStream() {
        for (s, bits) in streams().enumerated() {
            var enc = BinaryArithmeticEncoder()
            var ctx = [BitContext](repeating: BitContext(), count: 4)
            var snaps: [(position: Int, low: UInt32)] = []
            for (i, b) in bits.enumerated() {
                if i % 3 == 2 { enc.encodeBypass(b) } else { enc.encode(b, &ctx[i & 3]) }
                if i % 613 == 0 { snaps.append(enc.snapshot) }
                guard i % 1409 == 0 || i == bits.count - 1 else { continue }
                let head = enc.core.bytes, tail = enc.core.finishedTail()
                var copy = enc.core
                let full = copy.finish()
                XCTAssertEqual(head + tail, full, "stream \(s) after \(i + 1) symbols")
                XCTAssertEqual(enc.core.bytes, head)
                for snap in snaps {
                    XCTAssertEqual(RangeEncoderCore.truncationLength(head, tail: tail, at: snap),
                                   RangeEncoderCore.truncationLength(full, at: snap), "stream \(s)")
                }
            }
        }
    }

    /// Merging a few blocks' new hull segments into the others' (`merged` then `merge`) gives the order a full
    /// sort gives.
    func testMergedSegmentOrderIsTheSortedOrder() {
        var rng = SplitMix64(seed: 23)
        func segments(_ b: Int, _ n: Int) -> [RateAllocation.Segment] {
            (0..<n).map { i in
                // Few distinct slopes, so ties between blocks are common; some infinite.
                let slope = rng.next() % 9 == 0 ? Double.infinity : Double(rng.next() % 12) / 4
                return RateAllocation.Segment(block: b, index: i, points: i + 1, length: i * 10, slope: slope)
            }.sorted(by: RateAllocation.precedes)
        }
        for c in [1, 2, 7, 40] {
            var all = (0..<c).map { segments($0, Int(rng.next() % 9)) }
            var ordered = all.flatMap { $0 }.sorted(by: RateAllocation.precedes)
            for _ in 0..<20 {
                let replaced = (0..<c).map { _ in rng.next() % 3 == 0 }
                var fresh: [[RateAllocation.Segment]] = []
                for b in 0..<c where replaced[b] {
                    all[b] = segments(b, Int(rng.next() % 9))
                    fresh.append(all[b])
                }
                let merged = RateAllocation.merged(fresh)
                XCTAssertEqual(merged.map { [$0.block, $0.index] },
                               fresh.flatMap { $0 }.sorted(by: RateAllocation.precedes).map { [$0.block, $0.index] })
                ordered = RateAllocation.merge(ordered, replacing: replaced, with: merged)
                let sorted = all.flatMap { $0 }.sorted(by: RateAllocation.precedes)
                XCTAssertEqual(ordered.map { [$0.block, $0.index] }, sorted.map { [$0.block, $0.index] }, "\(c)")
            }
        }
    }

    func testHullSlopesDecrease() {
        let values = block(16, 16, seed: 11, scale: 8)
        let enc = values.withUnsafeBufferPointer { BitplaneCoder.encode($0, height: 16, width: 16) }
        let hull = RateAllocation.hull(enc.points, block: 0)
        XCTAssertFalse(hull.isEmpty)
        for i in 1..<hull.count {
            XCTAssertLessThan(hull[i].slope, hull[i - 1].slope)
            XCTAssertGreaterThan(hull[i].points, hull[i - 1].points)
        }
        XCTAssertEqual(hull.last!.points, enc.points.count)
    }

    func testSlicedCRCMatchesBytewise() {
        let check = Array("123456789".utf8)
        XCTAssertEqual(check.withUnsafeBufferPointer { CRC32.checksum($0) }, 0xCBF4_3926)
        var rng = SplitMix64(seed: 99)
        for n in [0, 1, 7, 8, 9, 15, 16, 17, 64, 1000, 1003] {
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            bytes.withUnsafeBufferPointer { XCTAssertEqual(CRC32.checksum($0), CRC32.bytewise($0), "\(n) bytes") }
        }
    }
}
