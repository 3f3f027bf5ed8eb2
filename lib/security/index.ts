/**
 * Security gateway engine: detection, redaction and reversible redaction of tool arguments and
 * results. Pure library code; the data plane and the dashboard import from here.
 */
export { BUILTIN_DETECTORS, DETECTOR_IDS, PLACEHOLDER_KINDS, type Detector, type DetectorId, type Match } from "./detectors";
export {
  checkPatternStatically,
  validateCustomPattern,
  type PatternCheck,
  type PatternProblem,
  type PatternProblemCode,
} from "./custom-rules";
export { parseFieldPath, FieldPathError } from "./field-path";
export {
  ACTIONS,
  DIRECTIONS,
  defaultRules,
  effectivePolicy,
  packOverrideSchema,
  ruleSchema,
  type Action,
  type AppliesTo,
  type Direction,
  type PackOverride,
  type Rule,
  type RuleInput,
  type ScanPolicy,
} from "./policy";
export {
  createPlaceholderNumbering,
  scan,
  scanAsync,
  stringifyJson,
  type AsyncPlaceholderSource,
  type Hit,
  type PlaceholderAllocator,
  type ScanContext,
  type ScanResult,
} from "./scan";
export { createSseRedactor, createStreamRedactor, type SseRedactor, type StreamOptions, type StreamRedactor } from "./stream";
export {
  DEFAULT_REVERSIBLE_KINDS,
  InMemoryPlaceholderVault,
  SealedValue,
  scanReversible,
  vaultPlaceholderSource,
  type MaybePromise,
  type PlaceholderVault,
} from "./reversible";
export { maskExcerpt } from "./mask";
