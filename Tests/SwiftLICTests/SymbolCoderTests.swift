import XCTest
@testable import SwiftLIC
#if canImport(Glibc)
import Glibc
#endif

/// Range coder (static CDF + escape) and canonical Huffman: round trips on random and adversarial streams.
final class SymbolCoderTests: XCTestCase {
    func adversarial(_ rng: inout SplitMix64) -> [[Int32]] {
        [
            (0..<5000).map { _ in Int32(truncatingIfNeeded: rng.next() % 7) - 3 },  // mostly in range
            [Int32](repeating: 0, count: 3000) as [Int32],
            [Int32](repeating: 5, count: 3000),  // the escape value just above the range
            (0..<3000).map { (i: Int) -> Int32 in i % 2 == 0 ? Int32.max : Int32.min },
            (0..<3000).map { _ in Int32(truncatingIfNeeded: Int64(bitPattern: rng.next())) },
            (0..<4000).map { (i: Int) -> Int32 in Int32((i / 500) % 2) },
            [],
        ]
    }

    func testRangeCoderRoundTrips() throws {
        var rng = SplitMix64(seed: 21)
        // Values −4…4 with a peaked distribution; symbol 9 escapes.
        let counts = [1, 4, 30, 200, 1000, 200, 30, 4, 1, 5]
        let model = SymbolModel(table: try FrequencyTable(counts: counts), offset: -4)
        for values in adversarial(&rng) {
            var enc = RangeEncoder()
            for v in values { enc.encode(v, model) }
            let data = enc.finish()
            try data.withUnsafeBufferPointer { (buf) throws(SLICError) in
                var dec = RangeDecoder(buf)
                for (i, v) in values.enumerated() {
                    let got = try dec.decode(model)
                    if got != v { XCTFail("value \(i): \(got) != \(v)"); return }
                }
                XCTAssertTrue(dec.core.isConsistent)
            }
        }
    }

    func testRangeCoderRateMatchesTheTable() throws {
        var rng = SplitMix64(seed: 2)
        let counts = [5, 10, 100, 700, 150, 30, 5]
        let table = try FrequencyTable(counts: counts)
        let cum = counts.reduce(0, +)
        var symbols: [Int] = []
        var ideal = 0.0
        for _ in 0..<50_000 {
            var u = Int(rng.next() % UInt64(cum)), s = 0
            while u >= counts[s] { u -= counts[s]; s += 1 }
            symbols.append(s)
            ideal += table.cost(s)
        }
        var enc = RangeEncoder()
        for s in symbols { enc.encodeSymbol(s, table) }
        let bits = Double(enc.finish().count * 8)
        XCTAssertLessThan(bits, ideal * 1.002 + 64)
        XCTAssertGreaterThan(bits, ideal * 0.99)
    }

    func testFrequencyTableValidation() {
        XCTAssertThrowsError(try FrequencyTable(cdf: [0, 100]))
        XCTAssertThrowsError(try FrequencyTable(cdf: [0, 0, 65536]))
        XCTAssertNoThrow(try FrequencyTable(cdf: [0, 1, 65536]))
        let t = try! FrequencyTable(counts: [0, 0, 1_000_000, 0])
        XCTAssertEqual(t.cdf.last, 65536)
        for i in 1..<t.cdf.count { XCTAssertGreaterThan(t.cdf[i], t.cdf[i - 1]) }
    }

    func testHuffmanRoundTripAndOptimality() throws {
        var rng = SplitMix64(seed: 4)
        for alphabet in [1, 2, 3, 17, 300] {
            var counts = (0..<alphabet).map { _ in Int(rng.next() % 1000) }
            counts[0] = max(counts[0], 1)
            if alphabet > 2 { counts[1] = 0 }  // an unused symbol
            let code = try HuffmanCode(counts: counts)
            // Kraft: a complete code when at least two symbols are used.
            let used = counts.filter { $0 > 0 }.count
            let kraft = code.lengths.reduce(0.0) { $0 + ($1 > 0 ? pow(2, -Double($1)) : 0) }
            XCTAssertEqual(kraft, used == 1 ? 0.5 : 1, accuracy: 1e-12)
            // Average length within [H, H + 1).
            let total = Double(counts.reduce(0, +))
            let entropy = counts.reduce(0.0) { $0 - ($1 > 0 ? Double($1) / total * log2(Double($1) / total) : 0) }
            let average = zip(counts, code.lengths).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } / total
            XCTAssertGreaterThanOrEqual(average + 1e-12, entropy)
            XCTAssertLessThan(average, entropy + 1 + (used == 1 ? 1e-9 : 0))
            var symbols: [Int] = []
            for (s, c) in counts.enumerated() { symbols += [Int](repeating: s, count: c % 50) }
            symbols.shuffle(using: &rng)
            let data = try code.encode(symbols)
            XCTAssertEqual(try code.decode(data, count: symbols.count), symbols)
            if !symbols.isEmpty && used > 1 {
                XCTAssertThrowsError(try code.decode(Array(data.dropLast()), count: symbols.count + 8))
            }
        }
    }

    func testHuffmanLengthLimitAndBadInput() throws {
        let fibonacci = (0..<40).reduce(into: [1, 1]) { f, _ in f.append(f[f.count - 1] + f[f.count - 2]) }
        let code = try HuffmanCode(counts: fibonacci, maxLength: 16)
        XCTAssertLessThanOrEqual(Int(code.lengths.max()!), 16)
        let symbols = Array(0..<fibonacci.count)
        XCTAssertEqual(try code.decode(try code.encode(symbols), count: symbols.count), symbols)
        XCTAssertThrowsError(try HuffmanCode(lengths: [1, 1, 1]))
        XCTAssertThrowsError(try code.encode([fibonacci.count]))
    }
}
