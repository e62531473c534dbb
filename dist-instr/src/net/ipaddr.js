// ipaddr.js, loaded with require(). An ES module importing a CommonJS package makes Node
// scan the package's source for its exports; on ipaddr.js (38 KB) that scan triggers an
// optimizing compile that costs mrsocko about 17 ms of start-up and 4-5 MB of idle RSS
// for good (issue 7's measurements). require() does not scan.
import { createRequire } from 'node:module';
export const ipaddr = createRequire(import.meta.url)('ipaddr.js');
//# sourceMappingURL=ipaddr.js.map