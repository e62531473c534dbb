// What a proxied connection or flow tells about its traffic, and to whom: the per-client
// accounting of ../session/clients.ts implements it. Declared here, where it is used, so
// the proxies depend on nothing above them.
export {};
//# sourceMappingURL=accounting.js.map