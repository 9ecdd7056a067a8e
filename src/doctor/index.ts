export { examine } from './examine.js';
export { checkDiskWrites, type DynoWrites } from './disk-writes.js';
export { FINDINGS, type CheckName, type Finding } from './findings.js';
export type { BuildFacts } from './app.js';
export { treeFromDirectory, treeFromTarball, treeOf, type SourceTree } from './tree.js';
export { SourceAdvisor } from './advisor.js';
