export function describeExit(code, signal) {
    if (signal)
        return `killed by ${signal}`;
    return `exit status ${code ?? 'unknown'}`;
}
//# sourceMappingURL=driver.js.map