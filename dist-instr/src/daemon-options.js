export {};
//# sourceMappingURL=daemon-options.js.map