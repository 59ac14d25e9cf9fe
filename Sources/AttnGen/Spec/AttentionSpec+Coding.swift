// A variant in a spec file is an AttentionSpec, spelled with the DSL's names:
//   {"name": "gqa", "headDim": 128, "valueHeadDim": 128, "heads": {"query": 32, "keyValue": 8}, "dtype": "bf16", "inputDtype": "e4m3",
//    "scale": 0.088, "masks": [...], "scoreModifiers": [...], "sinks": true, "dropout": 0.1, "lse": true, "backward": false, "pagedKV": 16}
// Only name and headDim are required; what is missing takes the DSL's defaults. Unknown keys are refused.

extension AttentionSpec: Codable {
    static let specFileKeys = ["name", "headDim", "valueHeadDim", "heads", "dtype", "inputDtype", "scale", "masks", "scoreModifiers",
                               "sinks", "dropout", "lse", "backward", "pagedKV"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: SpecFileKey.self)
        try c.rejectUnknownKeys(Self.specFileKeys)
        self.init(name: try c.decode(String.self, forKey: SpecFileKey("name")),
                  headDim: try c.decodeInteger(forKey: SpecFileKey("headDim")))
        valueHeadDimOverride = try c.decodeIntegerIfPresent(forKey: SpecFileKey("valueHeadDim"))
        if c.contains(SpecFileKey("heads")), try !c.decodeNil(forKey: SpecFileKey("heads")) {
            let heads = try c.nestedContainer(keyedBy: SpecFileKey.self, forKey: SpecFileKey("heads"))
            try heads.rejectUnknownKeys(["query", "keyValue"])
            self.heads = .fixed(query: try heads.decodeInteger(forKey: SpecFileKey("query")),
                                keyValue: try heads.decodeInteger(forKey: SpecFileKey("keyValue")))
        }
        storage = try c.decodeIfPresent(StorageType.self, forKey: SpecFileKey("dtype")) ?? storage
        inputStorage = try c.decodeIfPresent(InputStorage.self, forKey: SpecFileKey("inputDtype"))
        scaleOverride = try c.decodeIfPresent(Double.self, forKey: SpecFileKey("scale"))
        masks = try c.decodeIfPresent([Mask].self, forKey: SpecFileKey("masks")) ?? []
        scoreModifiers = try c.decodeIfPresent([ScoreModifier].self, forKey: SpecFileKey("scoreModifiers")) ?? []
        sinks = try c.decodeIfPresent(Bool.self, forKey: SpecFileKey("sinks")) ?? false
        dropout = try c.decodeIfPresent(Double.self, forKey: SpecFileKey("dropout")).map(Dropout.init(probability:))
        savesLogSumExp = try c.decodeIfPresent(Bool.self, forKey: SpecFileKey("lse")) ?? false
        if try c.decodeIfPresent(Bool.self, forKey: SpecFileKey("backward")) == true {
            self = withBackward()
        }
        pageSize = try c.decodeIntegerIfPresent(forKey: SpecFileKey("pagedKV"))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecFileKey.self)
        try c.encode(name, forKey: SpecFileKey("name"))
        try c.encode(headDim, forKey: SpecFileKey("headDim"))
        try c.encodeIfPresent(valueHeadDimOverride, forKey: SpecFileKey("valueHeadDim"))
        if case .fixed(let query, let keyValue) = heads {
            var nested = c.nestedContainer(keyedBy: SpecFileKey.self, forKey: SpecFileKey("heads"))
            try nested.encode(query, forKey: SpecFileKey("query"))
            try nested.encode(keyValue, forKey: SpecFileKey("keyValue"))
        }
        try c.encode(storage, forKey: SpecFileKey("dtype"))
        try c.encodeIfPresent(inputStorage, forKey: SpecFileKey("inputDtype"))
        try c.encodeIfPresent(scaleOverride, forKey: SpecFileKey("scale"))
        if !masks.isEmpty { try c.encode(masks, forKey: SpecFileKey("masks")) }
        if !scoreModifiers.isEmpty { try c.encode(scoreModifiers, forKey: SpecFileKey("scoreModifiers")) }
        if sinks { try c.encode(true, forKey: SpecFileKey("sinks")) }
        try c.encodeIfPresent(dropout?.probability, forKey: SpecFileKey("dropout"))
        if savesLogSumExp { try c.encode(true, forKey: SpecFileKey("lse")) }
        if includesBackward { try c.encode(true, forKey: SpecFileKey("backward")) }
        try c.encodeIfPresent(pageSize, forKey: SpecFileKey("pagedKV"))
    }
}
