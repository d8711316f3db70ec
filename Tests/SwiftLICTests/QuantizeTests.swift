import XCTest
@testable import SwiftLIC

/// Philox stream, quantization proxies and dropout.
final class QuantizeTests: XCTestCase {
    /// Known-answer vectors of Philox4x32-10 from Random123's kat_vectors.
    func testPhiloxKnownAnswers() {
        let z = Philox.block((0, 0, 0, 0), key: (0, 0))
        XCTAssertEqual([z.0, z.1, z.2, z.3], [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8])
        let f = Philox.block((.max, .max, .max, .max), key: (.max, .max))
        XCTAssertEqual([f.0, f.1, f.2, f.3], [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD])
        let p = Philox.block((0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344), key: (0xA409_3822, 0x299F_31D0))
        XCTAssertEqual([p.0, p.1, p.2, p.3], [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1])
    }

    /// The stream layout (counter = offset + i, block/lane split, key = seed halves, 24-bit unit) is part of the
    /// reproducibility contract: these values were produced by this implementation and must never change.
    func testGoldenNoiseStream() {
        let x = [Float](repeating: 0, count: 6)
        let noise = withBuffers(x) { xb in produce(6) { Quantize.addUniformNoise(seed: 2026, offset: 0, x: xb, y: $0) } }
        XCTAssertEqual(noise, GOLDEN_NOISE)
        XCTAssertEqual(Philox.bits(seed: 0, index: 5), Philox.block((1, 0, 0, 0), key: (0, 0)).1,
                       "value 5 is lane 1 of block 1 (counter (1, 0, 0, 0))")
        XCTAssertEqual(Philox.bits(seed: 0x1_0000_0002, index: 2), Philox.block((0, 0, 0, 0), key: (2, 1)).2,
                       "the key is (low, high) 32 bits of the seed")
    }

    func testStreamDependsOnlyOnSeedAndIndex() {
        // A window at offset 3 equals the tail of the stream at offset 0, whatever the split.
        let x = [Float](repeating: 0, count: 4103)
        let whole = withBuffers(x) { xb in produce(x.count) { Quantize.uniform(seed: 77, offset: 0, out: $0) } }
        let tail = produce(x.count - 3) { Quantize.uniform(seed: 77, offset: 3, out: $0) }
        XCTAssertEqual(Array(whole[3...]), tail)
        XCTAssertEqual(whole, Quantize.addUniformNoiseReference(seed: 77, offset: 0, x: x).map { 0.5 - $0 })
        let other = produce(16) { Quantize.uniform(seed: 78, offset: 0, out: $0) }
        XCTAssertNotEqual(Array(whole[0..<16]), other)
    }

    func testNoiseBoundsAndMoments() {
        let n = 20000
        let x = [Float](repeating: 3, count: n)
        let y = withBuffers(x) { xb in produce(n) { Quantize.addUniformNoise(seed: 1, offset: 0, x: xb, y: $0) } }
        let noise = y.map { Double($0) - 3 }
        XCTAssertTrue(noise.allSatisfy { $0 > -0.5 && $0 <= 0.5 })
        let mean = noise.reduce(0, +) / Double(n), variance = noise.map { $0 * $0 }.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 0, accuracy: 0.01)
        XCTAssertEqual(variance, 1.0 / 12, accuracy: 0.005)
    }

    func testRoundHalfToEven() {
        let x: [Float] = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 2.6, -7.2, 1e9]
        let y = withBuffers(x) { xb in produce(x.count) { Quantize.round(x: xb, y: $0) } }
        XCTAssertEqual(y, [0, 2, 2, -0.0, -2, -2, 0, 3, -7, 1e9])
    }

    func testBinarizeMatchesReferenceAndProbability() {
        let n = 40000
        for v: Float in [-1, -0.5, 0, 0.6, 1] {
            let x = [Float](repeating: v, count: n)
            let y = withBuffers(x) { xb in produce(n) { Quantize.binarize(seed: 5, offset: 9, x: xb, y: $0) } }
            XCTAssertEqual(y, Quantize.binarizeReference(seed: 5, offset: 9, x: x))
            XCTAssertTrue(y.allSatisfy { $0 == 1 || $0 == -1 })
            let mean = y.reduce(0.0) { $0 + Double($1) } / Double(n)
            XCTAssertEqual(mean, Double(v), accuracy: 0.02, "E[b(x)] = x")
        }
    }

    func testDropoutMatchesReferenceAndKeepsRate() {
        var rng = SplitMix64(seed: 6)
        let x = rng.floats(10007)
        for p: Float in [0, 0.25, 0.5, 1] {
            let y = withBuffers(x) { xb in produce(x.count) { Dropout.apply(p: p, seed: 3, offset: 100, x: xb, y: $0) } }
            let ref = Dropout.applyReference(p: p, seed: 3, offset: 100, x: x)
            XCTAssertLessThan(LayerCheck.maxError(y, LayerCheck.doubles(ref)), 1e-6)
            let kept = Double(y.filter { $0 != 0 }.count) / Double(x.count)
            XCTAssertEqual(kept, Double(1 - p), accuracy: 0.02, "p=\(p)")
            // Backward: the same map applied to the gradient keeps exactly the same positions.
            let ones = [Float](repeating: 1, count: x.count)
            let g = withBuffers(ones) { gb in produce(x.count) { Dropout.apply(p: p, seed: 3, offset: 100, x: gb, y: $0) } }
            XCTAssertEqual(g.map { $0 != 0 }, y.map { $0 != 0 })
        }
        XCTAssertThrowsError(try Dropout.validate(p: 1.5, input: 1, output: 1))
    }

    func testBitIdenticalForOneAndTwoThreads() {
        var rng = SplitMix64(seed: 12)
        let x = rng.floats(50001)
        func all() -> [[Float]] {
            withBuffers(x) { xb in
                [produce(x.count) { Quantize.addUniformNoise(seed: 9, offset: 7, x: xb, y: $0) },
                 produce(x.count) { Quantize.binarize(seed: 9, offset: 7, x: xb, y: $0) },
                 produce(x.count) { Dropout.apply(p: 0.3, seed: 9, offset: 7, x: xb, y: $0) },
                 produce(x.count) { Quantize.round(x: xb, y: $0) }]
            }
        }
        XCTAssertEqual(LayerCheck.withThreads(1, all), LayerCheck.withThreads(2, all))
    }
}

/// First six noise values of seed 2026 at offset 0 (pinned on first implementation, 2026-11-23).
let GOLDEN_NOISE: [Float] = [0.068921566, -0.022334933, -0.20237291, 0.20346457, -0.4882806, 0.15113753]
