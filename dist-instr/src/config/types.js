// The one typed, frozen configuration that `run`, `check` and `gen-unit` all use.
// Produced only by `loadConfig()` in ./load.ts; every duration is in milliseconds
// (Infinity for `infinity`).
export {};
//# sourceMappingURL=types.js.map