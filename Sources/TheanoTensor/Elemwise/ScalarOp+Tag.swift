import TheanoArray

extension ScalarOp {
    /// A scalar op without its parameters: one tag per case of ``ScalarOp`` (`cast(.int8)` and
    /// `cast(.float32)` share the tag ``cast``). The raw value is the op's ``ScalarOp/name``.
    ///
    /// `ScalarOp` has a case with a payload, so Swift cannot synthesise `CaseIterable` for it;
    /// the tag can, and ``ScalarOp/allCases`` is derived from it.
    public enum Tag: String, CaseIterable, Sendable {
        case exp, exp2, expm1, log, log2, log10, log1p, sqrt, reciprocal
        case sin, cos, tan, arcsin, arccos, arctan, sinh, cosh, tanh, arcsinh, arccosh, arctanh
        case erf, erfc, gamma, lgamma, digamma, sigmoid, softplus, log1mexp
        case neg, abs, sign, square, floor, ceil, round, trunc
        case add, sub, mul, floorDiv = "floor_div", mod, pow, maximum, minimum
        case trueDiv = "true_div", arctan2, logaddexp
        case eq, neq, lt, le, gt, ge
        case and, or, xor, not
        case isnan, isinf
        case `where`, clip
        case cast
        case identity

        /// Every op with this tag: the op itself, or one `cast` per ``DType``.
        public var ops: [ScalarOp] {
            switch self {
            case .exp: [.exp]; case .exp2: [.exp2]; case .expm1: [.expm1]; case .log: [.log]
            case .log2: [.log2]; case .log10: [.log10]; case .log1p: [.log1p]; case .sqrt: [.sqrt]
            case .reciprocal: [.reciprocal]
            case .sin: [.sin]; case .cos: [.cos]; case .tan: [.tan]; case .arcsin: [.arcsin]
            case .arccos: [.arccos]; case .arctan: [.arctan]; case .sinh: [.sinh]; case .cosh: [.cosh]
            case .tanh: [.tanh]; case .arcsinh: [.arcsinh]; case .arccosh: [.arccosh]; case .arctanh: [.arctanh]
            case .erf: [.erf]; case .erfc: [.erfc]; case .gamma: [.gamma]; case .lgamma: [.lgamma]
            case .digamma: [.digamma]; case .sigmoid: [.sigmoid]; case .softplus: [.softplus]
            case .log1mexp: [.log1mexp]
            case .neg: [.neg]; case .abs: [.abs]; case .sign: [.sign]; case .square: [.square]
            case .floor: [.floor]; case .ceil: [.ceil]; case .round: [.round]; case .trunc: [.trunc]
            case .add: [.add]; case .sub: [.sub]; case .mul: [.mul]; case .floorDiv: [.floorDiv]
            case .mod: [.mod]; case .pow: [.pow]; case .maximum: [.maximum]; case .minimum: [.minimum]
            case .trueDiv: [.trueDiv]; case .arctan2: [.arctan2]; case .logaddexp: [.logaddexp]
            case .eq: [.eq]; case .neq: [.neq]; case .lt: [.lt]; case .le: [.le]; case .gt: [.gt]; case .ge: [.ge]
            case .and: [.and]; case .or: [.or]; case .xor: [.xor]; case .not: [.not]
            case .isnan: [.isnan]; case .isinf: [.isinf]
            case .where: [.where]; case .clip: [.clip]
            case .cast: DType.allCases.map(ScalarOp.cast)
            case .identity: [.identity]
            }
        }
    }

    /// The op's ``Tag``.
    public var tag: Tag {
        switch self {
        case .exp: .exp; case .exp2: .exp2; case .expm1: .expm1; case .log: .log
        case .log2: .log2; case .log10: .log10; case .log1p: .log1p; case .sqrt: .sqrt
        case .reciprocal: .reciprocal
        case .sin: .sin; case .cos: .cos; case .tan: .tan; case .arcsin: .arcsin
        case .arccos: .arccos; case .arctan: .arctan; case .sinh: .sinh; case .cosh: .cosh
        case .tanh: .tanh; case .arcsinh: .arcsinh; case .arccosh: .arccosh; case .arctanh: .arctanh
        case .erf: .erf; case .erfc: .erfc; case .gamma: .gamma; case .lgamma: .lgamma
        case .digamma: .digamma; case .sigmoid: .sigmoid; case .softplus: .softplus; case .log1mexp: .log1mexp
        case .neg: .neg; case .abs: .abs; case .sign: .sign; case .square: .square
        case .floor: .floor; case .ceil: .ceil; case .round: .round; case .trunc: .trunc
        case .add: .add; case .sub: .sub; case .mul: .mul; case .floorDiv: .floorDiv
        case .mod: .mod; case .pow: .pow; case .maximum: .maximum; case .minimum: .minimum
        case .trueDiv: .trueDiv; case .arctan2: .arctan2; case .logaddexp: .logaddexp
        case .eq: .eq; case .neq: .neq; case .lt: .lt; case .le: .le; case .gt: .gt; case .ge: .ge
        case .and: .and; case .or: .or; case .xor: .xor; case .not: .not
        case .isnan: .isnan; case .isinf: .isinf
        case .where: .where; case .clip: .clip
        case .cast: .cast
        case .identity: .identity
        }
    }
}

extension ScalarOp: CaseIterable {
    /// Every scalar op in declaration order, `cast` once per ``DType`` (in `DType.allCases`
    /// order). Derived from ``Tag``, so a new case is listed as soon as it compiles.
    public static let allCases: [ScalarOp] = Tag.allCases.flatMap(\.ops)
}
