// How a failed read of a file the config names is said to the user.
export function describeReadError(err) {
    const code = err?.code;
    if (code === 'ENOENT')
        return 'no such file';
    if (code === 'EACCES')
        return 'permission denied (check the file mode, or run as root)';
    if (code === 'EISDIR')
        return 'it is a directory, not a file';
    return err instanceof Error ? err.message : String(err);
}
//# sourceMappingURL=read-error.js.map