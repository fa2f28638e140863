import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const README = readFileSync(resolve(__dirname, '..', '..', 'README.md'), 'utf8');

/** The README's section `## heading`, up to the next one. */
function section(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

const codeBlocks = (text: string, language: string) =>
  [...text.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]);

/** The packages of the Quick start's `npm install` line. */
export function quickStartPackages(): string[] {
  const [install] = codeBlocks(section('Quick start'), 'sh');
  return install
    .trim()
    .replace(/^npm install /, '')
    .split(/\s+/);
}

/**
 * The app's files as the README writes them, verbatim: the Quick start's files, named by their first line
 * (`// src/main.ts`; the first of each name, so Express' main.ts and not Fastify's), and the first block of "Testing
 * your app" as the generated test/app.e2e-spec.ts it replaces. In a CommonJS app the relative imports lose their `.js`,
 * as the README says.
 */
export function readmeFiles(format: 'esm' | 'cjs'): Map<string, string> {
  const files = new Map<string, string>();
  for (const block of codeBlocks(section('Quick start'), 'ts')) {
    const path = /^\/\/ (src\/[\w.-]+\.ts)\n/.exec(block)?.[1];
    if (path !== undefined && !files.has(path)) files.set(path, block);
  }
  files.set('test/app.e2e-spec.ts', codeBlocks(section('Testing your app'), 'ts')[0]);
  if (format === 'cjs') {
    for (const [path, source] of files) files.set(path, source.replace(/(from '\.{1,2}\/[^']*)\.js'/g, "$1'"));
  }
  return files;
}

/** Writes the README's files into the generated app in `dir`; returns their paths. */
export function applyReadme(dir: string, format: 'esm' | 'cjs'): string[] {
  const files = readmeFiles(format);
  for (const [path, source] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  return [...files.keys()];
}
