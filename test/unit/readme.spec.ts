import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/graceful-options';
import { GracefulOptionsError, validateOptions } from '../../src/validate-options';

const root = join(__dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const REPO_URL = 'https://github.com/nestjs-graceful/nestjs-graceful/';

/** The option names validateOptions knows, as its unknown-option message lists them. */
function optionNames(): string[] {
  try {
    validateOptions({ zzz: 1 } as never);
  } catch (error) {
    const [problem] = (error as GracefulOptionsError).problems;
    return problem.slice(problem.indexOf('the options are: ') + 'the options are: '.length).split(', ');
  }
  throw new Error('validateOptions accepted an unknown option');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('README', () => {
  it.each(['app.module.ts', 'main.ts', 'hello.controller.ts', 'main-fastify.ts'])(
    'shows the quick start file %s exactly as sample-app/quick-start compiles it',
    (file) => {
      const source = readFileSync(join(root, 'sample-app/quick-start', file), 'utf8')
        .replace("from '../../src/health'", "from 'nestjs-graceful/health'")
        .replace("from '../../src'", "from 'nestjs-graceful'");
      expect(readme).toContain(`\`\`\`ts\n${source}\`\`\``);
    },
  );

  it('shows the discovery testing recipe exactly as test/e2e/discovery-recipe.e2e.spec.ts runs it', () => {
    const source = readFileSync(join(root, 'test/e2e/discovery-recipe.e2e.spec.ts'), 'utf8')
      .replace(/^import .* from 'vitest';\n/, '')
      .replace("'../../src/discovery'", "'nestjs-graceful/discovery'")
      .replace("'../../src/testing'", "'nestjs-graceful/testing'")
      .replace("'../../src'", "'nestjs-graceful'")
      .replace(
        "import { CallerModule as AppModule } from '../../sample-app/caller/caller.module';",
        "import { AppModule } from '../src/app.module.js';",
      );
    expect(readme).toContain(`\`\`\`ts\n${source}\`\`\``);
  });

  it('lists every option in its table, with the default DEFAULT_OPTIONS has', () => {
    for (const name of optionNames()) expect(readme).toMatch(new RegExp(`^\\| \`${name}\`|, \`${name}\``, 'm'));
    for (const [name, value] of Object.entries(DEFAULT_OPTIONS)) {
      const shown = Array.isArray(value)
        ? `\`[${value.map((v) => `'${v}'`).join(', ')}]\``
        : typeof value === 'object'
          ? '`{}`'
          : `\`${typeof value === 'string' ? `'${value}'` : value}\``;
      expect(readme).toContain(`| \`${name}\` | ${shown} |`);
    }
  });

  it('gives the two set-up commands, each installing what it needs, and .ci/run runs the same test command', () => {
    const block = /## Run the sample, run the tests[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = block
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['npm run sample', 'npm test']);
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.sample).toMatch(/^node scripts\/ensure-deps\.mjs\b/);
    expect(scripts.test).toMatch(/^node scripts\/ensure-deps\.mjs lib nest11 &&/);
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toMatch(/^run_suite node22 22 npm test\b/m);
  });

  it('links only to files of this repository that exist, by full URL', () => {
    const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(links.filter((l) => !l.startsWith('https://') && !l.startsWith('#'))).toEqual([]);
    for (const link of links.filter((l) => l.startsWith(REPO_URL))) {
      const path = link
        .slice(REPO_URL.length)
        .replace(/^(blob|tree)\/main\//, '')
        .replace(/#.*$/, '');
      expect(existsSync(join(root, path)), link).toBe(true);
    }
  });
});

describe('the docs', () => {
  const docs = ['README.md', 'CONTRIBUTING.md', ...filesUnder(join(root, 'docs')).map((p) => p.slice(root.length + 1))];

  it('never point outside the repository, and their relative links resolve', () => {
    for (const doc of docs) {
      const text = readFileSync(join(root, doc), 'utf8');
      expect(text, doc).not.toMatch(/\.\.\/shared|LIFECYCLE\.md/);
      for (const [, target] of text.matchAll(/\]\((?!https?:|#)([^)#]+)(#[^)]*)?\)/g)) {
        expect(existsSync(join(root, doc, '..', target)), `${doc} → ${target}`).toBe(true);
      }
    }
  });

  it('and no comment in src/ (which ends up in the .d.ts) points at a file outside the package', () => {
    for (const file of filesUnder(join(root, 'src'))) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/\.\.\/shared|LIFECYCLE\.md/);
    }
  });
});
