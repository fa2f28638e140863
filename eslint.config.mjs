// typescript-eslint's recommended rules, and the 120-character lines Prettier cannot give comments and strings.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['build/', 'dist/', 'coverage/', '.cache/', '**/node_modules/', 'test/nest11/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      'max-len': ['error', { code: 120 }],
      // A closure that reads a variable assigned later (a hook calling the app it is part of) needs `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', performance: 'readonly' } },
  },
);
