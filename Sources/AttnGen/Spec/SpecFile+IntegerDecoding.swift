// Integers in spec files, refused with the field and the number when the JSON holds another kind of number.

extension KeyedDecodingContainer where Key == SpecFileKey {
    /// An integer. A number that is not one (`64.5`) or that no Int holds (`1e30`) is refused with the field and
    /// the number: swift-corelibs-foundation reports either as "not valid JSON", without a place.
    func decodeInteger(forKey key: SpecFileKey) throws -> Int {
        do {
            return try decode(Int.self, forKey: key)
        } catch let error as DecodingError {
            guard case .dataCorrupted = error else { throw error }
            throw notAnInteger(forKey: key)
        } catch {
            throw notAnInteger(forKey: key)
        }
    }

    /// An integer, or nil when the key is missing or null; otherwise as `decodeInteger`.
    func decodeIntegerIfPresent(forKey key: SpecFileKey) throws -> Int? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeInteger(forKey: key)
    }

    private func notAnInteger(forKey key: SpecFileKey) -> DecodingError {
        let message: String
        if let number = try? decode(Double.self, forKey: key), number.isFinite {
            message = number.rounded() == number
                ? "out of range: expected an integer in \(Int.min)...\(Int.max), got \(number)"
                : "expected an integer, got \(number)"
        } else {
            message = "expected an integer, got a number out of range"
        }
        return .dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: message))
    }
}
